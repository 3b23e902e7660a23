import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { FillEvent, KernelEvent } from '../kernel/events.js';
import { Kernel } from '../kernel/kernel.js';
import { parseFixed } from '../money/fixed.js';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';

const symbol = 'BTCUSDT';
const types = (events: readonly KernelEvent[]) => events.filter((e) => e.type !== 'EQUITY').map((e) => e.type);

/**
 * A stop waits for the tape after it reached the venue. A print that arrives late (stamped before
 * the stop arrived, ADR 0026 rule 4) happened before the stop existed: it neither triggers it nor
 * moves a trailing stop.
 */
describe('a print stamped before a stop arrived does not trigger it', () => {
  it('by hand: a sell stop at 59,990 placed at 1,100 ignores a print of 59,980 stamped 1,050, and triggers on one stamped 1,150', () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', symbol)!] });
    kernel.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids: [['60000.00', '1']], asks: [['60010.00', '1']] });
    kernel.handle({ kind: 'account.open', time: 1_000, account: 'a', balances: { BTC: '10' } });
    kernel.handle({ kind: 'trade', time: 1_000, symbol, tradeId: 1, price: '60005.00', quantity: '0.1', buyerMaker: true });
    kernel.handle({ kind: 'clock', time: 1_100 });
    expect(types(kernel.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'SELL', type: 'STOP_LOSS', quantity: '0.5', stopPrice: '59990.00', clientOrderId: 'stop' }))).toEqual(['ORDER_NEW']);
    expect(types(kernel.handle({ kind: 'trade', time: 1_050, symbol, tradeId: 2, price: '59980.00', quantity: '0.3', buyerMaker: true }))).toEqual([]);
    expect(kernel.openOrders('a')).toMatchObject([{ clientOrderId: 'stop', status: 'NEW', triggered: false }]);
    kernel.handle({ kind: 'book.delta', time: 1_120, symbol, firstUpdateId: 11, finalUpdateId: 11, bids: [['60000.00', '0'], ['59985.00', '2']], asks: [] });
    const events = kernel.handle({ kind: 'trade', time: 1_150, symbol, tradeId: 3, price: '59985.00', quantity: '0.1', buyerMaker: true });
    expect(types(events)).toEqual(['ORDER_TRIGGERED', 'FILL']);
    // Met the book after that print: 2 − 0.1 left at 59,985.
    expect(events.find((e): e is FillEvent => e.type === 'FILL')).toMatchObject({ price: '59985', quantity: '0.5', liquidity: 'TAKER' });
  });

  it('by hand: a trailing stop does not follow a late print either', () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', symbol)!] });
    kernel.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids: [['60000.00', '1']], asks: [['60010.00', '1']] });
    kernel.handle({ kind: 'account.open', time: 1_000, account: 'a', balances: { BTC: '10' } });
    kernel.handle({ kind: 'trade', time: 1_000, symbol, tradeId: 1, price: '60000.00', quantity: '0.1', buyerMaker: true });
    kernel.handle({ kind: 'clock', time: 1_100 });
    kernel.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.5', callbackRate: '0.01', clientOrderId: 'trail' });
    // Stamped before the order: its 61,000 would have armed the stop at 61,000 × 0.99 = 60,390.
    kernel.handle({ kind: 'trade', time: 1_050, symbol, tradeId: 2, price: '61000.00', quantity: '0.1', buyerMaker: false });
    expect(kernel.openOrders('a')).toMatchObject([{ clientOrderId: 'trail', status: 'NEW' }]);
    expect(kernel.openOrders('a')[0]!.stopPrice).toBeUndefined();
    // The first print after it arms it: 60,005 × 0.99 = 59,404.95.
    kernel.handle({ kind: 'trade', time: 1_150, symbol, tradeId: 3, price: '60005.00', quantity: '0.1', buyerMaker: false });
    expect(kernel.openOrders('a')[0]!.stopPrice).toBe(parseFixed('59404.95'));
  });

  it('by hand: a trailing stop activated by a print ignores late prints stamped before its activation', () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', symbol)!] });
    kernel.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids: [['60000.00', '1']], asks: [['60010.00', '1']] });
    kernel.handle({ kind: 'account.open', time: 1_000, account: 'a', balances: { BTC: '10' } });
    kernel.handle({ kind: 'trade', time: 1_000, symbol, tradeId: 1, price: '60000.00', quantity: '0.1', buyerMaker: true });
    kernel.handle({ kind: 'clock', time: 1_100 });
    kernel.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.5', activationPrice: '61000.00', callbackRate: '0.01', clientOrderId: 'trail' });
    // A buyer at 61,000 stamped 1,200 activates it: the stop at 61,000 × 0.99 = 60,390.
    expect(types(kernel.handle({ kind: 'trade', time: 1_200, symbol, tradeId: 2, price: '61000.00', quantity: '0.1', buyerMaker: false }))).toEqual([]);
    expect(kernel.openOrders('a')[0]!.stopPrice).toBe(parseFixed('60390'));
    // Stamped after the order arrived but before the activation, arriving late: a seller at 60,300 (under
    // the stop, under the activation price) and a buyer at 60,900 (under the activation price too) found it inactive.
    expect(types(kernel.handle({ kind: 'trade', time: 1_150, symbol, tradeId: 3, price: '60300.00', quantity: '0.1', buyerMaker: true }))).toEqual([]);
    expect(types(kernel.handle({ kind: 'trade', time: 1_160, symbol, tradeId: 4, price: '60900.00', quantity: '0.1', buyerMaker: false }))).toEqual([]);
    expect(kernel.openOrders('a')).toMatchObject([{ clientOrderId: 'trail', status: 'NEW', triggered: false, activatedAt: 1_200, stopPrice: parseFixed('60390') }]);
    // A seller at 60,390 stamped 1,250 triggers it: 0.5 sold on the bid of 60,000.
    const events = kernel.handle({ kind: 'trade', time: 1_250, symbol, tradeId: 5, price: '60390.00', quantity: '0.1', buyerMaker: true });
    expect(types(events)).toEqual(['ORDER_TRIGGERED', 'FILL']);
    expect(events.find((e): e is FillEvent => e.type === 'FILL')).toMatchObject({ price: '60000', quantity: '0.5', liquidity: 'TAKER' });
  });

  it('by hand: a late print between its arrival and its activation that reaches the activation price activated it then', () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', symbol)!] });
    kernel.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids: [['60000.00', '1']], asks: [['60010.00', '1']] });
    kernel.handle({ kind: 'account.open', time: 1_000, account: 'a', balances: { BTC: '10' } });
    kernel.handle({ kind: 'trade', time: 1_000, symbol, tradeId: 1, price: '60000.00', quantity: '0.1', buyerMaker: true });
    kernel.handle({ kind: 'clock', time: 1_100 });
    kernel.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.5', activationPrice: '61000.00', callbackRate: '0.01', clientOrderId: 'trail' });
    // 61,000 stamped 1,200 activates it first, as far as the engine knows: stop 61,000 × 0.99 = 60,390.
    kernel.handle({ kind: 'trade', time: 1_200, symbol, tradeId: 2, price: '61000.00', quantity: '0.1', buyerMaker: false });
    expect(kernel.openOrders('a')[0]).toMatchObject({ activatedAt: 1_200, stopPrice: parseFixed('60390') });
    // A buyer at 61,500 stamped 1,160 arrives late: on the exchange's tape it came first, reached the
    // activation price and activated the stop at 1,160 with a peak of 61,500: stop 61,500 × 0.99 = 60,885.
    expect(types(kernel.handle({ kind: 'trade', time: 1_160, symbol, tradeId: 3, price: '61500.00', quantity: '0.1', buyerMaker: false }))).toEqual([]);
    expect(kernel.openOrders('a')[0]).toMatchObject({ status: 'NEW', triggered: false, activatedAt: 1_160, stopPrice: parseFixed('60885') });
    // Then a seller at 60,800 stamped 1,170 (under the stop of 60,885, after the activation at 1,160) triggers
    // it: 0.5 sold on the bid of 60,000.
    const events = kernel.handle({ kind: 'trade', time: 1_170, symbol, tradeId: 4, price: '60800.00', quantity: '0.1', buyerMaker: true });
    expect(types(events)).toEqual(['ORDER_TRIGGERED', 'FILL']);
    expect(events.find((e): e is FillEvent => e.type === 'FILL')).toMatchObject({ price: '60000', quantity: '0.5', liquidity: 'TAKER' });
  });

  it('on the real tape: a sell stop at 61,693.80 placed after the update of E=1723161472912 is not triggered by the print of 61,693.62 stamped 34 ms before', () => {
    // Rows of the bundled recording in arrival order: the depth update of E=1723161472912 leaves the
    // best bid at 61,695.63, the last print at 61,693.93; the next rows are a seller's sweep stamped
    // T=1723161472878, from 61,693.62 down, which happened before a stop placed then existed.
    const s = new RecordingStepper(loadRecording(BUNDLED_RECORDING));
    s.open('a', { BTC: '10' }, 1723161270000);
    for (;;) {
      const { input } = s.step()!;
      if (input.kind === 'book.delta' && input.time === 1723161472912) break;
    }
    const arrival = s.kernel.now;
    expect(arrival).toBe(1723161472912);
    expect(s.kernel.depth(symbol, 1)!.bids[0]![0]).toBe('61695.63');
    expect(s.kernel.triggerPrice(symbol)).toBe(parseFixed('61693.93'));
    expect(s.peek()).toMatchObject({ kind: 'trade', time: 1723161472878, price: '61693.62000000', buyerMaker: true });
    expect(types(s.handle({ kind: 'order.place', time: arrival, account: 'a', symbol, side: 'SELL', type: 'STOP_LOSS', quantity: '0.5', stopPrice: '61693.80', clientOrderId: 'stop' }))).toEqual(['ORDER_NEW']);
    // Triggered only by a print stamped at or after its arrival reaching 61,693.80, and it fills no better than that print.
    let late = 0;
    for (;;) {
      const { input, events } = s.step()!;
      if (input.kind !== 'trade') continue;
      const triggered = events.some((e) => e.type === 'ORDER_TRIGGERED');
      if (input.time < arrival) {
        expect(triggered, `trade ${input.tradeId} stamped ${input.time}`).toBe(false);
        late += 1;
        continue;
      }
      if (!triggered) {
        expect(parseFixed(input.price) > parseFixed('61693.80')).toBe(true);
        continue;
      }
      expect(parseFixed(input.price) <= parseFixed('61693.80')).toBe(true);
      for (const f of events.filter((e): e is FillEvent => e.type === 'FILL')) expect(parseFixed(f.price) <= parseFixed(input.price)).toBe(true);
      break;
    }
    expect(late).toBeGreaterThan(0);
    s.kernel.checkInvariants();
  });
});
