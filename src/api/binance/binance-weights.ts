/**
 * Binance's request weight and order-rate accounting, with the headers Binance sends on every
 * answer: `X-MBX-USED-WEIGHT-1M` (weight used by the client address in the current UTC minute) and,
 * on order placement, `X-MBX-ORDER-COUNT-10S` and `X-MBX-ORDER-COUNT-1D` (orders of the account).
 *
 * Guarantees: windows are fixed and aligned to the wall clock (minute, 10 s, UTC day), as Binance's
 * are; a request that would pass REQUEST_WEIGHT 6000/min is refused (-1003, 429) without running,
 * and an order beyond ORDERS 100/10 s or 200,000/day is refused (-1015, 429); refused requests
 * count too. Memory is bounded: windows that ended are dropped on the next count.
 * Not modelled: RAW_REQUESTS, IP bans after repeated 429s, unfilled-order-count refunds.
 */
import { binanceErrors, type BinanceError } from './binance-errors.js';

export const RATE_LIMITS = [
  { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6_000 },
  { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
  { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 200_000 },
] as const;

const WEIGHT_LIMIT = RATE_LIMITS[0].limit;
const WINDOWS = { weight: 60_000, orders10s: 10_000, orders1d: 86_400_000 } as const;

/** Binance's documented weight of `GET /api/v3/depth` by limit. */
export function depthWeight(limit: number): number {
  if (limit <= 100) return 5;
  if (limit <= 500) return 25;
  if (limit <= 1_000) return 50;
  return 250;
}

class FixedWindows {
  private readonly counts = new Map<string, { start: number; used: number }>();

  constructor(private readonly length: number) {}

  add(key: string, amount: number, now: number): number {
    const start = now - (now % this.length);
    let entry = this.counts.get(key);
    if (entry === undefined || entry.start !== start) {
      if (this.counts.size > 10_000) for (const [k, e] of this.counts) if (e.start !== start) this.counts.delete(k);
      entry = { start, used: 0 };
      this.counts.set(key, entry);
    }
    entry.used += amount;
    return entry.used;
  }
}

export class BinanceRateMeter {
  private readonly weight = new FixedWindows(WINDOWS.weight);
  private readonly orders10s = new FixedWindows(WINDOWS.orders10s);
  private readonly orders1d = new FixedWindows(WINDOWS.orders1d);

  constructor(private readonly clock: () => number) {}

  /** Counts the request's weight for the address: the weight used this minute, and the refusal (-1003) beyond the limit. */
  chargeWeight(address: string, weight: number): { used: number; refusal?: BinanceError } {
    const used = this.weight.add(address, weight, this.clock());
    return used > WEIGHT_LIMIT ? { used, refusal: binanceErrors.tooMuchWeight(WEIGHT_LIMIT) } : { used };
  }

  /** Counts one new order of the account; the counts, or throws -1015 beyond a limit. */
  chargeOrder(accountId: string): { tenSeconds: number; day: number } {
    const now = this.clock();
    const tenSeconds = this.orders10s.add(accountId, 1, now);
    const day = this.orders1d.add(accountId, 1, now);
    if (tenSeconds > RATE_LIMITS[1].limit) throw binanceErrors.tooManyOrders(RATE_LIMITS[1].limit, '10 SECOND');
    if (day > RATE_LIMITS[2].limit) throw binanceErrors.tooManyOrders(RATE_LIMITS[2].limit, '1 DAY');
    return { tenSeconds, day };
  }
}
