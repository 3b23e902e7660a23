/**
 * The exported account document (`GET /api/account/export`, core/kernel/kernel-snapshot.ts
 * `AccountDocument`) as a schema, so `POST /api/accounts/import` refuses a malformed or edited
 * document at the edge, field by field, before anything is journaled.
 *
 * Two steps: the JSON Schema (TypeBox, checked by Fastify's validator: every field's presence and
 * type; amounts are bigints written `{"$n":"<integer>"}`, balances and reservations non-negative),
 * then `documentProblem`, the rules that tie fields together: fee bounds, each spot balance equal to
 * its ledger, reservations equal to the open orders' `locked`, a futures wallet equal to its ledger,
 * placements naming open orders that can wait where they say.
 *
 * Objects written by the kernel may gain fields as it evolves: unknown fields inside them are
 * accepted when they are scalars or amounts; the document's own top level is closed.
 */
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { feeRateProblem } from '../core/instruments/fee-bounds.js';
import { formatFixed } from '../core/money/fixed.js';
import { ORDER_STATUSES } from '../core/orders/order-status.js';
import { isConditional, ORDER_TYPES, type OrderType } from '../core/orders/order.js';
import { ASSET_CODE_PATTERN } from './schemas.js';

const Fixed = Type.Object({ $n: Type.String({ pattern: '^-?\\d{1,60}$' }) }, { additionalProperties: false, description: 'an amount: 10^18 × the decimal value, as an integer string' });
const NonNegative = Type.Object({ $n: Type.String({ pattern: '^\\d{1,60}$' }) }, { additionalProperties: false, description: 'a non-negative amount' });
const Asset = Type.String({ pattern: ASSET_CODE_PATTERN });
const Id = Type.String({ minLength: 1, maxLength: 128 });
const Time = Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000 });
const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Leverage = Type.Integer({ minimum: 1, maximum: 1000 });
/** Fields a newer kernel may add: scalars or amounts only. */
const Extra = Type.Union([Fixed, Type.String({ maxLength: 200 }), Type.Number(), Type.Boolean(), Type.Null()]);
const open = { additionalProperties: Extra };

const FeeSchedule = Type.Object({ maker: Type.Optional(Fixed), taker: Type.Optional(NonNegative), feeAsset: Type.Optional(Type.Union([Type.Literal('received'), Type.Literal('quote')])) }, open);

const SpotState = Type.Object(
  {
    kind: Type.Literal('spot'),
    id: Id,
    fees: FeeSchedule,
    balances: Type.Array(Type.Tuple([Asset, Type.Object({ free: NonNegative, locked: NonNegative }, { additionalProperties: false })]), { maxItems: 1000 }),
    ledger: Type.Array(Type.Tuple([Asset, Type.Object({ deposits: NonNegative, traded: Fixed, fees: Fixed }, { additionalProperties: false })]), { maxItems: 1000 }),
  },
  open,
);

const PositionState = Type.Object(
  {
    id: Id,
    symbol: Id,
    size: Fixed,
    entryPrice: NonNegative,
    leverage: Leverage,
    margin: NonNegative,
    realizedPnl: Fixed,
    totalFundingPaid: Fixed,
    feesPaid: Fixed,
    openedAt: Time,
  },
  open,
);

const FuturesState = Type.Object(
  {
    kind: Type.Literal('futures'),
    id: Id,
    fees: FeeSchedule,
    settleAsset: Asset,
    marginMode: Type.Union([Type.Literal('isolated'), Type.Literal('cross')]),
    defaultLeverage: Leverage,
    cash: NonNegative,
    reserved: NonNegative,
    positions: Type.Array(PositionState, { maxItems: 1000 }),
    leverage: Type.Array(Type.Tuple([Id, Leverage]), { maxItems: 1000 }),
    ledger: Type.Object({ deposits: NonNegative, realizedPnl: Fixed, fees: Fixed, funding: Fixed }, { additionalProperties: false }),
    positionSeq: Count,
  },
  open,
);

const Health = Type.Object(
  {
    tracker: Type.Optional(Type.Tuple([Fixed, Fixed, Fixed, Fixed])),
    limit: Type.Optional(NonNegative),
    closeOnHalt: Type.Boolean(),
    halted: Type.Boolean(),
    lastEquity: Fixed,
  },
  open,
);

const OrderState = Type.Object(
  {
    id: Id,
    clientOrderId: Type.String({ maxLength: 128 }),
    account: Type.String({ maxLength: 128 }),
    symbol: Id,
    side: Type.Union([Type.Literal('BUY'), Type.Literal('SELL')]),
    type: Type.Union(ORDER_TYPES.map((t) => Type.Literal(t))),
    price: Type.Optional(NonNegative),
    quantity: NonNegative,
    quoteOrderQty: Type.Optional(NonNegative),
    submittedAt: Time,
    arrivesAt: Time,
    arrivalSeq: Count,
    imported: Type.Optional(Type.Boolean({ description: 'brought by an account import, placed as it stood or already triggered: ranks among that import\'s orders by its id' })),
    status: Type.Union(ORDER_STATUSES.map((s) => Type.Literal(s))),
    executedQty: NonNegative,
    cumulativeQuoteQty: NonNegative,
    locked: NonNegative,
    lockedAsset: Asset,
    queueAhead: NonNegative,
    updatedAt: Time,
    leverage: Leverage,
    reduceOnly: Type.Boolean(),
    stopPrice: Type.Optional(NonNegative),
    activationPrice: Type.Optional(NonNegative),
    callbackRate: Type.Optional(NonNegative),
    trailPeak: Type.Optional(NonNegative),
    triggered: Type.Boolean(),
    triggeredAt: Type.Optional(Time),
    activatedAt: Type.Optional(Time),
    workingTime: Type.Optional(Time),
    ocoGroup: Type.Optional(Type.String({ maxLength: 128 })),
    maxSlippage: Type.Optional(NonNegative),
    triggerSource: Type.Optional(Type.Union([Type.Literal('last'), Type.Literal('mark')], { description: 'conditional orders: the price the trigger watches (absent: the engine setting)' })),
    expireTime: Type.Optional(Type.Integer({ minimum: 0, description: 'conditional orders: event time (ms) at which the order expires if it has not triggered (absent: it waits)' })),
    bracket: Type.Optional(
      Type.Object(
        {
          takeProfit: Type.Optional(Type.Object({ stopPrice: NonNegative, price: Type.Optional(NonNegative) }, open)),
          stopLoss: Type.Optional(Type.Object({ stopPrice: NonNegative, price: Type.Optional(NonNegative) }, open)),
          placed: NonNegative,
          pairs: Count,
        },
        open,
      ),
    ),
  },
  open,
);

export const AccountDocumentSchema = Type.Object(
  {
    format: Type.Literal('papertrade.account'),
    version: Type.Literal(1),
    exportedAt: Time,
    account: Type.Union([SpotState, FuturesState]),
    health: Health,
    orders: Type.Array(OrderState, { maxItems: 50_000 }),
    placements: Type.Record(Id, Type.Union([Type.Literal('resting'), Type.Literal('waiting'), Type.Literal('conditional')]), { additionalProperties: false }),
    clientIds: Type.Array(Type.Tuple([Type.String({ maxLength: 128 }), Id]), { maxItems: 50_000 }),
  },
  { additionalProperties: false, description: 'a document exported by GET /api/account/export' },
);
export type AccountDocumentBody = Static<typeof AccountDocumentSchema>;

type Amount = { readonly $n: string };
const n = (a: Amount): bigint => BigInt(a.$n);

export interface DocumentProblem {
  /** Where, e.g. `document.account.balances[1]`. */
  readonly field: string;
  readonly message: string;
}

const OPEN_STATUSES = new Set(['NEW', 'PARTIALLY_FILLED']);

/** The rules across fields of a document that passed the schema; undefined when it may be imported. */
export function documentProblem(document: AccountDocumentBody, maxLeverage: (symbol: string) => number | undefined): DocumentProblem | undefined {
  const account = document.account;
  const fees = feeRateProblem({ maker: account.fees.maker && n(account.fees.maker), taker: account.fees.taker && n(account.fees.taker) });
  if (fees !== undefined) return { field: `document.account.fees.${fees.field}`, message: fees.message };

  const orders = document.orders;
  const ids = new Set<string>();
  const lockedByAsset = new Map<string, bigint>();
  for (const [i, order] of orders.entries()) {
    const field = `document.orders[${i}]`;
    if (ids.has(order.id)) return { field: `${field}.id`, message: `order id ${order.id} appears twice` };
    ids.add(order.id);
    if (n(order.executedQty) > n(order.quantity) && n(order.quantity) > 0n) return { field: `${field}.executedQty`, message: 'more executed than ordered' };
    const isOpen = OPEN_STATUSES.has(order.status);
    if (!isOpen && n(order.locked) !== 0n) return { field: `${field}.locked`, message: `a ${order.status} order reserves nothing` };
    if (isOpen) lockedByAsset.set(order.lockedAsset, (lockedByAsset.get(order.lockedAsset) ?? 0n) + n(order.locked));
    const placement = document.placements[order.id];
    if (isOpen !== (placement !== undefined)) {
      return { field: `document.placements.${order.id}`, message: isOpen ? `open order ${order.id} has no placement` : `order ${order.id} is ${order.status}: only open orders are placed` };
    }
    const restsAsLimit = !isConditional(order.type) || order.triggered;
    if (placement === 'resting' && (order.price === undefined || !restsAsLimit || !limitLike(order.type))) return { field: `document.placements.${order.id}`, message: `order ${order.id} (${order.type}) cannot rest on the book` };
    if (placement === 'conditional' && (!isConditional(order.type) || (order.stopPrice === undefined && order.callbackRate === undefined))) {
      return { field: `document.placements.${order.id}`, message: `order ${order.id} (${order.type}) has no trigger to wait for` };
    }
    if ((order.type === 'STOP_LOSS_LIMIT' || order.type === 'TAKE_PROFIT_LIMIT') && order.price === undefined) return { field: `${field}.price`, message: `a ${order.type} order needs its limit price` };
  }
  for (const id of Object.keys(document.placements)) if (!ids.has(id)) return { field: `document.placements.${id}`, message: `no order ${id} in the document` };

  if (account.kind === 'spot') {
    const ledger = new Map(account.ledger.map(([asset, l]) => [asset, l] as const));
    const seen = new Set<string>();
    for (const [i, [asset, balance]] of account.balances.entries()) {
      const field = `document.account.balances[${i}]`;
      if (seen.has(asset)) return { field, message: `${asset} appears twice` };
      seen.add(asset);
      const entry = ledger.get(asset);
      if (entry === undefined) return { field: 'document.account.ledger', message: `${asset} has a balance but no ledger entry` };
      const total = n(balance.free) + n(balance.locked);
      const expected = n(entry.deposits) + n(entry.traded) - n(entry.fees);
      if (total !== expected) return { field, message: `${asset}: free + locked (${formatFixed(total)}) must equal the ledger's deposits + traded − fees (${formatFixed(expected)})` };
      const reserved = lockedByAsset.get(asset) ?? 0n;
      if (n(balance.locked) !== reserved) return { field: `${field}.locked`, message: `${asset}: locked (${formatFixed(n(balance.locked))}) must equal what the open orders reserve (${formatFixed(reserved)})` };
    }
    if (ledger.size !== seen.size) return { field: 'document.account.ledger', message: 'every ledger entry needs its balance' };
    for (const [asset, reserved] of lockedByAsset) if (reserved > 0n && !seen.has(asset)) return { field: 'document.account.balances', message: `open orders reserve ${asset}, which has no balance` };
    return undefined;
  }

  let margins = 0n;
  for (const [i, position] of account.positions.entries()) {
    margins += n(position.margin);
    const max = maxLeverage(position.symbol);
    if (max !== undefined && position.leverage > max) return { field: `document.account.positions[${i}].leverage`, message: `${position.symbol} allows leverage up to ${max}` };
  }
  for (const [i, [symbol, leverage]] of account.leverage.entries()) {
    const max = maxLeverage(symbol);
    if (max !== undefined && leverage > max) return { field: `document.account.leverage[${i}]`, message: `${symbol} allows leverage up to ${max}` };
  }
  const wallet = n(account.cash) + margins + n(account.reserved);
  const expected = n(account.ledger.deposits) + n(account.ledger.realizedPnl) - n(account.ledger.fees) - n(account.ledger.funding);
  if (wallet !== expected) return { field: 'document.account.cash', message: `cash + margins + reserved (${formatFixed(wallet)}) must equal the ledger's deposits + realized PnL − fees − funding (${formatFixed(expected)})` };
  const reserved = [...lockedByAsset.values()].reduce((a, b) => a + b, 0n);
  if (n(account.reserved) !== reserved) return { field: 'document.account.reserved', message: `reserved (${formatFixed(n(account.reserved))}) must equal what the open orders reserve (${formatFixed(reserved)})` };
  return undefined;
}

/**
 * The whole check on a document's JSON text, schema included, for callers without the route's
 * validator (`papertrade accounts import` on the database directly goes through `importAccount`).
 */
export function documentTextProblem(text: string, maxLeverage: (symbol: string) => number | undefined): DocumentProblem | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { field: 'document', message: 'is not JSON' };
  }
  for (const error of Value.Errors(AccountDocumentSchema, value)) {
    return { field: `document${error.instancePath.replaceAll('/', '.')}`, message: error.message };
  }
  return documentProblem(value as AccountDocumentBody, maxLeverage);
}

function limitLike(type: OrderType): boolean {
  return type === 'LIMIT' || type === 'LIMIT_MAKER' || type === 'STOP_LOSS_LIMIT' || type === 'TAKE_PROFIT_LIMIT';
}
