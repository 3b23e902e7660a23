/**
 * Binance's paging of an account's history, which its Spot (`myTrades`, `allOrders`) and USD-M
 * (`userTrades`, `allOrders`, `allAlgoOrders`) APIs share: `limit` (default 500, at most 1000),
 * `startTime`/`endTime` (Unix ms), and a first id (`fromId` for trades, `orderId` or `algoId` for
 * orders). Given a start or a first id, the page is the first `limit` from there; otherwise the
 * latest `limit`. Oldest first.
 */
import type { OrderView, ServiceDeps } from '../service-deps.js';
import { accountFills, accountOrders, type AccountFill } from './account-history.js';
import type { MarketTape } from './market-tape.js';
import { intParam, optionalInt } from './request-params.js';

export interface PageErrors {
  /** A malformed parameter. */
  invalid(detail: string): Error;
  /** `fromId` together with a time window (Binance -1128). */
  combination(): Error;
}

function pageOf<T>(rows: readonly T[], limit: number, fromStart: boolean): T[] {
  return fromStart ? rows.slice(0, limit) : rows.slice(-limit);
}

/** The page of the account's fills on `symbol` that `p` asks for (`orderId` narrows it to one order). */
export async function fillsPage(deps: ServiceDeps, tape: MarketTape, accountId: string, symbol: string, p: Readonly<Record<string, string>>, errors: PageErrors): Promise<AccountFill[]> {
  const limit = intParam(p.limit, 'limit', 500, 1_000, errors.invalid);
  const start = optionalInt(p.startTime, 'startTime', errors.invalid);
  const end = optionalInt(p.endTime, 'endTime', errors.invalid);
  const fromId = optionalInt(p.fromId, 'fromId', errors.invalid);
  if (fromId !== undefined && (start !== undefined || end !== undefined)) throw errors.combination();
  const fills = await accountFills(deps, tape, accountId, {
    symbol,
    ...(p.orderId ? { orderId: p.orderId } : {}),
    ...(start !== undefined ? { start } : {}),
    ...(end !== undefined ? { end } : {}),
    ...(fromId !== undefined ? { fromId: String(fromId) } : {}),
  });
  return pageOf(fills, limit, start !== undefined || fromId !== undefined);
}

/** The page of the account's orders on `symbol` (those `keep` accepts) that `p` asks for, the first id named `idName`. */
export function ordersPage(deps: ServiceDeps, accountId: string, symbol: string, p: Readonly<Record<string, string>>, idName: string, invalid: PageErrors['invalid'], keep: (o: OrderView) => boolean = () => true): OrderView[] {
  const limit = intParam(p.limit, 'limit', 500, 1_000, invalid);
  const start = optionalInt(p.startTime, 'startTime', invalid);
  const end = optionalInt(p.endTime, 'endTime', invalid);
  const fromId = optionalInt(p[idName], idName, invalid);
  const orders = accountOrders(deps, accountId, symbol, start, end).filter((o) => (fromId === undefined || Number(o.orderId) >= fromId) && keep(o));
  return pageOf(orders, limit, start !== undefined || fromId !== undefined);
}
