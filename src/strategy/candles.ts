/**
 * Candles: the closed OHLCV bars strategies see, kept as exact decimal strings.
 *
 * Guarantees: a `Candle` is immutable, its prices are decimal strings (never floats for money),
 * `low ≤ open, close ≤ high`. Numbers given by a user are converted once, here, to decimal text.
 * Reads the CSV format of data/candles: `open_time_ms,open,high,low,close,volume`.
 */
import { readFileSync } from 'node:fs';
import { DecimalFormatError, parseFixed, type Fixed } from '../core/money/fixed.js';

export interface Candle {
  /** Open time, Unix ms. */
  readonly openTime: number;
  readonly open: string;
  readonly high: string;
  readonly low: string;
  readonly close: string;
  readonly volume: string;
}

/** What `processCandles` accepts: numbers or decimal strings, `openTime`, `timestamp` or `time`. */
export interface CandleLike {
  readonly openTime?: number;
  readonly timestamp?: number;
  readonly time?: number;
  readonly open: number | string;
  readonly high: number | string;
  readonly low: number | string;
  readonly close: number | string;
  readonly volume?: number | string;
}

/** A number as plain decimal text (no exponent), exact for the float's shortest representation. */
export function decimalText(value: number | string): string {
  if (typeof value === 'string') return value.trim();
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  const text = String(value);
  const exponent = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (exponent === null) return text;
  // The shortest representation's digits with the point moved: exact, where toFixed rounded to 18
  // places (5e-19 became 1e-18) and gave an exponent again from 1e21 on.
  const [, sign, lead, fraction = '', power] = exponent as unknown as [string, string, string, string | undefined, string];
  const digits = lead + fraction;
  const point = 1 + Number(power);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** A candle's prices and volume as exact values, parsed once from its texts (`texts`: the candle). */
export interface CandleValues {
  readonly open: Fixed;
  readonly high: Fixed;
  readonly low: Fixed;
  readonly close: Fixed;
  readonly volume: Fixed;
  readonly texts: Candle;
}

/** A candle's high, low and close as floats for indicators (`Number` of each text, made once). */
export interface CandleFloats {
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

/**
 * What `toCandle` keeps on a candle it made, under a symbol key that is neither enumerable nor in
 * its JSON: a property read, where a WeakSet and a WeakMap cost a hash lookup each per candle.
 * `values` is undefined when the volume is not a decimal (whoever uses the volume then parses it).
 */
interface CandleMemo {
  /** The candle it was made for: an object that inherits the key from a candle is not that candle. */
  readonly candle: Candle;
  readonly values: CandleValues | undefined;
  readonly floats: CandleFloats;
}

const MEMO: unique symbol = Symbol('candle memo');

function memoOf(candle: object): CandleMemo | undefined {
  const memo = (candle as { readonly [MEMO]?: CandleMemo })[MEMO];
  return memo !== undefined && memo.candle === candle ? memo : undefined;
}

/**
 * The values `toCandle` parsed when it validated the candle; undefined for a candle it did not make,
 * or whose volume is not a decimal (whoever uses the volume then parses it and finds out).
 */
export function candleValues(candle: Candle): CandleValues | undefined {
  return memoOf(candle)?.values;
}

/** `Number` of the candle's high, low and close: taken from `toCandle`'s memo when it made the candle. */
export function candleFloats(candle: Candle): CandleFloats {
  return memoOf(candle)?.floats ?? { high: Number(candle.high), low: Number(candle.low), close: Number(candle.close) };
}

/** Validates and freezes; candles this function made before are passed through as they are. */
export function toCandle(input: CandleLike | Candle): Candle {
  if (memoOf(input) !== undefined) return input as Candle;
  const raw = input as CandleLike;
  const openTime = raw.openTime ?? raw.timestamp ?? raw.time;
  if (openTime === undefined || !Number.isSafeInteger(openTime) || openTime < 0) throw new RangeError(`candle needs an open time in Unix ms: ${JSON.stringify(raw)}`);
  const candle: Candle = {
    openTime,
    open: decimalText(raw.open),
    high: decimalText(raw.high),
    low: decimalText(raw.low),
    close: decimalText(raw.close),
    volume: decimalText(raw.volume ?? 0),
  };
  const [o, h, l, c] = [candle.open, candle.high, candle.low, candle.close].map(parseFixed) as [bigint, bigint, bigint, bigint];
  if (l <= 0n || l > h || o < l || o > h || c < l || c > h) throw new RangeError(`inconsistent candle at ${openTime}: ${JSON.stringify(candle)}`);
  let values: CandleValues | undefined;
  try {
    values = { open: o, high: h, low: l, close: c, volume: parseFixed(candle.volume), texts: candle };
  } catch (error) {
    if (!(error instanceof DecimalFormatError)) throw error;
  }
  // A volume is what traded: never below zero (the bar kernel input refuses one too, ADR 0042).
  if (values !== undefined ? values.volume < 0n : /^-\d*\.?\d*[1-9]/.test(candle.volume)) throw new RangeError(`candle at ${openTime} has a negative volume: ${candle.volume}`);
  const memo: CandleMemo = { candle, values, floats: Object.freeze({ high: Number(candle.high), low: Number(candle.low), close: Number(candle.close) }) };
  Object.defineProperty(candle, MEMO, { value: memo, enumerable: false, writable: false, configurable: false });
  return Object.freeze(candle);
}

/** The earliest open time a candle file may hold: 10^11 ms, 1973-03-03T09:46:40Z. */
export const EARLIEST_CSV_OPEN_TIME_MS = 100_000_000_000;
/** The first open time past what a candle file may hold: 10^13 ms, 2286-11-20T17:46:40Z. */
export const CSV_OPEN_TIME_MS_UNTIL = 10_000_000_000_000;

/**
 * Why `ms` cannot be the Unix ms of a candle in a file, or undefined when it can: a whole number in
 * [10^11, 10^13), 1973-03-03 to 2286-11-20. Below it, Unix seconds of any date since 1973 (and
 * above it, µs or ns) would otherwise be read as ms of another century; the message says which
 * unit the number looks like. `what` names the value (`open_time_ms`, `--since`).
 */
export function unixMsProblem(ms: number, what: string): string | undefined {
  if (!Number.isSafeInteger(ms) || ms < 0) return `${what} must be a whole number of Unix milliseconds, got ${ms}`;
  if (ms < EARLIEST_CSV_OPEN_TIME_MS) {
    const asSeconds = ms * 1_000;
    const hint = asSeconds >= EARLIEST_CSV_OPEN_TIME_MS && asSeconds < CSV_OPEN_TIME_MS_UNTIL ? `; it looks like Unix seconds (${ms} s is ${new Date(asSeconds).toISOString()}): write ${asSeconds}` : '';
    return `${what} ${ms} is before 1973-03-03: ${what} is in Unix milliseconds${hint}`;
  }
  if (ms >= CSV_OPEN_TIME_MS_UNTIL) return `${what} ${ms} is after 2286-11-20: ${what} is in Unix milliseconds, and this looks like microseconds or nanoseconds`;
  return undefined;
}

/**
 * Parses candle CSV text; rows must be in increasing open time. A first row whose first cell is
 * not a number is a header. Each row is refused, naming its line (blank lines counted), for an open time outside what `unixMsProblem` allows, a volume that is not a decimal ≥ 0,
 * and prices that do not make a candle (`toCandle`).
 */
export function parseCandlesCsv(text: string): Candle[] {
  const out: Candle[] = [];
  let first = true;
  // `i` counts every line of the text, blank ones too, so that a message names the line an editor shows.
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (line.trim().length === 0) continue;
    const cells = line.split(',').map((c) => c.trim());
    // The first row is a header when its first cell is no number (a negative or quoted time is a row, refused below).
    const header = first && Number.isNaN(Number((cells[0] ?? '').replace(/^"(.*)"$/, '$1')));
    first = false;
    if (header) continue;
    if (cells.length < 5) throw new RangeError(`line ${i + 1}: expected open_time_ms,open,high,low,close[,volume]`);
    const [time, open, high, low, close, volume] = cells as [string, string, string, string, string, string | undefined];
    const openTime = /^\d+$/.test(time) ? Number(time) : Number.NaN;
    const timeProblem = Number.isNaN(openTime) ? `open_time_ms must be a whole number of Unix milliseconds, got "${time}"` : unixMsProblem(openTime, 'open_time_ms');
    if (timeProblem !== undefined) throw new RangeError(`line ${i + 1}: ${timeProblem}`);
    let candle: Candle;
    try {
      candle = toCandle({ openTime, open, high, low, close, volume: volume ?? '0' });
    } catch (error) {
      throw new RangeError(`line ${i + 1}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (candleValues(candle) === undefined) throw new RangeError(`line ${i + 1}: volume must be a decimal number ≥ 0, got "${candle.volume}"`);
    const previous = out[out.length - 1];
    if (previous !== undefined && candle.openTime <= previous.openTime) throw new RangeError(`line ${i + 1}: open times must increase`);
    out.push(candle);
  }
  return out;
}

/** Reads a candle CSV file; a file without one candle row is an error, not an empty backtest. */
export function readCandlesFile(path: string): Candle[] {
  let candles: Candle[];
  try {
    candles = parseCandlesCsv(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new RangeError(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (candles.length === 0) throw new RangeError(`${path}: no candles (expected rows of open_time_ms,open,high,low,close[,volume])`);
  return candles;
}

/** A float view for indicators (indicators are analytics, not money). */
export function closeOf(candle: Candle): number {
  return candleFloats(candle).close;
}
