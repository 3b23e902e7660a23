import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { FillEvent, KernelEvent } from '../kernel/events.js';
import { Kernel } from '../kernel/kernel.js';

const symbol = 'BTCUSDT';
const SPOT = findBundledInstrument('binance', 'spot', symbol)!;
const PERP = findBundledInstrument('binance', 'perpetual', symbol)!;
const fillsOf = (events: readonly KernelEvent[]) =>
  events.filter((e): e is FillEvent => e.type === 'FILL').map((f) => [f.clientOrderId, f.price, f.quantity, f.liquidity] as const);
const types = (events: readonly KernelEvent[]) => events.filter((e) => e.type !== 'EQUITY').map((e) => e.type);

/**
 * An open order brought in by `account.import` joins this venue's book (or its conditional orders)
 * at the import: a print or a mark stamped before it, arriving late (ADR 0026), happened without the
 * order. It fills and triggers nothing of it, as for an order that waited for a usable book.
 */
describe('an imported order works from the moment of its import', () => {
  it('by hand: a bid placed at 1,100 and imported at 2,000 takes nothing of a seller stamped 1,500, and 0.3 of the same seller stamped 2,100', () => {
    const source = new Kernel({ instruments: [SPOT] });
    source.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids: [['60000.00', '1']], asks: [['60010.00', '1']] });
    source.handle({ kind: 'account.open', time: 1_000, account: 'a', balances: { USDT: '1000000' } });
    source.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'BUY', type: 'LIMIT', quantity: '1', price: '60005.00', clientOrderId: 'bid' });
    const document = source.exportAccount('a')!;

    const copy = new Kernel({ instruments: [SPOT] });
    copy.handle({ kind: 'book.snapshot', time: 2_000, symbol, lastUpdateId: 10, bids: [['60000.00', '1']], asks: [['60010.00', '1']] });
    expect(types(copy.handle({ kind: 'account.import', time: 2_000, document, account: 'b' }))).toEqual(['ACCOUNT_IMPORTED']);
    expect(copy.openOrders('b')).toMatchObject([{ clientOrderId: 'bid', status: 'NEW', workingTime: 2_000 }]);
    // A seller's 0.3 through 60,005 stamped 1,500: after the bid's arrival elsewhere, before it was here.
    expect(fillsOf(copy.handle({ kind: 'trade', time: 1_500, symbol, tradeId: 1, price: '60001.00', quantity: '0.3', buyerMaker: true }))).toEqual([]);
    // Its start survives a snapshot.
    const restored = Kernel.restore({ instruments: [SPOT] }, copy.snapshot());
    expect(restored.snapshot()).toBe(copy.snapshot());
    for (const kernel of [copy, restored]) {
      // The same print stamped 2,100: 0.3 at the bid's own 60,005.
      expect(fillsOf(kernel.handle({ kind: 'trade', time: 2_100, symbol, tradeId: 2, price: '60001.00', quantity: '0.3', buyerMaker: true }))).toEqual([['bid', '60005', '0.3', 'MAKER']]);
      // 0.3 BTC less the 0.1 % maker fee taken in BTC: 0.3 − 0.0003.
      expect(kernel.balances('b')!['BTC']).toMatchObject({ free: '0.2997' });
    }
  });

  it('by hand: a stop placed at 1,100 and imported at 2,000 ignores a mark stamped 1,500 and triggers on one stamped 2,100', () => {
    const open = (k: Kernel, time: number) => {
      k.handle({ kind: 'book.snapshot', time, symbol, lastUpdateId: 10, bids: [['60000.0', '5']], asks: [['60000.1', '5']] });
      k.handle({ kind: 'mark', time, symbol, price: '60000.0' });
    };
    const source = new Kernel({ instruments: [PERP], triggerSource: 'mark', equityIntervalMs: 0 });
    open(source, 1_000);
    source.handle({ kind: 'account.open', time: 1_000, account: 'a', type: 'futures', balances: { USDT: '100000' }, leverage: 10 });
    source.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'SELL', type: 'STOP_LOSS', quantity: '0.5', stopPrice: '59990.0', clientOrderId: 'stop' });

    const copy = new Kernel({ instruments: [PERP], triggerSource: 'mark', equityIntervalMs: 0 });
    open(copy, 2_000);
    copy.handle({ kind: 'account.import', time: 2_000, document: source.exportAccount('a')!, account: 'b' });
    // A mark of 59,980 (under the stop) stamped 1,500: before the stop was here.
    expect(types(copy.handle({ kind: 'mark', time: 1_500, symbol, price: '59980.0' }))).toEqual([]);
    expect(copy.openOrders('b')).toMatchObject([{ clientOrderId: 'stop', triggered: false }]);
    // Stamped 2,100: it triggers, a market sell of 0.5 on the bids of 5 at 60,000.0.
    expect(fillsOf(copy.handle({ kind: 'mark', time: 2_100, symbol, price: '59980.0' }))).toEqual([['stop', '60000', '0.5', 'TAKER']]);
  });
});
