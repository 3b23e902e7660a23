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
 */
import { candleFloats, type Candle } from './candles.js';
import { BollingerIndicator, EmaIndicator, RsiIndicator, type Bands } from './indicators.js';
import { registerStrategy, type Strategy, type StrategyContext, type StrategyParams, type StrategySignal } from './strategy.js';

function num(params: StrategyParams | undefined, key: string, fallback: number): number {
  const v = params?.[key];
  if (v === undefined) return fallback;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new TypeError(`strategy parameter ${key} must be a number`);
  return n;
}

function shortOr(params: StrategyParams | undefined, reason: string): StrategySignal {
  return params?.['allowShort'] === false ? { action: 'CLOSE', reason } : { action: 'SHORT', reason };
}

const f2 = (v: number): string => v.toFixed(2);

export function rsiReversal(params?: StrategyParams): Strategy {
  const period = num(params, 'period', 14);
  const oversold = num(params, 'oversold', 30);
  const overbought = num(params, 'overbought', 70);
  const rsi = new RsiIndicator(period);
  let previous: number | null = null;
  return {
    id: 'rsi-reversal',
    onCandle(candle: Candle): StrategySignal | null {
      const current = rsi.add(candle);
      const before = previous;
      previous = current;
      if (current === null || before === null) return null;
      if (before < oversold && current >= oversold) return { action: 'LONG', reason: `RSI(${period}) ${f2(before)} → ${f2(current)} crossed up through ${oversold}` };
      if (before > overbought && current <= overbought) return shortOr(params, `RSI(${period}) ${f2(before)} → ${f2(current)} crossed down through ${overbought}`);
      return null;
    },
  };
}

export function emaCrossover(params?: StrategyParams): Strategy {
  const fastPeriod = num(params, 'fast', 9);
  const slowPeriod = num(params, 'slow', 21);
  if (fastPeriod >= slowPeriod) throw new RangeError('ema-crossover: fast must be shorter than slow');
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
  const period = num(params, 'period', 20);
  const deviations = num(params, 'deviations', 2);
  const bands = new BollingerIndicator(period, deviations);
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
