/** Request and response schemas shared by the native routes (TypeBox → JSON Schema → OpenAPI). */
import { Type, type Static } from 'typebox';

export const Decimal = Type.String({ pattern: '^\\d+(\\.\\d+)?$', description: 'decimal string, e.g. "0.25"' });
export const SignedDecimal = Type.String({ pattern: '^-?\\d+(\\.\\d+)?$' });
export const Balances = Type.Record(Type.String({ pattern: '^[A-Z0-9]{2,12}$' }), Decimal, { description: 'asset → amount' });

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
    fees: Type.Optional(Type.Object({ maker: Type.Optional(Decimal), taker: Type.Optional(Decimal) }, { additionalProperties: false })),
    risk: Type.Optional(Type.Object({ maxDrawdown: Type.Optional(Decimal), closeOnMaxDrawdown: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
    leverage: Type.Optional(Type.Integer({ minimum: 1, maximum: 125 })),
    marginMode: Type.Optional(Type.Union([Type.Literal('isolated'), Type.Literal('cross')])),
  },
  { additionalProperties: false },
);
export type CreateAccountBodyType = Static<typeof CreateAccountBody>;
