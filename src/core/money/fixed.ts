/**
 * Fixed-point decimals for every price, quantity and amount in the core.
 *
 * Guarantees: a `Fixed` is a bigint holding the value × 10^18. Addition and subtraction are exact;
 * multiplication and division take an explicit rounding mode. Parsing accepts only plain decimal
 * strings (the exchanges' format) and is exact: a string with more than 18 fractional digits is an
 * error, never silently rounded. No value ever passes through a JavaScript number.
 *
 * Not modelled: values beyond 18 fractional digits (no exchange quotes them).
 * Cost: bigint arithmetic, about 4× a float operation; allocation per result.
 */

/** A decimal value scaled by 10^18. */
export type Fixed = bigint;

export const SCALE_DIGITS = 18;
export const SCALE = 10n ** 18n;
export const ZERO: Fixed = 0n;
export const ONE: Fixed = SCALE;

export type Rounding = 'down' | 'up' | 'half-up' | 'floor' | 'ceil';

/** 10^0 … 10^36 (36: the digits of a product of two Fixed). */
const POW10: readonly bigint[] = Array.from({ length: 2 * SCALE_DIGITS + 1 }, (_, i) => 10n ** BigInt(i));

/** 10^`digits` as a bigint, from a table for 0 … 36 (no exponentiation per call). */
export function pow10(digits: number): bigint {
  return POW10[digits] ?? 10n ** BigInt(digits);
}
/** Digits a JS number holds exactly (10^15 < 2^53). */
const EXACT_NUMBER_DIGITS = 15;

export class DecimalFormatError extends Error {
  override readonly name = 'DecimalFormatError';
}

/**
 * Parses a decimal string ("61837.63000000", "-0.5", "12") exactly: an optional sign, digits, and an
 * optional point followed by digits. Cost: one pass over the characters; values of up to 15
 * significant digits (every exchange price and size) are assembled in a JS number, where they are
 * exact, and scaled with one bigint multiplication.
 */
export function parseFixed(text: string): Fixed {
  const n = text.length;
  let i = 0;
  let negative = false;
  const first = n > 0 ? text.charCodeAt(0) : 0;
  if (first === 45 || first === 43) {
    negative = first === 45;
    i = 1;
  }
  const intStart = i;
  let c = 0;
  while (i < n && (c = text.charCodeAt(i)) >= 48 && c <= 57) i += 1;
  const intEnd = i;
  let fracStart = n;
  let fracEnd = n;
  if (intEnd === intStart) throw notDecimal(text);
  if (i < n) {
    if (c !== 46) throw notDecimal(text);
    i += 1;
    fracStart = i;
    while (i < n && (c = text.charCodeAt(i)) >= 48 && c <= 57) i += 1;
    if (i === fracStart || i !== n) throw notDecimal(text);
    while (fracEnd > fracStart && text.charCodeAt(fracEnd - 1) === 48) fracEnd -= 1;
  }
  const fracLength = fracEnd - fracStart;
  if (fracLength > SCALE_DIGITS) throw new DecimalFormatError(`more than ${SCALE_DIGITS} decimal places: ${JSON.stringify(text)}`);
  let value: bigint;
  if (intEnd - intStart + fracLength <= EXACT_NUMBER_DIGITS) {
    let digits = 0;
    for (let k = intStart; k < intEnd; k += 1) digits = digits * 10 + (text.charCodeAt(k) - 48);
    for (let k = fracStart; k < fracEnd; k += 1) digits = digits * 10 + (text.charCodeAt(k) - 48);
    value = BigInt(digits) * POW10[SCALE_DIGITS - fracLength]!;
  } else {
    value = BigInt(text.slice(intStart, intEnd) + text.slice(fracStart, fracEnd)) * POW10[SCALE_DIGITS - fracLength]!;
  }
  return negative ? -value : value;
}

/** A decimal as `mantissa` × 10^-`fraction`: `mantissa` an exact integer of magnitude below 2^53, `fraction` 0 … 18. */
export interface DecimalParts {
  mantissa: number;
  fraction: number;
}

/**
 * Reads a plain decimal string (the same grammar as `parseFixed`) into `out` without a bigint:
 * its digits, trailing fractional zeros dropped, as an integer `mantissa`, and the number of
 * fractional digits left as `fraction` ("61837.63000000" → 6183763, 2). False, with `out`
 * unspecified, when the text is not such a decimal or its digits reach 2^53 (`parseFixed` then
 * says which, or parses it). `start`/`end`: read only those characters of `text` (a field inside a
 * longer text, without a substring). Cost: one pass over the characters, no allocation.
 */
export function readDecimal(text: string, out: DecimalParts, start = 0, end = text.length): boolean {
  const n = end;
  let i = start;
  const first = n > start ? text.charCodeAt(start) : 0;
  const negative = first === 45;
  if (negative || first === 43) i += 1;
  const intStart = i;
  let digits = 0;
  let c = 0;
  while (i < n && (c = text.charCodeAt(i)) >= 48 && c <= 57) {
    digits = digits * 10 + (c - 48);
    i += 1;
  }
  if (i === intStart) return false;
  let fraction = 0;
  if (i < n) {
    if (c !== 46) return false;
    i += 1;
    const fracStart = i;
    let fracEnd = n;
    while (fracEnd > fracStart && text.charCodeAt(fracEnd - 1) === 48) fracEnd -= 1;
    while (i < fracEnd && (c = text.charCodeAt(i)) >= 48 && c <= 57) {
      digits = digits * 10 + (c - 48);
      i += 1;
    }
    // The digits read must end where the dropped zeros begin; a point needs at least one digit after it.
    if (i !== fracEnd || n === fracStart) return false;
    fraction = fracEnd - fracStart;
    if (fraction > SCALE_DIGITS) return false;
  }
  // Every partial value is below the final one, so all were exact when the final one is below 2^53.
  if (digits > Number.MAX_SAFE_INTEGER) return false;
  out.mantissa = negative && digits !== 0 ? -digits : digits;
  out.fraction = fraction;
  return true;
}

/** The Fixed of `mantissa` × 10^-`fraction` (see `readDecimal`). */
export function fixedOfParts(mantissa: number, fraction: number): Fixed {
  return BigInt(mantissa) * POW10[SCALE_DIGITS - fraction]!;
}

/**
 * A Fixed as decimal parts, as `readDecimal` reads its decimal text (trailing fractional zeros
 * dropped, so one value has one form); undefined when its digits reach 2^53.
 */
export function partsOfFixed(value: Fixed): DecimalParts | undefined {
  if (value === 0n) return { mantissa: 0, fraction: 0 };
  // Up to 8 decimals and below 2^53 once scaled (every exchange price): one bigint division, then numbers.
  if (value % E10 === 0n) {
    let v = Number(value / E10);
    if (Number.isSafeInteger(v)) {
      let fraction = 8;
      while (fraction > 0 && v % 10 === 0) {
        v /= 10;
        fraction -= 1;
      }
      return { mantissa: v, fraction };
    }
  }
  let fraction = SCALE_DIGITS;
  let v = value;
  while (fraction >= 6 && v % 1_000_000n === 0n) {
    v /= 1_000_000n;
    fraction -= 6;
  }
  while (fraction > 0 && v % 10n === 0n) {
    v /= 10n;
    fraction -= 1;
  }
  if (v > MAX_SAFE || v < -MAX_SAFE) return undefined;
  return { mantissa: Number(v), fraction };
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const E10 = 10n ** 10n;

function notDecimal(text: string): DecimalFormatError {
  return new DecimalFormatError(`not a decimal number: ${JSON.stringify(text)}`);
}

/** Returns true when `text` is a plain decimal string that parses exactly. */
export function isDecimalString(text: unknown): text is string {
  if (typeof text !== 'string') return false;
  try {
    parseFixed(text);
    return true;
  } catch {
    return false;
  }
}

/** An integer as a Fixed. */
export function fromInt(n: bigint | number): Fixed {
  if (typeof n === 'number' && !Number.isSafeInteger(n)) {
    throw new RangeError(`not a safe integer: ${n}`);
  }
  return BigInt(n) * SCALE;
}

/**
 * Formats with exactly `decimals` fractional digits when given (the value must already be a
 * multiple of 10^-decimals: formatting never rounds), or with trailing zeros trimmed otherwise.
 */
export function formatFixed(value: Fixed, decimals?: number): string {
  const negative = value < 0n;
  // One conversion to digits, cut at the point: no bigint quotient and remainder made.
  const digits = (negative ? -value : value).toString();
  const n = digits.length;
  const whole = n > SCALE_DIGITS ? digits.slice(0, n - SCALE_DIGITS) : '0';
  const start = n > SCALE_DIGITS ? n - SCALE_DIGITS : 0;
  // The fraction's 18 digits are the zeros the digits lack (n < 18) and digits[start…]; its significant end:
  let end = n;
  while (end > start && digits.charCodeAt(end - 1) === 48) end -= 1;
  let fraction: string;
  if (end === start) fraction = '';
  else fraction = n < SCALE_DIGITS ? ZEROS.slice(0, SCALE_DIGITS - n) + digits.slice(0, end) : digits.slice(start, end);
  if (decimals !== undefined) {
    if (fraction.length > decimals) throw new RangeError(`${formatFixed(value)} has more than ${decimals} decimal places`);
    fraction = fraction === '' ? '0'.repeat(decimals) : fraction + ZEROS.slice(0, Math.min(decimals, SCALE_DIGITS) - fraction.length);
  }
  const body = fraction.length > 0 ? `${whole}.${fraction}` : whole;
  return negative ? `-${body}` : body;
}

const ZEROS = '0'.repeat(SCALE_DIGITS);

/**
 * Integer division of bigints with an explicit rounding mode. A positive denominator (every one
 * the core divides by) costs one division: the numerator is moved by what the mode adds, then
 * truncated (n ≥ 0: up adds d − 1, half-up adds ⌊d/2⌋, which rounds up exactly when 2r ≥ d).
 */
export function divRound(numerator: bigint, denominator: bigint, rounding: Rounding): bigint {
  if (denominator > 0n) {
    const negative = numerator < 0n;
    switch (rounding) {
      case 'down':
        return numerator / denominator;
      case 'half-up': {
        const half = denominator >> 1n;
        return (negative ? numerator - half : numerator + half) / denominator;
      }
      case 'up':
        return (negative ? numerator - denominator + 1n : numerator + denominator - 1n) / denominator;
      case 'floor':
        return (negative ? numerator - denominator + 1n : numerator) / denominator;
      case 'ceil':
        return (negative ? numerator : numerator + denominator - 1n) / denominator;
    }
  }
  if (denominator === 0n) throw new RangeError('division by zero');
  const q = numerator / denominator; // truncates toward zero
  const r = numerator % denominator;
  if (r === 0n) return q;
  const positive = numerator < 0n === denominator < 0n;
  switch (rounding) {
    case 'down':
      return q;
    case 'up':
      return positive ? q + 1n : q - 1n;
    case 'floor':
      return positive ? q : q - 1n;
    case 'ceil':
      return positive ? q + 1n : q;
    case 'half-up': {
      const twice = 2n * (r < 0n ? -r : r);
      const absDen = denominator < 0n ? -denominator : denominator;
      if (twice >= absDen) return positive ? q + 1n : q - 1n;
      return q;
    }
  }
}

/** a × b. Exact when the product has at most 18 fractional digits; otherwise rounded as asked. */
export function mul(a: Fixed, b: Fixed, rounding: Rounding = 'half-up'): Fixed {
  return divRound(a * b, SCALE, rounding);
}

/** a × b, which must be exact at 18 digits (prices × quantities on a tick/step grid are). */
export function mulExact(a: Fixed, b: Fixed): Fixed {
  const product = a * b;
  if (product % SCALE !== 0n) {
    throw new RangeError(`${formatFixed(a)} × ${formatFixed(b)} is not exact at ${SCALE_DIGITS} digits`);
  }
  return product / SCALE;
}

/** a ÷ b, rounded as asked. */
export function div(a: Fixed, b: Fixed, rounding: Rounding = 'half-up'): Fixed {
  return divRound(a * SCALE, b, rounding);
}

/** Rounds to a multiple of `increment` (a tick or step size). */
export function roundToIncrement(value: Fixed, increment: Fixed, rounding: Rounding): Fixed {
  if (increment <= 0n) throw new RangeError('increment must be positive');
  return divRound(value, increment, rounding) * increment;
}

/** True when `value` is a whole multiple of `increment`. */
export function isMultipleOf(value: Fixed, increment: Fixed): boolean {
  return increment > 0n && value % increment === 0n;
}

/** Rounds to `decimals` fractional digits (an asset's precision). */
export function roundToDecimals(value: Fixed, decimals: number, rounding: Rounding): Fixed {
  return roundToIncrement(value, pow10(SCALE_DIGITS - decimals), rounding);
}

/** The number of fractional digits a Fixed needs (0 … 18). */
export function decimalsOf(value: Fixed): number {
  if (value === 0n) return 0;
  let digits = SCALE_DIGITS;
  let v = value < 0n ? -value : value;
  while (digits > 0 && v % 10n === 0n) {
    v /= 10n;
    digits -= 1;
  }
  return digits;
}

export function min(a: Fixed, b: Fixed): Fixed {
  return a < b ? a : b;
}

export function max(a: Fixed, b: Fixed): Fixed {
  return a > b ? a : b;
}

export function abs(a: Fixed): Fixed {
  return a < 0n ? -a : a;
}

/**
 * A Fixed as a float, for presentation and statistics only (charts, Sharpe ratios).
 * Never feed the result back into balances.
 */
export function toDisplayNumber(value: Fixed): number {
  return Number(formatFixed(value));
}
