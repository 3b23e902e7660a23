import { describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';
import { parseFixed } from '../money/fixed.js';

// Binance USD-M "Change Initial Leverage": an increase within the position's bracket is allowed; only a
// reduction can lack margin (-2028 "Leverage is smaller than permitted"). A cross account whose cash
// funding has emptied (the rest taken from the position's margin) still raises its leverage 10x → 11x:
// an increase needs no more margin, by hand size × entry / 11 < size × entry / 10.
describe('a cross leverage increase after funding emptied the cash', () => {
  it('10x → 11x is set, the wallet unchanged, no cash going negative', () => {
    const s = new RecordingStepper(loadRecording(USDM_RECORDING));
    s.advanceTo(1723161300000);
    s.handle({ kind: 'account.open', time: s.kernel.now, account: 'f', type: 'futures', marginMode: 'cross', leverage: 10, balances: { USDT: '20' } });
    expect(s.handle({ kind: 'order.place', time: s.kernel.now, account: 'f', symbol: s.symbol, side: 'BUY', type: 'MARKET', quantity: '0.002' }).map((e) => e.type)).toContain('FILL');
    // 3 × 0.002 × ~61,800 × 0.03 ≈ 11.12 USDT (3 % is the widest rate the kernel applies): more than the ≈ 7.58 USDT of cash left after the 12.36 margin and the fee.
    for (let i = 0; i < 3; i += 1) s.handle({ kind: 'funding', time: s.kernel.now, symbol: s.symbol, rate: '0.03' });
    const account = s.kernel.account('f')!;
    if (account.kind !== 'futures') throw new Error('futures account expected');
    expect(account.cash).toBe(0n);
    const wallet = account.wallet();
    const events = s.handle({ kind: 'leverage.set', time: s.kernel.now, account: 'f', symbol: s.symbol, leverage: 11 });
    expect(events.map((e) => e.type)).toContain('LEVERAGE_SET');
    expect(account.wallet()).toBe(wallet);
    expect(account.cash >= 0n).toBe(true);
    const position = account.positions.get('BTCUSDT')!;
    expect(position.leverage).toBe(11);
    // The margin never grows on an increase: at most size × entry / 11, truncated to 8 decimals.
    expect(position.margin <= (((position.size * position.entryPrice) / 10n ** 18n / 11n) / 10n ** 10n) * 10n ** 10n).toBe(true);
    expect(parseFixed('0') <= position.margin).toBe(true);
    s.kernel.checkInvariants();
    // And its export imports again.
    const imported = s.handle({ kind: 'account.import', time: s.kernel.now, document: s.kernel.exportAccount('f')!, account: 'copy' });
    expect(imported).toEqual([expect.objectContaining({ type: 'ACCOUNT_IMPORTED' }), expect.objectContaining({ type: 'EQUITY', account: 'copy' })]);
  });
});
