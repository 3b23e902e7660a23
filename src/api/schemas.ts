/** Request and response schemas shared by the native routes (TypeBox → JSON Schema → OpenAPI). */
import { Type, type Static } from 'typebox';

/** Said in words in validation messages ("body/quantity must be a positive decimal string …"): never the pattern. */
export const DECIMAL_IN_WORDS = 'a positive decimal string such as "0.01" (digits with an optional fraction; no sign, exponent or spaces)';
const DECIMAL_PATTERN = '^\\d+(\\.\\d+)?$';
export const Decimal = Type.String({ pattern: DECIMAL_PATTERN, description: DECIMAL_IN_WORDS });
export const SignedDecimal = Type.String({ pattern: '^-?\\d+(\\.\\d+)?$', description: 'a decimal string such as "-0.5" or "0.01"' });
/** An asset code as exchanges write them: upper-case letters and digits, 1–20 characters. */
export const ASSET_CODE_PATTERN = '^[A-Z0-9]{1,20}$';
export const AssetCode = Type.String({ pattern: ASSET_CODE_PATTERN, description: 'an asset code such as "USDT": 1 to 20 upper-case letters and digits' });
/** A balance: a non-negative decimal with at most 20 integer digits and 18 decimals. */
export const AMOUNT_PATTERN = '^\\d{1,20}(\\.\\d{1,18})?$';
export const Amount = Type.String({ pattern: AMOUNT_PATTERN, description: 'a non-negative decimal string such as "10000" or "0.5" (at most 20 integer digits and 18 decimals)' });
export const Balances = Type.Record(AssetCode, Amount, { description: 'asset code → amount', maxProperties: 100, additionalProperties: false });
/** A fee rate as a fraction ("0.001" = 0.1 %); the maker rate may be negative (a rebate). Bounds: core/instruments/fee-bounds.ts. */
export const FeeRates = Type.Object(
  {
    maker: Type.Optional(Type.String({ pattern: '^-?\\d{1,3}(\\.\\d{1,18})?$', description: 'a decimal fraction from -0.01 to 0.01 such as "0.001"; a rebate (negative) no larger than the taker rate' })),
    taker: Type.Optional(Type.String({ pattern: '^\\d{1,3}(\\.\\d{1,18})?$', description: 'a decimal fraction from 0 to 0.01 (1 %) such as "0.001"' })),
  },
  { additionalProperties: false },
);

export const ErrorBody = Type.Object({ code: Type.String(), message: Type.String(), mexcCode: Type.Optional(Type.Number()) });

export const Page = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  // Beyond 2^53 − 1 the number is no longer the one sent, and the database refuses to bind it.
  offset: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 }),
});
export type PageQuery = Static<typeof Page>;

export const ORDER_TYPE_NAMES = ['MARKET', 'LIMIT', 'LIMIT_MAKER', 'IMMEDIATE_OR_CANCEL', 'FILL_OR_KILL', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT', 'TRAILING_STOP_MARKET'] as const;

/** An exit attached to an entry (a bracket) or a leg of an OCO: trigger price, and a limit price for a limit exit. */
export const ExitLeg = Type.Object(
  { stopPrice: Decimal, price: Type.Optional(Decimal), triggerSource: Type.Optional(Type.Enum(['last', 'mark'])) },
  { additionalProperties: false, description: 'an exit: {"stopPrice": "…"} for a market exit, with "price" for a limit exit; "triggerSource" the price it triggers on (perpetuals: last or mark)' },
);

export const PlaceOrderBody = Type.Object(
  {
    symbol: Type.String({ minLength: 1, maxLength: 32 }),
    side: Type.Enum(['BUY', 'SELL']),
    type: Type.Enum([...ORDER_TYPE_NAMES]),
    quantity: Type.Optional(Decimal),
    quoteOrderQty: Type.Optional(Decimal),
    price: Type.Optional(Decimal),
    stopPrice: Type.Optional(Decimal),
    activationPrice: Type.Optional(Decimal),
    callbackRate: Type.Optional(Decimal),
    maxSlippage: Type.Optional(Type.String({ pattern: DECIMAL_PATTERN, description: 'a fraction from 0 to below 1 as a decimal string such as "0.005" (0.5 %): the slippage cap of an order that executes at the market, a fraction of the best opposite price when it executes; the rest expires (SLIPPAGE_CAP)' })),
    triggerSource: Type.Optional(Type.Enum(['last', 'mark'], { description: 'conditional orders on perpetuals: the price the trigger watches, last (the prints, default) or mark (the mark price; Binance workingType MARK_PRICE)' })),
    reduceOnly: Type.Optional(Type.Boolean()),
    clientOrderId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$', description: 'up to 64 letters, digits and the signs _ . : -' })),
    takeProfit: Type.Optional(ExitLeg),
    stopLoss: Type.Optional(ExitLeg),
  },
  { additionalProperties: false },
);
export type PlaceOrderBodyType = Static<typeof PlaceOrderBody>;

/**
 * An exchange key or secret as exchanges issue them (Binance, MEXC, OKX: letters, digits and
 * punctuation): printable ASCII without spaces. Anything else is a paste error, never a key: a
 * control character or non-ASCII letter cannot travel in the venue's request headers, and a lone
 * UTF-16 surrogate would be sealed as U+FFFD, a different key from the one sent.
 */
const EXCHANGE_KEY_PATTERN = '^[\\x21-\\x7E]{1,256}$';

/** An account's own exchange API key and secret for live trading: stored sealed, never answered back. */
export const ExchangeCredentials = Type.Object(
  {
    apiKey: Type.String({ minLength: 1, maxLength: 256, pattern: EXCHANGE_KEY_PATTERN, description: "the venue account's API key: 1 to 256 printable ASCII characters without spaces" }),
    secret: Type.String({ minLength: 1, maxLength: 256, pattern: EXCHANGE_KEY_PATTERN, description: "the key's secret: 1 to 256 printable ASCII characters without spaces (stored encrypted, AES-256-GCM under CREDENTIALS_KEY; never returned)" }),
  },
  { additionalProperties: false },
);

export const CreateAccountBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 80 }),
    type: Type.Optional(Type.Enum(['spot', 'futures'])),
    balances: Balances,
    fees: Type.Optional(FeeRates),
    risk: Type.Optional(Type.Object({ maxDrawdown: Type.Optional(Type.String({ pattern: '^0?\\.\\d{1,18}$', description: 'a fraction between 0 and 1, e.g. "0.2"' })), closeOnMaxDrawdown: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
    leverage: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: "futures: the default leverage, within every perpetual's range" })),
    marginMode: Type.Optional(Type.Enum(['isolated', 'cross'])),
    exchangeCredentials: Type.Optional(ExchangeCredentials),
  },
  { additionalProperties: false },
);
export type CreateAccountBodyType = Static<typeof CreateAccountBody>;
