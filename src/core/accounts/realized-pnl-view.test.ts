import { describe, expect, it } from 'vitest';
import { parseDecimal, showDecimal } from '../../test-kit/ledger-model.js';
import { Rng } from '../../test-kit/mulberry32.js';
import { realizedPnlByFill, type FillForPnl } from './realized-pnl-view.js';

const D = (text: string) => parseDecimal(text)!;
const ONE = 10n ** 18n;
/** n / d rounded half away from zero (d > 0). */
const halfUp = (n: bigint, d: bigint): bigint => (n < 0n ? -((-n + d / 2n) / d) : (n + d / 2n) / d);
const fill = (side: 'BUY' | 'SELL', quantity: string, price: string): FillForPnl => ({ symbol: 'BTCUSDT', side, quantity: D(quantity), price: D(price), fee: 0n, feeInBase: false });

describe('realized PnL from the fills: the average price is rounded once, as a position’s entry price is', () => {
  it('by hand: the average of 0.1 @ 1, 0.2 @ 2 and 0.3 @ 1, then a sale of 0.6 @ 2.000000000000000001', () => {
    // After two buys: (0.1 + 0.4) / 0.3 = 1.666666666666666666…7 → 1.666666666666666667.
    // After the third: (0.3 × 1.666666666666666667 + 0.3) / 0.6 = 0.8000000000000000001 / 0.6
    //   = 1.33333333333333333350 → 1.333333333333333334 (the product is exact, not rounded first).
    // The sale: 0.6 × (2.000000000000000001 − 1.333333333333333334) = 0.4000000000000000002 → 0.4.
    const spot = realizedPnlByFill([fill('BUY', '0.1', '1'), fill('BUY', '0.2', '2'), fill('BUY', '0.3', '1'), fill('SELL', '0.6', '2.000000000000000001')], 'spot');
    expect(spot.map((v) => (v === null ? null : showDecimal(v)))).toEqual([null, null, null, '0.4']);
    const futures = realizedPnlByFill([fill('BUY', '0.1', '1'), fill('BUY', '0.2', '2'), fill('BUY', '0.3', '1'), fill('SELL', '0.6', '2.000000000000000001')], 'futures');
    expect(futures.map((v) => (v === null ? null : showDecimal(v)))).toEqual([null, null, null, '0.4']);
  });

  it('equals the exact model over 20,000 random spot fills at real sizes (0.00001 BTC steps, cent prices)', () => {
    const rng = new Rng(42);
    const fills: FillForPnl[] = [];
    for (let i = 0; i < 20_000; i += 1) {
      const side = rng.next() < 0.55 ? 'BUY' : 'SELL';
      fills.push(fill(side, showDecimal(BigInt(rng.int(1, 50_000)) * 10n ** 13n), showDecimal(BigInt(rng.int(5_900_000, 6_300_000)) * 10n ** 16n)));
    }
    let held = 0n;
    let average = 0n;
    const expected = fills.map((f) => {
      if (f.side === 'BUY') {
        average = halfUp(held * average + f.quantity * f.price, held + f.quantity);
        held += f.quantity;
        return null;
      }
      const covered = f.quantity < held ? f.quantity : held;
      held -= covered;
      const realized = covered === 0n ? null : halfUp(covered * (f.price - average), ONE);
      if (held === 0n) average = 0n;
      return realized;
    });
    expect(realizedPnlByFill(fills, 'spot')).toEqual(expected);
  });
});

describe('realized PnL on spot when a buy pays its fee in the base asset', () => {
  const buy = (quantity: string, price: string, fee: string): FillForPnl => ({ symbol: 'BTCUSDT', side: 'BUY', quantity: D(quantity), price: D(price), fee: D(fee), feeInBase: true });
  const sell = (quantity: string, price: string): FillForPnl => ({ symbol: 'BTCUSDT', side: 'SELL', quantity: D(quantity), price: D(price), fee: D('0'), feeInBase: false });
  const shown = (values: Array<bigint | null>) => values.map((v) => (v === null ? null : showDecimal(v)));

  it('by hand: two buys at the same fee rate average to the prices paid, whatever the fee', () => {
    // Buy 1 @ 100, fee 0.001 BTC: holds 0.999 at 100.
    // Buy 1 @ 200, fee 0.001 BTC: holds 0.999 + 0.999 = 1.998, at (0.999 × 100 + 0.999 × 200) / 1.998 = 150.
    // Sell 1.998 @ 150: 1.998 × (150 − 150) = 0; sell at 151 instead: 1.998 × 1 = 1.998.
    // (Weighing the second lot gross beside the first net: (99.9 + 200) / 1.999 = 150.02501250625…,
    // and the sale at 150 would show −0.04997… instead of 0.)
    expect(shown(realizedPnlByFill([buy('1', '100', '0.001'), buy('1', '200', '0.001'), sell('1.998', '150')], 'spot'))).toEqual([null, null, '0']);
    expect(shown(realizedPnlByFill([buy('1', '100', '0.001'), buy('1', '200', '0.001'), sell('1.998', '151')], 'spot'))).toEqual([null, null, '1.998']);
  });

  it('by hand: a lot bought after part of the holding was sold weighs by the coins it added', () => {
    // Buy 0.01 @ 61836.81, fee 0.00001: holds 0.00999 at 61836.81.
    // Sell 0.005 @ 61836.8: realizes 0.005 × (61836.8 − 61836.81) = −0.00005; holds 0.00499.
    // Buy 0.002 @ 61843.25, fee 0.000002: adds 0.001998, holds 0.006988 at
    //   (0.00499 × 61836.81 + 0.001998 × 61843.25) / 0.006988 = (308.5656819 + 123.5628135) / 0.006988
    //   = 432.1284954 / 0.006988 = 61838.65131654264453348597…  → 61838.651316542644533486 (18 decimals, half-up).
    // Sell 0.001 @ 61843.24: 0.001 × (61843.24 − 61838.651316542644533486) = 0.004588683457355466514
    //   → 0.004588683457355467 (18 decimals, half-up).
    const pnl = realizedPnlByFill([buy('0.01', '61836.81', '0.00001'), sell('0.005', '61836.8'), buy('0.002', '61843.25', '0.000002'), sell('0.001', '61843.24')], 'spot');
    expect(shown(pnl)).toEqual([null, '-0.00005', null, '0.004588683457355467']);
  });
});
