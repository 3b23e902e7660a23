/**
 * `order.list`: an OCO pair as one input, every leg placed or none. The oracle for "none" is a twin
 * kernel fed the same inputs, with a clock tick (which changes nothing but the sequence number)
 * where the refused list was: the two snapshots must be identical, character for character.
 */
import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { inputProblem } from './input-validation.js';
import type { KernelInput, OrderListLegInput, PlaceOrderListInput } from './inputs.js';
import { Kernel } from './kernel.js';

// Binance's BTCUSDT filters (bundled): MAX_NUM_ALGO_ORDERS 5 conditional orders per account and symbol.
const SPOT = findBundledInstrument('binance', 'spot', 'BTCUSDT')!;
const T = 1723161300000;

function kernel(usdt = '10000', latencyMs = 0): Kernel {
  const k = new Kernel({ instruments: [SPOT], equityIntervalMs: 0, latencyMs });
  k.handle({ kind: 'book.snapshot', time: T, symbol: 'BTCUSDT', lastUpdateId: 1, bids: [['61800.00', '5']], asks: [['61800.01', '5']] });
  k.handle({ kind: 'trade', time: T, symbol: 'BTCUSDT', tradeId: 1, price: '61800.00', quantity: '0.1', buyerMaker: true });
  k.handle({ kind: 'account.open', time: T, account: 'a', balances: { USDT: usdt, BTC: '1' } });
  return k;
}

const sellStop = (i: number): KernelInput => ({ kind: 'order.place', time: T, account: 'a', symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', stopPrice: `${61000 - i}.00`, clientOrderId: `stop-${i}` });
const list = (orders: OrderListLegInput[], time = T): PlaceOrderListInput => ({ kind: 'order.list', time, account: 'a', orders });
const maker: OrderListLegInput = { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT_MAKER', quantity: '0.01', price: '61000.00', clientOrderId: 'g-below', ocoGroup: 'g' };
const stopAbove: OrderListLegInput = { symbol: 'BTCUSDT', side: 'BUY', type: 'STOP_LOSS_LIMIT', quantity: '0.01', stopPrice: '62500.00', price: '62510.00', clientOrderId: 'g-above', ocoGroup: 'g' };

/** Feeds `before` to a kernel and its twin, then the list to the kernel and a clock tick to the twin; the list's events. */
function againstTwin(make: () => Kernel, before: KernelInput[], input: PlaceOrderListInput): { events: ReturnType<Kernel['handle']>; k: Kernel; twin: Kernel } {
  const k = make();
  const twin = make();
  for (const i of before) {
    k.handle(i);
    twin.handle(i);
  }
  const events = k.handle(JSON.parse(JSON.stringify(input)) as KernelInput);
  twin.handle({ kind: 'clock', time: input.time });
  return { events, k, twin };
}

describe('order.list: an order list placed whole or not at all', () => {
  it('places both legs of a BUY OCO in one input, sharing their group and one reservation (the larger leg: 0.01 × 62,510 = 625.1 USDT)', () => {
    const k = kernel();
    const events = k.handle(list([maker, stopAbove]));
    expect(events.filter((e) => e.type === 'ORDER_NEW').map((e) => 'clientOrderId' in e && e.clientOrderId)).toEqual(['g-below', 'g-above']);
    expect(k.openOrders('a').map((o) => [o.clientOrderId, o.ocoGroup])).toEqual([['g-below', 'g'], ['g-above', 'g']]);
    expect(k.balances('a')!.USDT).toEqual({ free: '9374.9', locked: '625.1' });
    k.checkInvariants();
  });

  it('a second leg refused as a sixth open stop (MAX_NUM_ALGO_ORDERS 5) leaves the state exactly as a clock tick would, and names that leg', () => {
    const stops = [0, 1, 2, 3, 4].map(sellStop);
    const { events, k, twin } = againstTwin(() => kernel(), stops, list([maker, stopAbove]));
    expect(events).toEqual([expect.objectContaining({ type: 'ORDER_REJECTED', account: 'a', clientOrderId: 'g-above', code: 'MAX_NUM_ALGO_ORDERS', message: 'Filter failure: MAX_NUM_ALGO_ORDERS' })]);
    expect(k.snapshot()).toBe(twin.snapshot());
    expect(k.orders('a').map((o) => o.clientOrderId)).toEqual(['stop-0', 'stop-1', 'stop-2', 'stop-3', 'stop-4']);
    k.checkInvariants();
    // The ids the refused list did not use are the next order's.
    const next: KernelInput = { kind: 'order.place', time: T, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '60000.00', clientOrderId: 'g-below' };
    expect(k.handle(next)).toEqual(twin.handle(next));
  });

  it('a second leg refused for funds (620 USDT: the maker needs 610, the stop-limit 625.1) takes the first back: balances to the unit, no order, no event but the refusal', () => {
    const { events, k, twin } = againstTwin(() => kernel('620'), [], list([maker, stopAbove]));
    expect(events).toEqual([expect.objectContaining({ type: 'ORDER_REJECTED', clientOrderId: 'g-above', code: 'INSUFFICIENT_BALANCE' })]);
    expect(k.snapshot()).toBe(twin.snapshot());
    expect(k.balances('a')!.USDT).toEqual({ free: '620', locked: '0' });
    expect(k.orders('a')).toEqual([]);
  });

  it('a first leg refused places nothing; a leg that could fill as it arrives (LIMIT) is refused, naming it', () => {
    const first = againstTwin(() => kernel(), [], list([{ ...maker, price: '61900.00' }, stopAbove]));
    expect(first.events).toEqual([expect.objectContaining({ type: 'ORDER_REJECTED', clientOrderId: 'g-below', code: 'WOULD_TAKE' })]);
    expect(first.k.snapshot()).toBe(first.twin.snapshot());
    const limit = againstTwin(() => kernel(), [], list([maker, { ...stopAbove, type: 'LIMIT', clientOrderId: 'g-limit' }]));
    expect(limit.events).toEqual([expect.objectContaining({ type: 'ORDER_REJECTED', clientOrderId: 'g-limit', code: 'INVALID_ORDER', message: expect.stringMatching(/list leg 2 is LIMIT_MAKER or a stop order, not LIMIT/) })]);
    expect(limit.k.snapshot()).toBe(limit.twin.snapshot());
  });

  it('a duplicate clientOrderId inside the list refuses the list', () => {
    const { events, k, twin } = againstTwin(() => kernel(), [], list([maker, { ...stopAbove, clientOrderId: 'g-below' }]));
    expect(events).toEqual([expect.objectContaining({ type: 'ORDER_REJECTED', clientOrderId: 'g-below', code: 'DUPLICATE_CLIENT_ORDER_ID' })]);
    expect(k.snapshot()).toBe(twin.snapshot());
  });

  it('with latency the list waits as one command, survives a snapshot while pending, and arrives whole', () => {
    const k = kernel('10000', 50);
    expect(k.handle(list([maker, stopAbove]))).toEqual([]);
    const restored = Kernel.restore({ instruments: [SPOT], equityIntervalMs: 0, latencyMs: 50 }, k.snapshot());
    for (const kk of [k, restored]) {
      const events = kk.handle({ kind: 'clock', time: T + 50 });
      expect(events.filter((e) => e.type === 'ORDER_NEW')).toHaveLength(2);
      expect(kk.balances('a')!.USDT).toEqual({ free: '9374.9', locked: '625.1' });
    }
    expect(restored.snapshot()).toBe(k.snapshot());
  });

  it('is plain JSON that the journal accepts; a malformed list is refused before it touches the state', () => {
    const symbols = new Set(['BTCUSDT']);
    expect(inputProblem(JSON.parse(JSON.stringify(list([maker, stopAbove]))), symbols)).toBeUndefined();
    expect(inputProblem({ kind: 'order.list', time: T, account: 'a', orders: [] }, symbols)).toMatch(/orders must be an array/);
    expect(inputProblem({ kind: 'order.list', time: T, account: 'a', orders: 'x' }, symbols)).toMatch(/orders must be an array/);
    expect(inputProblem({ kind: 'order.list', time: T, account: 'a', orders: [maker, null] }, symbols)).toMatch(/a list leg is an order object/);
    const k = kernel();
    const before = k.snapshot();
    expect(k.handle({ kind: 'order.list', time: T, account: 'a', orders: [maker, 5] } as never)).toEqual([expect.objectContaining({ type: 'INPUT_REJECTED', code: 'INVALID_INPUT' })]);
    expect(JSON.parse(k.snapshot()).orders).toEqual(JSON.parse(before).orders);
  });
});
