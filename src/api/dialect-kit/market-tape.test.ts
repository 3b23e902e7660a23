import { describe, expect, it } from 'vitest';
import { aggregateKlines, bucketOf, MarketTape, type TapeTrade } from './market-tape.js';

const t = (time: number, price: string, quantity: string, id = time): TapeTrade => ({ id, time, price, quantity, buyerMaker: false });

describe('the market tape and its klines', () => {
  it('aligns buckets to UTC minutes, hours, days, Monday weeks and calendar months', () => {
    const at = Date.UTC(2024, 7, 8, 23, 55, 30); // a Thursday
    expect(bucketOf(at, { ms: 60_000 })).toEqual([Date.UTC(2024, 7, 8, 23, 55), Date.UTC(2024, 7, 8, 23, 56)]);
    expect(bucketOf(at, { ms: 900_000 })).toEqual([Date.UTC(2024, 7, 8, 23, 45), Date.UTC(2024, 7, 9, 0, 0)]);
    expect(bucketOf(at, { ms: 4 * 3_600_000 })).toEqual([Date.UTC(2024, 7, 8, 20), Date.UTC(2024, 7, 9, 0)]);
    expect(bucketOf(at, { ms: 86_400_000 })).toEqual([Date.UTC(2024, 7, 8), Date.UTC(2024, 7, 9)]);
    expect(bucketOf(at, 'week')).toEqual([Date.UTC(2024, 7, 5), Date.UTC(2024, 7, 12)]);
    expect(bucketOf(at, 'month')).toEqual([Date.UTC(2024, 7, 1), Date.UTC(2024, 8, 1)]);
  });

  it('aggregates open, high, low, close, volume and quote volume exactly, skipping empty buckets', () => {
    const m = Date.UTC(2024, 0, 1);
    const rows = aggregateKlines([t(m + 1, '10.1', '0.3'), t(m + 2, '10.5', '0.1'), t(m + 59_999, '9.9', '1'), t(m + 180_000, '11', '2')], { ms: 60_000 });
    expect(rows).toEqual([
      [m, '10.1', '10.5', '9.9', '9.9', '1.4', m + 60_000, '13.98'],
      [m + 180_000, '11', '11', '11', '11', '2', m + 240_000, '22'],
    ]);
  });

  it('keeps trades per symbol and fills per account, dropping the oldest beyond its capacity', () => {
    const tape = new MarketTape(8);
    for (let i = 0; i < 30; i += 1) tape.observe([], { kind: 'trade', time: i, symbol: 'BTCUSDT', tradeId: i, price: '1', quantity: '1', buyerMaker: true });
    const kept = tape.tradesOf('BTCUSDT');
    expect(kept.length).toBeGreaterThanOrEqual(8);
    expect(kept.length).toBeLessThanOrEqual(9);
    expect(kept.at(-1)!.id).toBe(29);
    expect(tape.tradesOf('ETHUSDT')).toEqual([]);
  });
});
