/**
 * Binance USD-M's published limits and request weights
 * (https://developers.binance.com/docs/derivatives/usds-margined-futures/general-info#limits and
 * each endpoint's "Request Weight"): REQUEST_WEIGHT 2400 a minute per address, ORDERS 300 per
 * 10 s and 1200 per minute per account; counted by the Binance meter (binance/binance-weights.ts).
 */
import type { RateLimit } from '../binance/binance-weights.js';

export const USDM_RATE_LIMITS: readonly RateLimit[] = [
  { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 2_400 },
  { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: 1_200 },
  { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 300 },
];

/** `GET /fapi/v1/depth` by limit: 5–50 → 2, 100 → 5, 500 → 10, 1000 → 20. */
export function usdmDepthWeight(limit: number): number {
  if (limit <= 50) return 2;
  if (limit <= 100) return 5;
  if (limit <= 500) return 10;
  return 20;
}

/** `GET /fapi/v1/klines` by limit: below 100 → 1, below 500 → 2, to 1000 → 5, beyond → 10. */
export function usdmKlinesWeight(limit: number): number {
  if (limit < 100) return 1;
  if (limit < 500) return 2;
  if (limit <= 1_000) return 5;
  return 10;
}

/** `GET /fapi/v1/income` (Get Income History): 30, whatever the parameters. */
export const USDM_INCOME_WEIGHT = 30;
