/**
 * `breakEvenPrice` = entry − (realized PnL − fees) / signed size, rounded once, half-up, to 8
 * decimals. Oracles: a live Binance USD-M positionRisk answer (a long of 0.003 BTCUSDT entered at
 * 37140.0 showing breakEvenPrice 37147.428: its 0.02 % opening fee, 37140 × 0.003 × 0.0002 =
 * 0.022284, spread over 0.003) and sums done by hand.
 */
import { describe, expect, it } from 'vitest';
import { usdmBreakEvenPrice } from './usdm-break-even.js';

describe('usdmBreakEvenPrice', () => {
  it("matches Binance's live answer for a long that paid its opening fee", () => {
    // 37140 − (−0.022284) / 0.003 = 37140 + 7.428.
    expect(usdmBreakEvenPrice({ size: '0.003', entryPrice: '37140', realizedPnl: '-0.022284' })).toBe('37147.428');
  });

  it("lowers a short's: fees are a cost the price must fall further to cover", () => {
    // 37140 − (−0.022284) / (−0.003) = 37140 − 7.428.
    expect(usdmBreakEvenPrice({ size: '-0.003', entryPrice: '37140', realizedPnl: '-0.022284' })).toBe('37132.572');
  });

  it('moves by a partial close’s profit (Binance: total cost less total gained, over the size held)', () => {
    // Long 2 at 100 (fee 0.1), 1 sold at 110 (fee 0.055): realized 10 − 0.155 = 9.845 → 100 − 9.845 / 1 = 90.155.
    expect(usdmBreakEvenPrice({ size: '1', entryPrice: '100', realizedPnl: '9.845' })).toBe('90.155');
  });

  it('rounds once, half-up, at 8 decimals', () => {
    // 100 + 0.01 / 0.003 = 103.3333333333… → 103.33333333.
    expect(usdmBreakEvenPrice({ size: '0.003', entryPrice: '100', realizedPnl: '-0.01' })).toBe('103.33333333');
    // 100 + 0.000000005 / 1 = 100.000000005 → half-up: 100.00000001.
    expect(usdmBreakEvenPrice({ size: '1', entryPrice: '100', realizedPnl: '-0.000000005' })).toBe('100.00000001');
    // A short the same: 100 − 0.000000005 / 1 = 99.999999995 → 100 (half-up, away from zero).
    expect(usdmBreakEvenPrice({ size: '-1', entryPrice: '100', realizedPnl: '-0.000000005' })).toBe('100');
  });

  it('is 0 flat, and the entry where the source states no realized figure', () => {
    expect(usdmBreakEvenPrice({ size: '0', entryPrice: '0' })).toBe('0');
    expect(usdmBreakEvenPrice({ size: '0.5', entryPrice: '61000.1' })).toBe('61000.1');
  });
});
