/**
 * An account's orders as readers need them: those the kernel holds (open ones, and those closed by
 * the input it is handling), and the rest from the `orders` read table, in the kernel's order shape.
 * The kernel drops an order once it is closed (ADR 0036); its row keeps its terms.
 *
 * Guarantees:
 * - a read of the table waits until the projection has caught up with every input handled before
 *   it (`caughtUp`), so an order closed and dropped before the read is found in its row;
 * - the kernel's orders are taken before that wait: an order the kernel holds wins over its row
 *   unless the row says it is closed (closed is final, and the row is then the newer of the two);
 * - an account reads only its own orders, and only those of its current life: not those of an earlier
 *   account under its id (reset, or closed and opened again; persistence/account-life.ts).
 * Not modelled: a row's order lacks what only an open order needs (its lock, queue place, fees so
 * far, trailing peak, leverage; the bracket's placed quantity is its executed quantity). Its
 * creation time is its arrival's event time, which is its arrival time unless the command was
 * stamped before the kernel's clock.
 */
import type { Kysely, Selectable } from 'kysely';
import type { ExitLegView, KernelEvent, OrderNewEvent } from '../core/kernel/events.js';
import type { Kernel } from '../core/kernel/kernel.js';
import { parseFixed } from '../core/money/fixed.js';
import { isOpenStatus, type OrderStatus } from '../core/orders/order-status.js';
import type { ExitLeg, Order, OrderType } from '../core/orders/order.js';
import { accountLife, inLife } from '../persistence/account-life.js';
import type { Database, OrderTable } from '../persistence/schema.js';

/** The read tables and a way to wait until they hold every input the kernel has handled. */
export interface OrderRecordSource {
  readonly db: Kysely<Database>;
  /** Resolves once the read tables hold the events of every input handled before the call. */
  caughtUp(): Promise<void>;
}

export interface OrderFilter {
  readonly symbol?: string;
  readonly ocoGroup?: string;
  /** Only orders that belong to an order list. */
  readonly grouped?: boolean;
  readonly clientOrderId?: string;
}

/** The order a row records, in the kernel's shape (what the row does not keep is zero or absent). */
export function orderOfRow(row: Selectable<OrderTable>): Readonly<Order> {
  const fixed = (v: string | null) => (v === null ? undefined : parseFixed(String(v)));
  const leg = (json: string | null): ExitLeg | undefined => {
    if (json === null) return undefined;
    const l = JSON.parse(json) as { stopPrice: string; price?: string };
    return { stopPrice: parseFixed(l.stopPrice), price: l.price === undefined ? undefined : parseFixed(l.price) };
  };
  const takeProfit = leg(row.takeProfit);
  const stopLoss = leg(row.stopLoss);
  const executedQty = parseFixed(String(row.executedQty));
  const createdAt = Number(row.createdAt);
  return {
    id: row.id,
    clientOrderId: row.clientOrderId,
    account: row.accountId,
    symbol: row.symbol,
    side: row.side,
    type: row.type as OrderType,
    price: fixed(row.price),
    quantity: parseFixed(String(row.quantity)),
    quoteOrderQty: fixed(row.quoteOrderQty),
    submittedAt: createdAt,
    arrivesAt: createdAt,
    arrivalSeq: 0,
    status: row.status as OrderStatus,
    executedQty,
    cumulativeQuoteQty: parseFixed(String(row.cumulativeQuoteQty)),
    locked: 0n,
    lockedAsset: '',
    queueAhead: 0n,
    updatedAt: Number(row.updatedAt),
    leverage: Number(row.leverage ?? 1),
    reduceOnly: Number(row.reduceOnly) === 1,
    stopPrice: fixed(row.stopPrice),
    activationPrice: fixed(row.activationPrice),
    callbackRate: fixed(row.callbackRate),
    trailPeak: undefined,
    triggered: row.triggeredAt !== null,
    triggeredAt: row.triggeredAt === null ? undefined : Number(row.triggeredAt),
    ocoGroup: row.ocoGroup ?? undefined,
    ...(takeProfit !== undefined || stopLoss !== undefined ? { bracket: { takeProfit, stopLoss, placed: executedQty, pairs: 0 } } : {}),
    ...(row.maxSlippage !== null && row.maxSlippage !== undefined ? { maxSlippage: parseFixed(String(row.maxSlippage)) } : {}),
    ...(row.triggerSource === 'last' || row.triggerSource === 'mark' ? { triggerSource: row.triggerSource } : {}),
    ...(row.workingTime !== null && row.workingTime !== undefined ? { workingTime: Number(row.workingTime) } : {}),
    ...(row.reason !== null && !isOpenStatus(row.status as OrderStatus) ? { reason: row.reason } : {}),
    feeExact: 0n,
    feeCharged: 0n,
  };
}

function matches(o: Readonly<Order>, f: OrderFilter): boolean {
  return (
    (f.symbol === undefined || o.symbol === f.symbol) &&
    (f.ocoGroup === undefined || o.ocoGroup === f.ocoGroup) &&
    (f.grouped !== true || o.ocoGroup !== undefined) &&
    (f.clientOrderId === undefined || o.clientOrderId === f.clientOrderId)
  );
}

const byId = (a: Readonly<Order>, b: Readonly<Order>): number => Number(a.id) - Number(b.id);

/** The kernel's order unless its row says it closed since. */
function newer(held: Readonly<Order> | undefined, recorded: Readonly<Order> | undefined): Readonly<Order> | undefined {
  if (held === undefined) return recorded;
  if (recorded === undefined || isOpenStatus(recorded.status)) return held;
  return isOpenStatus(held.status) ? recorded : held;
}

/** The account's orders matching `filter`, oldest first: the kernel's, and the rows of those it no longer holds. */
export async function accountOrders(kernel: Kernel, source: OrderRecordSource | undefined, accountId: string, filter: OrderFilter = {}): Promise<Readonly<Order>[]> {
  const held = kernel.orders(accountId).filter((o) => matches(o, filter));
  if (source === undefined) return held.sort(byId);
  await source.caughtUp();
  let query = source.db.selectFrom('orders').selectAll().where('accountId', '=', accountId);
  if (filter.symbol !== undefined) query = query.where('symbol', '=', filter.symbol);
  if (filter.ocoGroup !== undefined) query = query.where('ocoGroup', '=', filter.ocoGroup);
  if (filter.grouped === true) query = query.where('ocoGroup', 'is not', null);
  if (filter.clientOrderId !== undefined) query = query.where('clientOrderId', '=', filter.clientOrderId);
  const byOrderId = new Map<string, Readonly<Order>>();
  const life = await accountLife(source.db, accountId);
  for (const row of await query.execute()) if (inLife(life, row.id)) byOrderId.set(row.id, orderOfRow(row));
  // The kernel holds an order closed by the input it handled last until the next one: a reset's
  // cancels are an earlier life's orders. An open order is always the current life's.
  for (const order of held) if (isOpenStatus(order.status) || inLife(life, order.id)) byOrderId.set(order.id, newer(order, byOrderId.get(order.id))!);
  return [...byOrderId.values()].sort(byId);
}

/** One of the account's orders by id (any account's when `accountId` is undefined); undefined when there is none. */
export async function accountOrder(kernel: Kernel, source: OrderRecordSource | undefined, accountId: string | undefined, orderId: string): Promise<Readonly<Order> | undefined> {
  let order = kernel.order(orderId);
  // A closed order the kernel still holds may be an earlier life's (a reset's cancels, held until the next input).
  if (order !== undefined && !isOpenStatus(order.status) && source !== undefined && accountId !== undefined && order.account === accountId) {
    await source.caughtUp();
    if (!inLife(await accountLife(source.db, accountId), order.id)) return undefined;
  }
  if (order === undefined && source !== undefined) {
    await source.caughtUp();
    const row = await source.db.selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirst();
    order = row === undefined ? undefined : orderOfRow(row);
    // An order of an earlier account under the same id (reset, or closed and opened again) is not this account's.
    if (order !== undefined && accountId !== undefined && !inLife(await accountLife(source.db, accountId), order.id)) order = undefined;
  }
  return order === undefined || (accountId !== undefined && order.account !== accountId) ? undefined : order;
}

/**
 * An order as its ORDER_NEW event states it (a record, not the kernel's object), for a reader of
 * events that meets an order the kernel has already dropped; `followEvent` moves it on.
 */
export function orderOfNewEvent(e: OrderNewEvent): Order {
  const fixed = (v: string | undefined) => (v === undefined ? undefined : parseFixed(v));
  const leg = (l: ExitLegView | undefined): ExitLeg | undefined => (l === undefined ? undefined : { stopPrice: parseFixed(l.stopPrice), price: fixed(l.price) });
  const takeProfit = leg(e.takeProfit);
  const stopLoss = leg(e.stopLoss);
  return {
    id: e.orderId, clientOrderId: e.clientOrderId, account: e.account, symbol: e.symbol, side: e.side, type: e.orderType,
    price: fixed(e.price), quantity: parseFixed(e.quantity), quoteOrderQty: fixed(e.quoteOrderQty),
    submittedAt: e.at, arrivesAt: e.at, arrivalSeq: 0, status: e.status, executedQty: 0n, cumulativeQuoteQty: 0n,
    locked: 0n, lockedAsset: '', queueAhead: 0n, updatedAt: e.at, leverage: e.leverage ?? 1, reduceOnly: e.reduceOnly === true,
    stopPrice: fixed(e.stopPrice), activationPrice: fixed(e.activationPrice), callbackRate: fixed(e.callbackRate), trailPeak: undefined,
    triggered: false, triggeredAt: undefined, ocoGroup: e.ocoGroup,
    ...(takeProfit !== undefined || stopLoss !== undefined ? { bracket: { takeProfit, stopLoss, placed: 0n, pairs: 0 } } : {}),
    ...(e.triggerSource !== undefined ? { triggerSource: e.triggerSource } : {}),
    feeExact: 0n, feeCharged: 0n,
  };
}

/** Moves a record made by `orderOfNewEvent` on by one of its later events. */
export function followEvent(order: Order, e: KernelEvent): void {
  if (!('orderId' in e) || e.orderId !== order.id) return;
  if (e.type === 'FILL') {
    order.executedQty = parseFixed(e.executedQty);
    order.cumulativeQuoteQty = parseFixed(e.cumulativeQuoteQty);
  } else if (e.type === 'ORDER_TRIGGERED') {
    order.triggered = true;
    order.stopPrice = parseFixed(e.stopPrice);
  } else if (e.type === 'ORDER_CANCELED' || e.type === 'ORDER_EXPIRED') {
    order.executedQty = parseFixed(e.executedQty);
    order.reason = e.reason;
    if (e.stopPrice !== undefined) order.stopPrice = parseFixed(e.stopPrice);
  } else if (e.type !== 'ORDER_NEW') {
    return;
  }
  order.status = e.status;
  order.updatedAt = e.at;
}

/**
 * For a reader of one account's events that may hear of an input after the engine has handled
 * later ones (a stream session): the order each event is about, although the kernel drops a
 * closed order once a later input starts. It keeps the account's orders open when last seen: the
 * kernel's own objects, or a record made from the ORDER_NEW event (`orderOfNewEvent`) when the
 * kernel had already dropped the order before the reader met it, moved on by its later events.
 * Cost: one entry per open order of the account.
 */
export class OrderTermsTracker {
  private readonly kept = new Map<string, Order>();
  private readonly fromEvents = new Set<string>();

  /** `open`: the account's open orders when the reader starts (the kernel's). */
  constructor(open: readonly Readonly<Order>[]) {
    for (const order of open) this.kept.set(order.id, order as Order);
  }

  /** The order `e` is about (call it for each of the account's order events, in order), undefined when unknown. */
  orderOf(kernel: Kernel, e: KernelEvent): Readonly<Order> | undefined {
    if (!('orderId' in e) || e.orderId === undefined) return undefined;
    const held = kernel.order(e.orderId);
    let order = held ?? this.kept.get(e.orderId);
    if (held !== undefined) this.fromEvents.delete(e.orderId);
    else if (order === undefined && e.type === 'ORDER_NEW') {
      order = orderOfNewEvent(e);
      this.fromEvents.add(e.orderId);
    }
    if (order === undefined) return undefined;
    if (this.fromEvents.has(order.id)) followEvent(order as Order, e);
    // The event's status, not the order's: the kernel's order may already be past this event.
    if (!('status' in e) || isOpenStatus(e.status)) this.kept.set(order.id, order as Order);
    else {
      this.kept.delete(order.id);
      this.fromEvents.delete(order.id);
    }
    return order;
  }
}
