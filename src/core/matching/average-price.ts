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
 * consecutive trades of one second at one price are one product (their quantities summed first);
 * running sums of the buckets held make a reading O(1) plus the buckets the reading's window has
 * already left (none when it follows a trade of the same second). Trades added with `addLater` (a
 * candle bar's close, one a bar) are summed only when the average or the state is read, or every
 * 64 of them: those the window has left by then are never multiplied out (most, between two orders).
 */
import type { Fixed } from '../money/fixed.js';

/** One second of trades: [second, Σ price × qty (scaled 10^36), Σ qty]. */
export type AveragePriceBucket = readonly [second: number, notional: bigint, quantity: Fixed];

export interface AveragePriceState {
  readonly buckets: readonly AveragePriceBucket[];
  readonly lastPrice: Fixed | undefined;
}

/** Trades `addLater` holds before it sums them. */
const LATER_LIMIT = 64;

export class AveragePrice {
  constructor(readonly minutes: number) {}

  private buckets: [number, bigint, bigint][] = [];
  private lastPrice: Fixed | undefined;
  /** Σ notional and Σ quantity over `buckets`, the run aside. */
  private notional = 0n;
  private quantity = 0n;
  /**
   * The run: consecutive trades of the last bucket's second at one price (most prints repeat the
   * price before), summed as Σ quantity and multiplied once when the run ends (Σ p·qᵢ = p·Σ qᵢ,
   * exact), before anything reads the sums. Undefined price: no run.
   */
  private runPrice: Fixed | undefined;
  private runQuantity = 0n;

  /** Trades of `addLater` not summed yet, in order: time, price, quantity. */
  private laterTimes: number[] = [];
  private laterPrices: Fixed[] = [];
  private laterQuantities: Fixed[] = [];

  /** Adds one trade of the tape; trade times never go back (the kernel's clock orders them). */
  add(time: number, price: Fixed, quantity: Fixed): void {
    if (this.laterTimes.length > 0) this.settleLater();
    this.addNow(time, price, quantity);
  }

  /**
   * `add`, with the sums left until they are read (`at`, `exportState`) or 64 trades wait: the
   * state read then is the one `add` would have left, since the window at the last trade's time
   * holds only trades of the seconds from its first on, and those the window had left were added
   * and evicted without a trace (exact sums).
   */
  addLater(time: number, price: Fixed, quantity: Fixed): void {
    this.laterTimes.push(time);
    this.laterPrices.push(price);
    this.laterQuantities.push(quantity);
    if (this.laterTimes.length >= LATER_LIMIT) this.settleLater();
  }

  private settleLater(): void {
    const times = this.laterTimes;
    const n = times.length;
    const first = this.firstSecond(times[n - 1]!);
    for (let i = 0; i < n; i += 1) {
      // A trade before the last one's window would be evicted by the adds after it.
      if (Math.floor(times[i]! / 1000) >= first || i === n - 1) this.addNow(times[i]!, this.laterPrices[i]!, this.laterQuantities[i]!);
    }
    times.length = 0;
    this.laterPrices.length = 0;
    this.laterQuantities.length = 0;
  }

  private addNow(time: number, price: Fixed, quantity: Fixed): void {
    const second = Math.floor(time / 1000);
    const last = this.buckets[this.buckets.length - 1];
    if (last !== undefined && last[0] === second) {
      // Same second, so the window's first second is unchanged: nothing to evict.
      if (price === this.runPrice) this.runQuantity += quantity;
      else {
        this.endRun();
        this.runPrice = price;
        this.runQuantity = quantity;
      }
    } else {
      this.endRun();
      this.buckets.push([second, 0n, 0n]);
      this.runPrice = price;
      this.runQuantity = quantity;
      this.evict(this.firstSecond(time));
    }
    this.lastPrice = price;
  }

  /**
   * Adds the run of trades at one price to the last bucket and the sums (one product for the run).
   * A run whose bucket the window has left (a window of 0 minutes leaves every bucket at once; the
   * buckets leave oldest first, so then none is left) is dropped: its trades are out of the window.
   */
  private endRun(): void {
    const price = this.runPrice;
    if (price === undefined) return;
    this.runPrice = undefined;
    const last = this.buckets[this.buckets.length - 1];
    if (last === undefined) return;
    const quantity = this.runQuantity;
    const notional = price * quantity;
    last[1] += notional;
    last[2] += quantity;
    this.notional += notional;
    this.quantity += quantity;
  }

  /** The average over the window ending at `time`; 0 minutes: the last trade price. Undefined before any trade. */
  at(time: number): Fixed | undefined {
    if (this.laterTimes.length > 0) this.settleLater();
    this.endRun();
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
    if (this.laterTimes.length > 0) this.settleLater();
    this.endRun();
    return { buckets: this.buckets.map((b) => [b[0], b[1], b[2]] as const), lastPrice: this.lastPrice };
  }

  importState(state: AveragePriceState): void {
    this.laterTimes.length = 0;
    this.laterPrices.length = 0;
    this.laterQuantities.length = 0;
    this.runPrice = undefined;
    this.runQuantity = 0n;
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
