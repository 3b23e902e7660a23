import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { KernelEvent } from './events.js';
import { BAR_VALUES, type BarValues } from './bar-input.js';
import type { BarInput, PlaceOrderInput } from './inputs.js';
import { inputProblem } from './input-validation.js';
import { Kernel } from './kernel.js';

// Binance USD-M BTCUSDT: tick 0.1. Every expected fill below is worked out by hand from the rules
// of ADR 0042: the path, a quote one tick each side of each path price, trades-only resting fills.
const PERP = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
const T = 1_700_000_000_000;
const MINUTE = 60_000;

function bar(time: number, open: string, high: string, low: string, close: string, extra: Partial<BarInput> = {}): BarInput {
  return { kind: 'bar', time, symbol: 'BTCUSDT', open, high, low, close, volume: '10', intervalMs: MINUTE, ...extra };
}

function order(fields: Omit<PlaceOrderInput, 'kind' | 'time' | 'account' | 'symbol'>, time = T): PlaceOrderInput {
  return { kind: 'order.place', time, account: 'a', symbol: 'BTCUSDT', ...fields };
}

const fills = (events: readonly KernelEvent[]) =>
  events.flatMap((e) => (e.type === 'FILL' ? [{ id: e.clientOrderId, side: e.side, price: e.price, quantity: e.quantity, liquidity: e.liquidity, at: e.at }] : []));

/** A fee-free futures account, long 0.01 BTC bought at 60000.1 (the open 60000 plus the tick) on a flat first bar. */
function longAt60000(): Kernel {
  const k = new Kernel({ instruments: [PERP], equityIntervalMs: 0 });
  k.handle({ kind: 'account.open', time: T, account: 'a', type: 'futures', balances: { USDT: '10000' }, leverage: 10, fees: { maker: '0', taker: '0' } });
  k.handle(order({ side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'entry' }));
  expect(fills(k.handle(bar(T, '60000', '60000', '60000', '60000')))).toEqual([
    { id: 'entry', side: 'BUY', price: '60000.1', quantity: '0.01', liquidity: 'TAKER', at: T },
  ]);
  return k;
}

/** The long's stop-loss at 59800 and take-profit at 60250, both reduce-only sells. */
function withStopAndTarget(k: Kernel): Kernel {
  k.handle(order({ side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', stopPrice: '59800', reduceOnly: true, clientOrderId: 'sl' }));
  k.handle(order({ side: 'SELL', type: 'TAKE_PROFIT', quantity: '0.01', stopPrice: '60250', reduceOnly: true, clientOrderId: 'tp' }));
  return k;
}

describe('a bar input walks its price path through the kernel', () => {
  it('a market order sent between bars waits and fills at the next bar open plus one tick', () => {
    const k = new Kernel({ instruments: [PERP], equityIntervalMs: 0 });
    k.handle({ kind: 'account.open', time: T, account: 'a', type: 'futures', balances: { USDT: '10000' }, leverage: 10, fees: { maker: '0', taker: '0' } });
    k.handle(bar(T, '60000', '60100', '59900', '60050'));
    expect(fills(k.handle(order({ side: 'SELL', type: 'MARKET', quantity: '0.01', clientOrderId: 'm' }, T + MINUTE - 1)))).toEqual([]);
    expect(k.bookStatus('BTCUSDT')?.status).not.toBe('synced');
    // The next bar opens at 60070 (not the previous close 60050): a sell pays the tick under it.
    expect(fills(k.handle(bar(T + MINUTE, '60070', '60100', '60000', '60010')))).toEqual([
      { id: 'm', side: 'SELL', price: '60069.9', quantity: '0.01', liquidity: 'TAKER', at: T + MINUTE },
    ]);
  });

  it('a bar input object changed and sent again is read anew: the waiting sell fills at its new open, not the old one', () => {
    const k = new Kernel({ instruments: [PERP], equityIntervalMs: 0 });
    k.handle({ kind: 'account.open', time: T, account: 'a', type: 'futures', balances: { USDT: '10000' }, leverage: 10, fees: { maker: '0', taker: '0' } });
    const input = bar(T, '60000', '60100', '59900', '60050');
    k.handle(input);
    k.handle(order({ side: 'SELL', type: 'MARKET', quantity: '0.01', clientOrderId: 'm' }, T + MINUTE - 1));
    Object.assign(input, { time: T + MINUTE, open: '60070', high: '60100', low: '60000', close: '60010' });
    expect(fills(k.handle(input))).toEqual([{ id: 'm', side: 'SELL', price: '60069.9', quantity: '0.01', liquidity: 'TAKER', at: T + MINUTE }]);
  });

  it('a bar that closed up goes to its low first: the stop fills, a tick under its trigger, before the target is reached', () => {
    const k = withStopAndTarget(longAt60000());
    // Path 60000 → 59800 (the stop's trigger, on the way) → 59700 → 60250 → 60300 → 60200.
    const events = k.handle(bar(T + MINUTE, '60000', '60300', '59700', '60200'));
    expect(fills(events)).toEqual([{ id: 'sl', side: 'SELL', price: '59799.9', quantity: '0.01', liquidity: 'TAKER', at: T + MINUTE + 15_000 }]);
    expect(events.find((e) => e.type === 'ORDER_TRIGGERED')).toMatchObject({ clientOrderId: 'sl', triggerPrice: '59800' });
  });

  it('a bar that closed down goes to its high first: the target fills first', () => {
    const k = withStopAndTarget(longAt60000());
    // Path 60000 → 60250 (the target's trigger) → 60300 → 59800 → 59700 → 59900.
    const events = k.handle(bar(T + MINUTE, '60000', '60300', '59700', '59900'));
    expect(fills(events)).toEqual([{ id: 'tp', side: 'SELL', price: '60249.9', quantity: '0.01', liquidity: 'TAKER', at: T + MINUTE + 15_000 }]);
  });

  it('highFirst overrides the bar direction (a backtest passes the extreme adverse to its exposure first)', () => {
    const k = withStopAndTarget(longAt60000());
    expect(fills(k.handle(bar(T + MINUTE, '60000', '60300', '59700', '60200', { highFirst: true })))[0]).toMatchObject({ id: 'tp', price: '60249.9' });
  });

  it('a bar that gaps through a stop fills it at the open, the worse of trigger and path, less the tick', () => {
    const k = withStopAndTarget(longAt60000());
    const events = k.handle(bar(T + MINUTE, '59500', '59600', '59400', '59550'));
    expect(fills(events)).toEqual([{ id: 'sl', side: 'SELL', price: '59499.9', quantity: '0.01', liquidity: 'TAKER', at: T + MINUTE }]);
  });

  it('a resting limit touched exactly does not fill; the bar that trades through it fills it at its own price', () => {
    const k = longAt60000();
    k.handle(order({ side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '59700', clientOrderId: 'bid' }));
    expect(fills(k.handle(bar(T + MINUTE, '60000', '60100', '59700', '60050')))).toEqual([]);
    // Not reached at all: the low is one tick above.
    expect(fills(k.handle(bar(T + 2 * MINUTE, '60050', '60100', '59700.1', '60000')))).toEqual([]);
    // Through by one tick: filled at 59700 as a maker, on the way to the low (closed up: low first, at +¼).
    expect(fills(k.handle(bar(T + 3 * MINUTE, '60000', '60100', '59699.9', '60050')))).toEqual([
      { id: 'bid', side: 'BUY', price: '59700', quantity: '0.01', liquidity: 'MAKER', at: T + 3 * MINUTE + 15_000 },
    ]);
  });

  it('a resting limit fills in a step of its own, one tick through it: the bar pauses there, before a stop further on', () => {
    // A DCA bid at 59900 and the long's stop at 59850, sized before the DCA fill. Closed up: the low first.
    const k = longAt60000();
    k.handle(order({ side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '59900', clientOrderId: 'dca' }));
    k.handle(order({ side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', stopPrice: '59850', reduceOnly: true, clientOrderId: 'sl' }));
    const b = bar(T + MINUTE, '60000', '60100', '59700', '60050', { pauseOnFill: true });
    // Path 60000 → 59899.9 (the first print through 59900: the bid fills there, at its own price) → pause.
    const first = k.handle(b);
    expect(fills(first)).toEqual([{ id: 'dca', side: 'BUY', price: '59900', quantity: '0.01', liquidity: 'MAKER', at: T + MINUTE + 15_000 }]);
    expect(first.some((e) => e.type === 'ORDER_TRIGGERED')).toBe(false);
    expect(first.find((e) => e.type === 'BAR_PAUSED')).toMatchObject({ leg: 1, price: '59899.9' });
    // What the trade manager does at the pause: the stop re-sized to the whole position, 0.02.
    expect(k.handle({ kind: 'order.cancel', time: T + MINUTE + 15_000, account: 'a', clientOrderId: 'sl' })[0]?.type).toBe('ORDER_CANCELED');
    k.handle(order({ side: 'SELL', type: 'STOP_LOSS', quantity: '0.02', stopPrice: '59850', reduceOnly: true, clientOrderId: 'sl2' }, T + MINUTE + 15_000));
    // Resumed: 59899.9 → 59850, the stop's trigger, fills the whole position a tick under it.
    const second = k.handle({ ...b, resume: { leg: 1, price: '59899.9' } });
    expect(fills(second)).toEqual([{ id: 'sl2', side: 'SELL', price: '59849.9', quantity: '0.02', liquidity: 'TAKER', at: T + MINUTE + 15_000 }]);
  });

  it('a trailing stop follows the path and triggers on the way back', () => {
    const k = longAt60000();
    k.handle(order({ side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.01', callbackRate: '0.01', reduceOnly: true, clientOrderId: 'trail' }));
    // Closed down: 60500 → 61000 (peak; stop 61000 × 0.99 = 60390) → 60390 → 60000 → 60200.
    const events = k.handle(bar(T + MINUTE, '60500', '61000', '60000', '60200'));
    expect(events.find((e) => e.type === 'ORDER_TRIGGERED')).toMatchObject({ clientOrderId: 'trail', stopPrice: '60390', triggerPrice: '60390' });
    expect(fills(events)).toEqual([{ id: 'trail', side: 'SELL', price: '60389.9', quantity: '0.01', liquidity: 'TAKER', at: T + MINUTE + 30_000 }]);
  });

  it('pauseOnFill stops after the step that filled; resuming from the pause point ends as the whole bar would', () => {
    const whole = withStopAndTarget(longAt60000());
    const paused = withStopAndTarget(longAt60000());
    const b = bar(T + MINUTE, '60000', '60300', '59700', '60200');
    const first = paused.handle({ ...b, pauseOnFill: true });
    expect(first.find((e) => e.type === 'BAR_PAUSED')).toEqual({ type: 'BAR_PAUSED', at: T + MINUTE + 15_000, symbol: 'BTCUSDT', leg: 1, price: '59800' });
    expect(paused.bookStatus('BTCUSDT')?.status).toBe('synced'); // what the caller sends now meets the quote at 59800
    // The target then triggers (and expires, nothing left to reduce): a second pause, at 60250 on leg 2.
    const second = paused.handle({ ...b, pauseOnFill: true, resume: { leg: 1, price: '59800' } });
    expect(second.find((e) => e.type === 'BAR_PAUSED')).toMatchObject({ leg: 2, price: '60250' });
    expect(paused.handle({ ...b, pauseOnFill: true, resume: { leg: 2, price: '60250' } }).some((e) => e.type === 'BAR_PAUSED')).toBe(false);
    whole.handle(b);
    expect(paused.balances('a')).toEqual(whole.balances('a'));
    expect(paused.openOrders('a').map((o) => [o.clientOrderId, o.status])).toEqual(whole.openOrders('a').map((o) => [o.clientOrderId, o.status]));
    expect(paused.bookStatus('BTCUSDT')?.status).toBe('resync-needed');
  });

  it('values carried with a bar are taken only for the texts they were parsed from', () => {
    const texts = { open: '60000', high: '60300', low: '59700', close: '60200', volume: '10' };
    const scale = 10n ** 18n;
    const values: BarValues = { open: 60000n * scale, high: 60300n * scale, low: 59700n * scale, close: 60200n * scale, volume: 10n * scale, texts };
    // Matching texts: the same path as the bar alone, the stop one tick under its 59800 trigger.
    const same = withStopAndTarget(longAt60000());
    expect(fills(same.handle({ ...bar(T + MINUTE, '60000', '60300', '59700', '60200'), [BAR_VALUES]: values } as BarInput))).toEqual([
      { id: 'sl', side: 'SELL', price: '59799.9', quantity: '0.01', liquidity: 'TAKER', at: T + MINUTE + 15_000 },
    ]);
    // Other texts: they are parsed, and the bar gaps through the stop to 59500 (filled at 59499.9).
    const other = withStopAndTarget(longAt60000());
    expect(fills(other.handle({ ...bar(T + MINUTE, '59500', '59600', '59400', '59550'), [BAR_VALUES]: values } as BarInput))).toEqual([
      { id: 'sl', side: 'SELL', price: '59499.9', quantity: '0.01', liquidity: 'TAKER', at: T + MINUTE },
    ]);
  });

  it('a bar over a market with no order and no position leaves the mark at its close, and the next bar still meets an order', () => {
    const k = new Kernel({ instruments: [PERP], equityIntervalMs: 0 });
    k.handle({ kind: 'account.open', time: T, account: 'a', type: 'futures', balances: { USDT: '10000' }, leverage: 10, fees: { maker: '0', taker: '0' } });
    expect(k.handle(bar(T, '60000', '60300', '59700', '60200'))).toEqual([]);
    expect(k.markPrice('BTCUSDT')).toBe(60200n * 10n ** 18n);
    k.handle(order({ side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '60100', clientOrderId: 'bid' }, T + MINUTE - 1));
    // Closed down, high first: 60200 → 60250 → 60000 (through the bid at 60100, at +½) → 60150.
    expect(fills(k.handle(bar(T + MINUTE, '60200', '60250', '60000', '60150')))).toEqual([
      { id: 'bid', side: 'BUY', price: '60100', quantity: '0.01', liquidity: 'MAKER', at: T + MINUTE + 30_000 },
    ]);
  });

  it('a malformed bar is refused with INVALID_INPUT and changes nothing', () => {
    const k = withStopAndTarget(longAt60000());
    const before = { balances: k.balances('a'), orders: k.openOrders('a').map((o) => o.id), mark: k.markPrice('BTCUSDT'), now: k.now };
    const bad: unknown[] = [
      bar(T + MINUTE, '60000', '59900', '59700', '60200'), // high under the open
      bar(T + MINUTE, '60000', '60300', '60100', '60200'), // low above the open
      bar(T + MINUTE, '60000', '60300', '59700', '6e4'),
      bar(T + MINUTE, '60000', '60300', '59700', '60200', { volume: '-1' }),
      bar(T + MINUTE, '0', '60300', '0', '60200'),
      bar(T + MINUTE, '60000', '60300', '59700', '60200', { symbol: 'ETHUSDT' }),
      bar(T + MINUTE, '60000', '60300', '59700', '60200', { intervalMs: 0 }),
      bar(T + MINUTE, '60000', '60300', '59700', '60200', { resume: { leg: 2, price: '59600' } }), // not on the leg 59700 → 60300
      bar(T + MINUTE, '60000', '60300', '59700', '60200', { resume: { leg: 4, price: '60000' } } as unknown as Partial<BarInput>),
      { ...bar(T + MINUTE, '60000', '60300', '59700', '60200'), close: 60200 },
    ];
    for (const input of bad) {
      const events = k.handle(input as BarInput);
      expect(events).toEqual([expect.objectContaining({ type: 'INPUT_REJECTED', code: 'INVALID_INPUT', kind: 'bar' })]);
      expect(inputProblem(input, new Set(['BTCUSDT']))).toBe((events[0] as { message: string }).message);
    }
    expect({ balances: k.balances('a'), orders: k.openOrders('a').map((o) => o.id), mark: k.markPrice('BTCUSDT'), now: k.now }).toEqual(before);
    expect(inputProblem(bar(T, '60000', '60300', '59700', '60200'), new Set(['BTCUSDT']))).toBeUndefined();
  });
});
