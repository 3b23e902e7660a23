import fc from 'fast-check';
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

  it('gives, with trades added later (a bar close), the averages and the state of trades added at once', () => {
    // Oracle: a second AveragePrice fed the same trades through `add`, read at the same times.
    const trade = fc.record({ gapMs: fc.oneof(fc.integer({ min: 0, max: 30 }).map((s) => s * 1_000), fc.integer({ min: 0, max: 200_000 })), price: fc.integer({ min: 1, max: 10_000_000 }), quantity: fc.integer({ min: 0, max: 1_000_000 }), later: fc.integer({ min: 0, max: 9 }).map((n) => n > 0), read: fc.integer({ min: 0, max: 19 }).map((n) => n === 0) });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.array(trade, { maxLength: 300, size: 'max' }), (minutes, trades) => {
        const now = new AveragePrice(minutes);
        const later = new AveragePrice(minutes);
        let time = 1_700_000_000_000;
        for (const t of trades) {
          time += t.gapMs;
          const price = BigInt(t.price) * 10n ** 16n;
          const quantity = BigInt(t.quantity) * 10n ** 14n;
          now.add(time, price, quantity);
          if (t.later) later.addLater(time, price, quantity);
          else later.add(time, price, quantity);
          if (t.read) expect(later.at(time + t.gapMs)).toBe(now.at(time + t.gapMs));
        }
        expect(later.exportState()).toEqual(now.exportState());
        expect(later.at(time)).toBe(now.at(time));
      }),
      { numRuns: 300 },
    );
  });
});
