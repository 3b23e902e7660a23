import { describe, expect, it } from 'vitest';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';
import type { PlaceOrderInput } from './inputs.js';

// Binance spot "New Order list - OTOCO": an OTOCO adds its working order and its pending pair to the
// order caps when it is placed, so the pending exits of a bracket whose entry still rests count
// against MAX_NUM_ALGO_ORDERS (5 on BTCUSDT) for every later order. By hand: two resting brackets
// hold 2 × 2 = 4 pending stop-type exits; a third bracket's 2 more make 6 > 5 and is refused whole,
// as is a lone stop beyond the fifth; a bracket with one exit (4 + 1 = 5) fits.
const AT = 1723161300000;
const recording = loadRecording(BUNDLED_RECORDING);
const bracket = (group: string, price: string, fields: Partial<PlaceOrderInput> = {}): PlaceOrderInput => ({
  kind: 'order.place', time: AT, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price, ocoGroup: group, clientOrderId: group,
  takeProfit: { stopPrice: '63000.00' }, stopLoss: { stopPrice: '60000.00' }, ...fields,
});
const first = (events: readonly { type: string }[]) => events.filter((e) => e.type !== 'EQUITY')[0];
const strip = (snapshot: string) => snapshot.replace(/"sequence":\d+/, '');

describe('pending bracket exits count against the caps, as an OTOCO pending pair does', () => {
  it('two brackets resting (4 pending exits): a third is refused MAX_NUM_ALGO_ORDERS and nothing changes; one exit more fits, then a lone stop is refused', () => {
    const s = new RecordingStepper(recording);
    s.advanceTo(AT);
    s.open('a', { USDT: '1000', BTC: '1' });
    for (const [group, price] of [['b1', '61000.00'], ['b2', '60999.00']] as const) expect(first(s.handle(bracket(group, price)))).toMatchObject({ type: 'ORDER_NEW' });
    const before = s.kernel.snapshot();
    expect(s.handle(bracket('b3', '60998.00')).filter((e) => e.type !== 'EQUITY')).toEqual([expect.objectContaining({ type: 'ORDER_REJECTED', clientOrderId: 'b3', code: 'MAX_NUM_ALGO_ORDERS' })]);
    expect(strip(s.kernel.snapshot())).toBe(strip(before));
    expect(first(s.handle(bracket('b4', '60997.00', { takeProfit: undefined })))).toMatchObject({ type: 'ORDER_NEW' });
    const stop = s.handle({ kind: 'order.place', time: AT, account: 'a', symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.001', stopPrice: '59000.00' });
    expect(stop.filter((e) => e.type !== 'EQUITY')).toEqual([expect.objectContaining({ type: 'ORDER_REJECTED', code: 'MAX_NUM_ALGO_ORDERS' })]);
    s.kernel.checkInvariants();
  });

  it('with 3 stops open, a bracket whose entry fills in part (3 + 2 = 5) places its own exits: the pending pair is the one being placed', () => {
    const s = new RecordingStepper(recording);
    s.advanceTo(AT);
    s.open('a', { USDT: '70000', BTC: '1' });
    for (let i = 0; i < 3; i += 1) s.handle({ kind: 'order.place', time: AT, account: 'a', symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.001', stopPrice: `${59000 - i}.00` });
    // Takes the 0.45849 BTC offered at 61,828.00 and rests the rest (bracket-exits.test.ts).
    const placed = s.handle(bracket('b1', '61828.00', { quantity: '1', takeProfit: { stopPrice: '62500.00' }, stopLoss: { stopPrice: '61000.00' } }));
    expect(placed.filter((e) => e.type === 'ORDER_REJECTED')).toEqual([]);
    expect(s.kernel.openOrders('a').map((o) => o.clientOrderId).filter((id) => id.startsWith('b1'))).toEqual(['b1', 'b1-tp', 'b1-sl']);
    s.kernel.checkInvariants();
  });
});
