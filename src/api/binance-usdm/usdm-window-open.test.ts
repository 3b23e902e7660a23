/**
 * USD-M's 24-hour ticker window starts on a minute, 24 hours before it closes: Binance's published
 * example of `GET /fapi/v1/ticker/24hr` (closeTime 1591268346682, openTime 1591181940000) is the oracle.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { usdmWindowOpen } from './usdm-market-routes.js';

describe('usdmWindowOpen', () => {
  it("gives Binance's example: closeTime 1591268346682 opens at 1591181940000", () => {
    expect(usdmWindowOpen(1_591_268_346_682)).toBe(1_591_181_940_000);
  });

  it('opens on the minute holding closeTime − 24 h, at most a minute before it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 86_400_000, max: 4_102_444_800_000 }), (closeTime) => {
        const open = usdmWindowOpen(closeTime);
        const dayBefore = closeTime - 86_400_000;
        expect(open % 60_000).toBe(0);
        expect(open <= dayBefore && dayBefore < open + 60_000).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });
});
