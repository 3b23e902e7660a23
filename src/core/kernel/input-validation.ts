/**
 * The shape every input must have before the kernel lets it touch its state.
 *
 * Why: an input with a time that is not Unix ms, market data for a symbol the kernel does not
 * trade, a price that is not a decimal, or a trade or mark price at or below 0 cannot be applied at all. The kernel answers such an
 * input with INPUT_REJECTED (code INVALID_INPUT) and changes nothing (so does a funding rate beyond
 * ±3 %, the widest any exchange sets: core/accounts/funding-rate-bound.ts); the durable engine asks the
 * same question before journaling, so such inputs never reach the journal through it.
 * Guarantees: an input that passes is plain JSON of a known kind whose market fields parse.
 * Commands (orders, cancels, accounts, leverage) are checked only for their shape: business rules
 * stay the kernel's and come back as rejection events.
 * Cost: one pass over the characters of each decimal field of a market input (no regular expression,
 * no bigint, no book walk). The kernel itself parses book levels once, in the same pass that checks
 * them (`parseLevels`), instead of checking and then parsing.
 */
import type { DecimalLevels } from '../book/decimal-levels.js';
import type { KernelInput, LevelInput } from './inputs.js';
import { parseBar } from './bar-input.js';
import { fundingRateProblem } from '../accounts/funding-rate-bound.js';
import { parseFixed, SCALE_DIGITS, type Fixed } from '../money/fixed.js';

const KINDS = new Set(['book.snapshot', 'book.delta', 'book.invalidate', 'trade', 'bar', 'clock', 'mark', 'funding', 'account.open', 'account.reset', 'account.close', 'account.import', 'leverage.set', 'order.place', 'order.list', 'order.cancel']);

/** The most legs an order list may have (an OCO pair has two). */
export const MAX_LIST_LEGS = 5;

/** Why the input cannot be journaled, or undefined when it can. `symbols` are the kernel's configured symbols. */
export function inputProblem(input: unknown, symbols: { has(symbol: string): boolean }): string | undefined {
  return shapeProblem(input, symbols, true);
}

/**
 * `inputProblem` without the check of book levels, bar fields and a trade's price and quantity, for
 * a caller that parses them with `parseLevels`, `parseBar` and `fixedOrProblem` (price first) before
 * applying them (the kernel): the same answer, one pass.
 */
export function inputProblemExceptLevels(input: unknown, symbols: { has(symbol: string): boolean }): string | undefined {
  return shapeProblem(input, symbols, false);
}

function shapeProblem(input: unknown, symbols: { has(symbol: string): boolean }, checkLevels: boolean): string | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return 'an input is a JSON object';
  const i = input as Partial<KernelInput> & Record<string, unknown>;
  if (typeof i.kind !== 'string' || !KINDS.has(i.kind)) return `unknown input kind ${JSON.stringify(i.kind)}`;
  // Read once: inputs of many shapes make this load megamorphic, and such a load of a time (a double) allocates its box each time.
  const time = i.time;
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) return `input time must be Unix ms, got ${String(time)}`;
  const k = input as KernelInput;
  switch (k.kind) {
    case 'book.snapshot':
      return (
        symbolProblem(k.symbol, symbols) ??
        intProblem(k.lastUpdateId, 'lastUpdateId') ??
        (k.derivedFrom === undefined || k.derivedFrom === 'trades' ? undefined : "derivedFrom must be 'trades' or absent") ??
        levelsProblem(k.bids, checkLevels) ??
        levelsProblem(k.asks, checkLevels)
      );
    case 'book.delta':
      return (
        symbolProblem(k.symbol, symbols) ??
        intProblem(k.firstUpdateId, 'firstUpdateId') ??
        intProblem(k.finalUpdateId, 'finalUpdateId') ??
        (k.previousFinalUpdateId === undefined ? undefined : intProblem(k.previousFinalUpdateId, 'previousFinalUpdateId')) ??
        levelsProblem(k.bids, checkLevels) ??
        levelsProblem(k.asks, checkLevels)
      );
    case 'book.invalidate':
      return symbolProblem(k.symbol, symbols) ?? (typeof k.reason === 'string' ? undefined : 'reason must be a string');
    case 'trade':
      if (typeof k.buyerMaker !== 'boolean') return 'buyerMaker must be true or false';
      return symbolProblem(k.symbol, symbols) ?? (checkLevels ? decimalProblem(k.price) ?? positiveProblem(k.price as string) ?? decimalProblem(k.quantity) : undefined);
    case 'bar': {
      const problem = symbolProblem(k.symbol, symbols);
      if (problem !== undefined || !checkLevels) return problem;
      const bar = parseBar(k);
      return typeof bar === 'string' ? bar : undefined;
    }
    case 'mark':
      return symbolProblem(k.symbol, symbols) ?? decimalProblem(k.price) ?? positiveProblem(k.price as string);
    case 'funding':
      return symbolProblem(k.symbol, symbols) ?? decimalProblem(k.rate) ?? fundingRateProblem(parseFixed(k.rate as string));
    case 'account.open':
      if (typeof k.balances !== 'object' || k.balances === null || Array.isArray(k.balances)) return 'balances must be an object of decimal strings';
      return typeof k.account === 'string' ? undefined : 'account must be a string';
    case 'account.reset':
      if (k.balances !== undefined && (typeof k.balances !== 'object' || k.balances === null || Array.isArray(k.balances))) return 'balances must be an object of decimal strings';
      return typeof k.account === 'string' ? undefined : 'account must be a string';
    case 'account.import':
      return typeof k.document === 'string' ? undefined : 'document must be the exported JSON text';
    case 'account.close':
    case 'leverage.set':
    case 'order.place':
    case 'order.cancel':
      return typeof k.account === 'string' ? undefined : 'account must be a string';
    case 'order.list':
      if (typeof k.account !== 'string') return 'account must be a string';
      if (!Array.isArray(k.orders) || k.orders.length === 0 || k.orders.length > MAX_LIST_LEGS) return `orders must be an array of 1 to ${MAX_LIST_LEGS} legs`;
      for (const leg of k.orders as unknown[]) {
        if (typeof leg !== 'object' || leg === null || Array.isArray(leg)) return 'a list leg is an order object';
      }
      return undefined;
    case 'clock':
      return undefined;
  }
}

function symbolProblem(symbol: unknown, symbols: { has(symbol: string): boolean }): string | undefined {
  return typeof symbol === 'string' && symbols.has(symbol) ? undefined : `market data for an unconfigured symbol: ${String(symbol)}`;
}

function intProblem(n: unknown, name: string): string | undefined {
  return typeof n === 'number' && Number.isSafeInteger(n) ? undefined : `${name} must be a whole number`;
}

/**
 * True for a subset of what `parseFixed` accepts, checked without building a bigint (the common
 * case): an optional sign, digits, and optionally a point with 1 to 18 digits.
 */
function isPlainDecimal(text: string): boolean {
  const n = text.length;
  let i = 0;
  const first = n > 0 ? text.charCodeAt(0) : 0;
  if (first === 45 || first === 43) i = 1;
  const intStart = i;
  let c = 0;
  while (i < n && (c = text.charCodeAt(i)) >= 48 && c <= 57) i += 1;
  if (i === intStart) return false;
  if (i === n) return true;
  if (c !== 46) return false;
  const fracStart = (i += 1);
  while (i < n && (c = text.charCodeAt(i)) >= 48 && c <= 57) i += 1;
  return i === n && i > fracStart && i - fracStart <= SCALE_DIGITS;
}

function decimalProblem(text: unknown): string | undefined {
  if (typeof text !== 'string') return `expected a decimal string, got ${JSON.stringify(text)}`;
  if (isPlainDecimal(text)) return undefined;
  try {
    parseFixed(text);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** What a price at or below 0 is refused with (a print at 0 would trigger every stop below the market, a mark at 0 liquidate every long). */
export const PRICE_NOT_POSITIVE = 'a price must be above 0';

/** What a book level at a price at or below 0 or with a size below 0 is refused with (a bid at -100 would value every long at a loss and liquidate it). */
export const LEVEL_OUT_OF_RANGE = 'a book level needs a price above 0 and a size of 0 or more';

/** LEVEL_OUT_OF_RANGE when a level read (by `parseLevels`, or a journal's decoder) is out of range; the kernel asks after reading. */
export function levelRangeProblem(levels: DecimalLevels): string | undefined {
  for (let i = 0; i < levels.length; i += 1) if (levels.priceMantissa[i]! <= 0 || levels.sizeMantissa[i]! < 0) return LEVEL_OUT_OF_RANGE;
  return undefined;
}

/** `text`, a decimal `decimalProblem` accepts, is above 0: no minus sign and a digit other than 0 (no bigint). */
function positiveProblem(text: string): string | undefined {
  if (text.charCodeAt(0) === 45) return PRICE_NOT_POSITIVE;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 49 && c <= 57) return undefined;
  }
  return PRICE_NOT_POSITIVE;
}

/**
 * The decimal `text` as a Fixed, or the problem `inputProblem` names for it (same text): one pass
 * where the check and the parse were two. Accepts exactly what `decimalProblem` accepts.
 */
export function fixedOrProblem(text: unknown): Fixed | string {
  if (typeof text !== 'string') return `expected a decimal string, got ${JSON.stringify(text)}`;
  try {
    return parseFixed(text);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function levelsProblem(levels: unknown, checkDecimals: boolean): string | undefined {
  if (!Array.isArray(levels)) return 'book levels must be an array of [price, size]';
  if (!checkDecimals) return undefined;
  for (const level of levels as unknown[]) {
    if (!Array.isArray(level) || level.length !== 2) return 'a book level is [price, size]';
    const [price, size] = level as unknown as LevelInput;
    const problem = decimalProblem(price) ?? decimalProblem(size);
    if (problem !== undefined) return problem;
    if (positiveProblem(price) !== undefined || (size.charCodeAt(0) === 45 && positiveProblem(size.slice(1)) === undefined)) return LEVEL_OUT_OF_RANGE;
  }
  return undefined;
}

/**
 * Book levels read into `out` (refilled), or the problem `inputProblem` would name for them (same
 * text): one pass that checks and parses, without a bigint or a tuple per level. `levels` must
 * already be an array (the shape check). A decimal with 16 or more significant digits (2^53 and
 * beyond, which no exchange quotes) is refused here: the book holds levels as exact integers in numbers.
 */
export function parseLevels(levels: readonly LevelInput[], out: DecimalLevels): string | undefined {
  out.reset();
  for (let i = 0; i < levels.length; i += 1) {
    const level = levels[i] as unknown;
    if (!Array.isArray(level) || level.length !== 2) return 'a book level is [price, size]';
    const price: unknown = level[0];
    const size: unknown = level[1];
    if (typeof price !== 'string') return decimalProblem(price)!;
    if (typeof size !== 'string') {
      const priceProblem = decimalProblem(price);
      return priceProblem ?? decimalProblem(size)!;
    }
    if (!out.pushText(price, size)) {
      return decimalProblem(price) ?? decimalProblem(size) ?? `a book level with more significant digits than a book holds exactly (2^53): [${JSON.stringify(price)}, ${JSON.stringify(size)}]`;
    }
  }
  return undefined;
}
