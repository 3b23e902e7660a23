/**
 * Binance Spot's `workingTime` of an order that waited for a usable book: "The time when the order
 * started working on the order book" (Spot API glossary, binance-spot-api-docs
 * faqs/spot_glossary.md). A limit buy placed before the kernel has any book for the symbol waits;
 * the snapshot that syncs the book, at a time the test chooses, is when it comes to rest.
 */
import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../../core/instruments/bundled-instruments.js';
import { Kernel } from '../../core/kernel/kernel.js';
import { paperOrderView } from '../../execution/paper-execution-service.js';
import { binanceNewOrder, binanceOrder } from './binance-mappers.js';

const T = 1_723_161_300_000;
const SYNCED_AT = T + 4_250;

describe('Binance Spot workingTime of an order placed on an unsynced book', () => {
  it('is the time the order came to rest on the synced book, not the time it was placed', () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', 'BTCUSDT')!] });
    kernel.handle({ kind: 'account.open', time: T, account: 'a', balances: { USDT: '100000' } });
    // No book yet: the order is accepted and waits.
    const placed = kernel.handle({ kind: 'order.place', time: T + 1_000, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.1', price: '59000.00', clientOrderId: 'waits' });
    expect(placed.map((e) => e.type)).toEqual(['ORDER_NEW']);
    // The snapshot syncs the book; the bid is far below the ask, so the order rests from then on.
    kernel.handle({ kind: 'book.snapshot', time: SYNCED_AT, symbol: 'BTCUSDT', lastUpdateId: 100, bids: [['60000.00', '2']], asks: [['60010.00', '2']] });
    const order = kernel.orders('a').find((o) => o.clientOrderId === 'waits')!;
    expect(order).toMatchObject({ status: 'NEW', executedQty: 0n });

    const view = paperOrderView(order);
    expect(binanceOrder(view, order)).toMatchObject({ time: T + 1_000, isWorking: true, workingTime: SYNCED_AT });
    expect(binanceNewOrder(view, order, 'RESULT', [])).toMatchObject({ workingTime: SYNCED_AT });
  });

  it('of an imported order: the import for one resting, -1 then its trigger for a stop-limit imported before it triggered', () => {
    const SPOT = findBundledInstrument('binance', 'spot', 'BTCUSDT')!;
    const book = (k: Kernel, time: number) => k.handle({ kind: 'book.snapshot', time, symbol: 'BTCUSDT', lastUpdateId: 100, bids: [['60000.00', '2']], asks: [['60010.00', '2']] });
    const source = new Kernel({ instruments: [SPOT] });
    book(source, T);
    source.handle({ kind: 'account.open', time: T, account: 'a', balances: { USDT: '100000', BTC: '1' } });
    source.handle({ kind: 'order.place', time: T + 1_000, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.1', price: '59000.00', clientOrderId: 'rests' });
    source.handle({ kind: 'order.place', time: T + 1_000, account: 'a', symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.1', stopPrice: '59900.00', price: '59800.00', clientOrderId: 'stop' });
    const IMPORTED_AT = T + 5_000;
    const copy = new Kernel({ instruments: [SPOT] });
    book(copy, IMPORTED_AT);
    copy.handle({ kind: 'account.import', time: IMPORTED_AT, document: source.exportAccount('a')!, account: 'b' });
    const view = (id: string) => {
      const order = copy.orders('b').find((o) => o.clientOrderId === id)!;
      return binanceOrder(paperOrderView(order), order);
    };
    expect(view('rests')).toMatchObject({ time: T + 1_000, workingTime: IMPORTED_AT });
    expect(view('stop')).toMatchObject({ isWorking: false, workingTime: -1 });
    // A seller at 59,900 stamped 6,000 after the import triggers the stop: it works from then.
    copy.handle({ kind: 'trade', time: T + 6_000, symbol: 'BTCUSDT', tradeId: 1, price: '59900.00', quantity: '0.01', buyerMaker: true });
    expect(view('stop')).toMatchObject({ isWorking: true, workingTime: T + 6_000 });
  });
});
