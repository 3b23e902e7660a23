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
