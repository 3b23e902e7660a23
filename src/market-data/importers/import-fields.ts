/**
 * Field checks shared by the archive importers: every complaint names the file and the line.
 *
 * Guarantees: decimals come out as plain decimal text (an exponent such as `1e-05` is expanded
 * exactly, never through a float); times come out in ms plus the sub-ms remainder in ns, from
 * ms, µs or ns inputs told apart by their size.
 */
import { basename } from 'node:path';

export class ImportError extends Error {
  override readonly name = 'ImportError';
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(line > 0 ? `${basename(file)} line ${line}: ${detail}` : `${basename(file)}: ${detail}`);
  }
}

/** Where a value came from, for messages. */
export interface At {
  readonly file: string;
  readonly line: number;
}

const PLAIN = /^\d+(\.\d+)?$/;
const EXPONENT = /^(\d+)(?:\.(\d+))?[eE]([+-]?\d+)$/;

/** A non-negative decimal as plain text (`1.5e-3` → `0.0015`); anything else is an error. */
export function decimal(text: string | undefined, at: At, name: string): string {
  const value = plainDecimal(text);
  if (value !== undefined) return value;
  throw new ImportError(at.file, at.line, `${name} must be a decimal number, got "${(text ?? '').trim()}"`);
}

/** A non-negative decimal as plain text, exponent expanded exactly; undefined when it is not one. */
export function plainDecimal(text: string | undefined): string | undefined {
  const value = (text ?? '').trim();
  if (PLAIN.test(value)) return value;
  const m = EXPONENT.exec(value);
  if (m !== null) {
    const digits = `${m[1]}${m[2] ?? ''}`;
    const point = m[1]!.length + Number(m[3]);
    const expanded = point <= 0 ? `0.${'0'.repeat(-point)}${digits}` : point >= digits.length ? digits + '0'.repeat(point - digits.length) : `${digits.slice(0, point)}.${digits.slice(point)}`;
    const [int, frac] = expanded.split('.') as [string, string | undefined];
    const intText = int.replace(/^0+(?=\d)/, '');
    return frac === undefined ? intText : `${intText}.${frac}`;
  }
  return undefined;
}

/** True when a decimal text is zero. */
export function isZero(decimalText: string): boolean {
  return /^0+(\.0+)?$/.test(decimalText);
}

export function integer(text: string | undefined, at: At, name: string): number {
  const value = (text ?? '').trim();
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new ImportError(at.file, at.line, `${name} must be a whole number, got "${value}"`);
  return n;
}

export function bool(text: string | undefined, at: At, name: string): boolean {
  const value = (text ?? '').trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ImportError(at.file, at.line, `${name} must be true or false, got "${text ?? ''}"`);
}

export interface Instant {
  /** Unix ms (floor). */
  readonly ms: number;
  /** Unix ns, exact to the input's precision. */
  readonly ns: bigint;
}

/**
 * A Unix timestamp in ms (13 digits today), µs (16) or ns (19), told apart by size: anything
 * from 1e17 is ns, from 1e14 µs, else ms. Binance spot files switched from ms to µs on 2025-01-01.
 * A number below 1e11 (ms before 1973-03-03) is refused: Unix seconds, which no archive prints,
 * would otherwise be taken for ms of January 1970 (the rule of candle files, docs/adr/0009).
 */
export function instant(text: string | undefined, at: At, name: string): Instant {
  const value = (text ?? '').trim();
  if (!/^\d{1,19}$/.test(value)) throw new ImportError(at.file, at.line, `${name} must be a Unix timestamp, got "${value}"`);
  const raw = BigInt(value);
  if (raw < 100_000_000_000n) throw new ImportError(at.file, at.line, `${name} ${value} is before 1973-03-03 as Unix ms: the archive's times are ms, µs or ns, and this looks like seconds`);
  const ns = raw >= 100_000_000_000_000_000n ? raw : raw >= 100_000_000_000_000n ? raw * 1_000n : raw * 1_000_000n;
  return { ms: Number(ns / 1_000_000n), ns };
}

/**
 * A Tardis timestamp: always µs since the epoch (their documented format). A number below 1e14
 * (µs before 1973-03-03) is refused, as `instant` refuses seconds: ms or seconds, from a file
 * rewritten by another tool, would otherwise be taken for µs of January 1970.
 */
export function micros(text: string | undefined, at: At, name: string): Instant {
  const value = (text ?? '').trim();
  if (!/^\d{1,17}$/.test(value)) throw new ImportError(at.file, at.line, `${name} must be microseconds since the epoch, got "${value}"`);
  const raw = BigInt(value);
  if (raw < 100_000_000_000_000n) throw new ImportError(at.file, at.line, `${name} ${value} is before 1973-03-03 as Unix µs: Tardis times are microseconds, and this looks like ${raw >= 100_000_000_000n ? 'milliseconds' : 'seconds'}`);
  const ns = raw * 1_000n;
  return { ms: Number(ns / 1_000_000n), ns };
}

/** The kernel's name for an exchange symbol: `BTC-PERPETUAL` → `BTCPERPETUAL`, `btc/usdt` → `BTCUSDT`. */
export function kernelSymbol(symbol: string): string {
  return symbol.replace(/[/_:-]/g, '').toUpperCase();
}
