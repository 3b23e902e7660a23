/**
 * Benchmarks on the bundled recording (Binance spot BTCUSDT, 2024-08-08 23:54Z), run by `npm run bench`.
 *
 * 1. Replay throughput: the whole recording through `runReplay` (kernel, matching, accounts) with
 *    1,000 resting LIMIT orders from 5 accounts, priced on levels of the recording's own book at
 *    their submission time; and the same replay with no orders as a baseline. Reports inputs/s,
 *    events/s and × real time (recording span / wall time). Reading and parsing the files is not timed.
 * 2. Book maintenance side by side: every delta after the snapshot applied to our `BookSynchronizer`
 *    (decimal strings parsed to bigint, sequence and crossed-book checks included) and to ccxt's
 *    `OrderBook` as its binance `watchOrderBook` does (`handleOrderBookMessage`: parseFloat, then
 *    `bookside.store`, with the same `U == nonce + 1` check). Syncing each book (snapshot and the
 *    straddling first delta) is not timed. Both books must end with the same levels at the top, or the bench throws.
 *
 * Method: warm-up rounds first, then interleaved rounds (each contender once per round, in turn);
 * the figure is the median round. Prints a table and writes bench/results.json.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { pro } from 'ccxt';
import { BookSynchronizer, type DepthDelta } from '../src/core/book/book-synchronizer.js';
import type { Level } from '../src/core/book/order-book.js';
import type { BookDeltaInput, BookSnapshotInput, LevelInput, PlaceOrderInput } from '../src/core/kernel/inputs.js';
import { Kernel } from '../src/core/kernel/kernel.js';
import { formatFixed, parseFixed } from '../src/core/money/fixed.js';
import { readRecording, type Recording } from '../src/market-data/recording-reader.js';
import { instrumentForRecording, runReplay, type ReplayResult } from '../src/market-data/replay-session.js';

const RECORDING = fileURLToPath(new URL('../data/recordings/binance_spot_btcusdt_20240808T2354Z', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));
const ORDERS = 1_000;
const ACCOUNTS = 5;
const BALANCES = { USDT: '1000000', BTC: '20' };
const DEPTH = 500; // orders are priced on the top DEPTH levels of their side
const BOOK_PASSES = 3; // passes over all deltas per timed sample

// ---- measuring ----

interface Contender {
  readonly name: string;
  /** Untimed set-up; returns the work to time. */
  readonly prepare: () => () => void;
}

interface Timing {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}

/** Milliseconds per run for each contender: median (and range) of `rounds` interleaved samples of `repeat` runs. */
function measure(contenders: readonly Contender[], o: { warmup: number; rounds: number; repeat: number }): Timing[] {
  const samples = contenders.map((): number[] => []);
  for (let round = 0; round < o.warmup + o.rounds; round += 1) {
    contenders.forEach((contender, i) => {
      let ms = 0;
      for (let r = 0; r < o.repeat; r += 1) {
        const work = contender.prepare();
        const start = performance.now();
        work();
        ms += performance.now() - start;
      }
      if (round >= o.warmup) samples[i]!.push(ms / o.repeat);
    });
  }
  return samples.map((s) => {
    const sorted = [...s].sort((a, b) => a - b);
    return { medianMs: sorted[sorted.length >> 1]!, minMs: sorted[0]!, maxMs: sorted[sorted.length - 1]! };
  });
}

const perSecond = (count: number, ms: number): number => Math.round((count * 1000) / ms);

// ---- 1. replay throughput ----

/**
 * 1,000 LIMIT orders spread over the recording, alternating BUY and SELL, each priced on one of the
 * top DEPTH levels of its own side of the real book at its submission time (near ones fill, deep ones rest).
 */
function restingOrders(recording: Recording): PlaceOrderInput[] {
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

function replayBench(recording: Recording) {
  const orders = restingOrders(recording);
  const last: { result?: ReplayResult; events: number; fills: number }[] = [{ events: 0, fills: 0 }, { events: 0, fills: 0 }];
  const replay = (slot: number, commands: readonly PlaceOrderInput[]) => () => () => {
    let events = 0;
    let fills = 0;
    const result = runReplay(recording, commands, {
      balances: BALANCES,
      onEvent: (event) => {
        events += 1;
        if (event.type === 'FILL') fills += 1;
      },
    });
    last[slot] = { result, events, fills };
  };
  const [base, loaded] = measure(
    [{ name: 'no orders', prepare: replay(0, []) }, { name: '1,000 orders', prepare: replay(1, orders) }],
    { warmup: 1, rounds: 5, repeat: 1 },
  ) as [Timing, Timing];
  const spanMs = recording.lastTime - recording.firstTime;
  const row = (name: string, t: Timing, slot: number) => {
    const { result, events, fills } = last[slot]!;
    const kernel = result!.kernel;
    return {
      name, ...t, inputs: result!.inputs, events, fills,
      restingAtEnd: kernel.accountIds().reduce((n, a) => n + kernel.openOrders(a).length, 0),
      inputsPerSecond: perSecond(result!.inputs, t.medianMs),
      eventsPerSecond: perSecond(events, t.medianMs),
      timesRealTime: Math.round(spanMs / t.medianMs),
    };
  };
  const rows = [row('replay, no orders', base, 0), row(`replay, ${ORDERS.toLocaleString('en')} orders`, loaded, 1)];
  return { spanMs, orders: ORDERS, accounts: ACCOUNTS, rows, slowdown: loaded.medianMs / base.medianMs };
}

// ---- 2. book maintenance ----

function bookBench(recording: Recording) {
  const snapshot = recording.inputs.find((i): i is BookSnapshotInput => i.kind === 'book.snapshot')!;
  // Binance's procedure: drop deltas with u <= lastUpdateId; the first kept one straddles lastUpdateId + 1
  // and is applied while syncing (untimed, both books); the timed pass is every delta chained after it.
  const [straddling, ...deltas] = recording.inputs.filter((i): i is BookDeltaInput => i.kind === 'book.delta' && i.finalUpdateId > snapshot.lastUpdateId);
  if (straddling === undefined) throw new Error('no delta after the snapshot');
  const levelUpdates = deltas.reduce((n, d) => n + d.bids.length + d.asks.length, 0);
  const parse = (levels: readonly LevelInput[]): Level[] => levels.map(([p, q]) => [parseFixed(p), parseFixed(q)] as const);
  const floats = (levels: readonly LevelInput[]): number[][] => levels.map(([p, q]) => [parseFloat(p), parseFloat(q)]);
  const ourDelta = (d: BookDeltaInput): DepthDelta => ({ firstUpdateId: d.firstUpdateId, finalUpdateId: d.finalUpdateId, bids: parse(d.bids), asks: parse(d.asks) });
  // Depth messages as ccxt receives them from Binance's stream (after JSON.parse).
  const message = (d: BookDeltaInput) => ({ e: 'depthUpdate', E: d.time, s: d.symbol, U: d.firstUpdateId, u: d.finalUpdateId, b: d.bids, a: d.asks });
  const messages = deltas.map(message);
  const exchange = new pro.binance();

  const ours = (): BookSynchronizer => {
    const sync = new BookSynchronizer(snapshot.symbol, 'spot');
    sync.onDelta(ourDelta(straddling));
    const outcome = sync.onSnapshot({ lastUpdateId: snapshot.lastUpdateId, bids: parse(snapshot.bids), asks: parse(snapshot.asks) });
    if (outcome.kind !== 'applied') throw new Error(`our book did not sync: ${sync.reason}`);
    return sync;
  };
  const applyOurs = (sync: BookSynchronizer): void => {
    for (const d of deltas) {
      if (sync.onDelta(ourDelta(d)).kind !== 'applied') throw new Error(`our book lost sync at ${d.finalUpdateId}: ${sync.reason}`);
    }
  };
  const theirs = () => {
    const book = exchange.orderBook({});
    book.reset({ bids: floats(snapshot.bids), asks: floats(snapshot.asks), nonce: snapshot.lastUpdateId });
    // binance handleOrderBook: the first delta must satisfy U <= lastUpdateId + 1 <= u.
    if (!(straddling.firstUpdateId - 1 <= snapshot.lastUpdateId && straddling.finalUpdateId - 1 >= snapshot.lastUpdateId)) throw new Error('ccxt book did not sync');
    exchange.handleOrderBookMessage(undefined as never, message(straddling), book);
    return book;
  };
  const applyTheirs = (book: ReturnType<typeof theirs>): void => {
    for (const m of messages) {
      // binance handleOrderBook: then each delta's U must be the previous u + 1.
      if (m.U - 1 !== book.nonce) throw new Error(`ccxt book lost sync at ${m.u}`);
      exchange.handleOrderBookMessage(undefined as never, m, book);
    }
  };

  // Sanity: both books end with the same top of book and the same number of levels.
  const [sync, book] = [ours(), theirs()];
  applyOurs(sync);
  applyTheirs(book);
  const top = (side: 'bids' | 'asks') => {
    const [p, q] = sync.book[side].top(1)[0]!;
    const [cp, cq] = book[side][0] as [number, number];
    if (parseFloat(formatFixed(p)) !== cp || parseFloat(formatFixed(q)) !== cq || sync.book[side].depth !== book[side].length) {
      throw new Error(`books disagree on ${side}: ours ${formatFixed(p)} × ${formatFixed(q)} (${sync.book[side].depth} levels), ccxt ${cp} × ${cq} (${book[side].length} levels)`);
    }
    return `${formatFixed(p)} × ${formatFixed(q)}`;
  };
  const finalTop = { bid: top('bids'), ask: top('asks'), bidLevels: sync.book.bids.depth, askLevels: sync.book.asks.depth };

  const contenders: Contender[] = [
    { name: 'papertrade BookSynchronizer (bigint)', prepare: () => { const s = ours(); return () => applyOurs(s); } },
    { name: 'ccxt OrderBook (float)', prepare: () => { const b = theirs(); return () => applyTheirs(b); } },
  ];
  const timings = measure(contenders, { warmup: 2, rounds: 5, repeat: BOOK_PASSES });
  const rows = contenders.map((c, i) => ({
    name: c.name, ...timings[i]!,
    deltasPerSecond: perSecond(deltas.length, timings[i]!.medianMs),
    levelUpdatesPerSecond: perSecond(levelUpdates, timings[i]!.medianMs),
  }));
  return { deltas: deltas.length, levelUpdates, passesPerSample: BOOK_PASSES, finalTop, rows, oursOverCcxt: rows[0]!.deltasPerSecond / rows[1]!.deltasPerSecond };
}

// ---- report ----

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const n = (x: number): string => x.toLocaleString('en');
const ms = (t: Timing): string => `${t.medianMs.toFixed(1)} (${t.minMs.toFixed(1)}–${t.maxMs.toFixed(1)})`;

const recording = readRecording(RECORDING);
const replay = replayBench(recording);
const book = bookBench(recording);

console.log(`papertrade bench · ${recording.symbol} ${recording.market} · ${n(recording.inputs.length)} market inputs over ${(replay.spanMs / 60_000).toFixed(1)} min · node ${process.version} · ${cpus()[0]?.model ?? 'unknown cpu'}\n`);
console.log(`1. Replay throughput (runReplay; ${n(replay.orders)} LIMIT orders over ${replay.accounts} accounts; median of 5 interleaved runs)\n`);
console.log(table(
  ['', 'wall ms (min–max)', 'inputs', 'inputs/s', 'events', 'events/s', '× real time', 'fills', 'resting at end'],
  replay.rows.map((r) => [r.name, ms(r), n(r.inputs), n(r.inputsPerSecond), n(r.events), n(r.eventsPerSecond), `${n(r.timesRealTime)}×`, n(r.fills), n(r.restingAtEnd)]),
));
console.log(`\nwith orders / without: ${replay.slowdown.toFixed(2)}× the wall time\n`);
console.log(`2. Book maintenance (${n(book.deltas)} deltas, ${n(book.levelUpdates)} level updates per pass; ${book.passesPerSample} passes per sample; median of 5 interleaved samples)\n`);
console.log(table(
  ['', 'ms per pass (min–max)', 'deltas/s', 'level updates/s'],
  book.rows.map((r) => [r.name, ms(r), n(r.deltasPerSecond), n(r.levelUpdatesPerSecond)]),
));
console.log(`\nours / ccxt: ${book.oursOverCcxt.toFixed(2)}× · both books end at bid ${book.finalTop.bid}, ask ${book.finalTop.ask} (${book.finalTop.bidLevels} + ${book.finalTop.askLevels} levels)`);

writeFileSync(RESULTS, `${JSON.stringify({
  generatedAt: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model,
  recording: RECORDING.slice(RECORDING.lastIndexOf('/') + 1), replay, book,
}, null, 2)}\n`);
console.log(`\nwrote ${RESULTS}`);
