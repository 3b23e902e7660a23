/**
 * Reads a recording directory (the layout of data/recordings/*) into kernel inputs.
 *
 * Files: `depth_snapshot.json`, `depth_updates.jsonl[.gz]`, `trades.csv[.gz]` (gzipped or not).
 * Besides Binance `depthUpdate` lines, `depth_updates.jsonl` may carry `{"e":"depthSnapshot",…}` (a
 * later full book) and `{"e":"bookGap","reason":…}` (the source lost the book: replayed as
 * `book.invalidate`, so nothing fills until the next snapshot); `recording.json` may name the
 * `symbol` and `market` when no update line does.
 * Order: the recorder's arrival order (`local_ts_ns`), as a live feed would deliver them; event time
 * (`time`) is the exchange's own (`E` for depth, the trade time for trades). A snapshot without an
 * exchange time takes the time of the input that arrived just before it.
 * A directory with `trades.csv` and neither depth file is a trades-only recording (`fidelity`
 * `trades-only`): its inputs are the prints alone, and a replay derives a quote from each one
 * (trades-only-book.ts, ADR 0041).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { extend } from '../core/objects.js';
import { RecordedLevels } from './recorded-levels.js';
import { RecordedTrades } from './recorded-trades.js';
import type { BookDeltaInput, BookInvalidateInput, BookSnapshotInput, KernelInput, LevelInput, TradeInput } from '../core/kernel/inputs.js';

export type MarketInput = BookSnapshotInput | BookDeltaInput | BookInvalidateInput | TradeInput;

export interface Recording {
  readonly dir: string;
  readonly symbol: string;
  /** `perpetual` when the deltas carry `pu` (Binance USD-M), `spot` otherwise. */
  readonly market: 'spot' | 'perpetual';
  /** `book`: the exchange's depth and trades; `trades-only`: prints alone, a lower-fidelity replay (ADR 0041). */
  readonly fidelity: 'book' | 'trades-only';
  readonly inputs: readonly MarketInput[];
  readonly firstTime: number;
  readonly lastTime: number;
  /** The book inputs' levels read once as numbers (recorded-levels.ts), for replays to skip the level text. */
  readonly levels?: RecordedLevels;
  /** The trades' prices and quantities read once (recorded-trades.ts), for replays to skip the trade text. */
  readonly trades?: RecordedTrades;
}

export class RecordingError extends Error {
  override readonly name = 'RecordingError';
}

/** True when `name` or `name.gz` exists in `dir`. */
function hasFile(dir: string, name: string): boolean {
  return existsSync(join(dir, name)) || existsSync(join(dir, `${name}.gz`));
}

/** Reads `name` or `name.gz` from `dir` as text. */
export function readMaybeGzipped(dir: string, name: string): string {
  const plain = join(dir, name);
  if (existsSync(plain)) return readFileSync(plain, 'utf8');
  const gz = `${plain}.gz`;
  if (existsSync(gz)) {
    try {
      return gunzipSync(readFileSync(gz)).toString('utf8');
    } catch (error) {
      // zlib's own message ("incorrect header check") names neither the file nor the problem.
      throw new RecordingError(`${gz}: not a gzip file (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  throw new RecordingError(`${dir}: missing ${name} (or ${name}.gz)`);
}

interface Timed {
  readonly local: bigint;
  readonly rank: number;
  readonly index: number;
  readonly input: MarketInput;
}

export function readRecording(dir: string): Recording {
  if (!existsSync(dir)) throw new RecordingError(`recording directory not found: ${dir}`);
  const timed: Timed[] = [];
  const meta = readMeta(dir);
  let symbol: string | undefined;
  let perpetual = meta.market === 'perpetual';
  const tradesOnly = !hasFile(dir, 'depth_updates.jsonl') && !existsSync(join(dir, 'depth_snapshot.json')) && hasFile(dir, 'trades.csv');
  if (tradesOnly && meta.symbol === undefined) throw new RecordingError(`${dir}: a trades-only recording names its symbol in recording.json`);

  const deltaLines = tradesOnly ? [] : readMaybeGzipped(dir, 'depth_updates.jsonl').split('\n');
  deltaLines.forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `depth_updates.jsonl line ${i + 1}`;
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new RecordingError(`${where}: not JSON`);
    }
    const s = requireString(raw.s, where, 's');
    if (symbol === undefined) symbol = s;
    else if (s !== symbol) throw new RecordingError(`${where}: symbol ${s} differs from ${symbol}`);
    const local = localTimestamp(line, where);
    if (raw.e === 'bookGap') {
      timed.push({ local, rank: 1, index: i, input: { kind: 'book.invalidate', time: requireInt(raw.E, where, 'E'), symbol: s, reason: requireString(raw.reason, where, 'reason') } });
      return;
    }
    if (raw.e === 'depthSnapshot') {
      timed.push({
        local,
        rank: 1,
        index: i,
        input: { kind: 'book.snapshot', time: requireInt(raw.E, where, 'E'), symbol: s, lastUpdateId: requireInt(raw.lastUpdateId, where, 'lastUpdateId'), bids: requireLevels(raw.bids, where, 'bids'), asks: requireLevels(raw.asks, where, 'asks') },
      });
      return;
    }
    const pu = raw.pu;
    if (pu !== undefined) perpetual = true;
    timed.push({
      local,
      rank: 1,
      index: i,
      input: {
        kind: 'book.delta',
        time: requireInt(raw.E, where, 'E'),
        symbol: s,
        firstUpdateId: requireInt(raw.U, where, 'U'),
        finalUpdateId: requireInt(raw.u, where, 'u'),
        ...(pu !== undefined ? { previousFinalUpdateId: requireInt(pu, where, 'pu') } : {}),
        bids: requireLevels(raw.b, where, 'b'),
        asks: requireLevels(raw.a, where, 'a'),
      },
    });
  });
  symbol ??= meta.symbol;
  if (symbol === undefined) throw new RecordingError(`${dir}: depth_updates.jsonl has no updates`);

  if (!tradesOnly) readSnapshot(dir, symbol, timed);
  const snapshotTime = tradesOnly ? 0 : timed.find((t) => t.input.kind === 'book.snapshot' && t.rank === 0)!.input.time;
  readTrades(dir, symbol, timed);

  timed.sort((a, b) => (a.local < b.local ? -1 : a.local > b.local ? 1 : a.rank - b.rank || a.index - b.index));
  const inputs: MarketInput[] = [];
  let lastTime = 0;
  for (const t of timed) {
    let input = t.input;
    if (input.kind === 'book.snapshot' && t.rank === 0 && snapshotTime === 0) input = { ...input, time: lastTime };
    inputs.push(input);
    lastTime = Math.max(lastTime, input.time);
  }
  // A snapshot that arrived first has no predecessor to borrow a time from: use its successor's.
  const first = inputs[0];
  if (first !== undefined && first.kind === 'book.snapshot' && first.time === 0 && inputs[1] !== undefined) {
    inputs[0] = { ...first, time: inputs[1].time };
  }
  if (inputs.length === 0) throw new RecordingError(`${dir}: the recording holds no inputs`);
  let firstTime = Number.MAX_SAFE_INTEGER;
  for (const i of inputs) firstTime = Math.min(firstTime, i.time);
  return {
    dir,
    symbol,
    market: perpetual ? 'perpetual' : 'spot',
    fidelity: tradesOnly ? 'trades-only' : 'book',
    inputs,
    firstTime,
    lastTime,
    levels: new RecordedLevels(inputs),
    trades: new RecordedTrades(inputs),
  };
}

/** `depth_snapshot.json`, the book the deltas start from (rank 0: before any delta at the same arrival time). */
function readSnapshot(dir: string, symbol: string, timed: Timed[]): void {
  const snapshotText = readMaybeGzipped(dir, 'depth_snapshot.json');
  let snapshot: Record<string, unknown>;
  try {
    snapshot = JSON.parse(snapshotText) as Record<string, unknown>;
  } catch {
    throw new RecordingError('depth_snapshot.json: not JSON');
  }
  const snapshotLocal = localTimestamp(snapshotText, 'depth_snapshot.json');
  const snapshotTime = snapshot.E === undefined ? undefined : requireInt(snapshot.E, 'depth_snapshot.json', 'E');
  timed.push({
    local: snapshotLocal,
    rank: 0,
    index: 0,
    input: {
      kind: 'book.snapshot',
      time: snapshotTime ?? 0,
      symbol,
      lastUpdateId: requireInt(snapshot.lastUpdateId, 'depth_snapshot.json', 'lastUpdateId'),
      bids: requireLevels(snapshot.bids, 'depth_snapshot.json', 'bids'),
      asks: requireLevels(snapshot.asks, 'depth_snapshot.json', 'asks'),
    },
  });
}

/** `trades.csv` (rank 2: after book inputs that arrived at the same time). */
function readTrades(dir: string, symbol: string, timed: Timed[]): void {
  const tradeLines = readMaybeGzipped(dir, 'trades.csv').split('\n');
  const header = (tradeLines[0] ?? '').trim().split(',');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new RecordingError(`trades.csv: no column ${name}`);
    return i;
  };
  const [cId, cPrice, cQty, cTime, cMaker, cLocal] = ['trade_id', 'price', 'qty', 'trade_time_ms', 'is_buyer_maker', 'local_ts_ns'].map(col) as [number, number, number, number, number, number];
  for (let i = 1; i < tradeLines.length; i += 1) {
    const line = tradeLines[i]!.trim();
    if (line === '') continue;
    const f = line.split(',');
    const where = `trades.csv line ${i + 1}`;
    const maker = f[cMaker];
    if (maker !== 'true' && maker !== 'false') throw new RecordingError(`${where}: is_buyer_maker must be true or false`);
    timed.push({
      local: requireBigInt(f[cLocal], where, 'local_ts_ns'),
      rank: 2,
      index: i,
      input: {
        kind: 'trade',
        time: requireInt(Number(f[cTime]), where, 'trade_time_ms'),
        symbol,
        tradeId: requireInt(Number(f[cId]), where, 'trade_id'),
        price: requireDecimal(f[cPrice], where, 'price'),
        quantity: requireDecimal(f[cQty], where, 'qty'),
        buyerMaker: maker === 'true',
      },
    });
  }
}

/** True for inputs that move the market (as opposed to commands). */
export function isMarketInput(input: KernelInput): input is MarketInput {
  return input.kind === 'book.snapshot' || input.kind === 'book.delta' || input.kind === 'book.invalidate' || input.kind === 'trade';
}

/** `recording.json`'s `symbol` and `market`, when present (written by the recorder and importers). */
function readMeta(dir: string): { symbol?: string; market?: string } {
  const path = join(dir, 'recording.json');
  if (!existsSync(path)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new RecordingError('recording.json: not JSON');
  }
  const fields = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  return extend(typeof fields.symbol === 'string' && fields.symbol !== '' ? { symbol: fields.symbol } : {}, typeof fields.market === 'string' ? { market: fields.market } : {});
}

/** `local_ts_ns` read from the text itself: nanoseconds exceed a double's exact integers. */
function localTimestamp(text: string, where: string): bigint {
  const match = /"local_ts_ns"\s*:\s*(\d+)/.exec(text);
  if (match === null) throw new RecordingError(`${where}: local_ts_ns must be an integer`);
  return BigInt(match[1]!);
}

function requireString(v: unknown, where: string, name: string): string {
  if (typeof v !== 'string' || v === '') throw new RecordingError(`${where}: ${name} must be a non-empty string`);
  return v;
}

function requireInt(v: unknown, where: string, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new RecordingError(`${where}: ${name} must be an integer`);
  return v;
}

function requireBigInt(v: unknown, where: string, name: string): bigint {
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v);
  throw new RecordingError(`${where}: ${name} must be an integer`);
}

const DECIMAL = /^\d+(\.\d+)?$/;

function requireDecimal(v: unknown, where: string, name: string): string {
  if (typeof v !== 'string' || !DECIMAL.test(v)) throw new RecordingError(`${where}: ${name} must be a decimal string`);
  return v;
}

function requireLevels(v: unknown, where: string, name: string): LevelInput[] {
  if (!Array.isArray(v)) throw new RecordingError(`${where}: ${name} must be a list of [price, size]`);
  return v.map((level: unknown) => {
    if (!Array.isArray(level) || level.length < 2) throw new RecordingError(`${where}: ${name} entries must be [price, size]`);
    return [requireDecimal(level[0], where, name), requireDecimal(level[1], where, name)] as const;
  });
}
