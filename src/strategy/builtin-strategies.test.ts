import { describe, expect, it } from 'vitest';
import { candlesFile } from '../test-kit/data-paths.js';
import { readCandlesFile, type Candle } from './candles.js';
import { createStrategy, ClosedCandles } from './strategy.js';
import './builtin-strategies.js';

const FILES = ['coinbase_btcusd_1m_20171217.csv', 'bybit_linear_btcusdt_perp_1m_20221213.csv', 'coinbase_btcusd_1m_20180404_20180406.csv', 'bitfinex_btcusd_1h.csv', 'coinbase_btcusd_1d.csv'];
const load = (f: string) => readCandlesFile(candlesFile(f));

type Sig = [index: number, action: string];

function viaLibrary(id: string, candles: readonly Candle[], params?: Record<string, unknown>): Sig[] {
  const strategy = createStrategy(id, params);
  const view = new ClosedCandles();
  const out: Sig[] = [];
  for (const [i, c] of candles.entries()) {
    view.push(c);
    const s = strategy.onCandle(c, { symbol: 'BTCUSDT', candles: view, position: 'FLAT' });
    if (s) out.push([i, s.action]);
  }
  return out;
}

// ---- independent float re-implementations (textbook formulas, no trading-signals) ----

function rsiSeries(closes: number[], n: number): (number | null)[] {
  const out: (number | null)[] = closes.map(() => null);
  let gain = 0;
  let loss = 0;
  for (let i = 1; i < closes.length; i += 1) {
    const d = closes[i]! - closes[i - 1]!;
    const g = d > 0 ? d : 0;
    const l = d > 0 ? 0 : -d;
    if (i <= n) {
      gain += g / n;
      loss += l / n;
      if (i < n) continue;
    } else {
      gain = (gain * (n - 1) + g) / n;
      loss = (loss * (n - 1) + l) / n;
    }
    out[i] = loss === 0 ? 100 : 100 - 100 / (1 + gain / loss);
  }
  return out;
}

function emaSeries(closes: number[], n: number): (number | null)[] {
  const k = 2 / (n + 1);
  let e = closes[0]!;
  return closes.map((c, i) => {
    e = i === 0 ? c : c * k + e * (1 - k);
    return i >= n - 1 ? e : null;
  });
}

function bands(closes: number[], n: number, m: number): ({ lower: number; upper: number } | null)[] {
  return closes.map((_, i) => {
    if (i < n - 1) return null;
    const w = closes.slice(i - n + 1, i + 1);
    const mean = w.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    return { lower: mean - m * sd, upper: mean + m * sd };
  });
}

function rsiSignals(closes: number[], n = 14, lo = 30, hi = 70): Sig[] {
  const r = rsiSeries(closes, n);
  const out: Sig[] = [];
  for (let i = 1; i < r.length; i += 1) {
    const a = r[i - 1];
    const b = r[i];
    if (a == null || b == null) continue;
    if (a < lo && b >= lo) out.push([i, 'LONG']);
    else if (a > hi && b <= hi) out.push([i, 'SHORT']);
  }
  return out;
}

function emaSignals(closes: number[], fast = 9, slow = 21): Sig[] {
  const f = emaSeries(closes, fast);
  const s = emaSeries(closes, slow);
  const out: Sig[] = [];
  for (let i = 1; i < closes.length; i += 1) {
    const [f0, s0, f1, s1] = [f[i - 1], s[i - 1], f[i], s[i]];
    if (f0 == null || s0 == null || f1 == null || s1 == null) continue;
    if (f0 <= s0 && f1 > s1) out.push([i, 'LONG']);
    else if (f0 >= s0 && f1 < s1) out.push([i, 'SHORT']);
  }
  return out;
}

function bollingerSignals(closes: number[], n = 20, m = 2): Sig[] {
  const b = bands(closes, n, m);
  const out: Sig[] = [];
  for (let i = 1; i < closes.length; i += 1) {
    const p = b[i - 1];
    const c = b[i];
    if (p == null || c == null) continue;
    if (closes[i - 1]! <= p.upper && closes[i]! > c.upper) out.push([i, 'LONG']);
    else if (closes[i - 1]! >= p.lower && closes[i]! < c.lower) out.push([i, 'SHORT']);
  }
  return out;
}

describe('built-in strategies match an independent computation on real candles', () => {
  for (const file of FILES) {
    const candles = load(file);
    const closes = candles.map((c) => Number(c.close));

    it(`rsi-reversal signals equal Wilder's RSI crosses on ${file}`, () => {
      const expected = rsiSignals(closes);
      expect(expected.length).toBeGreaterThan(0);
      expect(viaLibrary('rsi-reversal', candles)).toEqual(expected);
      expect(viaLibrary('rsi-reversal', candles, { period: 7, oversold: 25, overbought: 75 })).toEqual(rsiSignals(closes, 7, 25, 75));
    });

    it(`ema-crossover signals equal EMA(9)/EMA(21) crosses on ${file}`, () => {
      const expected = emaSignals(closes);
      expect(expected.length).toBeGreaterThan(0);
      expect(viaLibrary('ema-crossover', candles)).toEqual(expected);
      expect(viaLibrary('ema-crossover', candles, { fast: 5, slow: 30 })).toEqual(emaSignals(closes, 5, 30));
    });

    it(`bollinger-breakout signals equal band breakouts on ${file}`, () => {
      const expected = bollingerSignals(closes);
      expect(expected.length).toBeGreaterThan(0);
      expect(viaLibrary('bollinger-breakout', candles)).toEqual(expected);
      expect(viaLibrary('bollinger-breakout', candles, { period: 10, deviations: 1.5 })).toEqual(bollingerSignals(closes, 10, 1.5));
    });
  }

  it('allowShort: false turns short signals into CLOSE', () => {
    const candles = load(FILES[0]!);
    const actions = new Set(viaLibrary('rsi-reversal', candles, { allowShort: false }).map(([, a]) => a));
    expect(actions).toEqual(new Set(['LONG', 'CLOSE']));
  });
});

describe('built-in strategies refuse parameters they could not trade on, naming the parameter, the value and the range', () => {
  const refused: [id: string, params: unknown, message: RegExp][] = [
    ['rsi-reversal', { period: -5 }, /rsi-reversal: period must be a whole number from 2 to 100000, got -5$/],
    ['rsi-reversal', { period: 0 }, /period must be a whole number from 2 to 100000, got 0$/],
    ['rsi-reversal', { period: 1 }, /period must be a whole number from 2 to 100000, got 1$/],
    ['rsi-reversal', { period: 1.5 }, /period must be a whole number from 2 to 100000, got 1\.5$/],
    ['rsi-reversal', { period: Number.NaN }, /period must be a whole number from 2 to 100000, got NaN$/],
    ['rsi-reversal', { period: Number.POSITIVE_INFINITY }, /period must be a whole number from 2 to 100000, got Infinity$/],
    ['rsi-reversal', { period: '14' }, /period must be a whole number from 2 to 100000, got "14"$/],
    ['rsi-reversal', { period: 100_001 }, /period must be a whole number from 2 to 100000, got 100001$/],
    ['rsi-reversal', { oversold: 0 }, /oversold must be a number above 0 and below 100, got 0$/],
    ['rsi-reversal', { overbought: 100 }, /overbought must be a number above 0 and below 100, got 100$/],
    ['rsi-reversal', { oversold: -10 }, /oversold must be a number above 0 and below 100, got -10$/],
    ['rsi-reversal', { oversold: 70 }, /oversold must be below overbought, got oversold 70 and overbought 70$/],
    ['rsi-reversal', { oversold: 80, overbought: 20 }, /oversold must be below overbought, got oversold 80 and overbought 20$/],
    ['rsi-reversal', { perod: 5 }, /unknown parameter perod \(its parameters: period, oversold, overbought, allowShort\)/],
    ['rsi-reversal', { allowShort: 'no' }, /allowShort must be true or false, got "no"$/],
    ['rsi-reversal', 14, /strategy parameters must be an object, got 14$/],
    ['ema-crossover', { fast: 0 }, /ema-crossover: fast must be a whole number from 1 to 100000, got 0$/],
    ['ema-crossover', { fast: -5, slow: 3 }, /fast must be a whole number from 1 to 100000, got -5$/],
    ['ema-crossover', { slow: 1, fast: 1 }, /slow must be a whole number from 2 to 100000, got 1$/],
    ['ema-crossover', { fast: 2.5 }, /fast must be a whole number from 1 to 100000, got 2\.5$/],
    ['ema-crossover', { fast: 21 }, /fast must be shorter than slow, got fast 21 and slow 21$/],
    ['ema-crossover', { fast: 30, slow: 10 }, /fast must be shorter than slow, got fast 30 and slow 10$/],
    ['bollinger-breakout', { period: 1 }, /bollinger-breakout: period must be a whole number from 2 to 100000, got 1$/],
    ['bollinger-breakout', { deviations: 0 }, /deviations must be a number above 0 and below √\(period − 1\) = 4\.3589 for period 20, got 0$/],
    ['bollinger-breakout', { deviations: -1 }, /deviations must be .* got -1$/],
    ['bollinger-breakout', { deviations: Number.NaN }, /deviations must be .* got NaN$/],
    // The default of 2 deviations is already as wide as a window of 5 closes allows.
    ['bollinger-breakout', { period: 5 }, /deviations must be a number above 0 and below √\(period − 1\) = 2\.0000 for period 5, got 2 \(the default\)$/],
  ];
  for (const [id, params, message] of refused) {
    const title = typeof params === 'object' && params !== null ? Object.entries(params).map(([k, v]) => `${k} ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`).join(', ') : String(params);
    it(`${id}: ${title}`, () => {
      expect(() => createStrategy(id, params as Record<string, unknown>)).toThrow(message);
    });
  }

  it('the edges of each range are accepted and trade', () => {
    const candles = load(FILES[0]!);
    const closes = candles.map((c) => Number(c.close));
    expect(viaLibrary('rsi-reversal', candles, { period: 2, oversold: 0.5, overbought: 99.5 })).toEqual(rsiSignals(closes, 2, 0.5, 99.5));
    // EMA(1) is the close: the close crossing the slow EMA.
    expect(viaLibrary('ema-crossover', candles, { fast: 1, slow: 2 })).toEqual(emaSignals(closes, 1, 2));
    expect(viaLibrary('ema-crossover', candles, { fast: 1, slow: 2 }).length).toBeGreaterThan(0);
  });

  it('bands just under √(period − 1) deviations are broken by the widest move a window allows, bands at it never are', () => {
    // Closes 100, 100, 100, 100, 100, 200 over a window of 5: mean (4 × 100 + 200) / 5 = 120; population
    // variance (4 × 20² + 80²) / 5 = 1600, σ = 40; the close 200 is (200 − 120) / 40 = 2 = √(5 − 1) σ above the mean.
    // With 1.99 deviations the upper band is 120 + 1.99 × 40 = 199.6 < 200: a breakout; with 2 it would be 200, never below a close.
    const candles = [100, 100, 100, 100, 100, 200].map((c, i) => ({ openTime: i * 60_000, open: String(c), high: String(c), low: String(c), close: String(c), volume: '1' }));
    expect(viaLibrary('bollinger-breakout', candles, { period: 5, deviations: 1.99 })).toEqual([[5, 'LONG']]);
    expect(() => createStrategy('bollinger-breakout', { period: 5, deviations: 2 })).toThrow(/below √\(period − 1\) = 2\.0000 for period 5, got 2$/);
  });
});
