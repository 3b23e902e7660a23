import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { KernelEvent } from '../kernel/events.js';
import { Kernel } from '../kernel/kernel.js';

const symbol = 'BTCUSDT';
const fills = (events: readonly KernelEvent[]) => events.filter((e) => e.type === 'FILL').map((e) => ('quantity' in e ? e.quantity : ''));

function restingBuy(): Kernel {
  const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', symbol)!] });
  kernel.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids: [['60000.00', '1']], asks: [['60010.00', '1']] });
  kernel.handle({ kind: 'account.open', time: 1_000, account: 'a', balances: { USDT: '100000' } });
  // Queue ahead: the 1 BTC displayed at 60,000 when it arrives.
  kernel.handle({ kind: 'order.place', time: 1_000, account: 'a', symbol, side: 'BUY', type: 'LIMIT', quantity: '0.5', price: '60000.00', clientOrderId: 'bid' });
  return kernel;
}

describe('two clocks: trades that arrive after the depth that already holds them', () => {
  it('a trade stamped before the update that stated its level does not move the queue a second time', () => {
    const kernel = restingBuy();
    // A seller hit 0.6 at t=1,050; the update of E=1,100 arrives first and shows 0.4 left: the queue is 0.4.
    expect(fills(kernel.handle({ kind: 'book.delta', time: 1_100, symbol, firstUpdateId: 11, finalUpdateId: 11, bids: [['60000.00', '0.4']], asks: [] }))).toEqual([]);
    // Then the trade itself: it is in the 0.4 already. Counting it again would fill 0.2 (0.6 − 0.4).
    expect(fills(kernel.handle({ kind: 'trade', time: 1_050, symbol, tradeId: 1, price: '60000.00', quantity: '0.6', buyerMaker: true }))).toEqual([]);
    // A later trade (t=1,200 > E) of 0.5 eats the 0.4 ahead, then fills 0.1.
    expect(fills(kernel.handle({ kind: 'trade', time: 1_200, symbol, tradeId: 2, price: '60000.00', quantity: '0.5', buyerMaker: true }))).toEqual(['0.1']);
  });

  it('a trade stamped after the update moves the queue as before', () => {
    const kernel = restingBuy();
    kernel.handle({ kind: 'book.delta', time: 1_100, symbol, firstUpdateId: 11, finalUpdateId: 11, bids: [['60000.00', '1.2']], asks: [] });
    // Queue 1 (never raised by the level growing): a trade of 1.3 at t=1,101 fills 0.3.
    expect(fills(kernel.handle({ kind: 'trade', time: 1_101, symbol, tradeId: 1, price: '60000.00', quantity: '1.3', buyerMaker: true }))).toEqual(['0.3']);
  });

  it('a trade through the price fills whatever its time: the order was resting when it printed', () => {
    const kernel = restingBuy();
    kernel.handle({ kind: 'book.delta', time: 1_100, symbol, firstUpdateId: 11, finalUpdateId: 11, bids: [['60000.00', '0.4']], asks: [] });
    expect(fills(kernel.handle({ kind: 'trade', time: 1_050, symbol, tradeId: 1, price: '59990.00', quantity: '0.2', buyerMaker: true }))).toEqual(['0.2']);
  });
});
