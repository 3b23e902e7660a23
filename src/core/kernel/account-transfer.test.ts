import { describe, expect, it } from 'vitest';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';

describe('one account as a JSON document', () => {
  it('exports an account and imports it into another engine with its balances, history and open orders, which go on trading', () => {
    const recording = loadRecording(BUNDLED_RECORDING);
    const source = new RecordingStepper(recording);
    source.advanceTo(1723161300000);
    source.open('a', { USDT: '50000', BTC: '1' });
    source.handle({ kind: 'order.place', time: source.kernel.now, account: 'a', symbol: source.symbol, side: 'BUY', type: 'MARKET', quantity: '0.2' });
    source.handle({ kind: 'order.place', time: source.kernel.now, account: 'a', symbol: source.symbol, side: 'BUY', type: 'LIMIT', quantity: '0.3', price: '61700.00', clientOrderId: 'bid' });
    source.handle({ kind: 'order.place', time: source.kernel.now, account: 'a', symbol: source.symbol, side: 'SELL', type: 'STOP_LOSS', quantity: '0.5', stopPrice: '61000.00', clientOrderId: 'stop' });
    const document = source.kernel.exportAccount('a')!;
    expect(JSON.parse(document)).toMatchObject({ format: 'papertrade.account', version: 1, account: { id: 'a', kind: 'spot' } });

    const target = new RecordingStepper(recording);
    target.advanceTo(1723161300000);
    target.open('other', { USDT: '1' });
    target.handle({ kind: 'order.place', time: target.kernel.now, account: 'other', symbol: target.symbol, side: 'BUY', type: 'LIMIT', quantity: '0.0002', price: '50000.00' });
    const imported = target.handle({ kind: 'account.import', time: target.kernel.now, document, account: 'a2' });
    expect(imported).toEqual([expect.objectContaining({ type: 'ACCOUNT_IMPORTED', account: 'a2', openOrders: 2 }), expect.objectContaining({ type: 'EQUITY', account: 'a2' })]);
    expect(target.kernel.balances('a2')).toEqual(source.kernel.balances('a'));
    expect(target.kernel.orders('a2').map((o) => [o.clientOrderId, o.status])).toEqual(source.kernel.orders('a').map((o) => [o.clientOrderId, o.status]));
    target.kernel.checkInvariants();
    // The imported bid rests and fills on the same tape as it would have at home.
    while (!source.done) source.step();
    while (!target.done) target.step();
    const filled = (s: RecordingStepper, account: string) => s.events.filter((e) => e.type === 'FILL' && e.account === account && e.clientOrderId === 'bid').length;
    expect(filled(target, 'a2')).toBeGreaterThan(0);
    expect(target.kernel.balances('a2')).toEqual(source.kernel.balances('a'));
    target.kernel.checkInvariants();
  });

  it('refuses a duplicate id or a malformed document and changes nothing', () => {
    const s = new RecordingStepper(loadRecording(BUNDLED_RECORDING));
    s.advanceTo(1723161300000);
    s.open('a', { USDT: '10' });
    const document = s.kernel.exportAccount('a')!;
    expect(s.handle({ kind: 'account.import', time: s.kernel.now, document })).toEqual([expect.objectContaining({ type: 'ACCOUNT_REJECTED', code: 'DUPLICATE_ACCOUNT' })]);
    expect(s.handle({ kind: 'account.import', time: s.kernel.now, document: '{"format":"other"}', account: 'b' })).toEqual([expect.objectContaining({ type: 'ACCOUNT_REJECTED', code: 'INVALID_DOCUMENT' })]);
    expect(s.kernel.accountIds()).toEqual(['a']);
  });
});
