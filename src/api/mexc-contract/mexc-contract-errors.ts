/**
 * The MEXC contract edge's one error mapper: every failure under `/api/v1/contract` and
 * `/api/v1/private` leaves in MEXC's contract envelope, `{"success":false,"code":<int>,"message":"…"}`,
 * with the codes of MEXC's contract API, so that ccxt's `mexc` class classifies them as it would the
 * exchange's (docs/adr/0052).
 *
 * Business refusals answer HTTP 200, as MEXC's contract API does; the edge's own refusals (unknown
 * path, wrong method, body too large, rate limit) keep their HTTP status.
 */
import type { EdgeError } from '../edge-errors.js';
import type { ExecutionResult } from '../service-deps.js';
import { boundedText } from '../../core/bounded-text.js';
import { div, formatFixed, isMultipleOf, parseFixed, type Fixed } from '../../core/money/fixed.js';
import { PRICE_RANGE_WORDS, type RejectionCode } from '../../core/orders/rejection.js';
import type { EXECUTION_ERROR_CODES } from '../../execution/order-execution-service.js';
import { volOf, type Contract } from './mexc-contract-symbols.js';

type FacadeError = Extract<ExecutionResult<unknown>, { ok: false }>['error'];

export class MexcContractError extends Error {
  readonly msg: string;

  constructor(
    readonly code: number,
    msg: string,
    readonly status = 200,
  ) {
    // A value of the request the message echoes is cut when absurdly long, as the kernel's refusals cut it.
    const bounded = boundedText(msg);
    super(bounded);
    this.msg = bounded;
  }
  get body(): { success: false; code: number; message: string } {
    return { success: false, code: this.code, message: this.msg };
  }
}

// MEXC's words for 2040 and 2041 are those of its `order/cancel` answer (per-order `errorCode`/`errorMsg`).
export const ORDER_NOT_FOUND = { code: 2040, message: 'order not exist' } as const;

export const contractErrors = {
  unauthorized: () => new MexcContractError(401, 'Not logged in or login has expired'),
  badSignature: () => new MexcContractError(602, 'Signature verification failed!'),
  requestTime: () => new MexcContractError(513, 'Invalid request(for open api serves time more or less than 10s)'),
  param: (detail: string) => new MexcContractError(600, `Param error! ${detail}`),
  undecodable: () => new MexcContractError(601, 'Data decoding error'),
  unknownContract: () => new MexcContractError(1001, 'Contract does not exist!'),
  wrongOpenType: (detail: string) => new MexcContractError(2002, `Wrong opening type: ${detail}`),
  leverage: (detail: string) => new MexcContractError(2006, `Leverage ratio error: ${detail}`),
  noPosition: () => new MexcContractError(2009, 'Position is not exists or closed.'),
  unknownCurrency: () => new MexcContractError(10232, 'The currency not exist'),
  unknownOrder: () => new MexcContractError(ORDER_NOT_FOUND.code, ORDER_NOT_FOUND.message),
  notFutures: () => new MexcContractError(600, 'Param error! this account does not trade futures: open a futures account'),
  notSupported: (what: string) => new MexcContractError(600, `Param error! ${what} is not supported here`),
  // Trigger (plan) orders, MEXC futures API "Error code": 3001–3004.
  triggerPriceType: (detail: string) => new MexcContractError(3001, `Trigger price type error: ${detail}`),
  triggerType: (detail: string) => new MexcContractError(3002, `Trigger type error: ${detail}`),
  executeCycle: (detail: string) => new MexcContractError(3003, `Executive cycle error: ${detail}`),
  triggerPrice: (detail: string) => new MexcContractError(3004, `Trigger price error: ${detail}`),
  notCancellable: () => new MexcContractError(2041, 'order state cannot be cancelled'),
} as const;

/**
 * What a refused `order/create` asked for, in MEXC's terms, so that a refusal states its sizes in
 * contracts: `vol` as sent, `price` as sent (absent for market orders), and the mark the price band is
 * measured from when the engine has one.
 */
export interface ContractOrderTerms {
  readonly contract: Contract;
  readonly vol: string;
  readonly side: 'BUY' | 'SELL';
  readonly price?: string;
  readonly mark?: Fixed;
}

type Refusal = (error: FacadeError, order: ContractOrderTerms | undefined) => { readonly code: number; readonly message: string };

const fmt = formatFixed;
/** MEXC's words, then the particulars in brackets. */
const said = (code: number, words: string) => (detail?: string) => ({ code, message: detail === undefined || detail === '' ? words : `${words} (${detail})` });
/** The kernel's particulars: what follows its MEXC spot words, or the whole message when it has none. */
const kernelDetail = (error: FacadeError): string => /\((.*)\)$/s.exec(error.message)?.[1] ?? error.message.split(':').slice(1).join(':').trim();

const quantityError = said(2011, 'Order quantity error, please try to modify.');
const accuracyError = said(2015, 'Price or quantity accuracy error');
const priceError = said(2007, 'Order price error');
const param = (detail: string) => ({ code: 600, message: `Param error! ${detail}` });

/** The engine's step in contracts: one step of 0.001 BTC is 10 BTC_USDT contracts. */
const volUnitOf = (c: Contract) => fmt(div(c.instrument.stepSize, c.contractSize, 'half-up'));

/**
 * Every refusal the contract routes can produce, by kernel or facade code, as MEXC's contract API
 * says it: its code, its words, the particulars in contracts (`vol`, `volUnit`, `minVol`, `maxVol`)
 * and prices (`priceUnit`). The class ccxt 4.5 raises for each code is its `mexc` class's
 * `exceptions` table (`exact`, after `broad` on the body); a code it does not list is an ExchangeError.
 *
 * | refusal                                  | code | MEXC's words                                  | ccxt           |
 * |------------------------------------------|------|-----------------------------------------------|----------------|
 * | vol off the volUnit grid, under minVol, over maxVol or the market maxVol, order value under or over the instrument's bounds | 2011 | Order quantity error, please try to modify. | BadRequest |
 * | price off the priceUnit grid (also a trigger or TP/SL price) | 2015 | Price or quantity accuracy error | ExchangeError |
 * | price (also a trigger price) below the minimum or above the maximum; BUY under or SELL over the band; post-only that would take | 2007 | Order price error | ExchangeError |
 * | BUY over the band (MEXC's bidLimitPriceRate) | 2003 | Bid price is great than max allow price   | InvalidOrder   |
 * | SELL under the band (askLimitPriceRate)  | 2004 | Low-price for selling                         | ExchangeError  |
 * | margin or balance short                  | 2005 | Insufficient balance!                         | InsufficientFunds |
 * | reduce-only with nothing to reduce       | 2009 | Position is not exists or closed.             | InvalidOrder   |
 * | position over the leverage's bracket (order) | 2031 | The allowable holding position exceed the current risk limit | ExchangeError |
 * | position over the leverage's bracket (leverage change) | 2023 | There are positions over the maximum leverage | ExchangeError |
 * | open orders at the cap                   | 2036 | The orders more than the limit, please contact customer service | ExchangeError |
 * | waiting trigger orders and TP/SL exits at the cap | 2016 | Trigger volume over the maximum               | ExchangeError  |
 * | unknown contract                         | 1001 | Contract does not exist!                      | BadSymbol      |
 * | unknown order (cancel, query)            | 2040 | order not exist                               | ExchangeError; cancelOrder: InvalidOrder |
 * | order no longer open (cancel)            | 2041 | order state cannot be cancelled               | cancelOrder: InvalidOrder |
 * | leverage not allowed                     | 2006 | Leverage ratio error                          | ExchangeError  |
 * | unknown account                          | 1000 | Account does not exist                        | AuthenticationError |
 * | trigger order: trend not 1–3 / triggerType not 1–2 / executeCycle not 1–2 / trigger already reached (mexc-contract-plan-routes.ts) | 3001 / 3002 / 3003 / 3004 | Trigger price type error / Trigger type error / Executive cycle error / Trigger price error | ExchangeError |
 * | anything else the request got wrong      | 600  | Param error!                                  | BadRequest     |
 *
 * Sources: MEXC futures API, "Error code" (api-docs/futures/error-code: 1000–1002, 2003–2009, 2011,
 * 2015, 2016, 2023, 2031, 2036, 3001–3004); MEXC's `order/cancel` answer (2040 "order not exist", 2041 "order
 * state cannot be cancelled", as ccxt's `cancelOrder` quotes it); the words ccxt records from MEXC's
 * answers in its `broad` table ("Order quantity error, please try to modify." for 2011, "Bid price is
 * great than max allow price" for 2003, "Insufficient balance!" for 2005, "Position is not exists or
 * closed." for 2009). MEXC has no minimum order value (its minimum is `minVol`); the engine's, from
 * Binance USD-M, is refused as a quantity error with the value in the particulars.
 */
const REFUSALS: Readonly<Record<RejectionCode | keyof typeof EXECUTION_ERROR_CODES, Refusal>> = {
  INVALID_QUANTITY: (e, o) => quantityError(o === undefined ? kernelDetail(e) : `vol ${o.vol} is not a multiple of volUnit ${volUnitOf(o.contract)}`),
  MIN_QUANTITY: (e, o) => quantityError(o === undefined ? kernelDetail(e) : `vol ${o.vol} is below minVol ${volOf(o.contract, o.contract.instrument.minQty)}`),
  MAX_QUANTITY: (e, o) => quantityError(o === undefined ? kernelDetail(e) : `vol ${o.vol} is above maxVol ${volOf(o.contract, o.contract.instrument.maxQty)}`),
  MAX_MARKET_QUANTITY: (e, o) =>
    quantityError(o === undefined || o.contract.instrument.maxMarketQty === undefined ? kernelDetail(e) : `vol ${o.vol} is above the market order maxVol ${volOf(o.contract, o.contract.instrument.maxMarketQty)}`),
  MIN_NOTIONAL: (e, o) => quantityError(o === undefined ? kernelDetail(e) : `vol ${o.vol} is worth less than the minimum order value of ${fmt(o.contract.instrument.minNotional)} ${o.contract.instrument.quote}`),
  MAX_NOTIONAL: (e, o) =>
    quantityError(o === undefined || o.contract.instrument.maxNotional === undefined ? kernelDetail(e) : `vol ${o.vol} is worth more than the maximum order value of ${fmt(o.contract.instrument.maxNotional)} ${o.contract.instrument.quote}`),
  INVALID_PRICE: (e, o) => {
    const i = o?.contract.instrument;
    const price = o?.price === undefined ? undefined : parseFixed(o.price);
    // A price the kernel refused for being outside the range (its words say so) is MEXC's 2007
    // "Order price error"; one off the grid is 2015 "Price or quantity accuracy error".
    const refused = () => (e.message.startsWith(PRICE_RANGE_WORDS) ? priceError : accuracyError)(kernelDetail(e));
    if (i === undefined || price === undefined) return refused();
    if (!isMultipleOf(price, i.tickSize)) return accuracyError(`price ${o!.price} is not a multiple of priceUnit ${fmt(i.tickSize)}`);
    if (i.minPrice !== undefined && price < i.minPrice) return priceError(`price ${o!.price} is below the minimum ${fmt(i.minPrice)}`);
    if (i.maxPrice !== undefined && price > i.maxPrice) return priceError(`price ${o!.price} is above the maximum ${fmt(i.maxPrice)}`);
    // The order's own price passes: the refused price is a trigger price, or an attached take-profit or stop-loss.
    return refused();
  },
  PERCENT_PRICE: (e, o) => {
    const price = o?.price === undefined ? undefined : parseFixed(o.price);
    const above = price !== undefined && o?.mark !== undefined ? price > o.mark : undefined;
    if (o?.side === 'BUY' && above === true) return said(2003, 'Bid price is great than max allow price')(kernelDetail(e));
    if (o?.side === 'SELL' && above === false) return said(2004, 'Low-price for selling')(kernelDetail(e));
    return priceError(kernelDetail(e));
  },
  WOULD_TAKE: () => priceError('a post-only order would immediately match and take'),
  WOULD_TRIGGER_IMMEDIATELY: (e) => priceError(kernelDetail(e)),
  INSUFFICIENT_BALANCE: (e) => said(2005, 'Insufficient balance!')(kernelDetail(e)),
  LEVERAGE_MARGIN_INSUFFICIENT: (e) => said(2005, 'Insufficient balance!')(kernelDetail(e)),
  REDUCE_ONLY_REJECTED: () => said(2009, 'Position is not exists or closed.')(),
  MAX_POSITION_EXCEEDED: (e, o) =>
    o === undefined ? said(2023, 'There are positions over the maximum leverage')(kernelDetail(e)) : said(2031, 'The allowable holding position exceed the current risk limit')(kernelDetail(e)),
  MAX_NUM_ORDERS: (_e, o) => said(2036, 'The orders more than the limit, please contact customer service')(o?.contract.instrument.maxNumOrders === undefined ? undefined : `at most ${o.contract.instrument.maxNumOrders} open orders on ${o.contract.symbol}`),
  MAX_NUM_ALGO_ORDERS: (_e, o) =>
    said(2016, 'Trigger volume over the maximum')(o?.contract.instrument.maxNumAlgoOrders === undefined ? undefined : `at most ${o.contract.instrument.maxNumAlgoOrders} waiting trigger orders and take-profit and stop-loss exits on ${o.contract.symbol}`),
  UNKNOWN_SYMBOL: () => said(1001, 'Contract does not exist!')(),
  UNKNOWN_ORDER: () => said(ORDER_NOT_FOUND.code, ORDER_NOT_FOUND.message)(),
  ORDER_NOT_OPEN: () => said(2041, 'order state cannot be cancelled')(),
  INVALID_LEVERAGE: (e) => said(2006, 'Leverage ratio error')(kernelDetail(e)),
  UNKNOWN_ACCOUNT: () => said(1000, 'Account does not exist')(),
  DUPLICATE_CLIENT_ORDER_ID: (e) => param(`externalOid ${kernelDetail(e)} is already in use by an open order`),
  ACCOUNT_HALTED: (e) => param(`trading disabled: ${kernelDetail(e)}`),
  TRAILING_DELTA: (e) => param(e.message),
  INVALID_ORDER: (e) => param(kernelDetail(e)),
  DUPLICATE_ACCOUNT: (e) => param(e.message),
  LEVERAGE_REDUCTION_REFUSED: (e) => param(e.message),
  NOT_A_FUTURES_ACCOUNT: () => param('this account does not trade futures: open a futures account'),
  INVALID_FEES: (e) => param(e.message),
  INVALID_BALANCE: (e) => param(e.message),
  INVALID_ASSET: (e) => param(e.message),
  INVALID_DOCUMENT: (e) => param(e.message),
  // Accepted and journaled, answer delayed by the simulated latency: the outcome is unknown for now (ccxt: RequestTimeout).
  ORDER_PENDING: (e) => ({ code: 504, message: e.message }),
  EXCHANGE_UNAVAILABLE: (e) => ({ code: 503, message: e.message }),
  EXCHANGE_AUTH_FAILED: (e) => ({ code: 500, message: e.message }),
  EXCHANGE_CREDENTIALS_MISSING: (e) => ({ code: 500, message: e.message }),
  EXCHANGE_ERROR: (e) => ({ code: 500, message: e.message }),
  UNSUPPORTED_ORDER_TYPE: (e) => param(e.message),
};

/**
 * A facade rejection in MEXC contract words (the table above). `order` is what a refused
 * `order/create` asked for; without it, sizes are the kernel's own particulars.
 */
export function contractErrorOf(error: FacadeError, order?: ContractOrderTerms): MexcContractError {
  const refusal = (REFUSALS as Readonly<Record<string, Refusal>>)[error.code];
  if (refusal === undefined) return contractErrors.param(error.message);
  const { code, message } = refusal(error, order);
  return new MexcContractError(code, message);
}

const PREFIXES = ['/api/v1/contract/', '/api/v1/private/'];

/** Paths answered in MEXC's contract envelope. */
export function isMexcContractPath(url: string): boolean {
  return PREFIXES.some((p) => url.startsWith(p));
}

/**
 * The contract envelope for an edge error, and its HTTP status: 429 and 510 for rate limits
 * (MEXC's "Excessive frequency of requests"), 401 for a key refused by the edge, 404/405/413/415 as
 * they are, 503 when the engine cannot answer; every other client error 600 "Param error!".
 */
export function mexcContractBodyOf(error: EdgeError): { status: number; body: { success: false; code: number; message: string } } {
  const body = (code: number, message: string) => ({ success: false as const, code, message });
  if (error.status === 429) return { status: 429, body: body(510, `Excessive frequency of requests: ${error.message}`) };
  if (error.status === 503) return { status: 503, body: body(503, error.message) };
  if (error.status === 401) return { status: 401, body: body(401, error.message) };
  if ([404, 405, 413, 414, 415].includes(error.status)) return { status: error.status, body: body(error.status, error.message) };
  return { status: 400, body: body(600, `Param error! ${error.message}`) };
}
