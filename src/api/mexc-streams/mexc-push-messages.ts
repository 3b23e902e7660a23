/**
 * The kernel's events and the market's diffs in MEXC Spot v3 push bodies (mexc-push-proto.ts):
 * private orders, deals and account changes; public aggregated depth, deals and book ticker.
 *
 * MEXC's codes (Spot v3 "Spot Account Orders"): `tradeType` 1 buy, 2 sell; `orderType` 1 LIMIT,
 * 2 POST_ONLY (LIMIT_MAKER), 3 IMMEDIATE_OR_CANCEL, 4 FILL_OR_KILL, 5 MARKET, 100 STOP_LIMIT;
 * `status` 1 NEW, 2 FILLED, 3 PARTIALLY_FILLED, 4 CANCELED, 5 PARTIALLY_CANCELED. An order the
 * engine expired or rejected is CANCELED (4), as on MEXC's REST (mexc-mappers.ts). Decimals stay
 * exact strings; amounts are quote, quantities base.
 */
import type { FillEvent, OrderDoneEvent, OrderNewEvent } from '../../core/kernel/events.js';
import type { Order } from '../../core/orders/order.js';
import { div, formatFixed, mul, parseFixed } from '../../core/money/fixed.js';
import type { Level } from '../dialect-kit/market-views.js';
import type { TapeTrade } from '../dialect-kit/market-tape.js';
import type { DepthItem, PrivateAccountBody, PrivateDealBody, PrivateOrderBody } from './mexc-push-proto.js';

export const tradeTypeOf = (side: 'BUY' | 'SELL'): number => (side === 'BUY' ? 1 : 2);

const ORDER_TYPES: Readonly<Record<string, number>> = {
  LIMIT: 1,
  LIMIT_MAKER: 2,
  IMMEDIATE_OR_CANCEL: 3,
  FILL_OR_KILL: 4,
  MARKET: 5,
  STOP_LOSS_LIMIT: 100,
  TAKE_PROFIT_LIMIT: 100,
};

const STATUSES: Readonly<Record<string, number>> = { NEW: 1, FILLED: 2, PARTIALLY_FILLED: 3, CANCELED: 4, PARTIALLY_CANCELED: 5, EXPIRED: 4, REJECTED: 4 };

export function orderTypeCode(type: string): number {
  return ORDER_TYPES[type] ?? 5;
}

export function orderStatusCode(status: string): number {
  return STATUSES[status] ?? 1;
}

type OrderEvent = OrderNewEvent | FillEvent | OrderDoneEvent;

/**
 * `spot@private.orders.v3.api.pb` for one order event: the event's status and executed amounts,
 * the order's terms (price, quantity, creation time) from the kernel's order.
 */
export function privateOrderBody(event: OrderEvent, order: Readonly<Order> | undefined): PrivateOrderBody {
  const quantity = order !== undefined ? order.quantity : parseFixed(event.type === 'ORDER_NEW' ? event.quantity : '0');
  const executed = event.type === 'FILL' || event.type === 'ORDER_CANCELED' || event.type === 'ORDER_EXPIRED' ? parseFixed(event.executedQty) : 0n;
  const cumulative = event.type === 'FILL' ? parseFixed(event.cumulativeQuoteQty) : order !== undefined ? order.cumulativeQuoteQty : 0n;
  const price = order?.price ?? (event.type === 'ORDER_NEW' && event.price !== undefined ? parseFixed(event.price) : 0n);
  const ordered = price > 0n ? mul(price, quantity) : (order?.quoteOrderQty ?? 0n);
  const remaining = quantity > executed ? quantity - executed : 0n;
  return {
    id: event.orderId,
    clientId: event.clientOrderId,
    price: formatFixed(price),
    quantity: formatFixed(quantity),
    amount: formatFixed(ordered),
    avgPrice: executed > 0n ? formatFixed(div(cumulative, executed, 'half-up')) : '0',
    orderType: orderTypeCode(event.orderType),
    tradeType: tradeTypeOf(event.side),
    isMaker: event.type === 'FILL' ? event.liquidity === 'MAKER' : event.orderType === 'LIMIT_MAKER',
    remainAmount: formatFixed(ordered > cumulative ? ordered - cumulative : 0n),
    remainQuantity: formatFixed(remaining),
    ...(event.type === 'FILL' ? { lastDealQuantity: event.quantity } : {}),
    cumulativeQuantity: formatFixed(executed),
    cumulativeAmount: formatFixed(cumulative),
    status: orderStatusCode(event.status),
    createTime: order?.arrivesAt ?? event.at,
  };
}

/** `spot@private.deals.v3.api.pb` for one fill. */
export function privateDealBody(fill: FillEvent): PrivateDealBody {
  return {
    price: fill.price,
    quantity: fill.quantity,
    amount: fill.quoteQuantity,
    tradeType: tradeTypeOf(fill.side),
    isMaker: fill.liquidity === 'MAKER',
    isSelfTrade: false,
    tradeId: fill.tradeId,
    clientOrderId: fill.clientOrderId,
    orderId: fill.orderId,
    feeAmount: fill.fee,
    feeCurrency: fill.feeAsset,
    time: fill.at,
  };
}

export type BalanceSnapshot = Readonly<Record<string, { readonly free: string; readonly locked: string }>>;

/**
 * `spot@private.account.v3.api.pb`: one body per asset whose free or locked amount differs
 * between `before` and `after`, with the changes. `type` is what moved it: ENTRUST_PLACE (an order
 * placed), ENTRUST_CANCEL (cancelled or expired), ENTRUST_DEAL (a fill), ACCOUNT_RESET.
 */
export function privateAccountBodies(before: BalanceSnapshot, after: BalanceSnapshot, type: string, time: number): PrivateAccountBody[] {
  const bodies: PrivateAccountBody[] = [];
  for (const asset of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const was = before[asset] ?? { free: '0', locked: '0' };
    const now = after[asset] ?? { free: '0', locked: '0' };
    const freeChange = parseFixed(now.free) - parseFixed(was.free);
    const lockedChange = parseFixed(now.locked) - parseFixed(was.locked);
    if (freeChange === 0n && lockedChange === 0n) continue;
    bodies.push({
      vcoinName: asset,
      coinId: asset,
      balanceAmount: now.free,
      balanceAmountChange: formatFixed(freeChange),
      frozenAmount: now.locked,
      frozenAmountChange: formatFixed(lockedChange),
      type,
      time,
    });
  }
  return bodies;
}

export const depthItems = (levels: Iterable<Level>): DepthItem[] => [...levels].map(([price, quantity]) => ({ price, quantity }));

/** `spot@public.aggre.deals.v3.api.pb` items: `tradeType` 1 when the taker bought. */
export function dealItems(trades: readonly TapeTrade[]): { price: string; quantity: string; tradeType: number; time: number }[] {
  return trades.map((t) => ({ price: formatFixed(parseFixed(t.price)), quantity: formatFixed(parseFixed(t.quantity)), tradeType: t.buyerMaker ? 2 : 1, time: t.time }));
}
