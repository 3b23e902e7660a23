import { describe, expect, it } from 'vitest';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';

describe('account reset and close', () => {
  it('a reset cancels orders and restores the opening balances; a close removes the account, its history stays in its events', () => {
    const s = new RecordingStepper(loadRecording(BUNDLED_RECORDING));
    s.advanceTo(1723161300000);
    s.open('a', { USDT: '50000' });
    const market = s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, side: 'BUY', type: 'MARKET', quantity: '0.2' });
    const limit = s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, side: 'BUY', type: 'LIMIT', quantity: '0.1', price: '60000.00', clientOrderId: 'rest' });
    const placed = [...market, ...limit].filter((e) => e.type === 'ORDER_NEW');
    const reset = s.handle({ kind: 'account.reset', time: s.kernel.now, account: 'a' });
    expect(reset.map((e) => e.type)).toEqual(['ORDER_CANCELED', 'ACCOUNT_RESET', 'EQUITY']);
    expect(s.kernel.balances('a')).toEqual({ USDT: { free: '50000', locked: '0' } });
    const withNew = s.handle({ kind: 'account.reset', time: s.kernel.now, account: 'a', balances: { USDT: '100', BTC: '1' } });
    expect(withNew[0]).toMatchObject({ type: 'ACCOUNT_RESET', balances: { BTC: '1', USDT: '100' } });
    const closed = s.handle({ kind: 'account.close', time: s.kernel.now, account: 'a' });
    expect(closed).toEqual([expect.objectContaining({ type: 'ACCOUNT_CLOSED', account: 'a' })]);
    expect(s.kernel.account('a')).toBeUndefined();
    // The two orders' history is in their events (and the read tables built from them); the kernel holds no closed order.
    expect(placed.map((e) => e.type === 'ORDER_NEW' && e.account)).toEqual(['a', 'a']);
    expect(reset[0]).toMatchObject({ type: 'ORDER_CANCELED', clientOrderId: 'rest' });
    expect(s.kernel.orders('a')).toEqual([]);
    const refused = s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, side: 'BUY', type: 'MARKET', quantity: '0.01' });
    expect(refused).toEqual([expect.objectContaining({ type: 'ORDER_REJECTED', code: 'UNKNOWN_ACCOUNT' })]);
    s.kernel.checkInvariants();
  });
});
