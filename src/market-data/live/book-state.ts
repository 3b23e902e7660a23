/**
 * The live feed's view of one exchange book: ccxt's order book (floats, hidden sequence) turned
 * into decimal-string levels, and the difference between two such views.
 *
 * Guarantees: prices and sizes become plain decimal strings (never exponent notation), so the core
 * parses them exactly; a diff applied to the older view gives the newer one, level for level
 * (removed levels carry size "0"). Not modelled: ccxt's float parsing (a price with more than ~15
 * significant digits would already be rounded by ccxt). Cost: O(levels) per view and per diff.
 */
import { parseFixed } from '../../core/money/fixed.js';
import type { LevelInput } from '../../core/kernel/inputs.js';

export interface BookView {
  /** Exchange (event) time in ms, when the exchange gives one. */
  readonly time: number | undefined;
  /** ccxt's `nonce` (Binance: the last applied `u`); undefined where the exchange has none. */
  readonly nonce: number | undefined;
  /** price → size, best first. */
  readonly bids: ReadonlyMap<string, string>;
  readonly asks: ReadonlyMap<string, string>;
}

/** The part of a ccxt order book this module reads. */
export interface CcxtBookLike {
  readonly bids: readonly (readonly (number | string | undefined)[])[];
  readonly asks: readonly (readonly (number | string | undefined)[])[];
  readonly nonce?: number | undefined;
  readonly timestamp?: number | undefined;
}

/** A number as a plain decimal string: 1e-7 → "0.0000001", 61837.63 → "61837.63". */
export function decimalString(value: number | string): string {
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`not a price or size: ${value}`);
  const text = String(value);
  if (!/e/i.test(text)) return text;
  const [mantissa = '0', exponentText = '0'] = text.toLowerCase().split('e');
  const exponent = Number(exponentText);
  const [whole = '0', fraction = ''] = mantissa.split('.');
  const digits = whole + fraction;
  const point = whole.length + exponent;
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`.replace(/\.?0+$/, '') || '0';
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

function side(levels: CcxtBookLike['bids']): Map<string, string> {
  const out = new Map<string, string>();
  for (const level of levels) {
    const price = level[0];
    const size = level[1];
    if (price === undefined || size === undefined) continue;
    if (Number(size) === 0) continue;
    out.set(decimalString(price), decimalString(size));
  }
  return out;
}

export function viewOf(book: CcxtBookLike): BookView {
  return {
    time: typeof book.timestamp === 'number' ? book.timestamp : undefined,
    nonce: typeof book.nonce === 'number' && Number.isSafeInteger(book.nonce) ? book.nonce : undefined,
    bids: side(book.bids),
    asks: side(book.asks),
  };
}

/** The first key of a map (its best level: ccxt sorts bids descending and asks ascending). */
function best(levels: ReadonlyMap<string, string>): string | undefined {
  for (const price of levels.keys()) return price;
  return undefined;
}

/** True when the best bid is at or above the best ask: the book cannot be right. */
export function isCrossed(view: BookView): boolean {
  const bid = best(view.bids);
  const ask = best(view.asks);
  return bid !== undefined && ask !== undefined && Number(bid) >= Number(ask);
}

export function levelsOf(levels: ReadonlyMap<string, string>): LevelInput[] {
  return [...levels.entries()].map(([p, q]) => [p, q] as const);
}

/** Levels that differ from `before` to `after` on one side; a level gone has size "0". */
export function diffSide(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): LevelInput[] {
  const out: LevelInput[] = [];
  for (const [price, size] of after) {
    const old = before.get(price);
    if (old === undefined || parseFixed(old) !== parseFixed(size)) out.push([price, size]);
  }
  for (const price of before.keys()) if (!after.has(price)) out.push([price, '0']);
  return out;
}
