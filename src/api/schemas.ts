/** Request and response schemas shared by the native routes (TypeBox → JSON Schema → OpenAPI). */
import { Type, type Static } from 'typebox';

export const Decimal = Type.String({ pattern: '^\\d+(\\.\\d+)?$', description: 'decimal string, e.g. "0.25"' });
export const SignedDecimal = Type.String({ pattern: '^-?\\d+(\\.\\d+)?$' });
/** An asset code as exchanges write them: upper-case letters and digits, 1–20 characters. */
export const ASSET_CODE_PATTERN = '^[A-Z0-9]{1,20}$';
export const AssetCode = Type.String({ pattern: ASSET_CODE_PATTERN, description: 'asset code, e.g. "USDT"' });
/** A balance: a non-negative decimal with at most 20 integer digits and 18 decimals. */
export const AMOUNT_PATTERN = '^\\d{1,20}(\\.\\d{1,18})?$';
export const Amount = Type.String({ pattern: AMOUNT_PATTERN, description: 'non-negative decimal string, e.g. "10000" or "0.5"' });
export const Balances = Type.Record(AssetCode, Amount, { description: 'asset code → amount', maxProperties: 100, additionalProperties: false });
/** A fee rate as a fraction ("0.001" = 0.1 %); the maker rate may be negative (a rebate). Bounds: core/instruments/fee-bounds.ts. */
export const FeeRates = Type.Object(
  {
    maker: Type.Optional(Type.String({ pattern: '^-?\\d{1,3}(\\.\\d{1,18})?$', description: 'from -0.01 to 0.01; a rebate (negative) no larger than the taker rate' })),
    taker: Type.Optional(Type.String({ pattern: '^\\d{1,3}(\\.\\d{1,18})?$', description: 'from 0 to 0.01 (1 %)' })),
  },
  { additionalProperties: false },
);

export const ErrorBody = Type.Object({ code: Type.String(), message: Type.String(), mexcCode: Type.Optional(Type.Number()) });

export const Page = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
});
export type PageQuery = Static<typeof Page>;

export const ORDER_TYPE_NAMES = ['MARKET', 'LIMIT', 'LIMIT_MAKER', 'IMMEDIATE_OR_CANCEL', 'FILL_OR_KILL', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT', 'TRAILING_STOP_MARKET'] as const;

export const PlaceOrderBody = Type.Object(
  {
    symbol: Type.String({ minLength: 1, maxLength: 32 }),
    side: Type.Union([Type.Literal('BUY'), Type.Literal('SELL')]),
    type: Type.Union(ORDER_TYPE_NAMES.map((t) => Type.Literal(t))),
    quantity: Type.Optional(Decimal),
    quoteOrderQty: Type.Optional(Decimal),
    price: Type.Optional(Decimal),
    stopPrice: Type.Optional(Decimal),
    activationPrice: Type.Optional(Decimal),
    callbackRate: Type.Optional(Decimal),
    reduceOnly: Type.Optional(Type.Boolean()),
    clientOrderId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' })),
  },
  { additionalProperties: false },
);
export type PlaceOrderBodyType = Static<typeof PlaceOrderBody>;

export const CreateAccountBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 80 }),
    type: Type.Optional(Type.Union([Type.Literal('spot'), Type.Literal('futures')])),
    balances: Balances,
    fees: Type.Optional(FeeRates),
    risk: Type.Optional(Type.Object({ maxDrawdown: Type.Optional(Type.String({ pattern: '^0?\\.\\d{1,18}$', description: 'a fraction between 0 and 1, e.g. "0.2"' })), closeOnMaxDrawdown: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
    leverage: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: "futures: the default leverage, within every perpetual's range" })),
    marginMode: Type.Optional(Type.Union([Type.Literal('isolated'), Type.Literal('cross')])),
  },
  { additionalProperties: false },
);
export type CreateAccountBodyType = Static<typeof CreateAccountBody>;
