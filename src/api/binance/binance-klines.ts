/**
 * Binance Spot v3's kline intervals and how each buckets the tape (fixed lengths from the epoch,
 * Monday weeks, months), and the kline rows Spot and USD-M share.
 */
import { formatFixed, type Fixed } from '../../core/money/fixed.js';
import { aggregateCandles, type Bucketing, type TapeTrade } from '../dialect-kit/market-tape.js';
import { intParam, optionalInt } from '../dialect-kit/request-params.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const BUCKETING = {
  '1s': { ms: SECOND }, '1m': { ms: MINUTE }, '3m': { ms: 3 * MINUTE }, '5m': { ms: 5 * MINUTE }, '15m': { ms: 15 * MINUTE }, '30m': { ms: 30 * MINUTE },
  '1h': { ms: HOUR }, '2h': { ms: 2 * HOUR }, '4h': { ms: 4 * HOUR }, '6h': { ms: 6 * HOUR }, '8h': { ms: 8 * HOUR }, '12h': { ms: 12 * HOUR },
  '1d': { ms: DAY }, '3d': { ms: 3 * DAY }, '1w': 'week', '1M': 'month',
} as const satisfies Record<string, Bucketing>;

export type BinanceKlineInterval = keyof typeof BUCKETING;

export function binanceBucketing(interval: string): Bucketing | undefined {
  return Object.hasOwn(BUCKETING, interval) ? BUCKETING[interval as BinanceKlineInterval] : undefined;
}

/**
 * Binance's kline rows of `trades`, `[openTime, open, high, low, close, volume, closeTime,
 * quoteVolume, trades, takerBuyBaseVolume, takerBuyQuoteVolume, "0"]`, closeTime the bucket's last
 * ms: with `startTime` the first `limit` from it, otherwise the latest `limit` (default 500, at
 * most `maxLimit`), within `endTime`. Prices and volumes through `decimal` (Spot: binance-decimals.ts,
 * 8 decimals padded, as its example rows; by default trailing zeros trimmed).
 */
export function binanceKlineRows(trades: readonly TapeTrade[], bucketing: Bucketing, p: Readonly<Record<string, string>>, maxLimit: number, invalid: (detail: string) => Error, decimal: (v: Fixed) => string = formatFixed): unknown[][] {
  const limit = intParam(p.limit, 'limit', 500, maxLimit, invalid);
  const start = optionalInt(p.startTime, 'startTime', invalid);
  const end = optionalInt(p.endTime, 'endTime', invalid);
  const rows = aggregateCandles(trades, bucketing).filter((r) => (start === undefined || r.openTime >= start) && (end === undefined || r.openTime <= end));
  const page = start !== undefined ? rows.slice(0, limit) : rows.slice(-limit);
  const f = decimal;
  return page.map((r) => [r.openTime, f(r.open), f(r.high), f(r.low), f(r.close), f(r.volume), r.closeTime - 1, f(r.quoteVolume), r.trades, f(r.takerBuyVolume), f(r.takerBuyQuoteVolume), '0']);
}
