import { describe, expect, it } from 'vitest';
import { TradeCandles } from './trade-candles.js';

const T0 = 1_723_161_240_000; // 2024-08-08 23:54:00 UTC, a minute (and 1m/2m…) boundary
const trade = (second: number, tradeId: number, price: string, quantity = '1') => ({ time: T0 + second * 1000, tradeId, price, quantity });

describe('candles from the trade tape', () => {
  it('opens at the first trade, closes at the last, and sums the quantities of each minute', () => {
    const c = new TradeCandles();
    for (const t of [trade(1, 1, '100.5', '0.2'), trade(20, 2, '101', '0.3'), trade(59, 3, '99.25', '0.5'), trade(61, 4, '99.5', '2')]) c.add('BTCUSDT', t);
    expect(c.candles('BTCUSDT', 60_000, 10)).toEqual([
      { openTime: T0, open: '100.5', high: '101', low: '99.25', close: '99.25', volume: '1', trades: 3 },
      { openTime: T0 + 60_000, open: '99.5', high: '99.5', low: '99.5', close: '99.5', volume: '2', trades: 1 },
    ]);
  });

  it('counts a trade once when a backfill and the live stream overlap, and drops one older than the last', () => {
    const c = new TradeCandles();
    expect(c.add('BTCUSDT', trade(1, 10, '100'))).toBe(true);
    expect(c.add('BTCUSDT', trade(2, 11, '101'))).toBe(true);
    expect(c.add('BTCUSDT', trade(2, 11, '101'))).toBe(false);
    expect(c.add('BTCUSDT', trade(1, 10, '100'))).toBe(false);
    expect(c.add('BTCUSDT', trade(2, 12, '102'))).toBe(true);
    expect(c.candles('BTCUSDT', 60_000, 1)[0]).toMatchObject({ open: '100', high: '102', close: '102', volume: '3', trades: 3 });
  });

  it('rolls minutes up into epoch-aligned intervals, a gap leaving no candle, and returns the last ones asked for', () => {
    const c = new TradeCandles();
    // Minutes 0, 1, 2, 3 and 7 (4 to 6 without trades) after 23:54; 5-minute boundaries at 23:55 and 00:00.
    for (const [i, m] of [0, 1, 2, 3, 7].entries()) c.add('BTCUSDT', trade(m * 60 + 5, i, String(100 + m)));
    expect(c.candles('BTCUSDT', 300_000, 10)).toEqual([
      { openTime: T0 - 240_000, open: '100', high: '100', low: '100', close: '100', volume: '1', trades: 1 },
      { openTime: T0 + 60_000, open: '101', high: '103', low: '101', close: '103', volume: '3', trades: 3 },
      { openTime: T0 + 360_000, open: '107', high: '107', low: '107', close: '107', volume: '1', trades: 1 },
    ]);
    expect(c.candles('BTCUSDT', 60_000, 2).map((k) => k.close)).toEqual(['103', '107']);
    expect(c.candles('ETHUSDT', 60_000, 2)).toEqual([]);
    expect(() => c.candles('BTCUSDT', 90_000, 2)).toThrow(RangeError);
  });

  it('keeps at most the bars it was given room for', () => {
    const c = new TradeCandles(3);
    for (let m = 0; m < 5; m += 1) c.add('BTCUSDT', trade(m * 60, m, String(100 + m)));
    expect(c.candles('BTCUSDT', 60_000, 10).map((k) => k.open)).toEqual(['102', '103', '104']);
  });
});
