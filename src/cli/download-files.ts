/**
 * What `papertrade download` (and `record`, for its directory) checks of its files before it
 * loads ccxt or asks the exchange anything: the columns of the files it writes, and whether its
 * --out can be written and resumed.
 * No ccxt here (docs/adr/0059): the checks run on a usage error's budget.
 */
import { accessSync, closeSync, constants, openSync, readdirSync, readFileSync, readSync, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const CANDLES_HEADER = 'open_time_ms,open,high,low,close,volume';
export const TRADES_HEADER = 'trade_id,price,qty,trade_time_ms,is_buyer_maker,local_ts_ns';

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    // ENOTDIR: a file where a directory of the path should be; the path does not exist either.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Throws, naming `flag`, unless `dir` is a directory this process may create files in. */
function writableDirectory(dir: string, flag: string, path: string): void {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new Error(`${flag} ${path}: cannot write in ${dir}: ${reason(error)}`);
  }
}

/** Throws unless the working directory is one this process may create files in (where a download without --out writes). */
export function checkWorkingDirectory(): void {
  try {
    accessSync('.', constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new Error(`without --out the download is written in the working directory, and it cannot be written in: ${reason(error)}`);
  }
}

/** Up to `max` bytes at `position` of a file. */
function readAt(path: string, position: number, max: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(max);
    return buffer.subarray(0, readSync(fd, buffer, 0, max, position));
  } finally {
    closeSync(fd);
  }
}

/**
 * The last complete (newline-terminated) line of a file, read only: a torn last line after it is
 * left for the download to cut off. Undefined when the file holds no complete line.
 */
export function lastCompleteLineOf(path: string): string | undefined {
  const size = statSync(path).size;
  const length = Math.min(size, 65_536);
  const tail = readAt(path, size - length, length);
  const end = tail.lastIndexOf(0x0a);
  if (end < 0) return undefined;
  return tail.subarray(tail.lastIndexOf(0x0a, end - 1) + 1, end).toString('utf8');
}

/**
 * Throws `refusal` unless an existing `path` starts with `header` (a file this command
 * wrote, possibly cut off inside its header): appending rows to any other file would spoil it.
 */
function ownFile(path: string, header: string, refusal: string): void {
  const head = readAt(path, 0, header.length + 2).toString('utf8');
  const first = head.split(/\r?\n/)[0]!;
  const ours = head.includes('\n') ? first === header : header.startsWith(first);
  if (!ours) throw new Error(`${refusal} (its first line is not ${header}): give a new one or one an earlier download wrote`);
}

/**
 * Checks a candle CSV `--out` before any download: an existing file must be a file this process
 * may write that an earlier download wrote (it is resumed); a new one needs an existing directory
 * it may create files in. Returns the file's last complete line, if any (what a resume starts after).
 */
export function checkCandlesOut(path: string, flag = '--out'): string | undefined {
  const stat = statOf(path);
  if (stat !== undefined) {
    if (!stat.isFile()) throw new Error(`${flag} ${path} is ${stat.isDirectory() ? 'a directory' : 'not a regular file'}: give the candle CSV file to write`);
    try {
      accessSync(path, constants.W_OK);
    } catch (error) {
      throw new Error(`${flag} ${path}: cannot write to it: ${reason(error)}`);
    }
    ownFile(path, CANDLES_HEADER, `${flag} ${path} exists and is not a candle CSV`);
    return lastCompleteLineOf(path);
  }
  const dir = dirname(resolve(path));
  const parent = statOf(dir);
  if (parent === undefined) throw new Error(`${flag} ${path}: the directory ${dirname(path)} does not exist`);
  if (!parent.isDirectory()) throw new Error(`${flag} ${path}: ${dirname(path)} is not a directory`);
  writableDirectory(dir, flag, path);
  return undefined;
}

/**
 * Checks a recording directory `--out` (of `--trades`) before any download: an existing one must
 * be a directory this process may write in, whose trades.csv, if any, an earlier download wrote
 * (it is resumed); a new one is made later under its nearest existing ancestor, which must be a
 * directory it may create files in. Returns the last complete line of its trades.csv, if any.
 */
export function checkTradesOut(path: string, flag = '--out'): string | undefined {
  if (!checkDirectoryOut(path, flag, 'with --trades, --out is the recording directory to write trades.csv in')) return undefined;
  // A replay reads trades.csv before trades.csv.gz (market-data/recording-reader.ts): a tape written
  // beside a recording's own trades would silently take their place.
  if (statOf(resolve(path, 'trades.csv.gz')) !== undefined) throw new Error(`${flag} ${path} already holds trades.csv.gz (a recording's trades), which a downloaded trades.csv beside it would replace in a replay: give another --out`);
  const trades = resolve(path, 'trades.csv');
  const file = statOf(trades);
  if (file === undefined) return undefined;
  if (!file.isFile()) throw new Error(`${flag} ${path}: trades.csv in it is not a regular file`);
  try {
    accessSync(trades, constants.W_OK);
  } catch (error) {
    throw new Error(`${flag} ${path}: cannot write to trades.csv in it: ${reason(error)}`);
  }
  ownFile(trades, TRADES_HEADER, `${flag} ${path}: its trades.csv is not a trades CSV`);
  return lastCompleteLineOf(trades);
}

/**
 * Checks a directory to write in (a recording's), before anything is written or asked: an existing
 * `path` must be a directory this process may write in; a new one is made later under its nearest
 * existing ancestor, which must be a directory it may create files in. True when `path` exists.
 * `purpose` ends the refusal of a path that is not a directory.
 */
export function checkDirectoryOut(path: string, flag: string, purpose: string): boolean {
  const stat = statOf(path);
  if (stat !== undefined) {
    if (!stat.isDirectory()) throw new Error(`${flag} ${path} is not a directory: ${purpose}`);
    writableDirectory(resolve(path), flag, path);
    return true;
  }
  let ancestor = dirname(resolve(path));
  let found = statOf(ancestor);
  while (found === undefined && dirname(ancestor) !== ancestor) {
    ancestor = dirname(ancestor);
    found = statOf(ancestor);
  }
  if (found === undefined || !found.isDirectory()) throw new Error(`${flag} ${path}: ${ancestor} is not a directory`);
  writableDirectory(ancestor, flag, path);
  return false;
}

/** What a download means to write in a recording directory's `recording.json`, as far as it is known. */
export interface RecordingIdentity {
  /** ccxt exchange id, lower case. */
  readonly exchange: string;
  /** Before the markets are loaded: the --symbol given (BTC/USDT, BTC/USDT:USDT or BTCUSDT); after: the market id without separators. */
  readonly symbol: string;
  /** Known once the markets are loaded. */
  readonly market?: 'spot' | 'perpetual';
}

/** BTC/USDT, BTC/USDT:USDT, BTC_USDT and BTCUSDT alike: base and quote, upper case, no separator. */
const compactSymbol = (symbol: string): string => symbol.split(':')[0]!.replace(/[/_-]/g, '').toUpperCase();

/**
 * Reads and checks the `recording.json` of a recording directory `dir` that a `download --trades`
 * is to add to, before any request: it must be a JSON object, and what it names (`exchange`,
 * `symbol` or `ccxtSymbol`, `market`, as `record`, `import` and `download` write them) must be what
 * is downloaded: one directory holds one symbol of one exchange (as `import` refuses another symbol). Symbols
 * are compared in their compact form (`BTC/USDT` is `BTCUSDT`); called again once the markets are
 * loaded, with the market id and its type, spot and perpetual are told apart too. Returns the file's
 * object (what the download merges its own fields into), or undefined when there is none.
 * Throws, naming `flag`, the directory and the field, on a file it cannot read or that names
 * something else.
 */
export function checkRecordingMeta(dir: string, wanted: RecordingIdentity, flag = '--out'): Record<string, unknown> | undefined {
  const path = resolve(dir, 'recording.json');
  const stat = statOf(path);
  if (stat === undefined) return undefined;
  const refuse = (what: string): never => {
    throw new Error(`${flag} ${dir}: its recording.json ${what}: give another --out, or mend or remove that file`);
  };
  if (!stat.isFile()) refuse('is not a regular file');
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return refuse(`is not JSON (${reason(error)})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return refuse('is not a JSON object');
  const meta = parsed as Record<string, unknown>;
  const holds = (field: string, value: unknown, wantedText: string): never => {
    throw new Error(`${flag} ${dir} holds ${field} ${JSON.stringify(value)} (its recording.json), not ${wantedText}: one directory holds one symbol of one exchange; give another --out`);
  };
  if (meta.exchange !== undefined && meta.exchange !== wanted.exchange) holds('exchange', meta.exchange, wanted.exchange);
  const names = [meta.symbol, meta.ccxtSymbol].filter((n): n is string => typeof n === 'string' && n !== '');
  if (names.length > 0 && !names.some((n) => n === wanted.symbol || compactSymbol(n) === compactSymbol(wanted.symbol))) holds('symbol', names[0], wanted.symbol);
  if (meta.symbol !== undefined && typeof meta.symbol !== 'string') holds('symbol', meta.symbol, wanted.symbol);
  if (wanted.market !== undefined && meta.market !== undefined && meta.market !== wanted.market) holds('market', meta.market, wanted.market);
  return meta;
}

/** The files that make a directory a recording (docs/replay-format.md; `.gz` or not), `recording.json` last. */
const RECORDING_FILES = ['depth_snapshot.json', 'depth_updates.jsonl', 'depth_updates.jsonl.gz', 'trades.csv', 'trades.csv.gz', 'recording.json'];

/** The recording files `dir` holds, in RECORDING_FILES order. */
function recordingFilesIn(dir: string): string[] {
  return RECORDING_FILES.filter((name) => statOf(join(dir, name)) !== undefined);
}

/**
 * Checks that a directory `record` is to write in holds no recording yet, before anything is asked
 * or written: `path` itself (one symbol's recording) may not hold a recording's files
 * (depth_snapshot.json, depth_updates.jsonl[.gz], trades.csv[.gz], recording.json), nor, when
 * `several` symbols are to be recorded (one sub-directory each, whose names depend on the
 * exchange's market ids), any of its sub-directories. A recording of one symbol writes in `path`
 * alone: what its sub-directories hold is not in its way. A new directory, an empty one or one of
 * other files is fine. Throws, naming `flag`, the directory that holds a recording and its files; a
 * recording is never resumed or replaced, as `download` never writes over a file it did not write:
 * another --out is asked for.
 */
export function checkNoRecording(path: string, flag: string, several: boolean): void {
  const stat = statOf(path);
  if (stat === undefined || !stat.isDirectory()) return;
  const subs = several ? readdirSync(path, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(path, e.name)).sort() : [];
  for (const dir of [path, ...subs]) {
    const files = recordingFilesIn(dir);
    if (files.length === 0) continue;
    const where = dir === path ? '' : ` in ${dir}`;
    throw new Error(`${flag} ${path} already holds a recording${where} (${files.join(', ')}), which recording into it would replace: give another ${flag}, or move that recording away first`);
  }
}
