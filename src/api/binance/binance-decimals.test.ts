import { describe, expect, it } from 'vitest';
import { parseFixed } from '../../core/money/fixed.js';
import { binanceAverage, binanceDecimal } from './binance-decimals.js';

describe("Binance Spot's market data decimals", () => {
  it('pads prices and quantities to 8 decimals, as the examples of rest-api.md print them', () => {
    expect(binanceDecimal('4.000002')).toBe('4.00000200');
    expect(binanceDecimal('431')).toBe('431.00000000');
    expect(binanceDecimal('0')).toBe('0.00000000');
    expect(binanceDecimal('61826.01000000')).toBe('61826.01000000');
    expect(binanceDecimal(parseFixed('-94.999998'))).toBe('-94.99999800');
  });

  it('keeps every digit of an exact figure finer than 8 decimals: formatting never rounds', () => {
    expect(binanceDecimal('0.000000012')).toBe('0.000000012');
    expect(binanceDecimal(parseFixed('1.123456789'))).toBe('1.123456789');
  });

  it('rounds a derived average half-up to 8 decimals first', () => {
    // 12841.56 / 0.21 = 61150.2857142857…: the ninth decimal is 5 → up.
    expect(binanceAverage(parseFixed('61150.285714285714285714'))).toBe('61150.28571429');
    expect(binanceAverage(parseFixed('9.357518335'))).toBe('9.35751834');
    expect(binanceAverage(parseFixed('9.357518334999'))).toBe('9.35751833');
  });
});
