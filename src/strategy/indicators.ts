/**
 * Indicators: thin streaming wrappers over the `trading-signals` library (no hand-written maths).
 *
 * Each wrapper takes closed candles one at a time (`add`) and returns the indicator's value, or
 * `null` while it is warming up. Values are floats: indicators decide signals, never amounts.
 * Cost: O(1) per candle (Bollinger: O(period)).
 */
import { ATR, BollingerBands, EMA, RSI } from 'trading-signals';
import { candleFloats, type Candle } from './candles.js';

export interface StreamingIndicator<T> {
  add(candle: Candle): T | null;
  readonly value: T | null;
}

/** Wilder's RSI of closes (trading-signals `RSI`, WSMA smoothing). */
export class RsiIndicator implements StreamingIndicator<number> {
  private readonly rsi: RSI;
  value: number | null = null;
  constructor(readonly period: number) {
    this.rsi = new RSI(period);
  }
  add(candle: Candle): number | null {
    const v = this.rsi.add(candleFloats(candle).close);
    this.value = v ?? null;
    return this.value;
  }
}

/** Exponential moving average of closes (trading-signals `EMA`: seeded with the first close, stable after `period` closes). */
export class EmaIndicator implements StreamingIndicator<number> {
  private readonly ema: EMA;
  value: number | null = null;
  /** Closes added: trading-signals' EMA is stable from `period` of them on. */
  private count = 0;
  constructor(readonly period: number) {
    this.ema = new EMA(period);
  }
  add(candle: Candle): number | null {
    this.ema.add(candleFloats(candle).close);
    this.count += 1;
    // Asked only once it can be: before, `isStable` answers by throwing and catching an error (a stack trace per close).
    this.value = this.count >= this.period && this.ema.isStable ? this.ema.getResultOrThrow() : null;
    return this.value;
  }
}

export interface Bands {
  readonly lower: number;
  readonly middle: number;
  readonly upper: number;
}

/** Bollinger Bands of closes: SMA ± k population standard deviations (trading-signals `BollingerBands`). */
export class BollingerIndicator implements StreamingIndicator<Bands> {
  private readonly bands: BollingerBands;
  value: Bands | null = null;
  constructor(readonly period: number, readonly deviations: number) {
    this.bands = new BollingerBands(period, deviations);
  }
  add(candle: Candle): Bands | null {
    const v = this.bands.add(candleFloats(candle).close);
    this.value = v ?? null;
    return this.value;
  }
}

/** Average true range, Wilder smoothing (trading-signals `ATR`). */
export class AtrIndicator implements StreamingIndicator<number> {
  private readonly atr: ATR;
  value: number | null = null;
  constructor(readonly period: number) {
    this.atr = new ATR(period);
  }
  add(candle: Candle): number | null {
    // The memo's floats as they are: trading-signals reads them and keeps the last one to read its close.
    const v = this.atr.add(candleFloats(candle));
    this.value = v ?? null;
    return this.value;
  }
}
