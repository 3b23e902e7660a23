import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { FillEvent, KernelEvent } from '../kernel/events.js';
import { Kernel } from '../kernel/kernel.js';

const symbol = 'BTCUSDT';
const fillsOf = (events: readonly KernelEvent[]) =>
  events.filter((e): e is FillEvent => e.type === 'FILL').map((f) => [f.clientOrderId, f.price, f.quantity, f.liquidity] as const);

/**
 * An order that arrives while the book is not usable (unsynced, or stale) waits, and works on the
 * book only once an update makes it usable. A print stamped between its arrival and that moment,
 * arriving late (ADR 0026, rule 4), happened while it waited: it fills nothing of it, through its
 * price or at it; at its price it still shortens the queue the order found.
 */
describe('a print stamped before a waiting order reached the book never fills it', () => {
  function kernelWithBook(staleAfterMs?: number): Kernel {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', symbol)!], ...(staleAfterMs !== undefined ? { staleAfterMs } : {}) });
    kernel.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids: [['60000.00', '1']], asks: [['60010.00', '1']] });
    kernel.handle({ kind: 'account.open', time: 1_000, account: 'a', balances: { USDT: '1000000' } });
    return kernel;
  }

  it('by hand: through its price, a seller stamped after its arrival but before the book came back fills nothing; one after does', () => {
    const kernel = kernelWithBook();
    kernel.handle({ kind: 'book.invalidate', time: 1_050, symbol, reason: 'lost deltas' });
    // Arrives at 1,100 on an unsynced book: it waits.
    const placed = kernel.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'BUY', type: 'LIMIT', quantity: '1', price: '60005.00', clientOrderId: 'bid' });
    expect(placed.map((e) => e.type)).toEqual(['ORDER_NEW']);
    // The book is synced again at 1,200: the bid (not marketable against 60,010) rests from then on.
    expect(fillsOf(kernel.handle({ kind: 'book.snapshot', time: 1_200, symbol, lastUpdateId: 20, bids: [['60000.00', '1']], asks: [['60010.00', '1']] }))).toEqual([]);
    expect(kernel.openOrders('a')).toMatchObject([{ clientOrderId: 'bid', status: 'NEW', executedQty: 0n }]);
    // A seller's 0.3 at 60,001 stamped 1,150: after the order arrived (1,100), before it rested (1,200).
    expect(fillsOf(kernel.handle({ kind: 'trade', time: 1_150, symbol, tradeId: 1, price: '60001.00', quantity: '0.3', buyerMaker: true }))).toEqual([]);
    // The same print stamped 1,250 went through a bid standing on the book: 0.3 at the bid's own 60,005.
    expect(fillsOf(kernel.handle({ kind: 'trade', time: 1_250, symbol, tradeId: 2, price: '60001.00', quantity: '0.3', buyerMaker: true }))).toEqual([['bid', '60005', '0.3', 'MAKER']]);
    // Bought 0.3 BTC less the 0.1 % maker fee taken in BTC: 0.3 − 0.0003.
    expect(kernel.balances('a')!['BTC']).toMatchObject({ free: '0.2997' });
  });

  it('by hand: at its price, a print while it waited eats the queue it finds but fills nothing', () => {
    const kernel = kernelWithBook();
    kernel.handle({ kind: 'book.invalidate', time: 1_050, symbol, reason: 'lost deltas' });
    kernel.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'BUY', type: 'LIMIT', quantity: '1', price: '60000.00', clientOrderId: 'bid' });
    // The engine's clock reaches 1,250 (another input), then the snapshot stamped 1,200 arrives: the bid
    // rests at 1,250 behind the 1 displayed at 60,000, its level dated 1,200.
    kernel.handle({ kind: 'clock', time: 1_250 });
    kernel.handle({ kind: 'book.snapshot', time: 1_200, symbol, lastUpdateId: 20, bids: [['60000.00', '1']], asks: [['60010.00', '1']] });
    expect(kernel.openOrders('a')).toMatchObject([{ clientOrderId: 'bid', queueAhead: 10n ** 18n }]);
    // A seller's 1.5 at 60,000 stamped 1,220: after the level's date, so new to the queue (1 → 0), but
    // before the bid worked on the book: the 0.5 past the queue is not its.
    expect(fillsOf(kernel.handle({ kind: 'trade', time: 1_220, symbol, tradeId: 1, price: '60000.00', quantity: '1.5', buyerMaker: true }))).toEqual([]);
    expect(kernel.openOrders('a')).toMatchObject([{ clientOrderId: 'bid', queueAhead: 0n, executedQty: 0n }]);
    // A seller's 0.2 stamped 1,300 meets no queue: 0.2 to the bid.
    expect(fillsOf(kernel.handle({ kind: 'trade', time: 1_300, symbol, tradeId: 2, price: '60000.00', quantity: '0.2', buyerMaker: true }))).toEqual([['bid', '60000', '0.2', 'MAKER']]);
  });

  it('by hand: an order that waited on a stale book works from the update that freshened it', () => {
    // Stale once the clock is more than 100 ms past the last book input.
    const kernel = kernelWithBook(100);
    kernel.handle({ kind: 'clock', time: 1_150 });
    kernel.handle({ kind: 'order.place', time: 1_150, account: 'a', symbol, side: 'BUY', type: 'LIMIT', quantity: '1', price: '60005.00', clientOrderId: 'bid' });
    expect(kernel.openOrders('a')).toMatchObject([{ clientOrderId: 'bid', queueAhead: 0n }]);
    // The delta of 1,300 makes the book fresh: the bid rests at 1,300.
    kernel.handle({ kind: 'book.delta', time: 1_300, symbol, firstUpdateId: 11, finalUpdateId: 11, bids: [['59999.00', '1']], asks: [] });
    // Sellers through 60,005 stamped 1,200 (after the arrival at 1,150) and 1,299: nothing; 1,300: 0.4.
    expect(fillsOf(kernel.handle({ kind: 'trade', time: 1_200, symbol, tradeId: 1, price: '60002.00', quantity: '0.25', buyerMaker: true }))).toEqual([]);
    expect(fillsOf(kernel.handle({ kind: 'trade', time: 1_299, symbol, tradeId: 2, price: '60002.00', quantity: '0.25', buyerMaker: true }))).toEqual([]);
    expect(fillsOf(kernel.handle({ kind: 'trade', time: 1_300, symbol, tradeId: 3, price: '60002.00', quantity: '0.4', buyerMaker: true }))).toEqual([['bid', '60005', '0.4', 'MAKER']]);
  });

  it('the time it came to rest survives a snapshot and an account export', () => {
    const kernel = kernelWithBook();
    kernel.handle({ kind: 'book.invalidate', time: 1_050, symbol, reason: 'lost deltas' });
    kernel.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'BUY', type: 'LIMIT', quantity: '1', price: '60005.00', clientOrderId: 'bid' });
    kernel.handle({ kind: 'book.snapshot', time: 1_200, symbol, lastUpdateId: 20, bids: [['60000.00', '1']], asks: [['60010.00', '1']] });
    const restored = Kernel.restore({ instruments: [findBundledInstrument('binance', 'spot', symbol)!] }, kernel.snapshot());
    expect(restored.snapshot()).toBe(kernel.snapshot());
    expect(fillsOf(restored.handle({ kind: 'trade', time: 1_150, symbol, tradeId: 1, price: '60001.00', quantity: '0.3', buyerMaker: true }))).toEqual([]);
    const copy = kernelWithBook();
    copy.handle({ kind: 'account.import', time: 1_200, document: kernel.exportAccount('a')!, account: 'b' });
    expect(copy.openOrders('b')).toMatchObject([{ clientOrderId: 'bid', workingTime: 1_200 }]);
    expect(fillsOf(copy.handle({ kind: 'trade', time: 1_150, symbol, tradeId: 1, price: '60001.00', quantity: '0.3', buyerMaker: true }))).toEqual([]);
  });
});
