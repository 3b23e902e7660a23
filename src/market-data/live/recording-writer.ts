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
 * A flush that fails (a full disk) keeps its lines for the next one and leaves no partial member in
 * the file; on the timer it is reported (`onWriteError`), never thrown.
 * `recording.json` is written at the start and at each interruption, so a kill leaves it with no
 * `endedAt` and the counts of its last write.
 * Not modelled: more than one symbol per directory (the reader's rule).
 */
import { appendFileSync, mkdirSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
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

/** Appends `data` to the file at `path` (node:fs `appendFileSync`; a test may fail it). */
export type AppendFile = (path: string, data: Uint8Array) => void;

/**
 * A gzip file of lines, written as whole members appended at once (see the header). An append that
 * fails (a full disk) is cut back off the file, so that no partial member sits between whole ones,
 * and its lines stay pending for the next flush.
 */
class GzLines {
  private pending: string[] = [];
  private size: number;

  constructor(
    private readonly path: string,
    first: string,
    private readonly append: AppendFile,
  ) {
    const head = gzipSync(first);
    writeFileSync(path, head);
    this.size = head.length;
  }

  write(text: string): void {
    this.pending.push(text);
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const member = gzipSync(this.pending.join(''));
    try {
      this.append(this.path, member);
    } catch (error) {
      try {
        truncateSync(this.path, this.size);
      } catch {
        // The file cannot be cut back either: the reader stops at the partial member.
      }
      throw error;
    }
    this.size += member.length;
    this.pending = [];
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
    options: { readonly flushEveryMs?: number; readonly onWriteError?: (error: unknown) => void; readonly append?: AppendFile } = {},
  ) {
    mkdirSync(dir, { recursive: true });
    const append = options.append ?? appendFileSync;
    this.depth = new GzLines(join(dir, 'depth_updates.jsonl.gz'), '', append);
    this.trades = new GzLines(join(dir, 'trades.csv.gz'), 'trade_id,price,qty,trade_time_ms,event_time_ms,is_buyer_maker,local_ts_ns\n', append);
    // A flush that fails on the timer (a full disk) is reported and tried again at the next one,
    // its lines kept: it never throws out of the timer, which would end the process.
    const onWriteError = options.onWriteError ?? (() => undefined);
    this.flusher = setInterval(() => {
      try {
        this.flush();
      } catch (error) {
        onWriteError(error);
      }
    }, options.flushEveryMs ?? 1_000);
    this.flusher.unref();
    this.meta = { exchange: meta.exchange, symbol: marketId, ccxtSymbol: meta.ccxtSymbol, startedAt: new Date().toISOString(), books: 0, deltas: 0, trades: 0, interruptions: [], ...(meta.instrument !== undefined ? { instrument: meta.instrument } : {}) };
    this.writeMeta();
  }

  /**
   * `recording.json` as it stands, replaced whole (written aside, then renamed): at the start, at
   * each interruption and at close, so that a killed recorder still leaves what it recorded from
   * and every interruption before the kill (its counts are those of the last write).
   */
  private writeMeta(): void {
    const path = join(this.dir, 'recording.json');
    writeFileSync(`${path}.tmp`, `${JSON.stringify(this.meta, null, 2)}\n`);
    renameSync(`${path}.tmp`, path);
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
    try {
      this.writeMeta();
    } catch {
      // A full disk: the interruption stays in `meta`, written at the next write or at close.
    }
  }

  /** The last recorded book (what a replay must rebuild). */
  lastBook(): BookView | undefined {
    return this.last;
  }

  /** Appends what was written since the last flush to the files; throws what the file system threw (the lines stay pending). */
  flush(): void {
    let failure: unknown;
    for (const file of [this.depth, this.trades]) {
      try {
        file.flush();
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  async close(): Promise<void> {
    clearInterval(this.flusher);
    this.flush();
    this.meta.endedAt = new Date().toISOString();
    this.writeMeta();
  }
}
