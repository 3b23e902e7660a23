import { describe, expect, it } from 'vitest';
import { parseFixed } from '../money/fixed.js';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';

describe('conditional orders on spot, on the real tape', () => {
  const recording = loadRecording(BUNDLED_RECORDING);

  it('a STOP_LOSS_LIMIT sell locks its BTC, triggers at the first trade at or below its stop, then rests at its limit', () => {
    const s = new RecordingStepper(recording);
    const placedAt = 1723161300000;
    s.advanceTo(placedAt);
    s.open('a', { USDT: '0', BTC: '1' });
    s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.4', stopPrice: '61700.00', price: '61690.00', clientOrderId: 'sl' });
    expect(s.kernel.balances('a')!.BTC).toEqual({ free: '0.6', locked: '0.4' });
    const first = recording.inputs.find((i) => i.kind === 'trade' && i.time > placedAt && parseFixed(i.price) <= parseFixed('61700.00'))!;
    while (!s.done) s.step();
    const triggered = s.events.filter((e) => e.type === 'ORDER_TRIGGERED');
    expect(triggered).toEqual([expect.objectContaining({ clientOrderId: 'sl', at: first.time, orderType: 'STOP_LOSS_LIMIT' })]);
    const fills = s.events.filter((e) => e.type === 'FILL');
    expect(fills.every((f) => f.type === 'FILL' && parseFixed(f.price) >= parseFixed('61690.00'))).toBe(true);
    expect(fills.reduce((sum, f) => sum + (f.type === 'FILL' ? parseFixed(f.quantity) : 0n), 0n)).toBe(parseFixed('0.4'));
    s.kernel.checkInvariants();
  });

  it('a TAKE_PROFIT buy never triggers while the tape stays above its stop, and a cancel releases its lock', () => {
    const s = new RecordingStepper(recording);
    s.advanceTo(1723161300000);
    s.open('a', { USDT: '10000' });
    s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, side: 'BUY', type: 'TAKE_PROFIT_LIMIT', quantity: '0.1', stopPrice: '61500.00', price: '61500.00', clientOrderId: 'tp' });
    expect(s.kernel.balances('a')!.USDT).toEqual({ free: '3850', locked: '6150' });
    while (!s.done) s.step();
    expect(s.events.filter((e) => e.type === 'ORDER_TRIGGERED')).toEqual([]); // the low is 61,556.04
    s.handle({ kind: 'order.cancel', time: s.kernel.now, account: 'a', clientOrderId: 'tp' });
    expect(s.kernel.balances('a')!.USDT).toEqual({ free: '10000', locked: '0' });
  });
});
