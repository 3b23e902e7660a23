/**
 * The built-in strategies. Each uses a streaming indicator from trading-signals, on closed
 * candles only, and emits a signal on the candle where its condition *becomes* true (a cross),
 * not on every candle where it holds.
 *
 * - `rsi-reversal` — params `period` (14), `oversold` (30), `overbought` (70).
 *   LONG when RSI crosses back up through `oversold` (previous < oversold ≤ current);
 *   SHORT when RSI crosses back down through `overbought` (previous > overbought ≥ current).
 * - `ema-crossover` — params `fast` (9), `slow` (21).
 *   LONG when the fast EMA crosses above the slow EMA (previous fast ≤ slow, current fast > slow);
 *   SHORT when it crosses below (previous fast ≥ slow, current fast < slow). Both EMAs must be stable.
 * - `bollinger-breakout` — params `period` (20), `deviations` (2).
 *   LONG when the close breaks above the upper band (previous close ≤ previous upper, close > upper);
 *   SHORT when it breaks below the lower band (previous close ≥ previous lower, close < lower).
 * Every strategy takes `allowShort` (true): when false, a SHORT becomes CLOSE (exit a long only).
 *
 * Parameters are checked when the strategy is made, so that one that could never signal (or
 * signals on nonsense) is refused with the parameter, the value and the allowed range, instead of
 * a run that trades nothing: a number must be a number (not a numeric string: `"14"` may be a
 * typo for anything), periods are whole numbers from their minimum to MAX_PERIOD, the fast EMA is
 * shorter than the slow one, 0 < oversold < overbought < 100 (RSI lies in [0, 100] and a cross
 * needs room on both sides), and 0 < deviations < √(period − 1): a close is at most √(period − 1)
 * population standard deviations from the mean of a window that holds it (Samuelson's
 * inequality), so wider bands are never broken. An unknown parameter name is refused too.
 */
import { candleFloats, type Candle } from './candles.js';
import { BollingerIndicator, EmaIndicator, RsiIndicator, type Bands } from './indicators.js';
import { registerStrategy, type Strategy, type StrategyContext, type StrategyParams, type StrategySignal } from './strategy.js';

/** The longest indicator period accepted: beyond it a Bollinger band costs that many steps per candle and warms up for months of minute candles. */
export const MAX_PERIOD = 100_000;

const shown = (v: unknown): string => (typeof v === 'string' || (typeof v === 'object' && v !== null) ? JSON.stringify(v) : String(v));

/** The parameters of `strategy`, refused with a clear error when they are not an object or name an unknown key. */
function paramsOf(strategy: string, params: StrategyParams | undefined, known: readonly string[]): StrategyParams {
  if (params === undefined) return {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new TypeError(`${strategy}: strategy parameters must be an object, got ${shown(params)}`);
  for (const key of Object.keys(params)) {
    if (!known.includes(key)) throw new RangeError(`${strategy}: unknown parameter ${key} (its parameters: ${known.join(', ')})`);
  }
  const allowShort = params['allowShort'];
  if (allowShort !== undefined && typeof allowShort !== 'boolean') throw new TypeError(`${strategy}: allowShort must be true or false, got ${shown(allowShort)}`);
  return params;
}

/** A finite number in [min, max], or in (min, max) when `open`; `fallback` when absent, which must lie in the range too. */
function num(strategy: string, params: StrategyParams, key: string, fallback: number, range: { min: number; max: number; open?: boolean; text: string }): number {
  const given = params[key];
  if (given !== undefined && (typeof given !== 'number' || !Number.isFinite(given))) throw new TypeError(`${strategy}: ${key} must be ${range.text}, got ${shown(given)}`);
  const v = given ?? fallback;
  const inside = range.open === true ? v > range.min && v < range.max : v >= range.min && v <= range.max;
  if (!inside) throw new RangeError(`${strategy}: ${key} must be ${range.text}, got ${shown(v)}${given === undefined ? ' (the default)' : ''}`);
  return v;
}

/** A whole number of candles from `min` to MAX_PERIOD. */
function period(strategy: string, params: StrategyParams, key: string, fallback: number, min: number): number {
  const text = `a whole number from ${min} to ${MAX_PERIOD}`;
  const v = num(strategy, params, key, fallback, { min, max: MAX_PERIOD, text });
  if (!Number.isInteger(v)) throw new RangeError(`${strategy}: ${key} must be ${text}, got ${shown(v)}`);
  return v;
}

function shortOr(params: StrategyParams | undefined, reason: string): StrategySignal {
  return params?.['allowShort'] === false ? { action: 'CLOSE', reason } : { action: 'SHORT', reason };
}

const f2 = (v: number): string => v.toFixed(2);

export function rsiReversal(params?: StrategyParams): Strategy {
  const id = 'rsi-reversal';
  const p = paramsOf(id, params, ['period', 'oversold', 'overbought', 'allowShort']);
  // RSI(1) is 0 or 100 on every candle: a period of 2 is the shortest that measures anything.
  const n = period(id, p, 'period', 14, 2);
  const oversold = num(id, p, 'oversold', 30, { min: 0, max: 100, open: true, text: 'a number above 0 and below 100' });
  const overbought = num(id, p, 'overbought', 70, { min: 0, max: 100, open: true, text: 'a number above 0 and below 100' });
  if (oversold >= overbought) throw new RangeError(`${id}: oversold must be below overbought, got oversold ${oversold} and overbought ${overbought}`);
  const rsi = new RsiIndicator(n);
  let previous: number | null = null;
  return {
    id,
    onCandle(candle: Candle): StrategySignal | null {
      const current = rsi.add(candle);
      const before = previous;
      previous = current;
      if (current === null || before === null) return null;
      if (before < oversold && current >= oversold) return { action: 'LONG', reason: `RSI(${n}) ${f2(before)} → ${f2(current)} crossed up through ${oversold}` };
      if (before > overbought && current <= overbought) return shortOr(params, `RSI(${n}) ${f2(before)} → ${f2(current)} crossed down through ${overbought}`);
      return null;
    },
  };
}

export function emaCrossover(params?: StrategyParams): Strategy {
  const p = paramsOf('ema-crossover', params, ['fast', 'slow', 'allowShort']);
  // EMA(1) is the close itself: a fast period of 1 trades the close crossing the slow EMA.
  const fastPeriod = period('ema-crossover', p, 'fast', 9, 1);
  const slowPeriod = period('ema-crossover', p, 'slow', 21, 2);
  if (fastPeriod >= slowPeriod) throw new RangeError(`ema-crossover: fast must be shorter than slow, got fast ${fastPeriod} and slow ${slowPeriod}`);
  const fast = new EmaIndicator(fastPeriod);
  const slow = new EmaIndicator(slowPeriod);
  let previous: { fast: number; slow: number } | null = null;
  return {
    id: 'ema-crossover',
    onCandle(candle: Candle): StrategySignal | null {
      const f = fast.add(candle);
      const s = slow.add(candle);
      const before = previous;
      previous = f === null || s === null ? null : { fast: f, slow: s };
      if (f === null || s === null || before === null) return null;
      if (before.fast <= before.slow && f > s) return { action: 'LONG', reason: `EMA(${fastPeriod}) ${f2(f)} crossed above EMA(${slowPeriod}) ${f2(s)}` };
      if (before.fast >= before.slow && f < s) return shortOr(params, `EMA(${fastPeriod}) ${f2(f)} crossed below EMA(${slowPeriod}) ${f2(s)}`);
      return null;
    },
  };
}

export function bollingerBreakout(params?: StrategyParams): Strategy {
  const p = paramsOf('bollinger-breakout', params, ['period', 'deviations', 'allowShort']);
  // Over one close the deviation is 0 and the bands are the close: nothing breaks out of them.
  const n = period('bollinger-breakout', p, 'period', 20, 2);
  const widest = Math.sqrt(n - 1);
  const deviations = num('bollinger-breakout', p, 'deviations', 2, { min: 0, max: widest, open: true, text: `a number above 0 and below √(period − 1) = ${widest.toFixed(4)} for period ${n}` });
  const bands = new BollingerIndicator(n, deviations);
  let previous: { close: number; bands: Bands } | null = null;
  return {
    id: 'bollinger-breakout',
    onCandle(candle: Candle, _context: StrategyContext): StrategySignal | null {
      const b = bands.add(candle);
      const close = candleFloats(candle).close;
      const before = previous;
      previous = b === null ? null : { close, bands: b };
      if (b === null || before === null) return null;
      if (before.close <= before.bands.upper && close > b.upper) return { action: 'LONG', reason: `close ${candle.close} broke above the upper band ${f2(b.upper)}` };
      if (before.close >= before.bands.lower && close < b.lower) return shortOr(params, `close ${candle.close} broke below the lower band ${f2(b.lower)}`);
      return null;
    },
  };
}

registerStrategy('rsi-reversal', rsiReversal);
registerStrategy('ema-crossover', emaCrossover);
registerStrategy('bollinger-breakout', bollingerBreakout);
