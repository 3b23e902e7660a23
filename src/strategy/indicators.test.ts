import { describe, expect, it } from 'vitest';
import { candlesFile } from '../test-kit/data-paths.js';
import { readCandlesFile } from './candles.js';
import { AtrIndicator, EmaIndicator } from './indicators.js';

describe('indicator wrappers', () => {
  it("ATR equals Wilder's average true range on real candles (stops sized in ATR multiples rely on it)", () => {
    const candles = readCandlesFile(candlesFile('bitfinex_btcusd_1h.csv'));
    const n = 14;
    const atr = new AtrIndicator(n);
    let avg = 0;
    for (const [i, c] of candles.entries()) {
      const [h, l] = [Number(c.high), Number(c.low)];
      const prev = i > 0 ? Number(candles[i - 1]!.close) : undefined;
      const tr = prev === undefined ? h - l : Math.max(h - l, Math.abs(h - prev), Math.abs(l - prev));
      avg = i < n ? avg + tr / n : (avg * (n - 1) + tr) / n;
      const value = atr.add(c);
      if (i < n - 1) expect(value).toBeNull();
      else expect(value).toBeCloseTo(avg, 6);
    }
  });

  it('EMA is seeded with the first close, weighs each close 2 / (n + 1), and is given from the n-th close on', () => {
    const candles = readCandlesFile(candlesFile('bitfinex_btcusd_1h.csv'));
    const n = 9;
    const k = 2 / (n + 1);
    const ema = new EmaIndicator(n);
    let reference = 0;
    for (const [i, c] of candles.entries()) {
      const close = Number(c.close);
      reference = i === 0 ? close : close * k + reference * (1 - k);
      const value = ema.add(c);
      if (i < n - 1) expect(value).toBeNull();
      else expect(value).toBeCloseTo(reference, 6);
    }
  });
});
