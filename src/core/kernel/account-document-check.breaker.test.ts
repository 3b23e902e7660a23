/**
 * An exported futures account must import again as it is: funding takes an isolated position's
 * funding from its margin (futures-risk.ts), so the export's margin is size × entry / leverage less
 * the funding paid, and the import check must read that funding as the amount it is.
 */
import { describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';
import type { KernelEvent } from './events.js';

const recording = loadRecording(USDM_RECORDING);
type Doc = { account: { positions: Array<{ margin: { $n: string }; totalFundingPaid: { $n: string }; size: { $n: string }; entryPrice: { $n: string }; leverage: number }> } };

function roundTrip(setup: (s: RecordingStepper) => void): { doc: Doc; imported: KernelEvent[]; s: RecordingStepper } {
  const s = new RecordingStepper(recording);
  s.advanceTo(1723161300000);
  setup(s);
  const document = s.kernel.exportAccount('f')!;
  const imported = s.handle({ kind: 'account.import', time: s.kernel.now, document, account: 'copy' });
  return { doc: JSON.parse(document) as Doc, imported, s };
}

describe('an export with funding on its position imports again', () => {
  for (const [mode, side, leverage, rate] of [
    ['isolated', 'BUY', 10, '0.001'], // the long pays 0.1 % of ~123.6 USDT: ~0.1236 USDT out of its margin
    ['isolated', 'SELL', 10, '0.001'], // the short receives it into its margin
    ['isolated', 'SELL', 1, '0.001'], // at 1x the received funding takes the margin past size × entry
    ['cross', 'BUY', 10, '0.001'],
    ['cross', 'SELL', 10, '0.001'],
  ] as const) {
    it(`${mode} ${side} at ${leverage}x after funding at ${rate}`, () => {
      const { doc, imported, s } = roundTrip((k) => {
        k.handle({ kind: 'account.open', time: k.kernel.now, account: 'f', type: 'futures', marginMode: mode, leverage, balances: { USDT: '1000' } });
        const placed = k.handle({ kind: 'order.place', time: k.kernel.now, account: 'f', symbol: k.symbol, side, type: 'MARKET', quantity: '0.002' });
        expect(placed.filter((e) => e.type !== 'FILL' && e.type.includes('REJECT'))).toEqual([]);
        expect(placed.some((e) => e.type === 'FILL')).toBe(true);
        const funded = k.handle({ kind: 'funding', time: k.kernel.now, symbol: k.symbol, rate });
        expect(funded.filter((e) => e.type === 'FUNDING')).toHaveLength(1);
      });
      const p = doc.account.positions[0]!;
      expect(BigInt(p.totalFundingPaid.$n)).not.toBe(0n);
      expect(imported).toEqual([expect.objectContaining({ type: 'ACCOUNT_IMPORTED', account: 'copy' }), expect.objectContaining({ type: 'EQUITY', account: 'copy' })]);
      expect(s.kernel.balances('copy')).toEqual(s.kernel.balances('f'));
      s.kernel.checkInvariants();
    });
  }
});

describe('an export of a position the engine let open imports again', () => {
  it('a 125x short sold by a limit below the bid: checked at its limit price (0.84 × 59,000 = 49,560 ≤ 50,000), filled at the bids', () => {
    const { doc, imported, s } = roundTrip((k) => {
      k.handle({ kind: 'account.open', time: k.kernel.now, account: 'f', type: 'futures', marginMode: 'isolated', leverage: 125, balances: { USDT: '5000' } });
      const placed = k.handle({ kind: 'order.place', time: k.kernel.now, account: 'f', symbol: k.symbol, side: 'SELL', type: 'LIMIT', quantity: '0.84', price: '59000' });
      expect(placed.filter((e) => e.type.includes('REJECT'))).toEqual([]);
    });
    const p = doc.account.positions[0]!;
    expect(p.size.$n).toBe('-840000000000000000');
    // The fills were at the bids, above 59,523.8 (50,000 / 0.84): past the 125x bracket's cap at the entry.
    expect((BigInt(p.entryPrice.$n) * 84n) / 100n).toBeGreaterThan(50_000n * 10n ** 18n);
    expect(imported).toEqual([expect.objectContaining({ type: 'ACCOUNT_IMPORTED', account: 'copy' }), expect.objectContaining({ type: 'EQUITY', account: 'copy' })]);
    expect(s.kernel.balances('copy')).toEqual(s.kernel.balances('f'));
  });
});

describe('exports after leverage changes, partial closes and liquidations import again', () => {
  const cases: Array<[string, 'isolated' | 'cross', number, (k: RecordingStepper) => void]> = [
    ['isolated 10x → 50x (the margin of 10x stays)', 'isolated', 10, (k) => expect(k.handle({ kind: 'leverage.set', time: k.kernel.now, account: 'f', symbol: k.symbol, leverage: 50 }).map((e) => e.type)).toContain('LEVERAGE_SET')],
    ['cross 10x → 3x (margin size × entry / 3)', 'cross', 10, (k) => expect(k.handle({ kind: 'leverage.set', time: k.kernel.now, account: 'f', symbol: k.symbol, leverage: 3 }).map((e) => e.type)).toContain('LEVERAGE_SET')],
    ['cross 10x → 125x', 'cross', 10, (k) => expect(k.handle({ kind: 'leverage.set', time: k.kernel.now, account: 'f', symbol: k.symbol, leverage: 125 }).map((e) => e.type)).toContain('LEVERAGE_SET')],
    ['isolated, a third closed', 'isolated', 7, (k) => expect(k.handle({ kind: 'order.place', time: k.kernel.now, account: 'f', symbol: k.symbol, side: 'SELL', type: 'MARKET', quantity: '0.001', reduceOnly: true }).map((e) => e.type)).toContain('FILL')],
    ['cross, a third closed then 7x → 2x', 'cross', 7, (k) => {
      k.handle({ kind: 'order.place', time: k.kernel.now, account: 'f', symbol: k.symbol, side: 'SELL', type: 'MARKET', quantity: '0.001', reduceOnly: true });
      expect(k.handle({ kind: 'leverage.set', time: k.kernel.now, account: 'f', symbol: k.symbol, leverage: 2 }).map((e) => e.type)).toContain('LEVERAGE_SET');
    }],
    ['isolated 7x → 9x, then added at 9x, then funding', 'isolated', 7, (k) => {
      k.handle({ kind: 'leverage.set', time: k.kernel.now, account: 'f', symbol: k.symbol, leverage: 9 });
      expect(k.handle({ kind: 'order.place', time: k.kernel.now, account: 'f', symbol: k.symbol, side: 'BUY', type: 'MARKET', quantity: '0.005' }).map((e) => e.type)).toContain('FILL');
      k.handle({ kind: 'funding', time: k.kernel.now, symbol: k.symbol, rate: '0.0037' });
    }],
  ];
  for (const [name, mode, leverage, then] of cases) {
    it(name, () => {
      const { imported, s } = roundTrip((k) => {
        k.handle({ kind: 'account.open', time: k.kernel.now, account: 'f', type: 'futures', marginMode: mode, leverage, balances: { USDT: '1000' } });
        expect(k.handle({ kind: 'order.place', time: k.kernel.now, account: 'f', symbol: k.symbol, side: 'BUY', type: 'MARKET', quantity: '0.003' }).map((e) => e.type)).toContain('FILL');
        then(k);
        k.kernel.checkInvariants();
      });
      expect(imported).toEqual([expect.objectContaining({ type: 'ACCOUNT_IMPORTED', account: 'copy' }), expect.objectContaining({ type: 'EQUITY', account: 'copy' })]);
      expect(s.kernel.balances('copy')).toEqual(s.kernel.balances('f'));
    });
  }

  it('a 125x long liquidated on the tape (its position closed, margin 0)', () => {
    const s = new RecordingStepper(recording);
    s.advanceTo(1723161310714);
    s.handle({ kind: 'account.open', time: s.kernel.now, account: 'f', type: 'futures', leverage: 125, balances: { USDT: '1000' } });
    s.handle({ kind: 'order.place', time: s.kernel.now, account: 'f', symbol: s.symbol, side: 'BUY', type: 'MARKET', quantity: '0.5' });
    let liquidated = false;
    while (!liquidated && !s.done) liquidated = s.step()!.events.some((e) => e.type === 'LIQUIDATION');
    expect(liquidated).toBe(true);
    const imported = s.handle({ kind: 'account.import', time: s.kernel.now, document: s.kernel.exportAccount('f')!, account: 'copy' });
    expect(imported).toEqual([expect.objectContaining({ type: 'ACCOUNT_IMPORTED', account: 'copy' }), expect.objectContaining({ type: 'EQUITY', account: 'copy' })]);
  });
});
