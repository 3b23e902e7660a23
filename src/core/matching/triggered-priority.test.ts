import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { Kernel } from '../kernel/kernel.js';
import type { KernelEvent } from '../kernel/events.js';

// Price-time priority for a stop-limit order once triggered: it joins the book when it triggers,
// behind orders already resting at its limit price. Binance sets a triggered order's
// `workingTime` ("when the order started being on the book") to the trigger, and
// NautilusTrader's matching engine inserts the limit order it becomes at that moment.
const SPOT = findBundledInstrument('binance', 'spot', 'BTCUSDT')!;
const T = 1723161300000;

function market(): Kernel {
  const k = new Kernel({ instruments: [SPOT], equityIntervalMs: 0 });
  k.handle({ kind: 'book.snapshot', time: T, symbol: 'BTCUSDT', lastUpdateId: 1, bids: [['61800.00', '5']], asks: [['61900.00', '5']] });
  for (const account of ['early', 'later', 'stop']) k.handle({ kind: 'account.open', time: T, account, balances: { USDT: '0', BTC: '1' } });
  return k;
}

const fillsOf = (events: readonly KernelEvent[]) => events.flatMap((e) => (e.type === 'FILL' ? [`${e.account} ${e.quantity}@${e.price}`] : []));
const sellLimit = (account: string, price: string) => ({ kind: 'order.place', time: T, account, symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', quantity: '0.1', price, clientOrderId: `${account}-limit` }) as const;
const print = (tradeId: number, price: string, quantity: string, buyerMaker: boolean) => ({ kind: 'trade', time: T, symbol: 'BTCUSDT', tradeId, price, quantity, buyerMaker }) as const;

describe('a triggered stop-limit order rests behind the orders that reached its price first', () => {
  it('a print filling one order at the price fills the limit that rested before the trigger, not the stop placed earlier', () => {
    const k = market();
    // Placed first: a sell stop at 61,800, its limit 61,850, above the market once triggered.
    expect(k.handle({ kind: 'order.place', time: T, account: 'stop', symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.1', stopPrice: '61800.00', price: '61850.00', clientOrderId: 'sl' })[0]).toMatchObject({ type: 'ORDER_NEW' });
    // Then a plain sell limit at 61,850: it rests (no displayed size there, so nothing queued ahead).
    expect(k.handle(sellLimit('early', '61850.00'))[0]).toMatchObject({ type: 'ORDER_NEW' });
    // A sell print at the bid triggers the stop; it rests at 61,850 behind 'early'.
    const trigger = k.handle(print(1, '61800.00', '0.01', true));
    expect(trigger.filter((e) => e.type === 'ORDER_TRIGGERED')).toEqual([expect.objectContaining({ account: 'stop', clientOrderId: 'sl' })]);
    expect(fillsOf(trigger)).toEqual([]);
    // After the trigger, a third order at the same price queues behind both.
    expect(k.handle(sellLimit('later', '61850.00'))[0]).toMatchObject({ type: 'ORDER_NEW' });
    // A buy print of 0.1 at 61,860, through the price: its volume fills paper orders once, in price-time priority.
    expect(fillsOf(k.handle(print(2, '61860.00', '0.1', false)))).toEqual(['early 0.1@61850']);
    // The next 0.1 goes to the stop, which started resting before 'later' arrived.
    expect(fillsOf(k.handle(print(3, '61860.00', '0.1', false)))).toEqual(['stop 0.1@61850']);
    expect(fillsOf(k.handle(print(4, '61860.00', '0.1', false)))).toEqual(['later 0.1@61850']);
    k.checkInvariants();
  });

  it('keeps its priority from the trigger across a snapshot and restore', () => {
    const k = market();
    k.handle({ kind: 'order.place', time: T, account: 'stop', symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.1', stopPrice: '61800.00', price: '61850.00', clientOrderId: 'sl' });
    k.handle(sellLimit('early', '61850.00'));
    k.handle(print(1, '61800.00', '0.01', true));
    const restored = Kernel.restore({ instruments: [SPOT], equityIntervalMs: 0 }, k.snapshot());
    expect(fillsOf(restored.handle(print(2, '61860.00', '0.1', false)))).toEqual(['early 0.1@61850']);
    expect(fillsOf(restored.handle(print(3, '61860.00', '0.1', false)))).toEqual(['stop 0.1@61850']);
    restored.checkInvariants();
  });
});
