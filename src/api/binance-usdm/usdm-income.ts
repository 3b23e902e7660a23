/**
 * Binance USD-M `GET /fapi/v1/income` (Get Income History, USER_DATA, weight 30,
 * https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api/Get-Income-History):
 * the flows of a paper futures account's wallet, from the read tables.
 *
 * Rows: REALIZED_PNL, one per fill that realized a non-zero PnL (the kernel's figure, before the
 * fee), and one per liquidation (what it realized); COMMISSION, one per fill with a fee (its
 * negation); INSURANCE_CLEAR, a liquidation's clearance fee (negated); FUNDING_FEE, one per funding payment
 * (`funding_payments`; the negation of what the position paid, so a long paying a positive rate
 * shows a negative income). Each is `{ symbol, incomeType, income, asset, info, time, tranId,
 * tradeId }`: `income` written with 8 decimals, as Binance writes it
 * ("-0.37500000"), or exactly with more when the amount has more (so that the rows add up to the wallet); `info` the income type; `tradeId` the fill's id ("" for funding); `tranId` the
 * fill's id for the fill rows (Binance: "tranId is unique in the same incomeType for a user"),
 * seq × 1 000 000 + the event's index for a funding payment and for a liquidation's rows (the
 * FUNDING or LIQUIDATION event's place in the event stream; migration 0014 keeps a liquidation's).
 *
 * Window and page: "If neither startTime nor endTime is sent, the recent 7-day data will be
 * returned", on the exchange's clock; "Income history only contains data for the last three months"
 * (90 days before the exchange's clock); both bounds inclusive. Oldest first; given a startTime the
 * first `limit` (default 100, at most 1000) from there, otherwise the latest `limit`; `page` (from
 * 1) moves one `limit` further in that direction. Any other documented incomeType answers `[]` (the
 * engine has no such flow); an undocumented one -1100.
 * Not modelled: TRANSFER (the kernel has no transfer into or out of an account after it opens; the
 * balance it opened or was reset with is no row), live accounts (-1020: the venue keeps their income).
 * Amounts of a liquidation need its position's row to keep realized PnL and fees (migration 0010 on).
 */
import type { Kysely } from 'kysely';
import { decimalsOf, formatFixed, parseFixed, type Fixed } from '../../core/money/fixed.js';
import { extend } from '../../core/objects.js';
import { accountLife, inLifeWhere, positionInLife } from '../../persistence/account-life.js';
import type { Database } from '../../persistence/schema.js';
import { binanceErrors } from '../binance/binance-errors.js';
import { idNumber } from '../binance/binance-mappers.js';
import { historyBounds, type HistoryWindow } from '../dialect-kit/history-pages.js';
import { intParam, optionalInt } from '../dialect-kit/request-params.js';
import type { UsdmTrading } from './usdm-trading-routes.js';
import { USDM_INCOME_WEIGHT } from './usdm-weights.js';

const DAY_MS = 24 * 3_600_000;

/** Binance's documented income types (USD-M "Get Income History", `incomeType`). */
export const USDM_INCOME_TYPES = [
  'TRANSFER', 'WELCOME_BONUS', 'REALIZED_PNL', 'FUNDING_FEE', 'COMMISSION', 'INSURANCE_CLEAR', 'REFERRAL_KICKBACK', 'COMMISSION_REBATE',
  'API_REBATE', 'CONTEST_REWARD', 'CROSS_COLLATERAL_TRANSFER', 'OPTIONS_PREMIUM_FEE', 'OPTIONS_SETTLE_PROFIT', 'INTERNAL_TRANSFER',
  'AUTO_EXCHANGE', 'DELIVERED_SETTELMENT', 'COIN_SWAP_DEPOSIT', 'COIN_SWAP_WITHDRAW', 'POSITION_LIMIT_INCREASE_FEE',
  'STRATEGY_UMFUTURES_TRANSFER', 'FEE_RETURN', 'BFUSD_REWARD',
] as const;

export type UsdmIncomeType = (typeof USDM_INCOME_TYPES)[number];

/** One row of the answer. */
export interface UsdmIncome {
  readonly symbol: string;
  readonly incomeType: UsdmIncomeType;
  readonly income: string;
  readonly asset: string;
  readonly info: string;
  readonly time: number;
  readonly tranId: number | string;
  readonly tradeId: string;
}

export interface IncomeQuery {
  readonly symbol?: string;
  readonly incomeType?: UsdmIncomeType;
  /** Inclusive bounds, Unix ms. */
  readonly start?: number;
  readonly end?: number;
}

/**
 * Binance's amount, written with 8 decimals; exactly, with more, when the kernel's has more (the PnL
 * realized from an averaged entry price): the paper wallet keeps every digit, and rows rounded to 8
 * would not add up to it.
 */
const amount8 = (v: Fixed): string => formatFixed(v, Math.max(8, decimalsOf(v)));

/**
 * Funding and liquidation rows' tranId: the event's place in the event stream (an input has fewer
 * than a million events), so no two such events share one.
 */
const eventTranId = (seq: number, index: number): number | string => idNumber(String(BigInt(seq) * 1_000_000n + BigInt(index)));

/** A liquidation's rows' tranId: its LIQUIDATION event's place; a row liquidated before migration 0014 has none and keeps its position id. */
const liquidationTranId = (p: { id: string; liquidationSeq: number | string | null; liquidationIndex: number | null }): number | string =>
  p.liquidationSeq === null || p.liquidationIndex === null ? p.id : eventTranId(Number(p.liquidationSeq), Number(p.liquidationIndex));

/**
 * The account's income rows within the query, oldest first (by time, then type: REALIZED_PNL,
 * COMMISSION, INSURANCE_CLEAR, FUNDING_FEE; then tranId, numbers before the position id of a liquidation from before migration 0014), read from the read tables `trades`, `positions`
 * (liquidated ones) and `funding_payments`.
 * `assetOf` names a symbol's settlement asset for funding and liquidation rows (fill rows carry their fee asset).
 */
export async function accountIncome(db: Kysely<Database>, accountId: string, q: IncomeQuery, assetOf: (symbol: string) => string): Promise<UsdmIncome[]> {
  const wants = (type: UsdmIncomeType) => q.incomeType === undefined || q.incomeType === type;
  // Only the current account's life: not the rows of an earlier account under the same id (reset, or
  // closed and opened again), as allOrders and userTrades (persistence/account-life.ts).
  const life = await accountLife(db, accountId);
  const rows: UsdmIncome[] = [];
  if (wants('REALIZED_PNL') || wants('COMMISSION')) {
    let trades = db.selectFrom('trades').select(['id', 'symbol', 'pnl', 'fee', 'feeAsset', 'timestamp']).where('accountId', '=', accountId).where('side', 'is not', null).where(inLifeWhere(life, 'orderId'));
    if (q.symbol !== undefined) trades = trades.where('symbol', '=', q.symbol);
    if (q.start !== undefined) trades = trades.where('timestamp', '>=', q.start);
    if (q.end !== undefined) trades = trades.where('timestamp', '<=', q.end);
    for (const t of await trades.execute()) {
      const row = (incomeType: UsdmIncomeType, income: Fixed): UsdmIncome => ({ symbol: t.symbol, incomeType, income: amount8(income), asset: t.feeAsset, info: incomeType, time: Number(t.timestamp), tranId: idNumber(t.id), tradeId: t.id });
      const pnl = t.pnl === null ? 0n : parseFixed(t.pnl);
      if (wants('REALIZED_PNL') && pnl !== 0n) rows.push(row('REALIZED_PNL', pnl));
      const fee = parseFixed(t.fee);
      if (wants('COMMISSION') && fee !== 0n) rows.push(row('COMMISSION', -fee));
    }
  }
  if (wants('REALIZED_PNL') || wants('INSURANCE_CLEAR')) {
    // A liquidation is no fill: what it realized and its clearance fee are the liquidated position's
    // totals (kernel figures on its row) less those of its fills.
    let liquidated = db.selectFrom('positions').select(['id', 'symbol', 'realizedPnl', 'feesPaid', 'closedAt', 'liquidationSeq', 'liquidationIndex']).where('accountId', '=', accountId).where('status', '=', 'LIQUIDATED');
    if (q.symbol !== undefined) liquidated = liquidated.where('symbol', '=', q.symbol);
    if (q.start !== undefined) liquidated = liquidated.where('closedAt', '>=', q.start);
    if (q.end !== undefined) liquidated = liquidated.where('closedAt', '<=', q.end);
    for (const p of await liquidated.execute()) {
      if (p.realizedPnl === null || p.feesPaid === null || p.closedAt === null || !positionInLife(life, p.id)) continue;
      const fills = await db.selectFrom('trades').select(['pnl', 'fee']).where('accountId', '=', accountId).where('positionId', '=', p.id).execute();
      const realized = parseFixed(p.realizedPnl) - fills.reduce((sum, f) => sum + (f.pnl === null ? 0n : parseFixed(f.pnl)), 0n);
      const fee = parseFixed(p.feesPaid) - fills.reduce((sum, f) => sum + parseFixed(f.fee), 0n);
      const row = (incomeType: UsdmIncomeType, income: Fixed): UsdmIncome => ({ symbol: p.symbol, incomeType, income: amount8(income), asset: assetOf(p.symbol), info: incomeType, time: Number(p.closedAt), tranId: liquidationTranId(p), tradeId: '' });
      if (wants('REALIZED_PNL') && realized !== 0n) rows.push(row('REALIZED_PNL', realized));
      if (wants('INSURANCE_CLEAR') && fee !== 0n) rows.push(row('INSURANCE_CLEAR', -fee));
    }
  }
  if (wants('FUNDING_FEE')) {
    let payments = db.selectFrom('funding_payments').select(['seq', 'eventIndex', 'positionId', 'symbol', 'amount', 'at']).where('accountId', '=', accountId);
    if (q.symbol !== undefined) payments = payments.where('symbol', '=', q.symbol);
    if (q.start !== undefined) payments = payments.where('at', '>=', q.start);
    if (q.end !== undefined) payments = payments.where('at', '<=', q.end);
    for (const f of await payments.execute()) {
      if (!positionInLife(life, f.positionId)) continue;
      rows.push({ symbol: f.symbol, incomeType: 'FUNDING_FEE', income: amount8(-parseFixed(f.amount)), asset: assetOf(f.symbol), info: 'FUNDING_FEE', time: Number(f.at), tranId: eventTranId(Number(f.seq), f.eventIndex), tradeId: '' });
    }
  }
  const order: readonly UsdmIncomeType[] = ['REALIZED_PNL', 'COMMISSION', 'INSURANCE_CLEAR', 'FUNDING_FEE'];
  // Numeric tranIds by number, before the text ones (the position id of a liquidation from before 0014) by
  // text: comparing a number with a text as texts would be no order ("10" < "5a:…" < "60" while 10 < 60).
  const byId = (a: number | string, b: number | string) =>
    typeof a === 'number' ? (typeof b === 'number' ? a - b : -1) : typeof b === 'number' ? 1 : a < b ? -1 : a > b ? 1 : 0;
  return rows.sort((a, b) => a.time - b.time || order.indexOf(a.incomeType) - order.indexOf(b.incomeType) || byId(a.tranId, b.tranId));
}

/** Registers `GET /v1/income` on the USD-M scope. */
export function registerUsdmIncomeRoute(t: UsdmTrading): void {
  const { ctx } = t;
  const { deps } = ctx;
  const invalid = binanceErrors.invalidParameter;
  /** Without startTime or endTime, the last 7 days of the exchange's clock; no limit on an explicit window's width. */
  const window: HistoryWindow = { maxSpanMs: Number.POSITIVE_INFINITY, tooLong: binanceErrors.intervalTooLong, recentBefore: () => deps.hub.now(), recentSpanMs: 7 * DAY_MS };

  ctx.route('GET', '/v1/income', USDM_INCOME_WEIGHT, async (request, _reply, p) => {
    const account = t.account(request, p);
    const symbol = p.symbol ? t.perpetual(p.symbol).symbol : undefined;
    const type = p.incomeType ?? '';
    if (type !== '' && !(USDM_INCOME_TYPES as readonly string[]).includes(type)) throw binanceErrors.illegalChars('incomeType', USDM_INCOME_TYPES.join(', '));
    const limit = intParam(p.limit, 'limit', 100, 1_000, invalid);
    const page = intParam(p.page, 'page', 1, 1_000_000, invalid);
    const start = optionalInt(p.startTime, 'startTime', invalid);
    const end = optionalInt(p.endTime, 'endTime', invalid);
    if (deps.execution.mode !== 'paper') throw binanceErrors.unsupportedOperation('Income history is kept for paper accounts only.');
    const bounds = historyBounds(start, end, undefined, window);
    // "Income history only contains data for the last three months."
    const oldest = deps.hub.now() - 90 * DAY_MS;
    await deps.hub.readModelCaughtUp();
    const rows = await accountIncome(
      deps.db,
      account.accountId,
      extend(extend(symbol !== undefined ? { symbol } : {}, type !== '' ? { incomeType: type as UsdmIncomeType } : {}), extend({ start: Math.max(bounds.start ?? oldest, oldest) }, bounds.end !== undefined ? { end: bounds.end } : {})),
      (s) => deps.hub.kernel.instrument(s)?.quote ?? '',
    );
    const skip = (page - 1) * limit;
    if (start !== undefined) return rows.slice(skip, skip + limit);
    const stop = rows.length - skip;
    return stop <= 0 ? [] : rows.slice(Math.max(0, stop - limit), stop);
  });
}
