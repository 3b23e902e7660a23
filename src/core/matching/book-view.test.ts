import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatFixed, parseFixed, type Fixed } from '../money/fixed.js';
import type { FillEvent, KernelEvent } from '../kernel/events.js';
import type { KernelInput, PlaceOrderInput, TradeInput } from '../kernel/inputs.js';
import { Kernel } from '../kernel/kernel.js';
import { BookSide } from '../book/book-side.js';
import { BookView } from './book-view.js';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { instrumentForRecording, replayInputs } from '../../market-data/replay-session.js';
import type { Recording } from '../../market-data/recording-reader.js';
import { BUNDLED_RECORDING, USDM_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording } from '../../test-kit/recording-stepper.js';

const SYMBOL = 'BTCUSDT';
const RICH = { USDT: '100000000', BTC: '1000' };

type Order = Omit<PlaceOrderInput, 'kind' | 'symbol'>;

/** Replays the recording with the orders merged by time, as `papertrade replay` does; `observe` sees every input and its events. */
function replay(recording: Recording, orders: readonly Order[], observe?: (input: KernelInput, events: readonly KernelEvent[]) => void): KernelEvent[] {
  const kernel = new Kernel({ instruments: [instrumentForRecording(recording)] });
  const commands = [...orders].sort((a, b) => a.time - b.time).map((o): PlaceOrderInput => ({ kind: 'order.place', symbol: SYMBOL, ...o }));
  const all: KernelEvent[] = [];
  const balances = recording.market === 'perpetual' ? { USDT: RICH.USDT } : RICH;
  for (const input of replayInputs(recording, commands, balances, { leverage: 10 })) {
    const events = kernel.handle(input);
    observe?.(input, events);
    all.push(...events);
  }
  kernel.checkInvariants();
  return all;
}

const fillsOf = (events: readonly KernelEvent[], account: string): Array<[string, string]> =>
  events.filter((e): e is FillEvent => e.type === 'FILL' && e.account === account).map((f) => [f.price, f.quantity]);

describe('the book view paper orders see, on the real tape', () => {
  const recording = loadRecording(BUNDLED_RECORDING);

  it('a sell stop triggered inside a sweep fills at the triggering print, not on the bids the sweep already took', () => {
    // Rows of the recording: bid 61650.00 was last stated at 0.03808 (depth E=1723161490521). The
    // sell sweep of 1723161502325–…344 printed every bid from 61687.71 down; the first print at or
    // below 61650.00 is trade 3735688993, 0.00159 at 61650.00 (t=1723161502330). After it the bids
    // above 61650 are gone and 0.03808 − 0.00159 = 0.03649 remain at 61650.00: the stop sells 0.01 there.
    // Before the rule it sold at 61686.03, a bid the sweep had taken 4 ms earlier.
    const events = replay(recording, [{ time: 1723161300000, account: 'a', side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', stopPrice: '61650.00' }]);
    expect(events.find((e) => e.type === 'ORDER_TRIGGERED')).toMatchObject({ at: 1723161502330, triggerPrice: '61650' });
    expect(fillsOf(events, 'a')).toEqual([['61650', '0.01']]);
  });

  it('a buy stop-limit and a market buy inside a buy sweep pay at least the last print, never an ask it lifted', () => {
    // Ask 61850.00 was stated at 0.26284 (E=1723161300729) and next at E=1723161309733. Buyers
    // printed 61847.86, 61848.00, 61849.79 and then trade 3735684443, 0.00105 at 61850.00
    // (t=1723161309718): every ask below 61850 is gone and 0.26284 − 0.00105 = 0.26179 remain there
    // (the next update states exactly 0.26179). Both orders (0.01 each) fill at 61850.00; before, at 61843.25.
    const events = replay(recording, [
      { time: 1723161300000, account: 'b', side: 'BUY', type: 'STOP_LOSS_LIMIT', quantity: '0.01', stopPrice: '61850.00', price: '61860.00' },
      { time: 1723161309718, account: 'c', side: 'BUY', type: 'MARKET', quantity: '0.01' },
    ]);
    expect(fillsOf(events, 'b')).toEqual([['61850', '0.01']]);
    expect(fillsOf(events, 'c')).toEqual([['61850', '0.01']]);
  });

  it('liquidity a paper order took does not come back when the exchange restates the same size', () => {
    // Ask 61747.28 was stated at 4.70563 (E=1723161399876) and restated at 4.70563 (E=1723161400476);
    // no trade printed at 61747.28 between 1723161399414 and 1723161400600. x takes all of it;
    // neither y nor z may take any of it again. Before, z got 4.70563 at 61747.28 a second time.
    const events = replay(recording, [
      { time: 1723161400000, account: 'x', side: 'BUY', type: 'MARKET', quantity: '4.70563' },
      { time: 1723161400300, account: 'y', side: 'BUY', type: 'MARKET', quantity: '1' },
      { time: 1723161400500, account: 'z', side: 'BUY', type: 'MARKET', quantity: '4.70563' },
    ]);
    expect(fillsOf(events, 'x')).toEqual([['61747.28', '4.70563']]);
    for (const account of ['y', 'z']) {
      const fills = fillsOf(events, account);
      expect(fills.reduce((sum, [, q]) => sum + parseFixed(q), 0n), account).toBe(parseFixed(account === 'y' ? '1' : '4.70563'));
      expect(fills.every(([p]) => parseFixed(p) > parseFixed('61747.28')), account).toBe(true);
    }
    // y took the levels above first; z starts no lower than where y stopped, except where the book shows more.
    expect(parseFixed(fillsOf(events, 'z')[0]![0]) >= parseFixed(fillsOf(events, 'y').at(-1)![0])).toBe(true);
  });

  it.each([
    ['spot', BUNDLED_RECORDING],
    ['USD-M', USDM_RECORDING],
  ])('no stop fills better than the print that triggered it, over the whole %s recording', (_market, dir) => {
    const tape = loadRecording(dir);
    const stops: Order[] = [];
    for (let i = 0; i < 23; i += 1) {
      const stop = formatFixed(parseFixed('61600') + parseFixed('10') * BigInt(i));
      stops.push({ time: 1723161300000 + i * 1000, account: `s${i}`, side: 'SELL', type: 'STOP_LOSS', quantity: '0.05', stopPrice: stop, clientOrderId: `sell-${stop}` });
      stops.push({ time: 1723161300000 + i * 1000, account: `s${i}`, side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.02', stopPrice: stop, price: formatFixed(parseFixed(stop) - parseFixed('30')), clientOrderId: `sell-limit-${stop}` });
    }
    for (let i = 0; i < 12; i += 1) {
      const stop = formatFixed(parseFixed('61780') + parseFixed('10') * BigInt(i));
      stops.push({ time: 1723161280000 + i * 500, account: `b${i}`, side: 'BUY', type: 'STOP_LOSS', quantity: '0.05', stopPrice: stop, clientOrderId: `buy-${stop}` });
    }
    const events = replay(tape, stops);
    // The model: a stop's triggering print is the first trade after it was placed that reaches its stop price.
    // A command is handled before the first market input stamped after it (the recorder's order).
    let judged = 0;
    for (const stop of stops) {
      const stopPrice = parseFixed(stop.stopPrice!);
      const sell = stop.side === 'SELL';
      const from = tape.inputs.findIndex((i) => i.time > stop.time);
      const print = tape.inputs
        .slice(from)
        .filter((t): t is TradeInput => t.kind === 'trade')
        .find((t) => (sell ? parseFixed(t.price) <= stopPrice : parseFixed(t.price) >= stopPrice));
      const fills = events.filter((e): e is FillEvent => e.type === 'FILL' && e.clientOrderId === stop.clientOrderId);
      if (print === undefined) {
        expect(fills, stop.clientOrderId).toEqual([]);
        continue;
      }
      for (const fill of fills) {
        const price = parseFixed(fill.price);
        expect(sell ? price <= parseFixed(print.price) : price >= parseFixed(print.price), `${stop.clientOrderId} filled at ${fill.price}, print ${print.price}`).toBe(true);
        judged += 1;
      }
    }
    expect(judged).toBeGreaterThan(40);
  });

  it.each([
    ['spot', BUNDLED_RECORDING],
    ['USD-M', USDM_RECORDING],
  ])('no displayed liquidity is used twice across the %s run: takers from many accounts, judged level by level', (_market, dir) => {
    const tape = loadRecording(dir);
    const orders: Order[] = [];
    for (let i = 0; i < 120; i += 1) {
      const time = 1723161260000 + i * 2_750;
      const side = i % 3 === 2 ? 'SELL' : 'BUY';
      orders.push({ time, account: `t${i % 4}`, side, type: 'MARKET', quantity: i % 5 === 0 ? '3.5' : '0.9' });
      orders.push({ time: time + 40, account: `u${i % 3}`, side, type: 'MARKET', quantity: '1.3' });
    }
    // The model, written from the rule alone: per level, the displayed size as the recording states
    // it; real volume traded there since it was stated; a print beyond the level empties it; paper's
    // claim, which real trades at the level retire first and a statement caps at the size stated.
    // A paper taker may take at most displayed − traded − claim.
    const displayed = { bid: new Map<Fixed, Fixed>(), ask: new Map<Fixed, Fixed>() };
    const traded = { bid: new Map<Fixed, Fixed>(), ask: new Map<Fixed, Fixed>() };
    const claim = { bid: new Map<Fixed, Fixed>(), ask: new Map<Fixed, Fixed>() };
    const swept = { bid: new Set<Fixed>(), ask: new Set<Fixed>() };
    const state = (side: 'bid' | 'ask', price: Fixed, size: Fixed) => {
      if (size === 0n) displayed[side].delete(price);
      else displayed[side].set(price, size);
      traded[side].delete(price);
      const c = swept[side].has(price) ? 0n : claim[side].get(price) ?? 0n;
      swept[side].delete(price);
      claim[side].set(price, c < size ? c : size);
    };
    let takes = 0;
    let snapshotId = -1;
    // The input's market effect comes first: orders it fills or triggers meet the book after it.
    const observe = (input: KernelInput, events: readonly KernelEvent[]) => {
      if (input.kind === 'book.snapshot') {
        snapshotId = input.lastUpdateId;
        for (const side of ['bid', 'ask'] as const) {
          const fresh = new Map((side === 'bid' ? input.bids : input.asks).map(([p, q]) => [parseFixed(p), parseFixed(q)]));
          for (const price of new Set([...displayed[side].keys(), ...claim[side].keys(), ...fresh.keys()])) state(side, price, fresh.get(price) ?? 0n);
        }
      }
      if (input.kind === 'book.delta' && input.finalUpdateId > snapshotId) {
        for (const [p, q] of input.bids) state('bid', parseFixed(p), parseFixed(q));
        for (const [p, q] of input.asks) state('ask', parseFixed(p), parseFixed(q));
      }
      if (input.kind === 'trade') {
        const side = input.buyerMaker ? 'bid' : 'ask';
        const price = parseFixed(input.price);
        const q = parseFixed(input.quantity);
        for (const level of displayed[side].keys()) if (side === 'bid' ? level > price : level < price) swept[side].add(level);
        const c = claim[side].get(price) ?? 0n;
        claim[side].set(price, c > q ? c - q : 0n);
        traded[side].set(price, (traded[side].get(price) ?? 0n) + q);
      }
      for (const e of events) {
        if (e.type !== 'FILL' || e.liquidity !== 'TAKER') continue;
        const side = e.side === 'BUY' ? 'ask' : 'bid';
        const price = parseFixed(e.price);
        const q = parseFixed(e.quantity);
        const free = swept[side].has(price) ? 0n : (displayed[side].get(price) ?? 0n) - (traded[side].get(price) ?? 0n) - (claim[side].get(price) ?? 0n);
        expect(q <= free, `${e.account} took ${e.quantity} at ${e.price} (${side}) where ${formatFixed(free)} was free`).toBe(true);
        claim[side].set(price, (claim[side].get(price) ?? 0n) + q);
        takes += 1;
      }
    };
    replay(tape, orders, observe);
    expect(takes).toBeGreaterThan(500);
  });
});

describe('the book view, level by level', () => {
  const f = parseFixed;
  function asks(levels: Array<[string, string]>): BookSide {
    const side = new BookSide('ask');
    for (const [p, q] of levels) side.set(f(p), f(q));
    return side;
  }

  it('a restatement of the same size or less gives nothing back; more size, or an emptied level, does', () => {
    const book = asks([['100', '5']]);
    const view = new BookView();
    view.take('ask', f('100'), f('3'));
    expect(view.available('ask', f('100'), f('5'))).toBe(f('2'));
    view.stated('ask', f('100'), f('5')); // the same size again: still 2
    expect(view.available('ask', f('100'), f('5'))).toBe(f('2'));
    view.stated('ask', f('100'), f('4')); // 1 cancelled: 4 − 3
    expect(view.available('ask', f('100'), f('4'))).toBe(f('1'));
    view.stated('ask', f('100'), f('7')); // 3 new: 7 − 3
    expect(view.available('ask', f('100'), f('7'))).toBe(f('4'));
    view.stated('ask', f('100'), f('0')); // the level emptied: what returns later is new
    expect(view.available('ask', f('100'), f('2'))).toBe(f('2'));
    expect(view.entries()).toEqual([]);
    expect(book.depth).toBe(1);
  });

  it('real trades at the level retire what paper took first; a print beyond a level empties it until stated', () => {
    const book = asks([['100', '5'], ['101', '2']]);
    const view = new BookView();
    view.take('ask', f('100'), f('3'));
    view.onTrade(book, f('100'), f('1')); // the same front of the queue: paper 2, traded 1
    expect(view.available('ask', f('100'), f('5'))).toBe(f('2'));
    view.stated('ask', f('100'), f('4')); // the exchange shows the trade: 4 − 2
    expect(view.available('ask', f('100'), f('4'))).toBe(f('2'));
    view.onTrade(book, f('101'), f('0.5')); // a buyer printed at 101: nothing is left at 100
    expect(view.available('ask', f('100'), f('4'))).toBe(0n);
    expect(view.available('ask', f('101'), f('2'))).toBe(f('1.5'));
    view.stated('ask', f('100'), f('4')); // stated again after the sweep: all of it is there
    expect(view.available('ask', f('100'), f('4'))).toBe(f('4'));
  });

  for (const side of ['bid', 'ask'] as const) {
    it(`keeps on the ${side} side the entries the rules give, through prints that sweep again what an earlier one swept`, () => {
      // A model of the rules in the file's header, entry by entry, against the view driven as the matching
      // engine drives it (a delta sets the book, then states its levels; paper takes; prints sweep).
      const tick = 10n ** 16n;
      const at = (i: number): Fixed => 100n * 10n ** 18n + BigInt(i) * tick;
      const op = fc.oneof(
        { arbitrary: fc.tuple(fc.constant('delta' as const), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 4 })), weight: 4 },
        { arbitrary: fc.tuple(fc.constant('print' as const), fc.integer({ min: -2, max: 42 }), fc.integer({ min: 1, max: 3 })), weight: 4 },
        { arbitrary: fc.tuple(fc.constant('take' as const), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 })), weight: 1 },
      );
      fc.assert(
        fc.property(fc.array(op, { minLength: 1, maxLength: 300 }), (ops) => {
          const book = new BookSide(side);
          const view = new BookView();
          const model = new Map<Fixed, { paper: Fixed; traded: Fixed; swept: boolean }>();
          const better = (a: Fixed, b: Fixed) => (side === 'bid' ? a > b : a < b);
          for (let i = 0; i <= 40; i += 1) if (i % 3 !== 0) book.set(at(i), 2n * 10n ** 18n);
          for (const [kind, i, q] of ops) {
            const price = at(i);
            const quantity = BigInt(q) * 10n ** 18n;
            if (kind === 'delta') {
              book.set(price, quantity);
              view.statedIn(book, price);
              const use = model.get(price);
              if (use !== undefined) {
                const paper = use.swept || use.paper < quantity ? (use.swept ? 0n : use.paper) : quantity;
                if (paper === 0n) model.delete(price);
                else model.set(price, { paper, traded: 0n, swept: false });
              }
            } else if (kind === 'take') {
              view.take(side, price, quantity);
              if (quantity > 0n) {
                const use = model.get(price) ?? { paper: 0n, traded: 0n, swept: false };
                model.set(price, { ...use, paper: use.paper + quantity });
              }
            } else {
              for (const [level] of book.levels()) {
                if (!better(level, price)) break;
                model.set(level, { paper: 0n, traded: model.get(level)?.traded ?? 0n, swept: true });
              }
              view.onTrade(book, price, quantity);
              const use = model.get(price) ?? (book.has(price) ? { paper: 0n, traded: 0n, swept: false } : undefined);
              if (use !== undefined) {
                const retired = use.paper < quantity ? use.paper : quantity;
                model.set(price, { ...use, paper: use.paper - retired, traded: use.traded + quantity });
              }
            }
            const expected = [...model].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, u]) => [side, p, u.paper, u.traded, u.swept]);
            expect(view.entries()).toEqual(expected);
          }
        }),
        { numRuns: 200 },
      );
    });
  }

  it('round-trips through its snapshot entries, and reads the older form', () => {
    const book = asks([['100', '5']]);
    const view = new BookView();
    view.take('ask', f('100'), f('3'));
    view.onTrade(book, f('100'), f('1'));
    const copy = new BookView();
    copy.restore(view.entries());
    expect(copy.entries()).toEqual(view.entries());
    copy.restore([['ask', f('100'), f('3')]]);
    expect(copy.available('ask', f('100'), f('5'))).toBe(f('2'));
  });
});

describe('a crossing book under the same rule', () => {
  it('a level that crossed resting orders fills them once; a restatement of its size does not fill them again, more size does', () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', SYMBOL)!] });
    kernel.handle({ kind: 'book.snapshot', time: 1_000, symbol: SYMBOL, lastUpdateId: 1, bids: [['59990.00', '1']], asks: [['60010.00', '1']] });
    for (const account of ['a', 'b']) {
      kernel.handle({ kind: 'account.open', time: 1_000, account, balances: { USDT: '1000000' } });
      kernel.handle({ kind: 'order.place', time: 1_000, account, symbol: SYMBOL, side: 'BUY', type: 'LIMIT', quantity: '2', price: '60000.00', clientOrderId: account });
    }
    const delta = (id: number, size: string) => kernel.handle({ kind: 'book.delta', time: 1_000 + id, symbol: SYMBOL, firstUpdateId: id, finalUpdateId: id, bids: [], asks: [['60000.00', size], ['60010.00', '0']] });
    const filled = (events: readonly KernelEvent[]) => events.filter((e): e is FillEvent => e.type === 'FILL').map((e) => [e.account, e.quantity]);
    // An ask of 1 at 60,000 crosses both bids: the earlier one (a) takes it all.
    expect(filled(delta(2, '1'))).toEqual([['a', '1']]);
    // The exchange restates 1 at 60,000: nothing new there, nobody fills.
    expect(filled(delta(3, '1'))).toEqual([]);
    // It shows 1.6: 0.6 was not there when a took the 1.
    expect(filled(delta(4, '1.6'))).toEqual([['a', '0.6']]);
  });
});
