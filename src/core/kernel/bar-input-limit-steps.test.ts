import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { KernelEvent } from './events.js';
import type { BarInput, PlaceOrderInput } from './inputs.js';
import { Kernel } from './kernel.js';

// A resting limit's step is one tick through its price (ADR 0042, 2026-12-02), at the edges: a low that
// only touches it, a low one tick through it, limits one tick apart, a gap at the open, a short on a
// 0.01 tick. Every figure is worked by hand from the header of bar-input.ts: fills at the limit's own
// price as maker, the pause at the step's price, anchors at ¼, ½ and the end of the minute.
const BTC = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!; // tick 0.1
const ETH = findBundledInstrument('binance', 'perpetual', 'ETHUSDT')!; // tick 0.01
const T = 1_700_000_000_000;
const MINUTE = 60_000;

function bar(symbol: string, time: number, open: string, high: string, low: string, close: string, extra: Partial<BarInput> = {}): BarInput {
  return { kind: 'bar', time, symbol, open, high, low, close, volume: '10', intervalMs: MINUTE, pauseOnFill: true, ...extra };
}

function order(symbol: string, fields: Omit<PlaceOrderInput, 'kind' | 'time' | 'account' | 'symbol'>): PlaceOrderInput {
  return { kind: 'order.place', time: T, account: 'a', symbol, ...fields };
}

const acted = (events: readonly KernelEvent[]) =>
  events.flatMap((e) =>
    e.type === 'FILL' ? [`fill ${e.clientOrderId} ${e.side} ${e.price} ${e.liquidity} at +${e.at - T}`]
    : e.type === 'ORDER_TRIGGERED' ? [`trigger ${e.clientOrderId}`]
    : e.type === 'BAR_PAUSED' ? [`pause leg ${e.leg} at ${e.price}`]
    : e.type === 'INPUT_REJECTED' ? [`rejected ${e.code}`]
    : [],
  );

/** A fee-free futures account with a position on `symbol` opened at market on a flat bar at `price`. */
function positioned(symbol: string, side: 'BUY' | 'SELL', quantity: string, price: string): Kernel {
  const k = new Kernel({ instruments: [BTC, ETH], equityIntervalMs: 0 });
  k.handle({ kind: 'account.open', time: T, account: 'a', type: 'futures', balances: { USDT: '100000' }, leverage: 10, fees: { maker: '0', taker: '0' } });
  k.handle(order(symbol, { side, type: 'MARKET', quantity, clientOrderId: 'entry' }));
  expect(acted(k.handle(bar(symbol, T, price, price, price, price, { pauseOnFill: false })))).toHaveLength(1);
  return k;
}

/** Sends `input`, then its resumes from each pause, and returns what each input did. */
function walk(k: Kernel, input: BarInput): string[][] {
  const out: string[][] = [];
  let events = k.handle(input);
  for (;;) {
    out.push(acted(events));
    const pause = events.find((e) => e.type === 'BAR_PAUSED');
    if (pause?.type !== 'BAR_PAUSED') return out;
    events = k.handle({ ...input, resume: { leg: pause.leg, price: pause.price } });
  }
}

describe('a resting limit at the edges of the bar path', () => {
  it('a low that only touches the bid fills nothing; a low one tick through it fills at the low, the pause going on with the next leg', () => {
    const touched = positioned('BTCUSDT', 'BUY', '0.01', '60000');
    touched.handle(order('BTCUSDT', { side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '59900', clientOrderId: 'bid' }));
    expect(walk(touched, bar('BTCUSDT', T + MINUTE, '60000', '60100', '59900', '60050'))).toEqual([[]]);

    const through = positioned('BTCUSDT', 'BUY', '0.01', '60000');
    through.handle(order('BTCUSDT', { side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '59900', clientOrderId: 'bid' }));
    // Closed up: the low first. 59899.9 is the low itself: no step of its own before it.
    expect(walk(through, bar('BTCUSDT', T + MINUTE, '60000', '60100', '59899.9', '60050'))).toEqual([
      ['fill bid BUY 59900 MAKER at +75000', 'pause leg 2 at 59899.9'],
      [],
    ]);
  });

  it('bids one tick apart and a stop one tick under the second: each bid fills in a step of its own; the second bid and the stop share the print that reaches both', () => {
    const k = positioned('BTCUSDT', 'BUY', '0.01', '60000');
    k.handle(order('BTCUSDT', { side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '59900', clientOrderId: 'b1' }));
    k.handle(order('BTCUSDT', { side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '59899.9', clientOrderId: 'b2' }));
    k.handle(order('BTCUSDT', { side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', stopPrice: '59899.8', reduceOnly: true, clientOrderId: 'sl' }));
    // Path 60000 → 59899.9 (b1) → 59899.8 (b2, and the stop's trigger: its fill a tick under) → 59700 → 60100 → 60050.
    expect(walk(k, bar('BTCUSDT', T + MINUTE, '60000', '60100', '59700', '60050'))).toEqual([
      ['fill b1 BUY 59900 MAKER at +75000', 'pause leg 1 at 59899.9'],
      ['fill b2 BUY 59899.9 MAKER at +75000', 'trigger sl', 'fill sl SELL 59899.7 TAKER at +75000', 'pause leg 1 at 59899.8'],
      [],
    ]);
  });

  it('a bid the bar opens under fills at its own price, as maker, at the open', () => {
    const k = positioned('BTCUSDT', 'BUY', '0.01', '60000');
    k.handle(order('BTCUSDT', { side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '59900', clientOrderId: 'bid' }));
    expect(walk(k, bar('BTCUSDT', T + MINUTE, '60000', '60100', '59950', '60050'))).toEqual([[]]); // rests through a bar
    expect(walk(k, bar('BTCUSDT', T + 2 * MINUTE, '59850', '60100', '59800', '60050'))[0]).toEqual([
      `fill bid BUY 59900 MAKER at +${2 * MINUTE}`,
      'pause leg 1 at 59850',
    ]);
  });

  it('a bid at the open fills one tick under it', () => {
    const k = positioned('BTCUSDT', 'BUY', '0.01', '60000');
    k.handle(order('BTCUSDT', { side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '59900', clientOrderId: 'bid' }));
    expect(walk(k, bar('BTCUSDT', T + MINUTE, '59900', '60100', '59800', '60050'))[0]).toEqual([
      'fill bid BUY 59900 MAKER at +75000',
      'pause leg 1 at 59899.9',
    ]);
  });

  it('a short on a 0.01 tick: the ask fills one cent through it; a resume from the ask\'s own price is refused, as the bar did not pause there', () => {
    const k = positioned('ETHUSDT', 'SELL', '1', '3000');
    k.handle(order('ETHUSDT', { side: 'SELL', type: 'LIMIT', quantity: '1', price: '3010', clientOrderId: 'ask' }));
    k.handle(order('ETHUSDT', { side: 'BUY', type: 'STOP_LOSS', quantity: '1', stopPrice: '3010.02', reduceOnly: true, clientOrderId: 'sl' }));
    const b = bar('ETHUSDT', T + MINUTE, '3000', '3020', '2980', '2995'); // closed down: the high first
    expect(acted(k.handle(b))).toEqual(['fill ask SELL 3010 MAKER at +75000', 'pause leg 1 at 3010.01']);
    expect(acted(k.handle({ ...b, resume: { leg: 1, price: '3010' } }))).toEqual(['rejected INVALID_INPUT']);
    expect(acted(k.handle({ ...b, resume: { leg: 1, price: '3010.01' } }))).toEqual([
      'trigger sl',
      'fill sl BUY 3010.03 TAKER at +75000',
      'pause leg 1 at 3010.02',
    ]);
  });

  it('a resume past the first leg that turns highFirst is refused: that path would go back to the low and never reach the high', () => {
    const k = positioned('BTCUSDT', 'BUY', '0.01', '60000');
    k.handle(order('BTCUSDT', { side: 'SELL', type: 'LIMIT', quantity: '0.005', price: '60050', clientOrderId: 'ask' }));
    k.handle(order('BTCUSDT', { side: 'SELL', type: 'TAKE_PROFIT', quantity: '0.005', stopPrice: '60150', reduceOnly: true, clientOrderId: 'tp' }));
    // Closed up: 60000 → 59900 → 60050.1 (the ask fills: pause on leg 2) → 60150 → 60200 → 60100.
    const b = bar('BTCUSDT', T + MINUTE, '60000', '60200', '59900', '60100');
    expect(acted(k.handle(b))).toEqual(['fill ask SELL 60050 MAKER at +90000', 'pause leg 2 at 60050.1']);
    const before = k.snapshot();
    // High first from here would be leg 2 = 60200 → 59900, through 60050.1 too: the take-profit would never trigger.
    expect(acted(k.handle({ ...b, highFirst: true, resume: { leg: 2, price: '60050.1' } }))).toEqual(['rejected INVALID_INPUT']);
    expect(k.snapshot().replace(/"sequence":\d+/, '')).toBe(before.replace(/"sequence":\d+/, ''));
    // The same bar as it paused goes on: the take-profit triggers at 60150 and fills a tick under it.
    expect(acted(k.handle({ ...b, resume: { leg: 2, price: '60050.1' } }))).toEqual([
      'trigger tp',
      'fill tp SELL 60149.9 TAKER at +90000',
      'pause leg 2 at 60150',
    ]);
  });

  it('a bar paused at its open may still turn highFirst there: the caller\'s orders at the open may change its exposure', () => {
    const k = positioned('BTCUSDT', 'BUY', '0.01', '60000');
    k.handle(order('BTCUSDT', { side: 'SELL', type: 'MARKET', quantity: '0.01', reduceOnly: true, clientOrderId: 'out' }));
    const b = bar('BTCUSDT', T + MINUTE, '60000', '60200', '59900', '60100');
    expect(acted(k.handle(b))).toEqual(['fill out SELL 59999.9 TAKER at +60000', 'pause leg 1 at 60000']);
    expect(acted(k.handle({ ...b, highFirst: true, resume: { leg: 1, price: '60000' } }))).toEqual([]);
  });
});

// `pauseAtOpen` (ADR 0042, "The open of a bar"): the bar pauses after the open's step whatever acted
// there, so that orders decided between bars meet the open after what rested met the open's print.
describe('a bar that pauses at its open', () => {
  it('pauses at the open with nothing resting, on leg 1 at the open; without pauseAtOpen the same bar runs through', () => {
    const k = positioned('BTCUSDT', 'BUY', '0.01', '60000');
    expect(walk(k, bar('BTCUSDT', T + MINUTE, '60000', '60100', '59900', '60050', { pauseAtOpen: true }))).toEqual([['pause leg 1 at 60000'], []]);
    expect(walk(k, bar('BTCUSDT', T + 2 * MINUTE, '60000', '60100', '59900', '60050'))).toEqual([[]]);
    // A flat market (no order, no position): the quiet path pauses there too.
    const flat = new Kernel({ instruments: [BTC], equityIntervalMs: 0 });
    expect(walk(flat, bar('BTCUSDT', T, '60000', '60100', '59900', '60050', { pauseAtOpen: true }))).toEqual([['pause leg 1 at 60000'], []]);
  });

  it('a gap through a resting stop: the stop fills at the open first, then a market order sent at the pause meets the open quote', () => {
    const k = positioned('BTCUSDT', 'BUY', '0.01', '60000');
    k.handle(order('BTCUSDT', { side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', stopPrice: '59950', reduceOnly: true, clientOrderId: 'sl' }));
    const input = bar('BTCUSDT', T + MINUTE, '59800', '59900', '59700', '59850', { pauseAtOpen: true });
    // Gapped through 59950: the stop pays the tick beyond the open, 59799.9; the bar pauses at the open.
    expect(acted(k.handle(input))).toEqual(['trigger sl', 'fill sl SELL 59799.9 TAKER at +60000', 'pause leg 1 at 59800']);
    // The position is closed: a reduce-only close sent now has nothing to reduce; a new entry buys the open's ask.
    const close = k.handle(order('BTCUSDT', { side: 'SELL', type: 'MARKET', quantity: '0.01', reduceOnly: true, clientOrderId: 'close' }));
    expect(close.some((e) => e.type === 'FILL')).toBe(false);
    expect(acted(k.handle(order('BTCUSDT', { side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'long' })))).toEqual(['fill long BUY 59800.1 TAKER at +60000']);
    expect(acted(k.handle({ ...input, resume: { leg: 1, price: '59800' } }))).toEqual([]);
  });
});
