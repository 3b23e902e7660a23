/**
 * Writes an imported archive in the replay format (docs/replay-format.md): the first book view to
 * `depth_snapshot.json`, later ones and the deltas to `depth_updates.jsonl.gz`, gaps as `bookGap`
 * lines, trades to `trades.csv.gz`, and what was imported to `recording.json`.
 *
 * Guarantees: update ids chain (`U = previous u + 1`, and `pu` on perpetuals) from the snapshot
 * they follow, so the kernel's synchronizer accepts them; a later snapshot takes the next id, so
 * the deltas after it chain to it. Files are written under a temporary name and renamed when
 * complete: a failed import leaves no half file behind. A depth import never touches the trades
 * of the directory and a trade import never touches its depth, so both can be imported into one
 * directory (a trades-only directory is `trades.csv.gz` plus `recording.json`).
 */
import { createWriteStream, existsSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { createGzip, type Gzip } from 'node:zlib';
import { extend } from '../../core/objects.js';
import { ImportError } from './import-fields.js';

export type Level = readonly [price: string, size: string];

export interface ImportGap {
  readonly kind: 'book' | 'trades' | 'candles';
  /** Exchange time (ms) of the last good input before the gap. */
  readonly at: number;
  readonly reason: string;
}

export interface ImportSummary {
  readonly symbol: string;
  readonly market: 'spot' | 'perpetual';
  readonly format: string;
  readonly files: readonly string[];
  readonly counts: Readonly<Record<string, number>>;
  readonly gaps: readonly ImportGap[];
}

class GzLines {
  private readonly gzip: Gzip;
  private readonly file: WriteStream;
  private pending = '';

  constructor(readonly path: string) {
    this.gzip = createGzip();
    // Opened now (not later on the thread pool), so that an abort right away leaves nothing behind.
    this.file = createWriteStream(`${path}.partial`, { fd: openSync(`${path}.partial`, 'w') });
    this.gzip.pipe(this.file);
  }

  async write(line: string): Promise<void> {
    this.pending += `${line}\n`;
    if (this.pending.length < 65_536) return;
    const chunk = this.pending;
    this.pending = '';
    if (!this.gzip.write(chunk)) await once(this.gzip, 'drain');
  }

  async close(): Promise<void> {
    this.gzip.end(this.pending);
    await once(this.file, 'finish');
    renameSync(`${this.path}.partial`, this.path);
  }

  abort(): void {
    this.gzip.destroy();
    this.file.destroy();
    rmSync(`${this.path}.partial`, { force: true });
  }
}

/** Book side of an import: snapshots, deltas and gaps with chained update ids. */
export class DepthOutput {
  private readonly updates: GzLines;
  private lastId = 0;
  private snapshotWritten = false;
  readonly counts = { snapshots: 0, deltas: 0, gaps: 0 };

  constructor(
    private readonly dir: string,
    private readonly symbol: string,
    private readonly perpetual: boolean,
  ) {
    this.updates = new GzLines(join(dir, 'depth_updates.jsonl.gz'));
  }

  get hasSnapshot(): boolean {
    return this.snapshotWritten;
  }

  /** A full book; `id` when the source numbers its updates (kept if it rises), else the next id. */
  async snapshot(localNs: bigint, time: number, bids: readonly Level[], asks: readonly Level[], id?: number): Promise<void> {
    this.lastId = id !== undefined && id > this.lastId ? id : this.lastId + 1;
    this.counts.snapshots += 1;
    const body = JSON.stringify({ E: time, lastUpdateId: this.lastId, bids, asks });
    if (!this.snapshotWritten) {
      this.snapshotWritten = true;
      writeFileSync(join(this.dir, 'depth_snapshot.json.partial'), `{"local_ts_ns":${localNs},${body.slice(1)}\n`);
      return;
    }
    await this.updates.write(`{"local_ts_ns":${localNs},"e":"depthSnapshot","s":${JSON.stringify(this.symbol)},${body.slice(1)}`);
  }

  async delta(localNs: bigint, time: number, bids: readonly Level[], asks: readonly Level[]): Promise<void> {
    const previous = this.lastId;
    this.lastId += 1;
    this.counts.deltas += 1;
    const ids = this.perpetual ? { U: this.lastId, u: this.lastId, pu: previous } : { U: this.lastId, u: this.lastId };
    const body = JSON.stringify({ e: 'depthUpdate', E: time, s: this.symbol, ...ids, b: bids, a: asks });
    await this.updates.write(`{"local_ts_ns":${localNs},${body.slice(1)}`);
  }

  /** The source lost the book here: replay marks it resync-needed until the next snapshot. */
  async gap(localNs: bigint, time: number, reason: string): Promise<void> {
    this.counts.gaps += 1;
    await this.updates.write(`{"local_ts_ns":${localNs},"e":"bookGap","E":${time},"s":${JSON.stringify(this.symbol)},"reason":${JSON.stringify(reason)}}`);
  }

  async close(file: string): Promise<void> {
    if (!this.snapshotWritten) {
      this.abort();
      throw new ImportError(file, 0, 'no order book snapshot found: nothing to replay the book from');
    }
    await this.updates.close();
    renameSync(join(this.dir, 'depth_snapshot.json.partial'), join(this.dir, 'depth_snapshot.json'));
    rmSync(join(this.dir, 'depth_snapshot.json.gz'), { force: true });
    rmSync(join(this.dir, 'depth_updates.jsonl'), { force: true });
    ensureTrades(this.dir);
  }

  abort(): void {
    this.updates.abort();
    rmSync(join(this.dir, 'depth_snapshot.json.partial'), { force: true });
  }
}

const TRADES_HEADER = 'trade_id,price,qty,trade_time_ms,is_buyer_maker,local_ts_ns';

/** The files a trades import writes into a recording directory. */
export const TRADE_FILES = ['trades.csv.gz', 'trades.csv'] as const;
/** The files a depth import writes into a recording directory. */
export const DEPTH_FILES = ['depth_snapshot.json', 'depth_snapshot.json.gz', 'depth_updates.jsonl.gz', 'depth_updates.jsonl'] as const;

/**
 * Removes `files` an import wrote into `dir` and then had refused, leaving what the directory held
 * before: the header-only trades file a depth import adds is kept while depth files remain (the
 * reader needs one), and goes with the last of them.
 */
export function takeBackImport(dir: string, files: readonly string[]): void {
  for (const file of files) rmSync(join(dir, file), { force: true });
  if (DEPTH_FILES.some((file) => existsSync(join(dir, file)))) ensureTrades(dir);
  else if (isHeaderOnly(join(dir, 'trades.csv'))) rmSync(join(dir, 'trades.csv'), { force: true });
}

/** Whether `path` is the header-only trades file a depth import writes (a few dozen bytes: a larger file is read no further). */
function isHeaderOnly(path: string): boolean {
  return existsSync(path) && statSync(path).size <= HEADER_ONLY_MAX_BYTES && readFileSync(path, 'utf8').trim().split('\n').length <= 1;
}
const HEADER_ONLY_MAX_BYTES = 4_096;

/** A depth-only import still needs a (header-only) trades file: the reader requires one. */
function ensureTrades(dir: string): void {
  if (existsSync(join(dir, 'trades.csv')) || existsSync(join(dir, 'trades.csv.gz'))) return;
  writeFileSync(join(dir, 'trades.csv'), `${TRADES_HEADER}\n`);
}

export class TradesOutput {
  private readonly lines: GzLines;
  count = 0;

  constructor(private readonly dir: string) {
    this.lines = new GzLines(join(dir, 'trades.csv.gz'));
    void this.lines.write(TRADES_HEADER);
  }

  async trade(id: number, price: string, qty: string, timeMs: number, buyerMaker: boolean, localNs: bigint): Promise<void> {
    this.count += 1;
    await this.lines.write(`${id},${price},${qty},${timeMs},${buyerMaker},${localNs}`);
  }

  async close(): Promise<void> {
    await this.lines.close();
    rmSync(join(this.dir, 'trades.csv'), { force: true });
  }

  abort(): void {
    this.lines.abort();
  }
}

/**
 * Merges this import into `recording.json` (the directory may already hold the other half).
 * One directory holds one symbol: importing another one into it is an error.
 */
export function writeImportMeta(dir: string, summary: ImportSummary): void {
  const path = join(dir, 'recording.json');
  let existing: Record<string, unknown> = {};
  if (existsSync(path)) {
    try {
      existing = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch {
      existing = {};
    }
  }
  if (typeof existing.symbol === 'string' && existing.symbol !== summary.symbol) {
    throw new ImportError(path, 0, `the directory holds ${existing.symbol}, not ${summary.symbol}: import into another directory`);
  }
  const imports = Array.isArray(existing.imports) ? (existing.imports as unknown[]) : [];
  const kept = imports.filter((i) => typeof i !== 'object' || i === null || (i as { format?: unknown }).format !== summary.format);
  const record = { format: summary.format, files: summary.files, counts: summary.counts, gaps: summary.gaps };
  const meta = extend(existing, { source: 'import', symbol: summary.symbol, market: summary.market, imports: [...kept, record] });
  writeFileSync(path, `${JSON.stringify(meta, null, 2)}\n`);
}

/**
 * Refuses to write over what an earlier import left in `dir` (`file`, unless `replace`): a second
 * import of one kind would replace the first's file whole, and what it held would be gone without a
 * word. The files of one kind go to one import, in date order. A header-only `trades.csv` is the
 * placeholder a depth import leaves, not an import's trades.
 */
export function refuseEarlierImport(dir: string, file: string, replace: boolean | undefined): void {
  if (replace === true) return;
  const path = join(dir, file);
  if (!existsSync(path)) return;
  if (file === 'trades.csv' && isHeaderOnly(path)) return;
  throw new Error(`--out ${dir} already holds ${file} from an earlier import: give every file of one kind to one import, in date order, or pass --replace to write over it`);
}
