/** MEXC Spot v3's kline intervals and how each buckets the tape. */
import type { Bucketing } from '../dialect-kit/market-tape.js';

const MINUTE = 60_000;

const BUCKETING = {
  '1m': { ms: MINUTE }, '5m': { ms: 5 * MINUTE }, '15m': { ms: 15 * MINUTE }, '30m': { ms: 30 * MINUTE },
  '60m': { ms: 60 * MINUTE }, '4h': { ms: 240 * MINUTE }, '1d': { ms: 1_440 * MINUTE }, '1W': 'week', '1M': 'month',
} as const satisfies Record<string, Bucketing>;

export type KlineInterval = keyof typeof BUCKETING;
export const KLINE_INTERVALS = Object.keys(BUCKETING) as KlineInterval[];

export function isKlineInterval(text: string): text is KlineInterval {
  return Object.hasOwn(BUCKETING, text);
}

export function bucketingOf(interval: KlineInterval): Bucketing {
  return BUCKETING[interval];
}
