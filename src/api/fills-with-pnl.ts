/**
 * An account's trade rows in execution order, each with the PnL it realized: a futures fill's is the
 * kernel's (written with the row by the read model), a spot fill's is computed from the account's
 * fills at average price (core/accounts/realized-pnl-view.ts), fees left out as exchanges leave
 * them out; null where a fill closed nothing. One place for the fills route and the metrics.
 */
import { realizedPnlByFill } from '../core/accounts/realized-pnl-view.js';
import { formatFixed, parseFixed } from '../core/money/fixed.js';
import type { ServiceDeps } from './service-deps.js';

export async function fillsWithRealizedPnl(deps: ServiceDeps, accountId: string) {
  const rows = (await deps.db.selectFrom('trades').selectAll().where('accountId', '=', accountId).execute())
    .map((r) => ({ ...r, timestamp: Number(r.timestamp) }))
    .sort((a, b) => a.timestamp - b.timestamp || Number(a.id) - Number(b.id) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
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
    const own = market === 'futures' ? r.pnl : null;
    const value = own ?? (computed[i] === null || computed[i] === undefined ? null : formatFixed(computed[i]));
    return { ...r, realizedPnl: value };
  });
}
