/**
 * Tardis.dev downloadable CSV datasets (docs.tardis.dev, "Data types") into the replay format.
 * Timestamps are µs since the epoch; `timestamp` is the exchange's, `local_timestamp` the arrival.
 *
 * - `incremental_book_L2`: `exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount`.
 *   Rows sharing a `local_timestamp` are one message (one delta). Rows before a file's first snapshot
 *   are skipped (Tardis: buffered before the exchange's snapshot); the snapshot a daily file starts
 *   with continues the previous day's book. A run of `is_snapshot=true` rows is a
 *   full book; one that follows updates means the source restarted its connection: the book is not
 *   trusted from the last update before it, so a `bookGap` is written there, then the new snapshot.
 *   `amount` is the level's new size, 0 removes it.
 * - `book_snapshot_25` / `book_snapshot_5`: `exchange,symbol,timestamp,local_timestamp,asks[0].price,
 *   asks[0].amount,bids[0].price,bids[0].amount,…`: one snapshot per row.
 * - `trades`: `exchange,symbol,timestamp,local_timestamp,id,side,price,amount`; `side` is the
 *   taker's (`sell` = the buyer was the maker). Ids that are not whole numbers are replaced by the
 *   row's rank; `side=unknown` is an error (no aggressor, no trade-through rule can use it).
 *
 * Update ids are the importer's own, chained (Tardis has none). Local time must not go backwards.
 */
import { basename } from 'node:path';
import { csvRows, type CsvRow } from './csv-rows.js';
import { decimal, ImportError, integer, isZero, kernelSymbol, micros, type Instant } from './import-fields.js';
import { DepthOutput, TradesOutput, type ImportGap, type ImportSummary, type Level } from './recording-output.js';
import type { ImportContext } from './binance-importers.js';

const PERPETUAL_EXCHANGES = /futures|swap|perpetual|delivery|bitmex|deribit|-perps?$/;

function marketOf(ctx: ImportContext, exchange: string): 'spot' | 'perpetual' {
  return ctx.market ?? (PERPETUAL_EXCHANGES.test(exchange) ? 'perpetual' : 'spot');
}

/** The one symbol of the files (one recording, one symbol). */
class SymbolCheck {
  symbol: string | undefined;
  exchange = '';
  constructor(private readonly given: string | undefined) {}
  check(row: CsvRow): void {
    const s = row.cell('symbol');
    if (this.symbol === undefined) {
      this.symbol = s;
      this.exchange = row.cell('exchange');
    } else if (s !== this.symbol) throw new ImportError(row.file, row.line, `symbol ${s} differs from ${this.symbol}: one recording holds one symbol`);
  }
  get kernel(): string {
    return kernelSymbol(this.given ?? this.symbol ?? '');
  }
}

const L2_COLUMNS = ['exchange', 'symbol', 'timestamp', 'local_timestamp', 'is_snapshot', 'side', 'price', 'amount'];

interface Pending {
  readonly local: Instant;
  readonly time: Instant;
  readonly snapshot: boolean;
  /** The file's first rows: Tardis starts every daily file with a snapshot of the continuing book. */
  readonly startsFile: boolean;
  readonly bids: Map<string, string>;
  readonly asks: Map<string, string>;
}

const levelsOf = (side: Map<string, string>, removeZero: boolean): Level[] => [...side].filter(([, q]) => !removeZero || !isZero(q));

export async function importTardisIncrementalL2(ctx: ImportContext): Promise<ImportSummary> {
  const symbols = new SymbolCheck(ctx.symbol);
  let out: DepthOutput | undefined;
  const gaps: ImportGap[] = [];
  let pending: Pending | undefined;
  let lastWritten: Pending | undefined;
  let lastLocal = -1n;
  let skipped = 0;

  const flush = async (): Promise<void> => {
    const p = pending;
    if (p === undefined) return;
    pending = undefined;
    out ??= new DepthOutput(ctx.dir, symbols.kernel, marketOf(ctx, symbols.exchange) === 'perpetual');
    if (p.snapshot) {
      if (lastWritten !== undefined && !lastWritten.snapshot && !p.startsFile) {
        const reason = `source restarted its feed: book untrusted until the snapshot at ${new Date(p.time.ms).toISOString()}`;
        await out.gap(lastWritten.local.ns, lastWritten.time.ms, reason);
        gaps.push({ kind: 'book', at: lastWritten.time.ms, reason });
      }
      await out.snapshot(p.local.ns, p.time.ms, levelsOf(p.bids, true), levelsOf(p.asks, true));
    } else {
      await out.delta(p.local.ns, p.time.ms, levelsOf(p.bids, false), levelsOf(p.asks, false));
    }
    lastWritten = p;
  };

  try {
    for (const file of ctx.files) {
      let first = true;
      let seenSnapshot = false;
      for await (const row of csvRows(file, L2_COLUMNS, { onBytes: ctx.onBytes, headerRequired: true })) {
        symbols.check(row);
        const local = micros(row.cell('local_timestamp'), row, 'local_timestamp');
        const time = micros(row.cell('timestamp'), row, 'timestamp');
        if (local.ns < lastLocal) throw new ImportError(file, row.line, `local_timestamp goes back (${local.ns / 1000n} after ${lastLocal / 1000n})`);
        lastLocal = local.ns;
        const snapshot = row.cell('is_snapshot') === 'true';
        if (!snapshot && row.cell('is_snapshot') !== 'false') throw new ImportError(file, row.line, `is_snapshot must be true or false, got "${row.cell('is_snapshot')}"`);
        const side = row.cell('side');
        if (side !== 'bid' && side !== 'ask') throw new ImportError(file, row.line, `side must be bid or ask, got "${side}"`);
        const price = decimal(row.cell('price'), row, 'price');
        const amount = decimal(row.cell('amount'), row, 'amount');
        seenSnapshot ||= snapshot;
        if (!seenSnapshot) {
          skipped += 1; // before the file's first snapshot: Tardis's buffered rows, documented as skippable
          first = false;
          continue;
        }
        // A snapshot run continues across local timestamps; an update is one message per local timestamp.
        const continues = pending !== undefined && pending.snapshot === snapshot && (snapshot || pending.local.ns === local.ns);
        if (!continues) {
          await flush();
          pending = { local, time, snapshot, startsFile: first, bids: new Map(), asks: new Map() };
        }
        first = false;
        const levels = side === 'bid' ? pending!.bids : pending!.asks;
        levels.delete(price);
        levels.set(price, amount);
      }
      await flush();
    }
    if (out === undefined) throw new ImportError(ctx.files[0] ?? '', 0, 'no is_snapshot=true rows: nothing to start the book from');
    await out.close(ctx.files[0] ?? '');
  } catch (error) {
    out?.abort();
    throw error;
  }
  const c = out.counts;
  return { symbol: symbols.kernel, market: marketOf(ctx, symbols.exchange), format: 'tardis-incremental-book-l2', files: ctx.files.map((f) => basename(f)), counts: { snapshots: c.snapshots, deltas: c.deltas, gaps: c.gaps, skippedBeforeFirstSnapshot: skipped }, gaps };
}

export async function importTardisBookSnapshots(ctx: ImportContext, format: string): Promise<ImportSummary> {
  const symbols = new SymbolCheck(ctx.symbol);
  let out: DepthOutput | undefined;
  let lastLocal = -1n;
  try {
    for (const file of ctx.files) {
      for await (const row of csvRows(file, ['exchange', 'symbol', 'timestamp', 'local_timestamp'], { onBytes: ctx.onBytes, headerRequired: true })) {
        symbols.check(row);
        const local = micros(row.cell('local_timestamp'), row, 'local_timestamp');
        const time = micros(row.cell('timestamp'), row, 'timestamp');
        if (local.ns < lastLocal) throw new ImportError(file, row.line, 'local_timestamp goes back');
        lastLocal = local.ns;
        const side = (name: 'bids' | 'asks'): Level[] => {
          const levels: Level[] = [];
          for (let i = 0; ; i += 1) {
            const p = row.header!.indexOf(`${name}[${i}].price`);
            const a = row.header!.indexOf(`${name}[${i}].amount`);
            if (p < 0 || a < 0) break;
            const priceText = (row.cells[p] ?? '').trim();
            const amountText = (row.cells[a] ?? '').trim();
            if (priceText === '' && amountText === '') continue; // fewer levels than the file's depth
            const level: Level = [decimal(priceText, row, `${name}[${i}].price`), decimal(amountText, row, `${name}[${i}].amount`)];
            if (!isZero(level[1])) levels.push(level);
          }
          return levels;
        };
        if (row.header!.indexOf('bids[0].price') < 0) throw new ImportError(file, row.line, 'header has no bids[0].price column: not a book_snapshot file');
        out ??= new DepthOutput(ctx.dir, symbols.kernel, marketOf(ctx, symbols.exchange) === 'perpetual');
        await out.snapshot(local.ns, time.ms, side('bids'), side('asks'));
      }
    }
    if (out === undefined) throw new ImportError(ctx.files[0] ?? '', 0, 'no snapshots found');
    await out.close(ctx.files[0] ?? '');
  } catch (error) {
    out?.abort();
    throw error;
  }
  return { symbol: symbols.kernel, market: marketOf(ctx, symbols.exchange), format, files: ctx.files.map((f) => basename(f)), counts: { snapshots: out.counts.snapshots }, gaps: [] };
}

const TRADE_COLUMNS = ['exchange', 'symbol', 'timestamp', 'local_timestamp', 'id', 'side', 'price', 'amount'];

export async function importTardisTrades(ctx: ImportContext): Promise<ImportSummary> {
  const symbols = new SymbolCheck(ctx.symbol);
  const out = new TradesOutput(ctx.dir);
  let lastLocal = -1n;
  let lastId = 0;
  let rank = 0;
  try {
    for (const file of ctx.files) {
      for await (const row of csvRows(file, TRADE_COLUMNS, { onBytes: ctx.onBytes, headerRequired: true })) {
        symbols.check(row);
        const local = micros(row.cell('local_timestamp'), row, 'local_timestamp');
        const time = micros(row.cell('timestamp'), row, 'timestamp');
        if (local.ns < lastLocal) throw new ImportError(file, row.line, 'local_timestamp goes back');
        lastLocal = local.ns;
        const side = row.cell('side');
        if (side !== 'buy' && side !== 'sell') throw new ImportError(file, row.line, `side must be buy or sell (the taker's), got "${side}": the aggressor is needed to replay fills`);
        rank += 1;
        const idText = row.cell('id');
        const id = /^\d{1,15}$/.test(idText) ? integer(idText, row, 'id') : rank;
        // Ids from the exchange may repeat or fall back across venues' restarts; the replay needs them unique.
        const unique = id > lastId ? id : lastId + 1;
        lastId = unique;
        const price = decimal(row.cell('price'), row, 'price');
        if (isZero(price)) throw new ImportError(file, row.line, 'price must be positive');
        const amount = decimal(row.cell('amount'), row, 'amount');
        if (isZero(amount)) throw new ImportError(file, row.line, 'amount must be positive');
        await out.trade(unique, price, amount, time.ms, side === 'sell', local.ns);
      }
    }
    if (out.count === 0) throw new ImportError(ctx.files[0] ?? '', 0, 'no trades found');
    await out.close();
  } catch (error) {
    out.abort();
    throw error;
  }
  return { symbol: symbols.kernel, market: marketOf(ctx, symbols.exchange), format: 'tardis-trades', files: ctx.files.map((f) => basename(f)), counts: { trades: out.count }, gaps: [] };
}
