import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { FillEvent, KernelEvent } from '../kernel/events.js';
import { Kernel } from '../kernel/kernel.js';

const symbol = 'BTCUSDT';
const SPOT = findBundledInstrument('binance', 'spot', symbol)!;
const PERP = findBundledInstrument('binance', 'perpetual', symbol)!;
const fillsOf = (events: readonly KernelEvent[]) =>
  events.filter((e): e is FillEvent => e.type === 'FILL').map((f) => [f.clientOrderId, f.price, f.quantity, f.liquidity] as const);

/** The exporting engine's clock: a live engine's, far ahead of the replay the document is imported into. */
const THEN = 5_000_000;
/** The importing engine's clock at the import. */
const IMPORTED_AT = 2_000;

/**
 * An account document carries its orders' times on the exporting engine's clock. Imported into an
 * engine whose clock is earlier (a live engine's account brought into a replay of older data), an
 * open order works from the import, as on the same clock: the first print or mark stamped after the
 * import fills or triggers it; one stamped before it, arriving late, does not (ADR 0026).
 */
describe('an order imported into an engine whose clock is earlier than its own times works from the import', () => {
  const spotBook = (k: Kernel, time: number) => k.handle({ kind: 'book.snapshot', time, symbol, lastUpdateId: 10, bids: [['60000.00', '1']], asks: [['60010.00', '1']] });

  it('by hand: a bid placed at 5,000,100 and imported at 2,000 takes 0.3 of a seller stamped 2,100 at its own 60,005, none of one stamped 1,500', () => {
    const source = new Kernel({ instruments: [SPOT] });
    spotBook(source, THEN);
    source.handle({ kind: 'account.open', time: THEN, account: 'a', balances: { USDT: '1000000' } });
    source.handle({ kind: 'order.place', time: THEN + 100, account: 'a', symbol, side: 'BUY', type: 'LIMIT', quantity: '1', price: '60005.00', clientOrderId: 'bid' });

    const copy = new Kernel({ instruments: [SPOT] });
    spotBook(copy, IMPORTED_AT);
    copy.handle({ kind: 'account.import', time: IMPORTED_AT, document: source.exportAccount('a')!, account: 'b' });
    // Stamped before the import: it happened without the bid.
    expect(fillsOf(copy.handle({ kind: 'trade', time: 1_500, symbol, tradeId: 1, price: '60001.00', quantity: '0.3', buyerMaker: true }))).toEqual([]);
    const restored = Kernel.restore({ instruments: [SPOT] }, copy.snapshot());
    expect(restored.snapshot()).toBe(copy.snapshot());
    for (const kernel of [copy, restored]) {
      // A seller's 0.3 through 60,005 (at 60,001), no bid ahead at 60,005: 0.3 at the bid's own price.
      expect(fillsOf(kernel.handle({ kind: 'trade', time: 2_100, symbol, tradeId: 2, price: '60001.00', quantity: '0.3', buyerMaker: true }))).toEqual([['bid', '60005', '0.3', 'MAKER']]);
    }
  });

  it('by hand: a stop-limit that triggered at 5,000,200 and rests at 60,020 fills on a buyer through it stamped 2,100', () => {
    const source = new Kernel({ instruments: [SPOT] });
    spotBook(source, THEN);
    source.handle({ kind: 'account.open', time: THEN, account: 'a', balances: { USDT: '1000', BTC: '1' } });
    source.handle({ kind: 'order.place', time: THEN + 100, account: 'a', symbol, side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.1', stopPrice: '59900.00', price: '60020.00', clientOrderId: 'stop' });
    // A print at the stop triggers it; its limit 60,020 is above the best bid 60,000: it rests.
    source.handle({ kind: 'trade', time: THEN + 200, symbol, tradeId: 1, price: '59900.00', quantity: '0.01', buyerMaker: true });
    expect(source.openOrders('a')).toMatchObject([{ clientOrderId: 'stop', triggered: true, triggeredAt: THEN + 200 }]);

    const copy = new Kernel({ instruments: [SPOT] });
    spotBook(copy, IMPORTED_AT);
    copy.handle({ kind: 'account.import', time: IMPORTED_AT, document: source.exportAccount('a')!, account: 'b' });
    // A buyer's 0.1 through 60,020 (at 60,030): the resting sell's 0.1 at its 60,020.
    expect(fillsOf(copy.handle({ kind: 'trade', time: 2_100, symbol, tradeId: 2, price: '60030.00', quantity: '0.1', buyerMaker: false }))).toEqual([['stop', '60020', '0.1', 'MAKER']]);
  });

  it('by hand: a perpetual sell stop at 59,990 imported at 2,000 triggers on a mark of 59,980 stamped 2,100, a market sell of 0.5 on bids at 60,000.0', () => {
    const open = (k: Kernel, time: number) => {
      k.handle({ kind: 'book.snapshot', time, symbol, lastUpdateId: 10, bids: [['60000.0', '5']], asks: [['60000.1', '5']] });
      k.handle({ kind: 'mark', time, symbol, price: '60000.0' });
    };
    const source = new Kernel({ instruments: [PERP], triggerSource: 'mark', equityIntervalMs: 0 });
    open(source, THEN);
    source.handle({ kind: 'account.open', time: THEN, account: 'a', type: 'futures', balances: { USDT: '100000' }, leverage: 10 });
    source.handle({ kind: 'order.place', time: THEN + 100, account: 'a', symbol, side: 'SELL', type: 'STOP_LOSS', quantity: '0.5', stopPrice: '59990.0', clientOrderId: 'stop' });

    const copy = new Kernel({ instruments: [PERP], triggerSource: 'mark', equityIntervalMs: 0 });
    open(copy, IMPORTED_AT);
    copy.handle({ kind: 'account.import', time: IMPORTED_AT, document: source.exportAccount('a')!, account: 'b' });
    expect(fillsOf(copy.handle({ kind: 'mark', time: 1_900, symbol, price: '59980.0' }))).toEqual([]);
    expect(fillsOf(copy.handle({ kind: 'mark', time: 2_100, symbol, price: '59980.0' }))).toEqual([['stop', '60000', '0.5', 'TAKER']]);
  });
});
