/**
 * An account's history as the dialects' `myTrades` and `allOrders` read it: its fills from the read
 * tables plus those this process saw that the asynchronous projection may not have written yet,
 * and its orders from the kernel and, for those it no longer holds, the read tables.
 */
import type { FillEvent } from '../../core/kernel/events.js';
import type { VenueFill } from '../../execution/account-read-port.js';
import { accountLife, inLife } from '../../persistence/account-life.js';
import { paperOrderView } from '../../execution/paper-execution-service.js';
import { accountOrders as ordersOf } from '../../execution/order-records.js';
import type { OrderView, ServiceDeps } from '../service-deps.js';
import type { MarketTape } from './market-tape.js';

/** A fill of the account as the dialects' trade lists show it (the read port's fill without the client order id). */
export type AccountFill = Omit<VenueFill, 'clientOrderId'>;

export function fillOfEvent(e: FillEvent): AccountFill {
  return { id: e.tradeId, orderId: e.orderId, symbol: e.symbol, side: e.side, price: e.price, quantity: e.quantity, quoteQuantity: e.quoteQuantity, fee: e.fee, feeAsset: e.feeAsset, liquidity: e.liquidity, time: e.at, ...(e.realizedPnl !== undefined ? { realizedPnl: e.realizedPnl } : {}) };
}

export interface FillQuery {
  readonly symbol: string;
  readonly orderId?: string;
  readonly start?: number;
  readonly end?: number;
  /** Fills with an id at or above this one (Binance `fromId`). */
  readonly fromId?: string;
}

/** The account's fills matching the query, oldest first (by time, then id). */
export async function accountFills(deps: ServiceDeps, tape: MarketTape | undefined, accountId: string, q: FillQuery): Promise<AccountFill[]> {
  await deps.hub.readModelCaughtUp();
  let query = deps.db.selectFrom('trades').selectAll().where('accountId', '=', accountId).where('symbol', '=', q.symbol);
  if (q.orderId) query = query.where('orderId', '=', q.orderId);
  if (q.start !== undefined) query = query.where('timestamp', '>=', q.start);
  if (q.end !== undefined) query = query.where('timestamp', '<=', q.end);
  // Only the current account's: not an earlier one's under the same id (persistence/account-life.ts).
  const life = await accountLife(deps.db, accountId);
  const byId = new Map<string, AccountFill>();
  for (const r of await query.execute()) {
    if (!inLife(life, r.orderId)) continue;
    byId.set(r.id, { id: r.id, orderId: r.orderId, symbol: r.symbol, side: r.orderSide, price: r.price, quantity: r.size, quoteQuantity: r.quoteQty, fee: r.fee, feeAsset: r.feeAsset, liquidity: r.liquidity, time: Number(r.timestamp), ...(r.pnl !== null ? { realizedPnl: r.pnl } : {}) });
  }
  for (const event of tape?.fillsOf(accountId) ?? []) {
    const fill = fillOfEvent(event);
    if (fill.symbol !== q.symbol || (q.orderId && fill.orderId !== q.orderId) || !inLife(life, fill.orderId)) continue;
    if ((q.start !== undefined && fill.time < q.start) || (q.end !== undefined && fill.time > q.end)) continue;
    byId.set(fill.id, fill);
  }
  const fills = [...byId.values()].filter((f) => q.fromId === undefined || Number(f.id) >= Number(q.fromId));
  return fills.sort((a, b) => a.time - b.time || Number(a.id) - Number(b.id));
}

/** The account's orders on `symbol` that reached the venue within [start, end], by id: the kernel's, and the closed ones from the read tables. */
export async function accountOrders(deps: ServiceDeps, accountId: string, symbol: string, start: number | undefined, end: number | undefined): Promise<OrderView[]> {
  const orders = await ordersOf(deps.hub.kernel, { db: deps.db, caughtUp: () => deps.hub.readModelCaughtUp() }, accountId, { symbol });
  return orders.filter((o) => (start === undefined || o.arrivesAt >= start) && (end === undefined || o.arrivesAt <= end)).map(paperOrderView);
}
