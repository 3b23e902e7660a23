/**
 * Business rejections are data, not exceptions. Each domain code carries the MEXC Spot v3 error
 * code and message the exchange answers with, so that every edge (replay output, native API,
 * MEXC-compatible API) reports the exchange's own words.
 */
import { boundedText } from '../bounded-text.js';

export const REJECTION_CODES = {
  INSUFFICIENT_BALANCE: { mexcCode: 10101, message: 'Insufficient balance' },
  MIN_NOTIONAL: { mexcCode: 30002, message: 'The minimum transaction volume cannot be less than:' },
  MIN_QUANTITY: { mexcCode: 30002, message: 'The minimum transaction volume cannot be less than:' },
  MAX_QUANTITY: { mexcCode: 30003, message: 'The maximum transaction volume cannot be greater than:' },
  MAX_NOTIONAL: { mexcCode: 30003, message: 'The maximum transaction volume cannot be greater than:' },
  MAX_MARKET_QUANTITY: { mexcCode: 30003, message: 'The maximum transaction volume cannot be greater than:' },
  // MEXC's own words for a price outside its band (ccxt's MEXC error table: 30087).
  PERCENT_PRICE: { mexcCode: 30087, message: 'Order price exceeds allowed range' },
  INVALID_QUANTITY: { mexcCode: 10096, message: 'amount decimal places is too long' },
  // MEXC documents no code for these two; 30010 is one ccxt maps to InvalidOrder (docs/adr/0003).
  INVALID_PRICE: { mexcCode: 30010, message: 'price is not a multiple of the tick size' },
  WOULD_TAKE: { mexcCode: 30010, message: 'Order would immediately match and take.' },
  // Binance's words (spot −2010; USD-M −2021 "Order would immediately trigger."); MEXC spot has no stop orders to compare.
  WOULD_TRIGGER_IMMEDIATELY: { mexcCode: 30010, message: 'Stop price would trigger immediately.' },
  TRAILING_DELTA: { mexcCode: 700004, message: 'Filter failure: TRAILING_DELTA' },
  INVALID_ORDER: { mexcCode: 700004, message: 'Invalid parameter' },
  UNKNOWN_SYMBOL: { mexcCode: 30014, message: 'invalid symbol' },
  UNKNOWN_ACCOUNT: { mexcCode: 10072, message: 'Api key info invalid' },
  UNKNOWN_ORDER: { mexcCode: -2011, message: 'Unknown order sent.' },
  ORDER_NOT_OPEN: { mexcCode: -2011, message: 'Unknown order sent.' },
  DUPLICATE_CLIENT_ORDER_ID: { mexcCode: 30026, message: 'client order id is already in use by an open order' },
  ACCOUNT_HALTED: { mexcCode: 30016, message: 'trading disabled' },
  DUPLICATE_ACCOUNT: { mexcCode: 700004, message: 'account already exists' },
  REDUCE_ONLY_REJECTED: { mexcCode: 30004, message: 'Insufficient position' },
  INVALID_LEVERAGE: { mexcCode: 700004, message: 'leverage is not allowed' },
  // Binance USD-M −2027; MEXC contract API 2023 "Positions over maximum leverage" (MEXC contract v1 error codes).
  MAX_POSITION_EXCEEDED: { mexcCode: 2023, message: 'Exceeded the maximum allowable position at current leverage.' },
  // Binance USD-M −4161 ISOLATED_LEVERAGE_REJECT_WITH_POSITION; MEXC answers its generic parameter code.
  LEVERAGE_REDUCTION_REFUSED: { mexcCode: 700004, message: 'Leverage reduction is not supported in Isolated Margin Mode with open positions' },
  // Binance USD-M −2028 MIN_LEVERAGE_RATIO; MEXC's insufficient-balance code.
  LEVERAGE_MARGIN_INSUFFICIENT: { mexcCode: 10101, message: 'Leverage is smaller than permitted: insufficient margin balance.' },
  NOT_A_FUTURES_ACCOUNT: { mexcCode: 700004, message: 'this account does not trade futures' },
  // The exchange's words are Binance's (−2010 "Filter failure: …"); MEXC answers 30029.
  MAX_NUM_ORDERS: { mexcCode: 30029, message: 'Filter failure: MAX_NUM_ORDERS' },
  MAX_NUM_ALGO_ORDERS: { mexcCode: 30029, message: 'Filter failure: MAX_NUM_ALGO_ORDERS' },
  INVALID_FEES: { mexcCode: 700004, message: 'fee rates out of bounds' },
  INVALID_BALANCE: { mexcCode: 700004, message: 'invalid balance' },
  INVALID_ASSET: { mexcCode: 700004, message: 'invalid asset' },
  INVALID_DOCUMENT: { mexcCode: 700004, message: 'not a valid papertrade.account document' },
} as const;

export type RejectionCode = keyof typeof REJECTION_CODES;

export interface Rejection {
  readonly code: RejectionCode;
  readonly mexcCode: number;
  readonly message: string;
}

/**
 * The words of an INVALID_PRICE refusal for a price under PRICE_FILTER's minPrice, over its
 * maxPrice, or at or below 0: the code's own words are the tick's, which would send the user to the
 * wrong fix. Binance spot answers both "Filter failure: PRICE_FILTER"; MEXC documents neither.
 */
export const PRICE_RANGE_WORDS = "price is outside the instrument's price range";

/**
 * A refusal with its code's MEXC code and words, `given` (the detail) appended, any run of it over
 * 100 characters cut (`boundedText`). `words` replaces the code's own
 * where one code covers refusals its words would misname (INVALID_PRICE: off the tick, or outside
 * the price range).
 */
export function rejection(code: RejectionCode, given?: string, words?: string): Rejection {
  const spec = REJECTION_CODES[code];
  const base = words ?? spec.message;
  // A value the request carried, echoed in the detail, is cut when it is absurdly long (bounded-text.ts).
  const detail = given === undefined ? undefined : boundedText(given);
  return { code, mexcCode: spec.mexcCode, message: detail === undefined ? base : base.endsWith(':') ? `${base}${detail}` : `${base} (${detail})` };
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Rejection };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(code: RejectionCode, detail?: string, words?: string): Result<T> => ({
  ok: false,
  error: rejection(code, detail, words),
});
