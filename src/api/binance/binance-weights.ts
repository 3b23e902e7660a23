/**
 * Binance's request weight and order-rate accounting, with the headers Binance sends on every
 * answer: `X-MBX-USED-WEIGHT-1M` (weight used by the client address in the current UTC minute) and,
 * on order placement, `X-MBX-ORDER-COUNT-10S` and `X-MBX-ORDER-COUNT-1D` (orders of the account).
 *
 * Guarantees: windows are fixed and aligned to the wall clock (minute, 10 s, UTC day), as Binance's
 * are; a request that would pass REQUEST_WEIGHT 6000/min is refused (-1003, 429) without running,
 * and an order beyond ORDERS 100/10 s or 200,000/day is refused (-1015, 429); refused requests
 * count too. Memory is bounded: windows that ended are dropped on the next count.
 * The limits are the API's own (Spot's here; USD-M's in binance-usdm/usdm-weights.ts), each
 * ORDERS window answering in its header (`X-MBX-ORDER-COUNT-1M` for USD-M's minute).
 * Not modelled: RAW_REQUESTS, IP bans after repeated 429s, unfilled-order-count refunds.
 */
import { binanceErrors, type BinanceError } from './binance-errors.js';

export const RATE_LIMITS = [
  { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6_000 },
  { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
  { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 200_000 },
] as const;

/** One of an API's published limits, as exchangeInfo lists it. */
export interface RateLimit {
  readonly rateLimitType: 'REQUEST_WEIGHT' | 'ORDERS';
  readonly interval: 'SECOND' | 'MINUTE' | 'DAY';
  readonly intervalNum: number;
  readonly limit: number;
}

const INTERVAL_MS = { SECOND: 1_000, MINUTE: 60_000, DAY: 86_400_000 } as const;
const INTERVAL_LETTER = { SECOND: 'S', MINUTE: 'M', DAY: 'D' } as const;

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

/**
 * The meter of one API's limits (Spot's RATE_LIMITS by default; USD-M passes its own): the
 * request weight per minute and address (the first REQUEST_WEIGHT limit), and each ORDERS limit
 * per account.
 */
export class BinanceRateMeter {
  private readonly weightLimit: number;
  private readonly weight = new FixedWindows(60_000);
  private readonly orders: { readonly limit: RateLimit; readonly windows: FixedWindows; readonly header: string }[];

  constructor(
    private readonly clock: () => number,
    limits: readonly RateLimit[] = RATE_LIMITS,
  ) {
    this.weightLimit = limits.find((l) => l.rateLimitType === 'REQUEST_WEIGHT')?.limit ?? Number.POSITIVE_INFINITY;
    this.orders = limits
      .filter((l) => l.rateLimitType === 'ORDERS')
      .map((limit) => ({ limit, windows: new FixedWindows(limit.intervalNum * INTERVAL_MS[limit.interval]), header: `x-mbx-order-count-${limit.intervalNum}${INTERVAL_LETTER[limit.interval]}`.toLowerCase() }));
  }

  /** Counts the request's weight for the address: the weight used this minute, and the refusal (-1003) beyond the limit. */
  chargeWeight(address: string, weight: number): { used: number; refusal?: BinanceError } {
    const used = this.weight.add(address, weight, this.clock());
    return used > this.weightLimit ? { used, refusal: binanceErrors.tooMuchWeight(this.weightLimit) } : { used };
  }

  /**
   * Counts one new order of the account; the count of each window by its header name
   * (`x-mbx-order-count-10s`, `-1d`, `-1m`), or throws -1015 beyond a limit.
   */
  chargeOrder(accountId: string): Record<string, number> {
    const now = this.clock();
    const counts: Record<string, number> = {};
    for (const { limit, windows, header } of this.orders) counts[header] = windows.add(accountId, 1, now);
    for (const { limit, header } of this.orders) {
      if (counts[header]! > limit.limit) throw binanceErrors.tooManyOrders(limit.limit, `${limit.intervalNum} ${limit.interval}`);
    }
    return counts;
  }
}
