import { describe, expect, it } from 'vitest';
import { decimalString, diffSide, isCrossed, viewOf } from './book-state.js';

describe('ccxt book views', () => {
  it('writes ccxt floats as plain decimal strings, never in exponent notation', () => {
    expect(decimalString(61837.63)).toBe('61837.63');
    expect(decimalString(1e-7)).toBe('0.0000001');
    expect(decimalString(1.5e-8)).toBe('0.000000015');
    expect(decimalString(2e21)).toBe('2000000000000000000000');
    expect(decimalString(0)).toBe('0');
    expect(decimalString('0.10')).toBe('0.10');
    expect(() => decimalString(Number.NaN)).toThrow(RangeError);
  });

  it('takes nonce, time and levels from a ccxt book and drops empty levels', () => {
    const view = viewOf({ bids: [[10, 1], [9, 0]], asks: [[11, 2]], nonce: 42, timestamp: 1000 });
    expect(view).toEqual({ time: 1000, nonce: 42, bids: new Map([['10', '1']]), asks: new Map([['11', '2']]) });
    expect(viewOf({ bids: [], asks: [] })).toMatchObject({ time: undefined, nonce: undefined });
  });

  it('a diff lists changed and new levels, and removed ones with size 0', () => {
    const before = new Map([['10', '1'], ['9', '2'], ['8', '3']]);
    const after = new Map([['10', '1'], ['9', '2.5'], ['7', '1']]);
    expect(diffSide(before, after)).toEqual([['9', '2.5'], ['7', '1'], ['8', '0']]);
    expect(diffSide(after, after)).toEqual([]);
  });

  it('a book whose best bid reaches the best ask is crossed', () => {
    expect(isCrossed(viewOf({ bids: [[10, 1]], asks: [[11, 1]] }))).toBe(false);
    expect(isCrossed(viewOf({ bids: [[11, 1]], asks: [[11, 1]] }))).toBe(true);
    expect(isCrossed(viewOf({ bids: [], asks: [[11, 1]] }))).toBe(false);
  });
});
