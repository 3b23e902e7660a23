/**
 * The average price Binance's PERCENT_PRICE filters refer to (`GET /api/v3/avgPrice`): the
 * volume-weighted average of the trades of the last N minutes, Σ price × qty / Σ qty; when no trade
 * fell in the window, the price of the last trade before it.
 *
 * Guarantees: exact bigint sums (price × qty kept at 10^36), the average truncated to 18 decimals;
 * deterministic, and restored exactly from `exportState`.
 * Not modelled: sub-second edges. Trades are summed per whole second of trade time; the window at
 * time t holds the seconds ⌊t/1000⌋ − 60·N + 1 … ⌊t/1000⌋, so a trade leaves it between 0 and 1 s
 * later than at millisecond resolution. Cost: at most 60·N + 1 buckets, O(1) amortised per trade;
 * running sums of the buckets held make a reading O(1) plus the buckets the reading's window has
 * already left (none when it follows a trade of the same second).
 */
import type { Fixed } from '../money/fixed.js';

/** One second of trades: [second, Σ price × qty (scaled 10^36), Σ qty]. */
export type AveragePriceBucket = readonly [second: number, notional: bigint, quantity: Fixed];

export interface AveragePriceState {
  readonly buckets: readonly AveragePriceBucket[];
  readonly lastPrice: Fixed | undefined;
}

export class AveragePrice {
  constructor(readonly minutes: number) {}

  private buckets: [number, bigint, bigint][] = [];
  private lastPrice: Fixed | undefined;
  /** Σ notional and Σ quantity over `buckets`. */
  private notional = 0n;
  private quantity = 0n;

  /** Adds one trade of the tape; trade times never go back (the kernel's clock orders them). */
  add(time: number, price: Fixed, quantity: Fixed): void {
    const second = Math.floor(time / 1000);
    const last = this.buckets[this.buckets.length - 1];
    const notional = price * quantity;
    if (last !== undefined && last[0] === second) {
      last[1] += notional;
      last[2] += quantity;
    } else {
      this.buckets.push([second, notional, quantity]);
    }
    this.notional += notional;
    this.quantity += quantity;
    this.lastPrice = price;
    this.evict(this.firstSecond(time));
  }

  /** The average over the window ending at `time`; 0 minutes: the last trade price. Undefined before any trade. */
  at(time: number): Fixed | undefined {
    if (this.lastPrice === undefined) return undefined;
    if (this.minutes === 0) return this.lastPrice;
    const first = this.firstSecond(time);
    let notional = this.notional;
    let quantity = this.quantity;
    for (const [second, n, q] of this.buckets) {
      if (second >= first) break;
      notional -= n;
      quantity -= q;
    }
    // Σ price × qty is scaled by 10^36 and Σ qty by 10^18: their quotient is a Fixed.
    return quantity === 0n ? this.lastPrice : notional / quantity;
  }

  exportState(): AveragePriceState {
    return { buckets: this.buckets.map((b) => [b[0], b[1], b[2]] as const), lastPrice: this.lastPrice };
  }

  importState(state: AveragePriceState): void {
    this.buckets = state.buckets.map((b) => [b[0], b[1], b[2]]);
    this.lastPrice = state.lastPrice;
    this.notional = 0n;
    this.quantity = 0n;
    for (const [, n, q] of this.buckets) {
      this.notional += n;
      this.quantity += q;
    }
  }

  private firstSecond(time: number): number {
    return Math.floor(time / 1000) - this.minutes * 60 + 1;
  }

  private evict(before: number): void {
    let drop = 0;
    while (drop < this.buckets.length && this.buckets[drop]![0] < before) {
      this.notional -= this.buckets[drop]![1];
      this.quantity -= this.buckets[drop]![2];
      drop += 1;
    }
    // One bucket out per bucket in is the steady state: shift() trims in place, splice() returns a new array.
    if (drop === 1) this.buckets.shift();
    else if (drop > 0) this.buckets.splice(0, drop);
  }
}
