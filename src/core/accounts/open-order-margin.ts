/**
 * Which part of each open futures order would open or increase the position (one-way mode), the
 * part its initial margin is reserved for (docs/adr/0074-open-order-margin-follows-the-position.md).
 *
 * The rule (Binance USD-M, "How to Calculate the Cost Required to Open a Position in Perpetual
 * Futures Contracts": an order costs the initial margin of the position it opens; in one-way mode an
 * order against the position closes it first, and only what it opens beyond it is a position to
 * open. How several orders share one position Binance does not publish: placement order is this
 * engine's choice. NautilusTrader's `AccountsManager.update_orders` recomputes an instrument's order
 * margin from all its open orders at every change, which is how it is kept here):
 * - an order on the position's side, or any order while flat, opens its whole remaining quantity;
 * - the orders against the position share its size as what they would close: in placement order
 *   (order id), each closes min(its remaining quantity, what of the position is not yet spoken
 *   for) and opens the rest; so the position offsets them once, never once per order;
 * - reduce-only orders open nothing and take no share (they reserve nothing), and neither do orders
 *   executing at the market (MARKET, or a conditional market order once triggered): they hold what
 *   their walk was checked for.
 * Cost: O(n log n) for the n open orders of the account on the symbol (a sort by id).
 */
import type { Fixed } from '../money/fixed.js';
import { isOpenStatus } from '../orders/order-status.js';
import { executionType, isConditional, remainingQty, type Order } from '../orders/order.js';

/** Whether the order's reservation follows the position: open, not reduce-only, priced or a conditional market order not yet triggered. */
export function followsPosition(order: Order): boolean {
  return isOpenStatus(order.status) && takesShare(order);
}

/** `followsPosition` but for the status: whether an order of this kind, open, would take a share of an opposite position. */
export function takesShare(order: Order): boolean {
  if (order.reduceOnly) return false;
  return executionType(order.type) !== 'MARKET' || (isConditional(order.type) && !order.triggered);
}

/** Whether an order on `side` is against a position of signed `size` (it would close it first). */
export function against(size: Fixed, side: Order['side']): boolean {
  return size !== 0n && (size > 0n) === (side === 'SELL');
}

const byId = (a: Order, b: Order): number => Number(a.id) - Number(b.id);

/**
 * For each order of `orders` whose reservation follows the position (`followsPosition`), in
 * placement order, the quantity of its remainder that would open or increase a position of signed
 * `size`.
 */
export function openingQuantities(size: Fixed, orders: readonly Order[]): Map<Order, Fixed> {
  const following: Order[] = [];
  for (const order of orders) if (followsPosition(order)) following.push(order);
  const opening = new Map<Order, Fixed>();
  // In placement order whatever the list's (the index's order depends on how it was built): shares,
  // and which order a short cash leaves uncovered, are the same in a restored kernel.
  following.sort(byId);
  if (size === 0n) {
    for (const order of following) opening.set(order, remainingQty(order));
    return opening;
  }
  let closable = size < 0n ? -size : size;
  for (const order of following) {
    const remaining = remainingQty(order);
    if (!against(size, order.side)) {
      opening.set(order, remaining);
      continue;
    }
    const closing = remaining < closable ? remaining : closable;
    closable -= closing;
    opening.set(order, remaining - closing);
  }
  return opening;
}
