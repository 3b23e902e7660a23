/**
 * An account's trade rows in execution order, each with the PnL it realized, as the read model wrote
 * it (futures: the kernel's; spot: at average price, core/accounts/realized-pnl-view.ts), or, for
 * rows written without one, computed here the same way; fees left out as exchanges leave them out;
 * null where a fill closed nothing. One place for the fills route, the metrics and the CSV export.
 */
import { realizedPnlByFill } from '../core/accounts/realized-pnl-view.js';
import { formatFixed, parseFixed, type Fixed } from '../core/money/fixed.js';
import { extend } from '../core/objects.js';
import { accountLife, inLifeWhere } from '../persistence/account-life.js';
import type { TradeTable } from '../persistence/schema.js';
import type { ServiceDeps } from './service-deps.js';

/**
 * The realized PnL a trade row shows: the figure the read model wrote, else `computed` (from the fills
 * alone, for rows written before the read model kept one). A futures row with a position effect was
 * written with the kernel's figure, null when the fill only opened: that null stands. The fills alone
 * cannot know of a liquidation (it closes the position with no fill), so after one their average
 * would still hold the liquidated position and book the next opening fill as a close.
 */
export function rowRealizedPnl(row: Pick<TradeTable, 'pnl' | 'side'>, computed: Fixed | null | undefined): string | null {
  if (row.pnl !== null) return row.pnl;
  if (row.side !== null) return null;
  return computed === null || computed === undefined ? null : formatFixed(computed);
}

/**
 * Trade rows in execution order: by time, then by id as the number it is (shorter first, then by
 * character), the order of the CSV export's keyset pages (paper-account-reads.ts `tradeRowsInOrder`).
 */
export function inExecutionOrder(a: { readonly timestamp: number | string; readonly id: string }, b: { readonly timestamp: number | string; readonly id: string }): number {
  return Number(a.timestamp) - Number(b.timestamp) || a.id.length - b.id.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export async function fillsWithRealizedPnl(deps: ServiceDeps, accountId: string) {
  await deps.hub.readModelCaughtUp();
  // The current account's (persistence/account-life.ts): an earlier one's fills under the same id are
  // neither listed nor part of the average price the new account's PnL starts from.
  const life = await accountLife(deps.db, accountId);
  const rows = (await deps.db.selectFrom('trades').selectAll().where('accountId', '=', accountId).where(inLifeWhere(life, 'orderId')).execute())
    .map((r) => ({ ...r, timestamp: Number(r.timestamp) }))
    .sort(inExecutionOrder);
  const kernel = deps.hub.kernel;
  const market = kernel.account(accountId)?.kind === 'futures' ? 'futures' : 'spot';
  const computed = realizedPnlByFill(
    rows.map((r) => ({
      symbol: r.symbol,
      side: r.orderSide,
      quantity: parseFixed(r.size),
      price: parseFixed(r.price),
      fee: parseFixed(r.fee),
      feeInBase: r.feeAsset === (kernel.instrument(r.symbol)?.base ?? ''),
    })),
    market,
  );
  return rows.map((r, i) => {
    // The row's own figure (written by the read model) wins; rows written before it held one are computed.
    return extend(r, { realizedPnl: rowRealizedPnl(r, computed[i]) });
  });
}
