/**
 * Compares the read tables with the kernel: the check a crash test (or an operator) runs after a
 * restart to prove the projection lost nothing and doubled nothing.
 *
 * Checks: every kernel order has exactly one row, with its status, leverage, executed and
 * cumulative quote quantities; a row of an order the kernel does not hold (it drops closed ones) is closed; the
 * account rows' open orders are the kernel's open orders; no account has two orders with one
 * client order id; each order's trade rows add up to its executed quantity (so no fill is missing
 * or counted twice); every account has its ACTIVE row and balance rows equal to the kernel's view,
 * and an account row the kernel no longer holds is CLOSED; every open futures position has its OPEN
 * row with the kernel's size and entry price (and realized PnL and fees, on rows that keep them), and
 * no OPEN row names a position the kernel has not open.
 * Not modelled: rejections, equity points and funding payments (the kernel keeps no list of them to
 * compare with; a position's funding total is no check either, payments before migration 0012 having no rows).
 * Cost: reads the orders, trades and balances tables whole; for tests and audits, not hot paths.
 */
import type { Kysely } from 'kysely';
import type { Kernel } from '../core/kernel/kernel.js';
import { formatFixed, parseFixed } from '../core/money/fixed.js';
import { isOpenStatus, type OrderStatus } from '../core/orders/order-status.js';
import type { Database } from '../persistence/schema.js';

/** Every disagreement between the read tables and the kernel, as sentences; empty when they agree. */
export async function readModelMismatches(db: Kysely<Database>, kernel: Kernel): Promise<string[]> {
  const problems: string[] = [];
  const [orders, trades, balances, accounts, positions] = await Promise.all([
    db.selectFrom('orders').select(['id', 'accountId', 'clientOrderId', 'status', 'leverage', 'executedQty', 'cumulativeQuoteQty']).execute(),
    db.selectFrom('trades').select(['id', 'orderId', 'size']).execute(),
    db.selectFrom('balances').select(['accountId', 'asset', 'free', 'locked']).execute(),
    db.selectFrom('accounts').select(['id', 'status']).execute(),
    db.selectFrom('positions').select(['id', 'accountId', 'symbol', 'status', 'totalSize', 'entryPrice', 'realizedPnl', 'feesPaid']).execute(),
  ]);
  const rows = new Map(orders.map((o) => [o.id, o]));
  const filled = new Map<string, bigint>();
  for (const t of trades) filled.set(t.orderId, (filled.get(t.orderId) ?? 0n) + parseFixed(t.size));

  const seenClientIds = new Set<string>();
  for (const row of orders) {
    const key = `${row.accountId}\u0000${row.clientOrderId}`;
    if (seenClientIds.has(key)) problems.push(`account ${row.accountId} has two orders with client id ${row.clientOrderId}`);
    seenClientIds.add(key);
    if (kernel.order(row.id) !== undefined) continue;
    if (isOpenStatus(row.status as OrderStatus)) problems.push(`order row ${row.id} is ${row.status}, the kernel does not hold it`);
    const sum = filled.get(row.id) ?? 0n;
    if (sum !== parseFixed(row.executedQty)) problems.push(`order ${row.id}: trades add up to ${formatFixed(sum)}, its row executed ${row.executedQty}`);
  }
  for (const t of trades) if (!rows.has(t.orderId)) problems.push(`trade ${t.id} names order ${t.orderId}, which has no row`);

  const accountIds = kernel.accountIds();
  const live = new Set(accountIds);
  const accountRows = new Map(accounts.map((a) => [a.id, a.status]));
  for (const [id, status] of accountRows) if (!live.has(id) && status !== 'CLOSED') problems.push(`account ${id} is closed in the kernel, its row says ${status}`);
  const openRows = positions.filter((p) => p.status === 'OPEN');
  for (const id of accountIds) {
    const status = accountRows.get(id);
    if (status === undefined) problems.push(`account ${id} has no row`);
    else if (status !== 'ACTIVE') problems.push(`account ${id}: row status ${status}, the kernel holds it open`);
    const account = kernel.account(id);
    const open = account?.kind === 'futures' ? account.openPositions() : [];
    for (const p of open) {
      const row = openRows.find((r) => r.accountId === id && r.symbol === p.symbol);
      if (row === undefined) problems.push(`account ${id}: open ${p.symbol} position has no OPEN row`);
      else if (parseFixed(row.totalSize) !== (p.size < 0n ? -p.size : p.size) || parseFixed(row.entryPrice) !== p.entryPrice) {
        problems.push(`account ${id} ${p.symbol}: position row ${row.totalSize} at ${row.entryPrice}, kernel ${formatFixed(p.size)} at ${formatFixed(p.entryPrice)}`);
      } else if ((row.realizedPnl !== null && parseFixed(row.realizedPnl) !== p.realizedPnl) || (row.feesPaid !== null && parseFixed(row.feesPaid) !== p.feesPaid)) {
        problems.push(`account ${id} ${p.symbol}: position row realized ${row.realizedPnl} with fees ${row.feesPaid}, kernel ${formatFixed(p.realizedPnl)} with ${formatFixed(p.feesPaid)}`);
      }
    }
    for (const row of openRows) {
      if (row.accountId === id && !open.some((p) => p.symbol === row.symbol)) problems.push(`position row ${row.id} is OPEN, the kernel has no open ${row.symbol} position for ${id}`);
    }
    for (const order of kernel.orders(id)) {
      const row = rows.get(order.id);
      if (row === undefined) {
        problems.push(`order ${order.id} (${order.clientOrderId}) has no row`);
        continue;
      }
      if (row.status !== order.status) problems.push(`order ${order.id}: row status ${row.status}, kernel ${order.status}`);
      if (Number(row.leverage) !== order.leverage) problems.push(`order ${order.id}: row leverage ${row.leverage}, kernel ${order.leverage}`);
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
  for (const row of openRows) if (!live.has(row.accountId)) problems.push(`position row ${row.id} is OPEN on closed account ${row.accountId}`);
  const kernelOpenCount = accountIds.reduce((n, id) => n + kernel.openOrders(id).length, 0);
  const openRowCount = orders.filter((o) => live.has(o.accountId) && isOpenStatus(o.status as OrderStatus)).length;
  if (kernelOpenCount !== openRowCount) problems.push(`${openRowCount} open order rows for ${kernelOpenCount} open kernel orders`);
  return problems;
}
