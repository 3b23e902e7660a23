/**
 * Replay throughput: the bundled recording (Binance spot BTCUSDT) through `runReplay` (kernel,
 * matching, accounts) with 1,000 resting LIMIT orders from 5 accounts, priced on levels of the
 * recording's own book at their submission time; and the same replay with no orders as a baseline.
 * Reports inputs/s, events/s and × real time (recording span / wall time) at the steady state, after
 * the warm-up rounds, and the first pass's inputs/s beside them. Reading and parsing the files is
 * not timed. Also counts the orders the kernel still holds at the end, open and closed. Two floors
 * run in the same rounds (`replayFloors`): the recording's book updates applied to the kernel's book
 * alone, and to a plain JS Map per side; both must end with the book the replay ends with.
 */
import { BookSynchronizer } from '../src/core/book/book-synchronizer.js';
import { DecimalLevels } from '../src/core/book/decimal-levels.js';
import type { BookSnapshotInput, PlaceOrderInput } from '../src/core/kernel/inputs.js';
import { Kernel } from '../src/core/kernel/kernel.js';
import { formatFixed, parseFixed } from '../src/core/money/fixed.js';
import { isOpenStatus, type OrderStatus } from '../src/core/orders/order-status.js';
import type { Recording } from '../src/market-data/recording-reader.js';
import { instrumentForRecording, runReplay, type ReplayResult } from '../src/market-data/replay-session.js';
import { measure, perSecond, type Rounds, type Timing } from './bench-kit.js';

const ORDERS = 1_000;
const ACCOUNTS = 5;
const BALANCES = { USDT: '1000000', BTC: '20' };
const DEPTH = 500; // orders are priced on the top DEPTH levels of their side

/**
 * 1,000 LIMIT orders spread over the recording, alternating BUY and SELL, each priced on one of the
 * top DEPTH levels of its own side of the real book at its submission time (near ones fill, deep ones rest).
 */
export function restingOrders(recording: Recording): PlaceOrderInput[] {
  const kernel = new Kernel({ instruments: [instrumentForRecording(recording)] });
  const snapshotAt = recording.inputs.find((i) => i.kind === 'book.snapshot')!.time;
  const start = snapshotAt + 1_000;
  const step = Math.floor((recording.lastTime - start) * 0.9 / ORDERS);
  const orders: PlaceOrderInput[] = [];
  for (const input of recording.inputs) {
    while (orders.length < ORDERS && start + orders.length * step < input.time && kernel.bookStatus(recording.symbol)?.status === 'synced') {
      const i = orders.length;
      const side = i % 2 === 0 ? 'BUY' : 'SELL';
      const book = kernel.depth(recording.symbol, DEPTH)!;
      const levels = side === 'BUY' ? book.bids : book.asks;
      const level = levels[(i * 37) % levels.length];
      if (level === undefined) throw new Error(`the ${side} side of the book is empty at ${kernel.now}`);
      orders.push({
        kind: 'order.place', time: start + i * step, account: `a${(i % ACCOUNTS) + 1}`, symbol: recording.symbol,
        side, type: 'LIMIT', quantity: `0.00${(i % 5) + 1}`, price: level[0], clientOrderId: `c${i + 1}`,
      });
    }
    kernel.handle(input);
  }
  if (orders.length !== ORDERS) throw new Error(`only ${orders.length} orders fit in the recording`);
  return orders;
}

/** The two sides' depth and best level (price and size as decimal mantissa × 10^-digits text) after a floor or a replay. */
interface Top {
  readonly bids: number;
  readonly asks: number;
  readonly best: string;
}

/**
 * Floors for the replay line: the recording's book inputs, read from the same pre-parsed levels that
 * `runReplay` hands the kernel (`Recording.levels`), applied without the kernel; its trades skipped.
 * - `bookAlone`: our `BookSynchronizer` (the kernel's book: sequence checks, crossed-book check,
 *   the ladder of book-side.ts), fed every book input in the recording's order as the kernel is.
 * - `plainMap`: a JS `Map` per side from the price in units of 10^-digits to the size in units,
 *   Binance's procedure by hand (deltas up to the snapshot's lastUpdateId dropped, the rest applied
 *   after it), no checks: the least any book keeping every level must do.
 * Each returns the book's final depth and best levels, which must equal the kernel's after a replay.
 */
export function replayFloors(recording: Recording) {
  const levels = recording.levels;
  if (levels === undefined) throw new Error('the recording kept no pre-parsed levels');
  const inputs = recording.inputs;
  const snapshot = inputs.find((i): i is BookSnapshotInput => i.kind === 'book.snapshot');
  if (snapshot === undefined) throw new Error('the recording holds no book snapshot');
  // One scale per quantity for the whole recording, so that every key and size is an integer number of units.
  let priceDigits = 0;
  let sizeDigits = 0;
  const [bids, asks] = [new DecimalLevels(), new DecimalLevels()];
  inputs.forEach((input, i) => {
    if (input.kind !== 'book.delta' && input.kind !== 'book.snapshot') return;
    levels.levelsOf(i, input)!.readInto(bids, asks);
    for (const side of [bids, asks]) {
      for (let j = 0; j < side.length; j += 1) {
        priceDigits = Math.max(priceDigits, side.priceFraction[j]!);
        sizeDigits = Math.max(sizeDigits, side.sizeFraction[j]!);
      }
    }
  });
  const pow10 = Array.from({ length: 19 }, (_, i) => 10 ** i);
  const units = (mantissa: number, fraction: number, digits: number): string => {
    const text = String(mantissa * pow10[digits - fraction]!).padStart(digits + 1, '0');
    return digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  };

  const bookAlone = (): Top => {
    const sync = new BookSynchronizer(recording.symbol, recording.market === 'spot' ? 'spot' : 'usdm');
    for (let i = 0; i < inputs.length; i += 1) {
      const input = inputs[i]!;
      if (input.kind === 'book.delta') {
        levels.levelsOf(i, input)!.readInto(bids, asks);
        sync.onDelta({ firstUpdateId: input.firstUpdateId, finalUpdateId: input.finalUpdateId, bids, asks });
      } else if (input.kind === 'book.snapshot') {
        levels.levelsOf(i, input)!.readInto(bids, asks);
        sync.onSnapshot({ lastUpdateId: input.lastUpdateId, bids, asks });
      }
    }
    const [bid] = sync.book.bids.top(1);
    const [ask] = sync.book.asks.top(1);
    return { bids: sync.book.bids.depth, asks: sync.book.asks.depth, best: `${formatFixed(bid![0])} × ${formatFixed(bid![1])} / ${formatFixed(ask![0])} × ${formatFixed(ask![1])}` };
  };

  const plainMap = (): Top => {
    const sides = [new Map<number, number>(), new Map<number, number>()] as const;
    const apply = (side: Map<number, number>, l: DecimalLevels): void => {
      for (let j = 0; j < l.length; j += 1) {
        const key = l.priceMantissa[j]! * pow10[priceDigits - l.priceFraction[j]!]!;
        const size = l.sizeMantissa[j]! * pow10[sizeDigits - l.sizeFraction[j]!]!;
        if (size === 0) side.delete(key);
        else side.set(key, size);
      }
    };
    const applyInput = (i: number): void => {
      levels.levelsOf(i, inputs[i]!)!.readInto(bids, asks);
      apply(sides[0], bids);
      apply(sides[1], asks);
    };
    // Deltas recorded before the snapshot wait for it; those it does not cover follow it.
    let waiting: number[] | undefined = [];
    for (let i = 0; i < inputs.length; i += 1) {
      const input = inputs[i]!;
      if (input.kind === 'book.snapshot') {
        sides[0].clear();
        sides[1].clear();
        applyInput(i);
        for (const w of waiting ?? []) if ((inputs[w] as { finalUpdateId: number }).finalUpdateId > snapshot.lastUpdateId) applyInput(w);
        waiting = undefined;
      } else if (input.kind === 'book.delta') {
        if (waiting !== undefined) waiting.push(i);
        else if (input.finalUpdateId > snapshot.lastUpdateId) applyInput(i);
      }
    }
    // The best levels, found once at the end (a Map keeps no order).
    let bid = -Infinity;
    let ask = Infinity;
    for (const key of sides[0].keys()) if (key > bid) bid = key;
    for (const key of sides[1].keys()) if (key < ask) ask = key;
    const level = (key: number, side: Map<number, number>) => `${formatFixed(parseFixed(units(key, priceDigits, priceDigits)))} × ${formatFixed(parseFixed(units(side.get(key)!, sizeDigits, sizeDigits)))}`;
    return { bids: sides[0].size, asks: sides[1].size, best: `${level(bid, sides[0])} / ${level(ask, sides[1])}` };
  };
  return { bookAlone, plainMap };
}

/** The kernel's book after a replay, as `replayFloors` reports a floor's. */
function kernelTop(kernel: Kernel, symbol: string): Top {
  const book = kernel.depth(symbol, 1_000_000)!;
  const [bid] = book.bids;
  const [ask] = book.asks;
  const text = (x: string) => formatFixed(parseFixed(x));
  return { bids: book.bids.length, asks: book.asks.length, best: `${text(bid![0])} × ${text(bid![1])} / ${text(ask![0])} × ${text(ask![1])}` };
}

export function replayBench(recording: Recording, rounds: Rounds) {
  const orders = restingOrders(recording);
  const floors = replayFloors(recording);
  const tops: Top[] = [];
  const last: { result?: ReplayResult; events: number; fills: number; closed: number }[] = [{ events: 0, fills: 0, closed: 0 }, { events: 0, fills: 0, closed: 0 }];
  const replay = (slot: number, commands: readonly PlaceOrderInput[]) => () => () => {
    let events = 0;
    let fills = 0;
    // Each order's latest status, from its events: how many closed, whether or not the kernel still holds them.
    const statuses = new Map<string, OrderStatus>();
    const result = runReplay(recording, commands, {
      balances: BALANCES,
      onEvent: (event) => {
        events += 1;
        if (event.type === 'FILL') fills += 1;
        if ('orderId' in event && event.orderId !== undefined && 'status' in event) statuses.set(event.orderId, event.status);
      },
    });
    let closed = 0;
    for (const status of statuses.values()) if (!isOpenStatus(status)) closed += 1;
    last[slot] = { result, events, fills, closed };
  };
  const floor = (slot: number, run: () => Top) => () => () => {
    tops[slot] = run();
  };
  const [base, loaded, alone, map] = measure([
    { name: 'no orders', prepare: replay(0, []) },
    { name: '1,000 orders', prepare: replay(1, orders) },
    { name: 'book alone', prepare: floor(0, floors.bookAlone) },
    { name: 'plain Map', prepare: floor(1, floors.plainMap) },
  ], rounds) as [Timing, Timing, Timing, Timing];
  // The floors did the kernel's book work: each ends with the book the replay without orders left.
  const kernel = kernelTop(last[0]!.result!.kernel, recording.symbol);
  for (const [name, top] of [['book alone', tops[0]!], ['plain Map', tops[1]!]] as const) {
    if (top.bids !== kernel.bids || top.asks !== kernel.asks || top.best !== kernel.best) {
      throw new Error(`the ${name} floor ends with ${top.bids} + ${top.asks} levels, ${top.best}; the replay with ${kernel.bids} + ${kernel.asks}, ${kernel.best}`);
    }
  }
  const spanMs = recording.lastTime - recording.firstTime;
  const row = (name: string, t: Timing, slot: number) => {
    const { result, events, fills, closed } = last[slot]!;
    const kernel = result!.kernel;
    const held = kernel.accountIds().flatMap((a) => kernel.orders(a));
    return {
      name, ...t, inputs: result!.inputs, events, fills,
      restingAtEnd: held.filter((o) => isOpenStatus(o.status)).length,
      closedHeld: held.filter((o) => !isOpenStatus(o.status)).length,
      closedAtEnd: closed,
      inputsPerSecond: perSecond(result!.inputs, t.medianMs),
      firstInputsPerSecond: perSecond(result!.inputs, t.firstMs),
      eventsPerSecond: perSecond(events, t.medianMs),
      timesRealTime: Math.round(spanMs / t.medianMs),
    };
  };
  const rows = [row('replay, no orders', base, 0), row(`replay, ${ORDERS.toLocaleString('en')} orders`, loaded, 1)];
  const inputs = recording.inputs.length;
  const floorRow = (name: string, t: Timing) => ({ name, ...t, inputs, inputsPerSecond: perSecond(inputs, t.medianMs), firstInputsPerSecond: perSecond(inputs, t.firstMs), timesRealTime: Math.round(spanMs / t.medianMs) });
  const floorRows = [floorRow('floor: the book alone (BookSynchronizer)', alone), floorRow('floor: a plain Map per side', map)];
  return { spanMs, orders: ORDERS, accounts: ACCOUNTS, rows, floorRows, book: kernel, slowdown: loaded.medianMs / base.medianMs };
}
