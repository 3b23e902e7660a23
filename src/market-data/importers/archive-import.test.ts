/**
 * The fixtures next to this file are written by hand from each format's documentation:
 * - tardis_*.csv: docs.tardis.dev "Downloadable CSV files → Data types" (incremental_book_L2,
 *   book_snapshot_25, trades; timestamps in µs; amount 0 removes a level; rows before the first
 *   snapshot are buffered updates to skip; a snapshot after updates means a connection restart).
 * - BTCUSDT-*.csv: github.com/binance/binance-public-data README (spot: no header row, µs
 *   timestamps from 2025-01-01, True/False; USD-M: header row, ms, true/false; bookTicker columns
 *   update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time).
 * Every expected book and trade below is computed by hand from those rows.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync, gunzipSync, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../core/kernel/events.js';
import { parseFixed } from '../../core/money/fixed.js';
import { readCandlesFile } from '../../strategy/candles.js';
import { RecordingStepper } from '../../test-kit/recording-stepper.js';
import { readRecording } from '../recording-reader.js';
import { importArchive } from './archive-import.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const fixture = (name: string): string => join(FIXTURES, name);

type Book = { bids: Array<[bigint, bigint]>; asks: Array<[bigint, bigint]> };
const book = (bids: Array<[string, string]>, asks: Array<[string, string]>): Book => ({
  bids: bids.map(([p, q]) => [parseFixed(p), parseFixed(q)]),
  asks: asks.map(([p, q]) => [parseFixed(p), parseFixed(q)]),
});
const kernelBook = (stepper: RecordingStepper): Book => {
  const depth = stepper.kernel.depth(stepper.symbol, 1_000)!;
  return book(depth.bids, depth.asks);
};
const fills = (events: readonly KernelEvent[]) => events.filter((e) => e.type === 'FILL');

let dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'import-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

/** Feeds every market input; the book after each snapshot or delta, keyed by the input's position. */
function booksAfterEachInput(stepper: RecordingStepper): Array<{ kind: string; time: number; book: Book; status: string }> {
  const out: Array<{ kind: string; time: number; book: Book; status: string }> = [];
  for (let step = stepper.step(); step !== undefined; step = stepper.step()) {
    if (step.input.kind === 'trade') continue;
    out.push({ kind: step.input.kind, time: step.input.time, book: kernelBook(stepper), status: stepper.kernel.bookStatus(stepper.symbol)!.status });
  }
  return out;
}

describe('import of Tardis incremental_book_L2 and trades', () => {
  async function importTardis(): Promise<string> {
    const dir = tempDir();
    await importArchive({ format: 'tardis-incremental-book-l2', files: [fixture('tardis_incremental_book_L2_BTCUSDT_gapped.csv')], out: dir });
    await importArchive({ format: 'tardis-trades', files: [fixture('tardis_trades_BTCUSDT.csv')], out: dir });
    return dir;
  }

  it('rebuilds the book of every snapshot row and message, with a gap where the source restarted', async () => {
    const recording = readRecording(await importTardis());
    expect(recording.symbol).toBe('BTCUSDT');
    expect(recording.market).toBe('spot');
    const books = booksAfterEachInput(new RecordingStepper(recording));
    expect(books.map((b) => b.kind)).toEqual(['book.snapshot', 'book.delta', 'book.delta', 'book.invalidate', 'book.snapshot', 'book.delta']);
    // The first snapshot (the buffered bid 61000 × 9 before it is skipped).
    expect(books[0]!.book).toEqual(book([['61000', '1'], ['60999', '3']], [['61001', '1.5'], ['61002', '2']]));
    // Message 1 removes ask 61001 and adds bid 61000.5 × 0.7; message 2 sets ask 61002 to 2.5.
    expect(books[1]!.book).toEqual(book([['61000.5', '0.7'], ['61000', '1'], ['60999', '3']], [['61002', '2']]));
    expect(books[2]!.book).toEqual(book([['61000.5', '0.7'], ['61000', '1'], ['60999', '3']], [['61002', '2.5']]));
    // The restart: the book is untrusted from the last message before it, then replaced whole.
    expect(books[3]).toMatchObject({ time: 1723161242000, status: 'resync-needed' });
    expect(books[4]).toMatchObject({ time: 1723161250000, status: 'synced', book: book([['61010', '4']], [['61011', '0.25'], ['61012', '1']]) });
    expect(books[5]!.book).toEqual(book([['61009', '2']], [['61011', '0.25'], ['61012', '1']]));
    expect(books[5]!.status).toBe('synced');
  });

  it('replays the trades as printed, the taker side giving the maker', async () => {
    const recording = readRecording(await importTardis());
    const trades = recording.inputs.filter((i) => i.kind === 'trade');
    expect(trades.map((t) => [t.time, t.tradeId, parseFixed(t.price), parseFixed(t.quantity), t.buyerMaker])).toEqual([
      [1723161241500, 3001, parseFixed('61002'), parseFixed('0.1'), false],
      [1723161245000, 3002, parseFixed('61000.5'), parseFixed('0.2'), true],
      [1723161252000, 3003, parseFixed('61011'), parseFixed('0.05'), false],
    ]);
    // Arrival order: the trade at 1241.5 s comes between message 1 and message 2.
    expect(recording.inputs.map((i) => i.kind)).toEqual(['book.snapshot', 'book.delta', 'trade', 'book.delta', 'book.invalidate', 'trade', 'book.snapshot', 'book.delta', 'trade']);
  });

  it('fills nothing in the gap: a market order placed there waits for the fresh snapshot and fills on its book', async () => {
    const stepper = new RecordingStepper(readRecording(await importTardis()));
    stepper.advanceTo(1723161243000);
    expect(stepper.kernel.bookStatus('BTCUSDT')?.status).toBe('resync-needed');
    expect(stepper.events.some((e) => e.type === 'BOOK_RESYNC_NEEDED')).toBe(true);
    stepper.open('a', { USDT: '100000' }, 1723161243000);
    const placed = stepper.handle({ kind: 'order.place', time: 1723161243000, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'in-gap' });
    expect(fills(placed)).toEqual([]);
    // The stale book's ask was 61002 × 2.5 and a seller printed at 61000.5 meanwhile: still nothing.
    expect(fills(stepper.advanceTo(1723161249999))).toEqual([]);
    const resynced = stepper.advanceTo(1723161250000);
    const filled = fills(resynced);
    expect(filled).toHaveLength(1);
    expect(filled[0]).toMatchObject({ at: 1723161250000 });
    expect(parseFixed((filled[0] as { price: string }).price)).toBe(parseFixed('61011'));
  });

  it('writes recording.json with the symbol, the market and the gap', async () => {
    const dir = await importTardis();
    const meta = JSON.parse(readFileSync(join(dir, 'recording.json'), 'utf8')) as { symbol: string; market: string; imports: Array<{ format: string; gaps: unknown[]; counts: Record<string, number> }> };
    expect(meta).toMatchObject({ symbol: 'BTCUSDT', market: 'spot' });
    const l2 = meta.imports.find((i) => i.format === 'tardis-incremental-book-l2')!;
    expect(l2.counts).toEqual({ snapshots: 2, deltas: 3, gaps: 1, skippedBeforeFirstSnapshot: 1 });
    expect(l2.gaps).toEqual([{ kind: 'book', at: 1723161242000, reason: expect.stringMatching(/restarted/) }]);
  });
});

describe('import of Tardis book_snapshot_25', () => {
  it('gives one replayed book per row, equal to the row', async () => {
    const dir = tempDir();
    const summary = await importArchive({ format: 'tardis-book-snapshot-25', files: [fixture('tardis_book_snapshot_25_BTCUSDT.csv')], out: dir });
    expect(summary).toMatchObject({ symbol: 'BTCUSDT', market: 'perpetual', counts: { snapshots: 3 } });
    const recording = readRecording(dir);
    expect(recording.market).toBe('perpetual');
    const books = booksAfterEachInput(new RecordingStepper(recording));
    expect(books.map((b) => [b.kind, b.time, b.status])).toEqual([
      ['book.snapshot', 1723161240000, 'synced'],
      ['book.snapshot', 1723161240250, 'synced'],
      ['book.snapshot', 1723161241000, 'synced'],
    ]);
    expect(books[0]!.book).toEqual(book([['61001', '2'], ['61000.9', '0.004']], [['61001.1', '0.5'], ['61001.2', '1.25']]));
    expect(books[1]!.book).toEqual(book([['61001.1', '0.3'], ['61001', '2'], ['61000.9', '0.004']], [['61001.2', '1.25']]));
    expect(books[2]!.book).toEqual(book([['61000.4', '1']], [['61000.5', '3'], ['61000.6', '0.001'], ['61000.7', '7']]));
  });
});

describe('import of Binance public data', () => {
  it('USD-M trades and bookTicker (header rows, ms) make one recording: a top-of-book per row, the trades as printed', async () => {
    const dir = tempDir();
    await importArchive({ format: 'binance-bookticker', files: [fixture('BTCUSDT-bookTicker-2024-08-08.csv')], out: dir });
    await importArchive({ format: 'binance-trades', files: [fixture('BTCUSDT-trades-2024-08-08-um.csv')], out: dir });
    const recording = readRecording(dir);
    expect(recording.market).toBe('perpetual');
    expect(recording.inputs.map((i) => [i.kind, i.time])).toEqual([
      ['book.snapshot', 1723161240001],
      ['trade', 1723161240500],
      ['book.snapshot', 1723161240902],
      ['trade', 1723161241200],
      ['book.snapshot', 1723161241503],
    ]);
    const books = booksAfterEachInput(new RecordingStepper(recording));
    expect(books.map((b) => b.book)).toEqual([
      book([['61710', '3.5']], [['61710.1', '0.8']]),
      book([['61710', '3.4']], [['61710.1', '0.79']]),
      book([['61709.9', '1.2']], [['61710', '0.05']]),
    ]);
    const trades = recording.inputs.filter((i) => i.kind === 'trade');
    expect(trades.map((t) => [t.tradeId, parseFixed(t.price), parseFixed(t.quantity), t.buyerMaker])).toEqual([
      [5200000001, parseFixed('61710.1'), parseFixed('0.01'), false],
      [5200000002, parseFixed('61710'), parseFixed('0.25'), true],
    ]);
  });

  it('takes a file with a header row for a futures market, and keeps the market a directory already names', async () => {
    const alone = tempDir();
    expect((await importArchive({ format: 'binance-trades', files: [fixture('BTCUSDT-trades-2024-08-08-um.csv')], out: alone })).market).toBe('perpetual');
    const spot = tempDir();
    expect((await importArchive({ format: 'binance-aggtrades', files: [fixture('BTCUSDT-aggTrades-2024-08-08.csv')], out: spot })).market).toBe('spot');
    const named = tempDir();
    await importArchive({ format: 'tardis-incremental-book-l2', files: [fixture('tardis_incremental_book_L2_BTCUSDT_gapped.csv')], out: named });
    expect((await importArchive({ format: 'binance-trades', files: [fixture('BTCUSDT-trades-2024-08-08-um.csv')], out: named })).market).toBe('spot');
  });

  it('spot trades with µs timestamps (2025 on) keep the µs as arrival time and list missing ids as a gap', async () => {
    const dir = tempDir();
    const summary = await importArchive({ format: 'binance-trades', files: [fixture('BTCUSDT-trades-2025-01-02.csv')], out: dir });
    expect(summary.gaps).toEqual([{ kind: 'trades', at: 1735776000123, reason: expect.stringMatching(/4370000003…4370000004 missing .*line 3/) }]);
    const rows = gunzipSync(readFileSync(join(dir, 'trades.csv.gz'))).toString('utf8').trim().split('\n');
    expect(rows).toEqual([
      'trade_id,price,qty,trade_time_ms,is_buyer_maker,local_ts_ns',
      '4370000001,94000.01000000,0.00150000,1735776000123,true,1735776000123456000',
      '4370000002,94000.02000000,0.20000000,1735776000123,false,1735776000123999000',
      '4370000005,93999.99000000,0.01000000,1735776001000,true,1735776001000001000',
    ]);
    expect(existsSync(join(dir, 'depth_snapshot.json'))).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, 'recording.json'), 'utf8'))).toMatchObject({ symbol: 'BTCUSDT', market: 'spot' });
  });

  it('spot aggTrades (ms, no header) become one print per aggregate', async () => {
    const dir = tempDir();
    await importArchive({ format: 'binance-aggtrades', files: [fixture('BTCUSDT-aggTrades-2024-08-08.csv')], out: dir });
    const rows = gunzipSync(readFileSync(join(dir, 'trades.csv.gz'))).toString('utf8').trim().split('\n').slice(1);
    expect(rows).toEqual([
      '3100000001,61700.00000000,0.05000000,1723161240100,false,1723161240100000000',
      '3100000002,61699.99000000,0.12000000,1723161240100,true,1723161240100000000',
      '3100000003,61700.01000000,1.00000000,1723161241500,false,1723161241500000000',
    ]);
  });

  it('keeps what an earlier import of the same kind wrote: a second one is refused before it reads, unless told to replace it', async () => {
    const dir = tempDir();
    await importArchive({ format: 'binance-trades', files: [fixture('BTCUSDT-trades-2025-01-02.csv')], out: dir });
    const first = readFileSync(join(dir, 'trades.csv.gz'));
    for (const format of ['binance-aggtrades', 'binance-trades'] as const) {
      await expect(importArchive({ format, files: [fixture('BTCUSDT-aggTrades-2024-08-08.csv')], out: dir })).rejects.toThrow(
        `--out ${dir} already holds trades.csv.gz from an earlier import: give every file of one kind to one import, in date order, or pass --replace to write over it`,
      );
    }
    expect(readFileSync(join(dir, 'trades.csv.gz'))).toEqual(first);
    // Another kind goes beside it (the candles of a klines import), once; then replaced when asked.
    await importArchive({ format: 'binance-klines', files: [fixture('BTCUSDT-1m-2025-01-02.csv')], out: dir });
    await expect(importArchive({ format: 'binance-klines', files: [fixture('BTCUSDT-1m-2025-01-02.csv')], out: dir })).rejects.toThrow(/already holds candles_1m\.csv/);
    await importArchive({ format: 'binance-aggtrades', files: [fixture('BTCUSDT-aggTrades-2024-08-08.csv')], out: dir, replace: true });
    const rows = gunzipSync(readFileSync(join(dir, 'trades.csv.gz'))).toString('utf8').trim().split('\n');
    expect(rows[1]).toBe('3100000001,61700.00000000,0.05000000,1723161240100,false,1723161240100000000');
  });

  it('takes back what an import of another symbol wrote: the directory stays as it was, and the right import goes in after', async () => {
    const dir = tempDir();
    await importArchive({ format: 'binance-trades', files: [fixture('BTCUSDT-trades-2024-08-08-um.csv')], out: dir });
    const before = readdirSync(dir).sort();
    const trades = readFileSync(join(dir, 'trades.csv.gz'));
    await expect(importArchive({ format: 'binance-bookticker', files: [fixture('BTCUSDT-bookTicker-2024-08-08.csv')], out: dir, symbol: 'ETHUSDT' })).rejects.toThrow(/holds BTCUSDT, not ETHUSDT/);
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(readFileSync(join(dir, 'trades.csv.gz'))).toEqual(trades);
    await importArchive({ format: 'binance-bookticker', files: [fixture('BTCUSDT-bookTicker-2024-08-08.csv')], out: dir });
    expect(readRecording(dir).inputs.map((i) => i.kind)).toEqual(['book.snapshot', 'trade', 'book.snapshot', 'trade', 'book.snapshot']);
    // A depth import refused so into an empty directory leaves it empty (its header-only trades file too).
    const empty = tempDir();
    writeFileSync(join(empty, 'recording.json'), JSON.stringify({ symbol: 'ETHUSDT' }));
    await expect(importArchive({ format: 'binance-bookticker', files: [fixture('BTCUSDT-bookTicker-2024-08-08.csv')], out: empty })).rejects.toThrow(/holds ETHUSDT, not BTCUSDT/);
    expect(readdirSync(empty)).toEqual(['recording.json']);
  });

  it('spot klines with µs timestamps become the candle CSV backtest reads, the missing bar listed', async () => {
    const dir = tempDir();
    const summary = await importArchive({ format: 'binance-klines', files: [fixture('BTCUSDT-1m-2025-01-02.csv')], out: dir });
    expect(summary.gaps).toEqual([{ kind: 'candles', at: 1735776060000, reason: expect.stringMatching(/^1 bars missing before 2025-01-02T00:03:00.000Z/) }]);
    const candles = readCandlesFile(join(dir, 'candles_1m.csv'));
    expect(candles.map((c) => [c.openTime, c.open, c.high, c.low, c.close, c.volume])).toEqual([
      [1735776000000, '94000.00000000', '94010.00000000', '93990.00000000', '94005.00000000', '12.50000000'],
      [1735776060000, '94005.00000000', '94020.00000000', '94000.00000000', '94015.50000000', '8.00000000'],
      [1735776180000, '94015.50000000', '94016.00000000', '93900.00000000', '93950.00000000', '30.00000000'],
    ]);
  });

  it('reads the same file gzipped (by magic bytes, whatever its name) and zipped as published', async () => {
    const plain = readFileSync(fixture('BTCUSDT-aggTrades-2024-08-08.csv'));
    const work = tempDir();
    const gz = join(work, 'BTCUSDT-aggTrades-2024-08-08.csv.gz');
    writeFileSync(gz, gzipSync(plain));
    const zip = join(work, 'BTCUSDT-aggTrades-2024-08-08.zip');
    writeFileSync(zip, zipOf('BTCUSDT-aggTrades-2024-08-08.csv', plain));
    const expected = tempDir();
    await importArchive({ format: 'binance-aggtrades', files: [fixture('BTCUSDT-aggTrades-2024-08-08.csv')], out: expected });
    const want = gunzipSync(readFileSync(join(expected, 'trades.csv.gz'))).toString('utf8');
    for (const file of [gz, zip]) {
      const out = tempDir();
      await importArchive({ format: 'binance-aggtrades', files: [file], out });
      expect(gunzipSync(readFileSync(join(out, 'trades.csv.gz'))).toString('utf8')).toBe(want);
    }
  });
});

describe('import of bad input', () => {
  it('names the file and line of a malformed row, and leaves no half-written file', async () => {
    const work = tempDir();
    const bad = join(work, 'BTCUSDT-trades-2024-08-09.csv');
    writeFileSync(bad, 'id,price,qty,quote_qty,time,is_buyer_maker\n1,61700.0,0.1,6170,1723161240500,false\n2,61.7k,0.1,6170,1723161240600,false\n');
    const out = tempDir();
    await expect(importArchive({ format: 'binance-trades', files: [bad], out })).rejects.toThrow('BTCUSDT-trades-2024-08-09.csv line 3: price must be a decimal number, got "61.7k"');
    expect(existsSync(join(out, 'trades.csv.gz'))).toBe(false);
    expect(existsSync(join(out, 'trades.csv.gz.partial'))).toBe(false);
  });

  it('refuses files given out of order, naming both places', async () => {
    const work = tempDir();
    cpSync(fixture('BTCUSDT-aggTrades-2024-08-08.csv'), join(work, 'BTCUSDT-aggTrades-2024-08-08.csv'));
    await expect(importArchive({ format: 'binance-aggtrades', files: [join(work, 'BTCUSDT-aggTrades-2024-08-08.csv'), fixture('BTCUSDT-aggTrades-2024-08-08.csv')], out: tempDir() })).rejects.toThrow(
      /BTCUSDT-aggTrades-2024-08-08.csv line 1: trade id 3100000001 does not follow 3100000003 \(BTCUSDT-aggTrades-2024-08-08.csv line 3\)/,
    );
  });

  it('refuses a Tardis book whose arrival time goes backwards, and one with no snapshot', async () => {
    const work = tempDir();
    const backwards = join(work, 'l2.csv');
    writeFileSync(backwards, 'exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\nbinance,BTCUSDT,1723161241000000,1723161241000000,true,bid,1,1\nbinance,BTCUSDT,1723161240000000,1723161240000000,false,bid,1,2\n');
    await expect(importArchive({ format: 'tardis-incremental-book-l2', files: [backwards], out: tempDir() })).rejects.toThrow(/l2.csv line 3: local_timestamp goes back/);
    const none = join(work, 'none.csv');
    writeFileSync(none, 'exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\nbinance,BTCUSDT,1723161240000000,1723161240000000,false,bid,1,2\n');
    await expect(importArchive({ format: 'tardis-incremental-book-l2', files: [none], out: tempDir() })).rejects.toThrow(/none.csv: no is_snapshot=true rows/);
  });

  it('refuses a file named .gz that is not gzip', async () => {
    const work = tempDir();
    const fake = join(work, 'BTCUSDT-trades-2024-08-09.csv.gz');
    writeFileSync(fake, 'not gzip');
    await expect(importArchive({ format: 'binance-trades', files: [fake], out: tempDir() })).rejects.toThrow(/BTCUSDT-trades-2024-08-09.csv.gz: named .gz but not gzip data/);
  });
});

/** A one-entry deflated zip, as Binance publishes (PKWARE APPNOTE 4.3: local header, data, central directory, end record). */
function zipOf(name: string, data: Buffer): Buffer {
  const body = deflateRawSync(data);
  const nameBytes = Buffer.from(name);
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(body.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(body.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  central.writeUInt32LE(0, 42);
  const centralOffset = local.length + nameBytes.length + body.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBytes.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, nameBytes, body, central, nameBytes, end]);
}
