import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { Kernel } from '../kernel/kernel.js';
import type { KernelEvent } from '../kernel/events.js';

// A triggered stop-limit order joins the book when it triggers, behind every order already resting
// at its price — including one that reached the book earlier within the same input (a latency
// release handled before the print that triggers the stop). Binance: the triggered order's
// `workingTime` is the trigger; an order working before it keeps its place ahead.
const SPOT = findBundledInstrument('binance', 'spot', 'BTCUSDT')!;
const T = 1723161300000;
const fillsOf = (events: readonly KernelEvent[]) => events.flatMap((e) => (e.type === 'FILL' ? [`${e.account} ${e.quantity}@${e.price}`] : []));

describe('a triggered stop-limit order and an order released in the same input', () => {
  it('the limit released before the triggering print is ahead of the stop it triggers', () => {
    const k = new Kernel({ instruments: [SPOT], equityIntervalMs: 0, latencyMs: 100 });
    k.handle({ kind: 'book.snapshot', time: T, symbol: 'BTCUSDT', lastUpdateId: 1, bids: [['61800.00', '5']], asks: [['61900.00', '5']] });
    for (const account of ['early', 'stop']) k.handle({ kind: 'account.open', time: T, account, balances: { USDT: '0', BTC: '1' } });
    // The stop is placed first (id 1) and reaches the engine at T + 100.
    k.handle({ kind: 'order.place', time: T, account: 'stop', symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.1', stopPrice: '61800.00', price: '61850.00', clientOrderId: 'sl' });
    k.handle({ kind: 'clock', time: T + 150 });
    // A plain sell limit at the stop's limit price (id 2), arriving at T + 300.
    k.handle({ kind: 'order.place', time: T + 200, account: 'early', symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', quantity: '0.1', price: '61850.00', clientOrderId: 'early' });
    // The print at T + 301 first releases 'early' onto the book, then triggers the stop.
    const trigger = k.handle({ kind: 'trade', time: T + 301, symbol: 'BTCUSDT', tradeId: 1, price: '61800.00', quantity: '0.01', buyerMaker: true });
    expect(trigger.map((e) => e.type)).toEqual(expect.arrayContaining(['ORDER_NEW', 'ORDER_TRIGGERED']));
    expect(trigger.findIndex((e) => e.type === 'ORDER_NEW')).toBeLessThan(trigger.findIndex((e) => e.type === 'ORDER_TRIGGERED'));
    // One buy print of 0.1 through the price fills one order: the one working first.
    expect(fillsOf(k.handle({ kind: 'trade', time: T + 400, symbol: 'BTCUSDT', tradeId: 2, price: '61860.00', quantity: '0.1', buyerMaker: false }))).toEqual(['early 0.1@61850']);
    expect(fillsOf(k.handle({ kind: 'trade', time: T + 500, symbol: 'BTCUSDT', tradeId: 3, price: '61860.00', quantity: '0.1', buyerMaker: false }))).toEqual(['stop 0.1@61850']);
    k.checkInvariants();
  });
});
