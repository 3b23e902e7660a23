/**
 * Book maintenance side by side: every delta after the snapshot applied to our `BookSynchronizer`
 * (decimal strings read as the kernel reads them, into integer digits without a bigint; sequence and
 * crossed-book checks included) and to ccxt's
 * `OrderBook` as its binance `watchOrderBook` does (`handleOrderBookMessage`: parseFloat, then
 * `bookside.store`, with the same `U == nonce + 1` check). Syncing each book (snapshot and the
 * straddling first delta) is not timed. Both books must end with the same levels at the top, or the bench throws.
 */
import { pro } from 'ccxt';
import { BookSynchronizer, type DepthDelta } from '../src/core/book/book-synchronizer.js';
import { DecimalLevels } from '../src/core/book/decimal-levels.js';
import type { BookDeltaInput, BookSnapshotInput, LevelInput } from '../src/core/kernel/inputs.js';
import { formatFixed } from '../src/core/money/fixed.js';
import type { Recording } from '../src/market-data/recording-reader.js';
import { measure, perSecond, type Contender, type Rounds } from './bench-kit.js';

export function bookBench(recording: Recording, rounds: Rounds) {
  const snapshot = recording.inputs.find((i): i is BookSnapshotInput => i.kind === 'book.snapshot')!;
  // Binance's procedure: drop deltas with u <= lastUpdateId; the first kept one straddles lastUpdateId + 1
  // and is applied while syncing (untimed, both books); the timed pass is every delta chained after it.
  const [straddling, ...deltas] = recording.inputs.filter((i): i is BookDeltaInput => i.kind === 'book.delta' && i.finalUpdateId > snapshot.lastUpdateId);
  if (straddling === undefined) throw new Error('no delta after the snapshot');
  const levelUpdates = deltas.reduce((count, d) => count + d.bids.length + d.asks.length, 0);
  // The kernel's reading of depth levels (input-validation.ts `parseLevels`): two buffers refilled per delta.
  const read = (levels: readonly LevelInput[], out: DecimalLevels): DecimalLevels => {
    out.reset();
    for (const [p, q] of levels) if (!out.pushText(p, q)) throw new Error(`not a book level: ${p} ${q}`);
    return out;
  };
  const [bidBuffer, askBuffer] = [new DecimalLevels(), new DecimalLevels()];
  const floats = (levels: readonly LevelInput[]): number[][] => levels.map(([p, q]) => [parseFloat(p), parseFloat(q)]);
  const ourDelta = (d: BookDeltaInput): DepthDelta => ({ firstUpdateId: d.firstUpdateId, finalUpdateId: d.finalUpdateId, bids: read(d.bids, bidBuffer), asks: read(d.asks, askBuffer) });
  // Depth messages as ccxt receives them from Binance's stream (after JSON.parse).
  const message = (d: BookDeltaInput) => ({ e: 'depthUpdate', E: d.time, s: d.symbol, U: d.firstUpdateId, u: d.finalUpdateId, b: d.bids, a: d.asks });
  const messages = deltas.map(message);
  const exchange = new pro.binance();

  const ours = (): BookSynchronizer => {
    const sync = new BookSynchronizer(snapshot.symbol, 'spot');
    sync.onDelta(ourDelta(straddling));
    const outcome = sync.onSnapshot({ lastUpdateId: snapshot.lastUpdateId, bids: read(snapshot.bids, bidBuffer), asks: read(snapshot.asks, askBuffer) });
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
    { name: 'papertrade BookSynchronizer (integer units)', prepare: () => { const s = ours(); return () => applyOurs(s); } },
    { name: 'ccxt OrderBook (float)', prepare: () => { const b = theirs(); return () => applyTheirs(b); } },
  ];
  const timings = measure(contenders, rounds);
  const rows = contenders.map((c, i) => ({
    name: c.name, ...timings[i]!,
    deltasPerSecond: perSecond(deltas.length, timings[i]!.medianMs),
    levelUpdatesPerSecond: perSecond(levelUpdates, timings[i]!.medianMs),
  }));
  return { deltas: deltas.length, levelUpdates, passesPerSample: rounds.repeat, finalTop, rows, oursOverCcxt: rows[0]!.deltasPerSecond / rows[1]!.deltasPerSecond };
}
