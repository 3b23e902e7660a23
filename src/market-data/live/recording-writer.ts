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
 * The two `.gz` files are written as whole gzip members, one appended at once every `flushEveryMs`
 * (default 1 s) and at `close`: a process killed at any moment leaves valid gzip files of whole
 * lines, holding everything but the last period (a single gzip stream killed mid-way was unreadable
 * from its first byte, and zlib could hold minutes of a quiet symbol's lines unwritten).
 * Not modelled: more than one symbol per directory (the reader's rule); a kill leaves no
 * `recording.json` (the reader does without it).
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { decimalString, diffSide, levelsOf, type BookView } from './book-state.js';
import type { InvalidCause, LiveTrade } from './ccxt-book-stream.js';

/** Unix time in ns from a monotonic clock (arrival order never goes backwards). */
export function monotonicNanos(): () => bigint {
  const wall = BigInt(Date.now()) * 1_000_000n;
  const start = process.hrtime.bigint();
  return () => wall + (process.hrtime.bigint() - start);
}

/** A gzip file of lines, written as whole members appended at once (see the header). */
class GzLines {
  private pending: string[] = [];

  constructor(
    private readonly path: string,
    first = '',
  ) {
    writeFileSync(path, gzipSync(first));
  }

  write(text: string): void {
    this.pending.push(text);
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    appendFileSync(this.path, gzipSync(text));
  }
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
  private readonly depth: GzLines;
  private readonly trades: GzLines;
  private readonly flusher: NodeJS.Timeout;
  private last: BookView | undefined;
  private lastId = 0;
  private tradeSeq = 0;
  readonly meta: RecordingMeta;

  constructor(
    readonly dir: string,
    private readonly marketId: string,
    meta: { exchange: string; ccxtSymbol: string; instrument?: Readonly<Record<string, unknown>> },
    private readonly now: () => bigint = monotonicNanos(),
    options: { readonly flushEveryMs?: number } = {},
  ) {
    mkdirSync(dir, { recursive: true });
    this.depth = new GzLines(join(dir, 'depth_updates.jsonl.gz'));
    this.trades = new GzLines(join(dir, 'trades.csv.gz'), 'trade_id,price,qty,trade_time_ms,event_time_ms,is_buyer_maker,local_ts_ns\n');
    this.flusher = setInterval(() => this.flush(), options.flushEveryMs ?? 1_000);
    this.flusher.unref();
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
    this.depth.write(`{"local_ts_ns":${local},${body.slice(1)}\n`);
    this.meta.deltas += 1;
    this.last = view;
    this.lastId = id;
  }

  onTrade(trade: LiveTrade): void {
    const local = this.now();
    this.tradeSeq += 1;
    const id = trade.id !== undefined && /^\d+$/.test(trade.id) && Number.isSafeInteger(Number(trade.id)) ? trade.id : String(this.tradeSeq);
    this.trades.write(`${id},${decimalString(trade.price)},${decimalString(trade.amount)},${trade.time},${trade.time},${trade.buyerMaker},${local}\n`);
    this.meta.trades += 1;
  }

  onInvalid(cause: InvalidCause, reason: string): void {
    this.meta.interruptions.push({ at: new Date().toISOString(), cause, reason });
  }

  /** The last recorded book (what a replay must rebuild). */
  lastBook(): BookView | undefined {
    return this.last;
  }

  /** Appends what was written since the last flush to the files. */
  flush(): void {
    this.depth.flush();
    this.trades.flush();
  }

  async close(): Promise<void> {
    clearInterval(this.flusher);
    this.flush();
    this.meta.endedAt = new Date().toISOString();
    writeFileSync(join(this.dir, 'recording.json'), `${JSON.stringify(this.meta, null, 2)}\n`);
  }
}
