/**
 * Binance's public data files (data.binance.vision; columns as documented in
 * github.com/binance/binance-public-data) into the replay format.
 *
 * - `trades`: `id,price,qty,quote_qty,time,is_buyer_maker[,is_best_match]` → `trades.csv.gz`.
 * - `aggTrades`: `agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker[,is_best_match]`
 *   → `trades.csv.gz`, one print per aggregate (its id is the aggregate id).
 * - `klines`: `open_time,open,high,low,close,volume,close_time,…` → `candles_<interval>.csv`
 *   (the CSV `papertrade backtest --candles` reads).
 * - `bookTicker` (USD-M/COIN-M futures only): `update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time`
 *   → one top-of-book snapshot per row.
 *
 * Spot files have no header row; futures files have one (both are read; without --market, a header
 * row means a futures market, and a directory that already names its market keeps it). Spot timestamps are µs
 * from 2025-01-01 and ms before; both are read (told apart by size). Files are read in the order
 * given and must continue each other: ids and times never go backwards (an error names the line);
 * missing ids (a hole in the tape, or between two days) are listed as gaps in `recording.json`.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join, basename } from 'node:path';
import { csvRows } from './csv-rows.js';
import { bool, decimal, ImportError, instant, integer, isZero, type At } from './import-fields.js';
import { DepthOutput, refuseEarlierImport, TradesOutput, type ImportGap, type ImportSummary, type Level } from './recording-output.js';

export interface ImportContext {
  readonly files: readonly string[];
  readonly dir: string;
  readonly symbol?: string;
  readonly market?: 'spot' | 'perpetual';
  readonly onBytes: (n: number) => void;
  /** Write over an earlier import's file of the same kind (recording-output.ts `refuseEarlierImport`). */
  readonly replace?: boolean;
}

/** `BTCUSDT-trades-2024-08-08.zip` → `BTCUSDT`. */
export function symbolFromFileName(files: readonly string[], given: string | undefined): string {
  if (given !== undefined) return given.replace(/[/_:-]/g, '').toUpperCase();
  const names = new Set(files.map((f) => /^([A-Z0-9]+)-/.exec(basename(f))?.[1]));
  const [only] = [...names];
  if (names.size !== 1 || only === undefined) throw new ImportError(files[0] ?? '', 0, 'cannot tell the symbol from the file names: give --symbol');
  return only;
}

/** Binance publishes spot files without a header row and futures files with one. */
function marketOfFiles(header: boolean): 'spot' | 'perpetual' {
  return header ? 'perpetual' : 'spot';
}

const TRADE_COLUMNS = ['id', 'price', 'qty', 'quote_qty', 'time', 'is_buyer_maker'];
const AGG_COLUMNS = ['agg_trade_id', 'price', 'quantity', 'first_trade_id', 'last_trade_id', 'transact_time', 'is_buyer_maker'];

export async function importBinanceTrades(ctx: ImportContext, aggregated: boolean): Promise<ImportSummary> {
  const symbol = symbolFromFileName(ctx.files, ctx.symbol);
  const out = new TradesOutput(ctx.dir);
  const gaps: ImportGap[] = [];
  let lastId: number | undefined;
  let lastTrade: number | undefined;
  let lastTime = 0;
  let lastAt: At | undefined;
  let header = false;
  try {
    for (const file of ctx.files) {
      const rows = csvRows(file, aggregated ? AGG_COLUMNS : TRADE_COLUMNS, { onBytes: ctx.onBytes, aliases: { agg_trade_id: ['a'], transact_time: ['timestamp'] } });
      for await (const row of rows) {
        header ||= row.header !== undefined;
        const id = integer(row.cell(aggregated ? 'agg_trade_id' : 'id'), row, aggregated ? 'agg_trade_id' : 'id');
        const time = instant(row.cell(aggregated ? 'transact_time' : 'time'), row, 'time');
        if (lastId !== undefined && id <= lastId) {
          throw new ImportError(file, row.line, `trade id ${id} does not follow ${lastId}${lastAt !== undefined && lastAt.file !== file ? ` (${basename(lastAt.file)} line ${lastAt.line}): give the files in date order, without overlap` : ''}`);
        }
        if (time.ms < lastTime) throw new ImportError(file, row.line, `time ${time.ms} goes back before ${lastTime}`);
        if (lastId !== undefined && id !== lastId + 1) gaps.push({ kind: 'trades', at: lastTime, reason: `trade ids ${lastId + 1}…${id - 1} missing (${basename(file)} line ${row.line})` });
        if (aggregated) {
          const first = integer(row.cell('first_trade_id'), row, 'first_trade_id');
          const last = integer(row.cell('last_trade_id'), row, 'last_trade_id');
          if (last < first) throw new ImportError(file, row.line, `last_trade_id ${last} is before first_trade_id ${first}`);
          if (lastTrade !== undefined && first !== lastTrade + 1 && id === (lastId ?? 0) + 1) {
            gaps.push({ kind: 'trades', at: lastTime, reason: `underlying trade ids ${lastTrade + 1}…${first - 1} missing (${basename(file)} line ${row.line})` });
          }
          lastTrade = last;
        }
        const price = decimal(row.cell('price'), row, 'price');
        const qty = decimal(row.cell(aggregated ? 'quantity' : 'qty'), row, 'qty');
        if (isZero(price)) throw new ImportError(file, row.line, 'price must be positive');
        // Exchanges print no trade of size 0; one would move the last price (and trigger stops) with nothing traded.
        if (isZero(qty)) throw new ImportError(file, row.line, 'qty must be positive');
        await out.trade(id, price, qty, time.ms, bool(row.cell('is_buyer_maker'), row, 'is_buyer_maker'), time.ns);
        lastId = id;
        lastTime = time.ms;
        lastAt = row;
      }
    }
    if (out.count === 0) throw new ImportError(ctx.files[0] ?? '', 0, 'no trades found');
    await out.close();
  } catch (error) {
    out.abort();
    throw error;
  }
  return { symbol, market: ctx.market ?? marketOfFiles(header), format: aggregated ? 'binance-aggtrades' : 'binance-trades', files: ctx.files.map((f) => basename(f)), counts: { trades: out.count }, gaps };
}

const KLINE_COLUMNS = ['open_time', 'open', 'high', 'low', 'close', 'volume', 'close_time'];
const INTERVAL_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `BTCUSDT-1m-2024-08-08.csv` → `1m`. */
function intervalFromFileName(file: string): string | undefined {
  return /^[A-Z0-9]+-(\d+[smhdw])-/.exec(basename(file))?.[1];
}

export async function importBinanceKlines(ctx: ImportContext): Promise<ImportSummary & { readonly output: string }> {
  const symbol = symbolFromFileName(ctx.files, ctx.symbol);
  const named = ctx.files.map(intervalFromFileName).find((i) => i !== undefined);
  const gaps: ImportGap[] = [];
  const rows: string[] = [];
  let interval = named !== undefined ? Number(named.slice(0, -1)) * INTERVAL_MS[named.slice(-1)]! : undefined;
  let lastOpen: number | undefined;
  let header = false;
  for (const file of ctx.files) {
    for await (const row of csvRows(file, KLINE_COLUMNS, { onBytes: ctx.onBytes, aliases: { open_time: ['open time'] } })) {
      header ||= row.header !== undefined;
      const open = instant(row.cell('open_time'), row, 'open_time').ms;
      const close = instant(row.cell('close_time'), row, 'close_time').ms;
      interval ??= close + 1 - open;
      if (lastOpen !== undefined && open <= lastOpen) throw new ImportError(file, row.line, `open_time ${open} does not follow ${lastOpen}: give the files in date order, without overlap`);
      if (lastOpen !== undefined && open !== lastOpen + interval) gaps.push({ kind: 'candles', at: lastOpen, reason: `${(open - lastOpen) / interval - 1} bars missing before ${new Date(open).toISOString()} (${basename(file)} line ${row.line})` });
      const [o, h, l, c, v] = (['open', 'high', 'low', 'close', 'volume'] as const).map((name) => decimal(row.cell(name), row, name));
      rows.push(`${open},${o},${h},${l},${c},${v}`);
      lastOpen = open;
    }
  }
  if (rows.length === 0 || interval === undefined) throw new ImportError(ctx.files[0] ?? '', 0, 'no klines found');
  const name = named ?? `${interval / 60_000}m`;
  refuseEarlierImport(ctx.dir, `candles_${name}.csv`, ctx.replace);
  const output = join(ctx.dir, `candles_${name}.csv`);
  const stream = createWriteStream(output);
  stream.end(`open_time_ms,open,high,low,close,volume\n${rows.join('\n')}\n`);
  await once(stream, 'finish');
  return { symbol, market: ctx.market ?? marketOfFiles(header), format: 'binance-klines', files: ctx.files.map((f) => basename(f)), counts: { candles: rows.length }, gaps, output };
}

const BOOK_TICKER_COLUMNS = ['update_id', 'best_bid_price', 'best_bid_qty', 'best_ask_price', 'best_ask_qty', 'transaction_time', 'event_time'];

export async function importBinanceBookTicker(ctx: ImportContext): Promise<ImportSummary> {
  const symbol = symbolFromFileName(ctx.files, ctx.symbol);
  const market = ctx.market ?? 'perpetual';
  const out = new DepthOutput(ctx.dir, symbol, market === 'perpetual');
  const gaps: ImportGap[] = [];
  let lastId = -1;
  let lastTime = 0;
  try {
    for (const file of ctx.files) {
      for await (const row of csvRows(file, BOOK_TICKER_COLUMNS, { onBytes: ctx.onBytes })) {
        const id = integer(row.cell('update_id'), row, 'update_id');
        const time = instant(row.cell('event_time') || row.cell('transaction_time'), row, 'event_time');
        if (id <= lastId) throw new ImportError(file, row.line, `update_id ${id} does not follow ${lastId}`);
        if (time.ms < lastTime) throw new ImportError(file, row.line, `event_time ${time.ms} goes back before ${lastTime}`);
        const side = (price: string, qty: string): Level[] => {
          const p = decimal(row.cell(price), row, price);
          const q = decimal(row.cell(qty), row, qty);
          return isZero(q) || isZero(p) ? [] : [[p, q]];
        };
        await out.snapshot(time.ns, time.ms, side('best_bid_price', 'best_bid_qty'), side('best_ask_price', 'best_ask_qty'), id);
        lastId = id;
        lastTime = time.ms;
      }
    }
    await out.close(ctx.files[0] ?? '');
  } catch (error) {
    out.abort();
    throw error;
  }
  return { symbol, market, format: 'binance-bookticker', files: ctx.files.map((f) => basename(f)), counts: { snapshots: out.counts.snapshots }, gaps };
}
