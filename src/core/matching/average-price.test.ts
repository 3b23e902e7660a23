import { describe, expect, it } from 'vitest';
import { formatFixed, parseFixed as d } from '../money/fixed.js';
import { AveragePrice } from './average-price.js';

describe('the average price the bands refer to (Binance avgPrice)', () => {
  it('is Σ price × qty / Σ qty over the window, falls back to the last trade when the window is empty, and is unknown before any trade', () => {
    const avg = new AveragePrice(1);
    expect(avg.at(0)).toBeUndefined();
    avg.add(1_000, d('100'), d('1'));
    avg.add(1_500, d('110'), d('3'));
    // (100 × 1 + 110 × 3) / 4 = 430 / 4 = 107.5
    expect(formatFixed(avg.at(1_500)!)).toBe('107.5');
    avg.add(2_000, d('200'), d('1'));
    // At 60.999 s the one-minute window holds seconds 1…60: (430 + 200) / 5 = 126.
    expect(formatFixed(avg.at(60_999)!)).toBe('126');
    // At 61 s second 1 has left: 200 / 1.
    expect(formatFixed(avg.at(61_000)!)).toBe('200');
    // No trade in seconds 63…122: the last trade's price, as Binance goes back to the last trade.
    expect(formatFixed(avg.at(122_000)!)).toBe('200');
  });

  it('truncates the quotient to 18 decimals: 1 at 1 and 2 at 2 average 5/3', () => {
    const avg = new AveragePrice(5);
    avg.add(0, d('1'), d('1'));
    avg.add(10, d('2'), d('2'));
    expect(formatFixed(avg.at(10)!)).toBe('1.666666666666666666');
  });

  it('with a window of 0 minutes is the last trade price', () => {
    const avg = new AveragePrice(0);
    avg.add(0, d('1'), d('1'));
    avg.add(10, d('3'), d('1'));
    expect(formatFixed(avg.at(10)!)).toBe('3');
  });

  it('restores exactly from its exported state and keeps no more than the window', () => {
    const avg = new AveragePrice(5);
    for (let s = 0; s < 1_000; s += 1) avg.add(s * 1_000, d(String(100 + (s % 7))), d('0.5'));
    const state = avg.exportState();
    expect(state.buckets.length).toBe(300);
    const copy = new AveragePrice(5);
    copy.importState(JSON.parse(JSON.stringify(state, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)), (_k, v: unknown) => (typeof v === 'string' && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v)));
    expect(copy.at(999_000)).toBe(avg.at(999_000));
  });
});
