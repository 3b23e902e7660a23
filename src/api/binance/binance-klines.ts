/** Binance Spot v3's kline intervals and how each buckets the tape (fixed lengths from the epoch, Monday weeks, months). */
import type { Bucketing } from '../dialect-kit/market-tape.js';

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
