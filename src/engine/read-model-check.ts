/**
 * Compares the read tables with the kernel: the check a crash test (or an operator) runs after a
 * restart to prove the projection lost nothing and doubled nothing.
 *
 * Checks: every kernel order has exactly one row, with its status, executed and cumulative quote
 * quantities; no row names an order the kernel does not know; no account has two orders with one
 * client order id; each order's trade rows add up to its executed quantity (so no fill is missing
 * or counted twice); every account has its row and balance rows equal to the kernel's view.
 * Not modelled: rejections and equity points (the kernel keeps no list of them to compare with).
 * Cost: reads the orders, trades and balances tables whole; for tests and audits, not hot paths.
 */
import type { Kysely } from 'kysely';
import type { Kernel } from '../core/kernel/kernel.js';
import { formatFixed, parseFixed } from '../core/money/fixed.js';
import type { Database } from '../persistence/schema.js';

/** Every disagreement between the read tables and the kernel, as sentences; empty when they agree. */
export async function readModelMismatches(db: Kysely<Database>, kernel: Kernel): Promise<string[]> {
  const problems: string[] = [];
  const [orders, trades, balances, accounts] = await Promise.all([
    db.selectFrom('orders').select(['id', 'accountId', 'clientOrderId', 'status', 'executedQty', 'cumulativeQuoteQty']).execute(),
    db.selectFrom('trades').select(['id', 'orderId', 'size']).execute(),
    db.selectFrom('balances').select(['accountId', 'asset', 'free', 'locked']).execute(),
    db.selectFrom('accounts').select('id').execute(),
  ]);
  const rows = new Map(orders.map((o) => [o.id, o]));
  const filled = new Map<string, bigint>();
  for (const t of trades) filled.set(t.orderId, (filled.get(t.orderId) ?? 0n) + parseFixed(t.size));

  const seenClientIds = new Set<string>();
  for (const row of orders) {
    const key = `${row.accountId}\u0000${row.clientOrderId}`;
    if (seenClientIds.has(key)) problems.push(`account ${row.accountId} has two orders with client id ${row.clientOrderId}`);
    seenClientIds.add(key);
    if (kernel.order(row.id) === undefined) problems.push(`order row ${row.id} is unknown to the kernel`);
  }
  for (const t of trades) if (!rows.has(t.orderId)) problems.push(`trade ${t.id} names order ${t.orderId}, which has no row`);

  const accountIds = kernel.accountIds();
  const accountRows = new Set(accounts.map((a) => a.id));
  for (const id of accountIds) {
    if (!accountRows.has(id)) problems.push(`account ${id} has no row`);
    for (const order of kernel.orders(id)) {
      const row = rows.get(order.id);
      if (row === undefined) {
        problems.push(`order ${order.id} (${order.clientOrderId}) has no row`);
        continue;
      }
      if (row.status !== order.status) problems.push(`order ${order.id}: row status ${row.status}, kernel ${order.status}`);
      if (parseFixed(row.executedQty) !== order.executedQty) problems.push(`order ${order.id}: row executed ${row.executedQty}, kernel ${formatFixed(order.executedQty)}`);
      if (parseFixed(row.cumulativeQuoteQty) !== order.cumulativeQuoteQty) {
        problems.push(`order ${order.id}: row quote ${row.cumulativeQuoteQty}, kernel ${formatFixed(order.cumulativeQuoteQty)}`);
      }
      const sum = filled.get(order.id) ?? 0n;
      if (sum !== order.executedQty) problems.push(`order ${order.id}: trades add up to ${formatFixed(sum)}, kernel executed ${formatFixed(order.executedQty)}`);
    }
    const view = kernel.balances(id) ?? {};
    const stored = new Map(balances.filter((b) => b.accountId === id).map((b) => [b.asset, b]));
    for (const [asset, { free, locked }] of Object.entries(view)) {
      const row = stored.get(asset);
      if (row === undefined) problems.push(`account ${id}: no ${asset} balance row`);
      else if (parseFixed(row.free) !== parseFixed(free) || parseFixed(row.locked) !== parseFixed(locked)) {
        problems.push(`account ${id} ${asset}: row ${row.free}/${row.locked}, kernel ${free}/${locked}`);
      }
    }
  }
  const kernelOrderCount = accountIds.reduce((n, id) => n + kernel.orders(id).length, 0);
  if (kernelOrderCount !== orders.length) problems.push(`${orders.length} order rows for ${kernelOrderCount} kernel orders`);
  return problems;
}
