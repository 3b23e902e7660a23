/**
 * Binance's paging of an account's history, which its Spot (`myTrades`, `allOrders`) and USD-M
 * (`userTrades`, `allOrders`, `allAlgoOrders`) APIs share: `limit` (default 500, at most 1000),
 * `startTime`/`endTime` (Unix ms), and a first id (`fromId` for trades, `orderId` or `algoId` for
 * orders). Given a start or a first id, the page is the first `limit` from there; otherwise the
 * latest `limit`. Oldest first. Each API bounds the window (`HistoryWindow`): Spot's `endTime −
 * startTime` at most 24 hours, USD-M's at most 7 days, which without a time or first id reads the
 * last 7 days only (on paper; live, the venue applies its own); a longer window answers -1127.
 */
import { extend } from '../../core/objects.js';
import type { AccountReadPort, ReadResult, VenueFill } from '../../execution/account-read-port.js';
import type { OrderView } from '../service-deps.js';
import { intParam, optionalInt } from './request-params.js';

export interface PageErrors {
  /** A malformed parameter. */
  invalid(detail: string): Error;
  /** `fromId` together with a time window (Binance -1128). */
  combination(): Error;
}

/** How far back and how wide an endpoint's history reaches. */
export interface HistoryWindow {
  /** The longest `endTime − startTime` the endpoint takes, in ms (Binance Spot: 24 hours; USD-M: 7 days). */
  readonly maxSpanMs: number;
  /** A wider window (Binance -1127 "More than %s hours between startTime and endTime."). */
  tooLong(hours: number): Error;
  /**
   * Given, a request without startTime, endTime or a first id reads only the `recentSpanMs` before
   * this time, in Unix ms (USD-M: "the last 7 days' data will be returned").
   */
  readonly recentBefore?: () => number;
  /** How far back `recentBefore` reaches, in ms; `maxSpanMs` when absent (an endpoint whose window is unbounded gives its own). */
  readonly recentSpanMs?: number;
}

/**
 * The window's bounds after its checks: the span refused when too wide, the default span applied.
 * Times in Unix ms; `firstId` a first id asked for (a request with one reads from there, not the
 * recent span). Throws `window.tooLong` when `end − start` exceeds `window.maxSpanMs`.
 */
export function historyBounds(start: number | undefined, end: number | undefined, firstId: number | undefined, window: HistoryWindow | undefined): { start?: number; end?: number } {
  if (window !== undefined && start !== undefined && end !== undefined && end - start > window.maxSpanMs) throw window.tooLong(window.maxSpanMs / 3_600_000);
  if (window?.recentBefore !== undefined && start === undefined && end === undefined && firstId === undefined) return { start: window.recentBefore() - (window.recentSpanMs ?? window.maxSpanMs) };
  return extend(start !== undefined ? { start } : {}, end !== undefined ? { end } : {});
}

function pageOf<T>(result: ReadResult<T[]>, limit: number, fromStart: boolean, keep: (row: T) => boolean = () => true): ReadResult<T[]> {
  if (!result.ok) return result;
  const rows = result.value.value.filter(keep);
  return { ok: true, value: { value: fromStart ? rows.slice(0, limit) : rows.slice(-limit), asOf: result.value.asOf } };
}

/**
 * The page of the account's fills on `symbol` that `p` asks for (`orderId` narrows it to one
 * order), read through the read port: the engine's fills on paper, the venue's live.
 * Malformed parameters throw `errors`; a refused read is the port's error.
 */
export async function fillsPage(reads: AccountReadPort, accountId: string, symbol: string, p: Readonly<Record<string, string>>, errors: PageErrors, window?: HistoryWindow): Promise<ReadResult<VenueFill[]>> {
  const limit = intParam(p.limit, 'limit', 500, 1_000, errors.invalid);
  const start = optionalInt(p.startTime, 'startTime', errors.invalid);
  const end = optionalInt(p.endTime, 'endTime', errors.invalid);
  const fromId = optionalInt(p.fromId, 'fromId', errors.invalid);
  if (fromId !== undefined && (start !== undefined || end !== undefined)) throw errors.combination();
  const bounds = historyBounds(start, end, fromId, window);
  const fills = await reads.fills(accountId, {
    symbol,
    ...(p.orderId ? { orderId: p.orderId } : {}),
    ...bounds,
    ...(fromId !== undefined ? { fromId: String(fromId) } : {}),
  });
  return pageOf(fills, limit, start !== undefined || fromId !== undefined);
}

/**
 * The page of the account's orders on `symbol` (those `keep` accepts) that `p` asks for, the first
 * id named `idName`, read through the read port like fillsPage.
 */
export async function ordersPage(
  reads: AccountReadPort,
  accountId: string,
  symbol: string,
  p: Readonly<Record<string, string>>,
  idName: string,
  invalid: PageErrors['invalid'],
  keep: (o: OrderView) => boolean = () => true,
  /** Called with the orders read, before `keep` sees them (to look up what `keep` needs). */
  prepare?: (orders: readonly OrderView[]) => Promise<void>,
  window?: HistoryWindow,
): Promise<ReadResult<OrderView[]>> {
  const limit = intParam(p.limit, 'limit', 500, 1_000, invalid);
  const start = optionalInt(p.startTime, 'startTime', invalid);
  const end = optionalInt(p.endTime, 'endTime', invalid);
  const fromId = optionalInt(p[idName], idName, invalid);
  const bounds = historyBounds(start, end, fromId, window);
  const orders = await reads.orders(accountId, symbol, bounds.start, bounds.end);
  if (orders.ok && prepare !== undefined) await prepare(orders.value.value);
  return pageOf(orders, limit, start !== undefined || fromId !== undefined, (o) => (fromId === undefined || Number(o.orderId) >= fromId) && keep(o));
}
