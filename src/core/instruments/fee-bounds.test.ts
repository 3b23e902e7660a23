import { describe, expect, it } from 'vitest';
import { parseFixed } from '../money/fixed.js';
import { feeRateProblem, feeTextProblem, MAX_FEE_RATE } from './fee-bounds.js';

const d = parseFixed;

describe('fee bounds', () => {
  it('the bound is one per cent', () => {
    expect(MAX_FEE_RATE).toBe(10n ** 16n);
  });

  it('accepts the exchanges\' published schedules', () => {
    // Binance spot 0.1 % / 0.1 %, Binance USD-M 0.02 % / 0.05 %, MEXC spot 0 % / 0.05 %.
    for (const [maker, taker] of [['0.001', '0.001'], ['0.0002', '0.0005'], ['0', '0.0005']] as const) {
      expect(feeRateProblem({ maker: d(maker), taker: d(taker) })).toBeUndefined();
    }
  });

  it('accepts exactly 1 % and a rebate as large as the taker fee', () => {
    expect(feeRateProblem({ maker: d('0.01'), taker: d('0.01') })).toBeUndefined();
    expect(feeRateProblem({ maker: d('-0.0005'), taker: d('0.0005') })).toBeUndefined();
  });

  it('refuses a rate above 1 %, naming the field', () => {
    expect(feeRateProblem({ taker: d('2') })).toMatchObject({ field: 'taker' });
    expect(feeRateProblem({ maker: d('2') })).toMatchObject({ field: 'maker' });
    expect(feeRateProblem({ taker: d('0.010000000000000001') })).toMatchObject({ field: 'taker' });
    expect(feeRateProblem({ maker: d('-0.02'), taker: d('0.01') })).toMatchObject({ field: 'maker' });
  });

  it('refuses a negative taker fee and a rebate larger than the taker fee', () => {
    expect(feeRateProblem({ taker: d('-0.0001') })).toMatchObject({ field: 'taker' });
    expect(feeRateProblem({ maker: d('-0.0006'), taker: d('0.0005') })).toMatchObject({ field: 'maker', message: expect.stringMatching(/rebate/) });
  });

  it('compares a lone rebate with the instrument\'s default taker fee', () => {
    const defaults = { maker: d('0'), taker: d('0.0005') };
    expect(feeRateProblem({ maker: d('-0.0005') }, defaults)).toBeUndefined();
    expect(feeRateProblem({ maker: d('-0.0006') }, defaults)).toMatchObject({ field: 'maker' });
  });

  it('reads decimal strings and refuses text that is not one', () => {
    expect(feeTextProblem({ maker: '0.0002', taker: '0.0005' })).toBeUndefined();
    expect(feeTextProblem({ taker: 'lots' })).toMatchObject({ field: 'taker' });
    expect(feeTextProblem({ maker: '2' })).toMatchObject({ field: 'maker' });
  });
});
