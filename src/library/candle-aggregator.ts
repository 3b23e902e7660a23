/**
 * Candles from a stream of prices (live `updatePrices`, recorded trades): one forming candle per
 * symbol in fixed, epoch-aligned intervals; a price in a later interval closes the forming candle.
 * A candle closes only when a later price arrives — never early, so strategies cannot see it forming.
 */
import { formatFixed, type Fixed } from '../core/money/fixed.js';
import { toCandle, type Candle } from '../strategy/candles.js';

interface Forming {
  openTime: number;
  open: string;
  high: Fixed;
  low: Fixed;
  close: string;
}

export class CandleAggregator {
  private readonly forming = new Map<string, Forming>();

  constructor(readonly intervalMs: number) {
    if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) throw new RangeError('candle interval must be a positive number of ms');
  }

  /** Adds a price; returns the candle it closed, if it opened a new interval. */
  add(symbol: string, price: Fixed, time: number): Candle | undefined {
    const bucket = Math.floor(time / this.intervalMs) * this.intervalMs;
    const text = formatFixed(price);
    const current = this.forming.get(symbol);
    if (current === undefined || bucket > current.openTime) {
      this.forming.set(symbol, { openTime: bucket, open: text, high: price, low: price, close: text });
      if (current === undefined) return undefined;
      return toCandle({ openTime: current.openTime, open: current.open, high: formatFixed(current.high), low: formatFixed(current.low), close: current.close, volume: '0' });
    }
    if (price > current.high) current.high = price;
    if (price < current.low) current.low = price;
    current.close = text;
    return undefined;
  }

  exportState(): [string, Forming][] {
    return [...this.forming].map(([s, f]) => [s, { ...f }]);
  }

  importState(state: readonly [string, Forming][]): void {
    this.forming.clear();
    for (const [s, f] of state) this.forming.set(s, { ...f });
  }
}
