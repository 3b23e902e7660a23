/**
 * Writes one live symbol in the replay format (docs/replay-format.md), so `papertrade replay` and
 * backtests read it like the bundled recordings: `depth_snapshot.json`, `depth_updates.jsonl.gz`
 * (Binance `depthUpdate` shape), `trades.csv.gz`, each row with the arrival time `local_ts_ns`,
 * plus `recording.json` (what, when, and every interruption of the feed).
 *
 * Guarantees: the first book view is the snapshot; every later view is written as the levels that
 * changed since the previous one, with update ids that chain (`U = previous u + 1`; the exchange's
 * own ids where ccxt exposes a rising nonce), so a replay rebuilds exactly the book that was
 * recorded. A resync after an interruption is written the same way: one delta from the last
 * recorded book to the fresh one (the gap is listed in `recording.json`, not hidden in the ids).
 * Not modelled: more than one symbol per directory (the reader's rule).
 */
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createGzip, type Gzip } from 'node:zlib';
import { decimalString, diffSide, levelsOf, type BookView } from './book-state.js';
import type { InvalidCause, LiveTrade } from './ccxt-book-stream.js';

/** Unix time in ns from a monotonic clock (arrival order never goes backwards). */
export function monotonicNanos(): () => bigint {
  const wall = BigInt(Date.now()) * 1_000_000n;
  const start = process.hrtime.bigint();
  return () => wall + (process.hrtime.bigint() - start);
}

interface GzFile {
  readonly gzip: Gzip;
  readonly file: WriteStream;
}

function openGz(path: string): GzFile {
  const gzip = createGzip();
  const file = createWriteStream(path);
  gzip.pipe(file);
  return { gzip, file };
}

async function closeGz(f: GzFile): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    f.file.on('finish', resolve);
    f.file.on('error', reject);
    f.gzip.end();
  });
}

export interface RecordingMeta {
  readonly exchange: string;
  readonly symbol: string;
  readonly ccxtSymbol: string;
  readonly startedAt: string;
  endedAt?: string;
  books: number;
  deltas: number;
  trades: number;
  readonly interruptions: { at: string; cause: InvalidCause; reason: string }[];
  /** The instrument spec the recording was made with (decimal strings), for reference. */
  readonly instrument?: Readonly<Record<string, unknown>>;
}

export class RecordingWriter {
  private readonly depth: GzFile;
  private readonly trades: GzFile;
  private last: BookView | undefined;
  private lastId = 0;
  private tradeSeq = 0;
  readonly meta: RecordingMeta;

  constructor(
    readonly dir: string,
    private readonly marketId: string,
    meta: { exchange: string; ccxtSymbol: string; instrument?: Readonly<Record<string, unknown>> },
    private readonly now: () => bigint = monotonicNanos(),
  ) {
    mkdirSync(dir, { recursive: true });
    this.depth = openGz(join(dir, 'depth_updates.jsonl.gz'));
    this.trades = openGz(join(dir, 'trades.csv.gz'));
    this.trades.gzip.write('trade_id,price,qty,trade_time_ms,event_time_ms,is_buyer_maker,local_ts_ns\n');
    this.meta = { exchange: meta.exchange, symbol: marketId, ccxtSymbol: meta.ccxtSymbol, startedAt: new Date().toISOString(), books: 0, deltas: 0, trades: 0, interruptions: [], ...(meta.instrument !== undefined ? { instrument: meta.instrument } : {}) };
  }

  /** True once the snapshot is written (a recording without one cannot be replayed). */
  get hasSnapshot(): boolean {
    return this.last !== undefined;
  }

  onBook(view: BookView): void {
    const local = this.now();
    const time = view.time ?? Date.now();
    const id = view.nonce !== undefined && view.nonce > this.lastId ? view.nonce : this.lastId + 1;
    this.meta.books += 1;
    if (this.last === undefined) {
      const body = JSON.stringify({ E: time, lastUpdateId: id, bids: levelsOf(view.bids), asks: levelsOf(view.asks) });
      writeFileSync(join(this.dir, 'depth_snapshot.json'), `{"local_ts_ns":${local},${body.slice(1)}\n`);
      this.last = view;
      this.lastId = id;
      return;
    }
    const b = diffSide(this.last.bids, view.bids);
    const a = diffSide(this.last.asks, view.asks);
    if (b.length === 0 && a.length === 0) return;
    const body = JSON.stringify({ e: 'depthUpdate', E: time, s: this.marketId, U: this.lastId + 1, u: id, b, a });
    this.depth.gzip.write(`{"local_ts_ns":${local},${body.slice(1)}\n`);
    this.meta.deltas += 1;
    this.last = view;
    this.lastId = id;
  }

  onTrade(trade: LiveTrade): void {
    const local = this.now();
    this.tradeSeq += 1;
    const id = trade.id !== undefined && /^\d+$/.test(trade.id) && Number.isSafeInteger(Number(trade.id)) ? trade.id : String(this.tradeSeq);
    this.trades.gzip.write(`${id},${decimalString(trade.price)},${decimalString(trade.amount)},${trade.time},${trade.time},${trade.buyerMaker},${local}\n`);
    this.meta.trades += 1;
  }

  onInvalid(cause: InvalidCause, reason: string): void {
    this.meta.interruptions.push({ at: new Date().toISOString(), cause, reason });
  }

  /** The last recorded book (what a replay must rebuild). */
  lastBook(): BookView | undefined {
    return this.last;
  }

  async close(): Promise<void> {
    await Promise.all([closeGz(this.depth), closeGz(this.trades)]);
    this.meta.endedAt = new Date().toISOString();
    writeFileSync(join(this.dir, 'recording.json'), `${JSON.stringify(this.meta, null, 2)}\n`);
  }
}
