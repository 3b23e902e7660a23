/**
 * Order lists (paper): an OCO pair, or a bracket (an entry, then the OCO exits its fills place),
 * found by their group id, shown and cancelled as one. The REST routes (oco-routes.ts, the native
 * cancels in trading-routes.ts), the WebSocket (`{"op":"cancelGroup"}`) and the Binance dialect's
 * orderList and order cancels share these.
 *
 * A list's status is Binance's `listOrderStatus`: EXECUTING while one of its orders is open (or a
 * bracket's entry may still place exits), ALL_DONE after. Its kind is Binance's contingency: OCO,
 * or BRACKET when an entry carries the exits (Binance's OTOCO).
 */
import type { Order } from '../core/orders/order.js';
import { isOpenStatus } from '../core/orders/order-status.js';
import { accountOrders, type OrderRecordSource } from '../execution/order-records.js';
import { paperOrderView } from '../execution/paper-execution-service.js';
import { cancelTogether, stepError, stepResult, type AuditCall } from './dialect-kit/facade-calls.js';
import type { ExecutionResult, OrderView, ServiceDeps } from './service-deps.js';

export interface OrderGroupView {
  readonly ocoGroup: string;
  readonly symbol: string;
  readonly contingencyType: 'OCO' | 'BRACKET';
  readonly listOrderStatus: 'EXECUTING' | 'ALL_DONE';
  /** The entry first (a bracket), then the exits, in the order they were placed. */
  readonly orders: readonly OrderView[];
}

/** The read tables of the service's engine, for the orders its kernel no longer holds (closed ones). */
export function orderRecords(deps: ServiceDeps): OrderRecordSource {
  return { db: deps.db, caughtUp: () => deps.hub.readModelCaughtUp() };
}

/** The account's orders in the group, oldest first (by id), closed ones included; empty when there is no such group. */
export function groupOrders(deps: ServiceDeps, accountId: string, group: string): Promise<Readonly<Order>[]> {
  return accountOrders(deps.hub.kernel, orderRecords(deps), accountId, { ocoGroup: group });
}

/** The group as one view; undefined when the account has no order in it. */
export async function groupView(deps: ServiceDeps, accountId: string, group: string): Promise<OrderGroupView | undefined> {
  const orders = await groupOrders(deps, accountId, group);
  if (orders.length === 0) return undefined;
  return {
    ocoGroup: group,
    symbol: orders[0]!.symbol,
    contingencyType: orders.some((o) => o.bracket !== undefined) ? 'BRACKET' : 'OCO',
    listOrderStatus: orders.some((o) => isOpenStatus(o.status)) ? 'EXECUTING' : 'ALL_DONE',
    orders: orders.map(paperOrderView),
  };
}

/** A group cancelled: its view after the cancel, and the ids of the orders this call cancelled (in the order they were cancelled). */
export type CancelGroupResult =
  | { readonly ok: true; readonly value: OrderGroupView; readonly canceled: readonly string[] }
  | { readonly ok: false; readonly error: { readonly code: 'UNKNOWN_ORDER' | 'ORDER_NOT_OPEN'; readonly message: string } };

/**
 * Cancels every open order of the group through the facade: a bracket's entry first, so that no
 * later fill of it places exits, then the exits. An order that ended meanwhile is left as it is.
 * Refusals: UNKNOWN_ORDER (no such group for this account), ORDER_NOT_OPEN (nothing left to cancel).
 * Writes the `group.cancel` audit entry when a cancel was made; throws as `cancelTogether` does
 * when the engine stopped (the entry written first, for the cancels made).
 */
export async function cancelGroup(deps: ServiceDeps, audit: AuditCall, accountId: string, group: string): Promise<CancelGroupResult> {
  const before = await groupOrders(deps, accountId, group);
  if (before.length === 0) return { ok: false, error: { code: 'UNKNOWN_ORDER', message: `no order group ${group}` } };
  if (!before.some((o) => isOpenStatus(o.status))) return { ok: false, error: { code: 'ORDER_NOT_OPEN', message: `order group ${group} has no open order` } };
  // An entry's fill between two cancels could place exits: look again until nothing is open.
  const durables: Promise<void>[] = [];
  const canceled: string[] = [];
  let made = false;
  const entry = () => audit('group.cancel', accountId, { ocoGroup: group }, Promise.all(durables).then(() => undefined));
  for (let pass = 0; pass < 3; pass += 1) {
    const open = (await groupOrders(deps, accountId, group))
      .filter((o) => isOpenStatus(o.status))
      .sort((a, b) => Number(b.bracket !== undefined) - Number(a.bracket !== undefined));
    if (open.length === 0) break;
    // One step (cancelOrders): the legs back to back, no print between them; the entry first.
    const outcomes = await deps.execution.cancelOrders(accountId, open.map((order) => ({ orderId: order.id })), { beforeDurable: true });
    const results = outcomes.map(stepResult);
    results.forEach((result, i) => {
      if (result === undefined) return;
      made = true;
      if (result.durable !== undefined) durables.push(result.durable);
      if (result.ok) canceled.push(open[i]!.id);
    });
    const thrown = stepError(outcomes, results);
    if (thrown !== undefined) {
      // Those made are on their way to disk: the entry is written for them before the error is raised.
      if (made) await entry().catch(() => undefined);
      throw thrown.reason;
    }
  }
  // The entry is written while the cancels' fdatasync is still to come; the answer waits for both (ADR 0084).
  if (made) await entry();
  return { ok: true, value: (await groupView(deps, accountId, group))!, canceled };
}

/**
 * After one order was cancelled by its id: when it belongs to an order list, the rest of the list
 * is cancelled too, as Binance does ("Canceling an individual order from an order list will cancel
 * the entire order list"), so no leg stays open with the shared reservation locked. Paper only:
 * live, the venue answers for its own lists. Nothing happens for an order in no list, or a list with
 * nothing left open (cancelGroup's ORDER_NOT_OPEN is not an error here).
 */
export async function cancelRestOfList(deps: ServiceDeps, audit: AuditCall, accountId: string, canceled: OrderView): Promise<void> {
  if (canceled.ocoGroup !== undefined && deps.execution.mode === 'paper') await cancelGroup(deps, audit, accountId, canceled.ocoGroup);
}

/**
 * Cancels every open order of the account on `symbol`: the orders in no list first, together as one
 * step (`cancelTogether`), then each order list as a whole list (cancelGroup: a bracket's entry
 * first). Answers the orders it cancelled, as they are after the cancel, in the order the open orders
 * were listed (a list's orders where its first open order was); an order that ended meanwhile is left
 * out. The facade's refusal to list the open orders (live: the venue unreachable) is the answer's refusal.
 */
export async function cancelOpenOrdersAndLists(deps: ServiceDeps, audit: AuditCall, accountId: string, symbol: string): Promise<ExecutionResult<OrderView[]>> {
  const open = await deps.execution.openOrders(accountId, symbol);
  if (!open.ok) return open;
  const listOf = (order: OrderView) => (deps.execution.mode === 'paper' ? order.ocoGroup : undefined);
  // An order's answer is kept under its id, a list's under its name: the two may be spelled alike.
  const keyOf = (order: OrderView) => {
    const list = listOf(order);
    return list === undefined ? `order ${order.orderId}` : `list ${list}`;
  };
  const single = open.value.filter((o) => listOf(o) === undefined);
  const answers = new Map<string, readonly OrderView[]>();
  (await cancelTogether(deps, audit, accountId, single)).forEach((result, i) => answers.set(keyOf(single[i]!), result.ok ? [result.value] : []));
  for (const order of open.value) {
    const list = listOf(order);
    if (list === undefined || answers.has(keyOf(order))) continue;
    // What this call cancelled of the list, not what ended meanwhile (a leg that filled, a list another request cancelled).
    const result = await cancelGroup(deps, audit, accountId, list);
    answers.set(keyOf(order), result.ok ? result.value.orders.filter((o) => result.canceled.includes(o.orderId)) : []);
  }
  const canceled: OrderView[] = [];
  const told = new Set<string>();
  for (const order of open.value) {
    const key = keyOf(order);
    if (told.has(key)) continue;
    told.add(key);
    canceled.push(...answers.get(key)!);
  }
  return { ok: true, value: canceled };
}
