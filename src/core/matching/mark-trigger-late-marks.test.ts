import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { FillEvent, KernelEvent } from '../kernel/events.js';
import { Kernel } from '../kernel/kernel.js';
import { parseFixed } from '../money/fixed.js';

const symbol = 'BTCUSDT';
const PERP = findBundledInstrument('binance', 'perpetual', symbol)!;
const types = (events: readonly KernelEvent[]) => events.filter((e) => e.type !== 'EQUITY').map((e) => e.type);
const fillsOf = (events: readonly KernelEvent[]) =>
  events.filter((e): e is FillEvent => e.type === 'FILL').map((f) => [f.clientOrderId, f.price, f.quantity, f.liquidity] as const);

/**
 * On the mark-price trigger tape, as on the trade tape (stop-trigger-late-prints.test.ts): a mark
 * stamped before a conditional order arrived was the exchange's mark before the order existed. It
 * neither triggers it nor moves a trailing stop; the first mark stamped at or after its arrival does.
 */
describe('a mark price stamped before a conditional order arrived does not trigger it', () => {
  function kernel(): Kernel {
    const k = new Kernel({ instruments: [PERP], triggerSource: 'mark', equityIntervalMs: 0 });
    k.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids: [['60000.0', '5']], asks: [['60000.1', '5']] });
    k.handle({ kind: 'account.open', time: 1_000, account: 'a', type: 'futures', balances: { USDT: '100000' }, leverage: 10 });
    k.handle({ kind: 'mark', time: 1_000, symbol, price: '60000.0' });
    k.handle({ kind: 'clock', time: 1_100 });
    return k;
  }

  it('by hand: a sell stop at 59,990 placed at 1,100 ignores a mark of 59,980 stamped 1,050, and triggers on 59,985 stamped 1,150', () => {
    const k = kernel();
    expect(types(k.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'SELL', type: 'STOP_LOSS', quantity: '0.5', stopPrice: '59990.0', clientOrderId: 'stop' }))).toEqual(['ORDER_NEW']);
    expect(types(k.handle({ kind: 'mark', time: 1_050, symbol, price: '59980.0' }))).toEqual([]);
    expect(k.openOrders('a')).toMatchObject([{ clientOrderId: 'stop', status: 'NEW', triggered: false }]);
    const events = k.handle({ kind: 'mark', time: 1_150, symbol, price: '59985.0' });
    expect(types(events)).toEqual(['ORDER_TRIGGERED', 'FILL', 'POSITION_OPENED']);
    // A market sell of 0.5 on bids of 5 at 60,000.0: one slice there.
    expect(fillsOf(events)).toEqual([['stop', '60000', '0.5', 'TAKER']]);
    const account = k.account('a')!;
    expect(account.kind === 'futures' ? account.positions.get(symbol)?.size : undefined).toBe(-parseFixed('0.5'));
  });

  it('by hand: a take-profit placed at 1,100 ignores a mark stamped 1,099', () => {
    const k = kernel();
    k.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'BUY', type: 'TAKE_PROFIT', quantity: '0.2', stopPrice: '59900.0', clientOrderId: 'tp' });
    expect(types(k.handle({ kind: 'mark', time: 1_099, symbol, price: '59850.0' }))).toEqual([]);
    // Stamped at its arrival: the order existed.
    const events = k.handle({ kind: 'mark', time: 1_100, symbol, price: '59850.0' });
    expect(fillsOf(events)).toEqual([['tp', '60000.1', '0.2', 'TAKER']]);
  });

  it('by hand: a trailing stop does not follow a late mark', () => {
    const k = kernel();
    k.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.5', callbackRate: '0.01', clientOrderId: 'trail' });
    // Stamped before the order: its 61,000 would have armed the stop at 61,000 × 0.99 = 60,390.0.
    expect(types(k.handle({ kind: 'mark', time: 1_050, symbol, price: '61000.0' }))).toEqual([]);
    expect(k.openOrders('a')[0]!.stopPrice).toBeUndefined();
    // The first mark after it arms it: 60,005.0 × 0.99 = 59,404.95, down to the tick 0.1: 59,404.9.
    k.handle({ kind: 'mark', time: 1_150, symbol, price: '60005.0' });
    expect(k.openOrders('a')[0]!.stopPrice).toBe(parseFixed('59404.9'));
    // A late mark of 59,000 (below the stop) stamped before the order still does nothing.
    expect(types(k.handle({ kind: 'mark', time: 1_060, symbol, price: '59000.0' }))).toEqual([]);
    expect(k.openOrders('a')).toMatchObject([{ clientOrderId: 'trail', status: 'NEW', triggered: false }]);
  });

  it('by hand: a trailing stop activated by a mark ignores marks stamped before its activation', () => {
    const k = kernel();
    k.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.5', activationPrice: '61000.0', callbackRate: '0.01', clientOrderId: 'trail' });
    // The mark of 61,000.0 stamped 1,200 activates it: 61,000 × 0.99 = 60,390.0.
    k.handle({ kind: 'mark', time: 1_200, symbol, price: '61000.0' });
    expect(k.openOrders('a')[0]!.stopPrice).toBe(parseFixed('60390'));
    // The activation's time is kept in a snapshot and an account export.
    const restored = Kernel.restore({ instruments: [PERP], triggerSource: 'mark', equityIntervalMs: 0 }, k.snapshot());
    expect(restored.snapshot()).toBe(k.snapshot());
    expect(JSON.parse(k.exportAccount('a')!).orders).toMatchObject([{ clientOrderId: 'trail', activatedAt: 1_200 }]);
    // A late mark of 60,300.0 stamped 1,150, after the order, before the activation: not under an active stop then.
    for (const kernel of [k, restored]) expect(types(kernel.handle({ kind: 'mark', time: 1_150, symbol, price: '60300.0' }))).toEqual([]);
    expect(k.openOrders('a')).toMatchObject([{ clientOrderId: 'trail', triggered: false, stopPrice: parseFixed('60390') }]);
    // The same mark stamped 1,250 triggers it: 0.5 sold on the bid of 60,000.0.
    expect(fillsOf(k.handle({ kind: 'mark', time: 1_250, symbol, price: '60300.0' }))).toEqual([['trail', '60000', '0.5', 'TAKER']]);
  });
});

/**
 * With no mark input, a perpetual's mark is the book's mid (down to the tick), dated by the book
 * input that moved it: the same arrival rule as for a mark input.
 */
describe("a mark taken from the book's mid carries the time of the book input that moved it", () => {
  function kernel(): Kernel {
    const k = new Kernel({ instruments: [PERP], triggerSource: 'mark', equityIntervalMs: 0 });
    // Mid of 60,000.0 / 60,000.1 is 60,000.05, down to the tick 0.1: 60,000.0.
    k.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids: [['60000.0', '5']], asks: [['60000.1', '5']] });
    k.handle({ kind: 'account.open', time: 1_000, account: 'a', type: 'futures', balances: { USDT: '100000' }, leverage: 10 });
    k.handle({ kind: 'clock', time: 1_100 });
    return k;
  }
  // USD-M deltas chain by `pu`. The book moves down: bids 59,980.0, asks 59,980.1, mid 59,980.0, under the stop of 59,990.0.
  const down = (time: number) => ({ kind: 'book.delta' as const, time, symbol, firstUpdateId: 11, finalUpdateId: 11, previousFinalUpdateId: 10, bids: [['60000.0', '0'], ['59980.0', '5']] as [string, string][], asks: [['60000.1', '0'], ['59980.1', '5']] as [string, string][] });
  // A level deeper in the book: the mid does not move.
  const deeper = (time: number) => ({ kind: 'book.delta' as const, time, symbol, firstUpdateId: 12, finalUpdateId: 12, previousFinalUpdateId: 11, bids: [['59970.0', '1']] as [string, string][], asks: [] });

  it('by hand: a sell stop at 59,990 placed at 1,100 ignores the mid of a book stamped 1,050, and triggers on the next book stamped 1,150 (the mid unchanged)', () => {
    const k = kernel();
    expect(types(k.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'SELL', type: 'STOP_LOSS', quantity: '0.5', stopPrice: '59990.0', clientOrderId: 'stop' }))).toEqual(['ORDER_NEW']);
    expect(types(k.handle(down(1_050)))).toEqual([]);
    expect(k.triggerPrice(symbol)).toBe(parseFixed('59980.0'));
    expect(k.openOrders('a')).toMatchObject([{ clientOrderId: 'stop', status: 'NEW', triggered: false }]);
    const events = k.handle(deeper(1_150));
    expect(types(events)).toEqual(['ORDER_TRIGGERED', 'FILL', 'POSITION_OPENED']);
    // A market sell of 0.5 on bids of 5 at 59,980.0: one slice there.
    expect(fillsOf(events)).toEqual([['stop', '59980', '0.5', 'TAKER']]);
  });

  it('by hand: the same book stamped at 1,150 triggers the stop at once', () => {
    const k = kernel();
    k.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'SELL', type: 'STOP_LOSS', quantity: '0.5', stopPrice: '59990.0', clientOrderId: 'stop' });
    expect(fillsOf(k.handle(down(1_150)))).toEqual([['stop', '59980', '0.5', 'TAKER']]);
  });

  it('by hand: with no conditional order waiting, a book that does not move the mid triggers nothing and leaves the mark', () => {
    const k = kernel();
    k.handle(down(1_150));
    expect(types(k.handle(deeper(1_200)))).toEqual([]);
    expect(k.triggerPrice(symbol)).toBe(parseFixed('59980.0'));
  });
});
