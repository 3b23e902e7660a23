/**
 * Decimal strings for display and the order form's pre-checks, without float drift: a value is a
 * bigint scaled by 10^18. The server stays the authority; these checks only save a round trip.
 */
const SCALE = 18;
const ONE = 10n ** BigInt(SCALE);

export function parseDecimal(text: string): bigint | undefined {
  const t = text.trim();
  if (!/^\d+\.?\d*$|^\.\d+$/.test(t)) return undefined;
  const [whole = '0', frac = ''] = t.split('.');
  if (frac.length > SCALE) return undefined;
  return BigInt(whole === '' ? '0' : whole) * ONE + BigInt(frac.padEnd(SCALE, '0') || '0');
}

/**
 * The text of a decimal the pre-checks accept, as the API takes it (digits with an optional
 * fraction): trimmed, ".5" written "0.5" and "1." written "1".
 */
export function apiDecimal(text: string): string {
  const t = text.trim();
  const whole = t.startsWith('.') ? `0${t}` : t;
  return whole.endsWith('.') ? whole.slice(0, -1) : whole;
}

export function formatDecimal(value: bigint, maxDecimals = 8): string {
  const negative = value < 0n;
  let v = negative ? -value : value;
  const unit = 10n ** BigInt(SCALE - maxDecimals);
  v = (v + unit / 2n) / unit;
  const whole = v / 10n ** BigInt(maxDecimals);
  const frac = (v % 10n ** BigInt(maxDecimals)).toString().padStart(maxDecimals, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${frac !== '' ? `.${frac}` : ''}`;
}

export const mulDecimal = (a: bigint, b: bigint): bigint => (a * b) / ONE;
export const isMultipleOf = (value: bigint, step: bigint): boolean => step === 0n || value % step === 0n;

/** Decimals to show a price at: the tick's, and never fewer than two. */
export const priceDecimals = (tickSize: string | undefined): number => Math.max(2, tickSize === undefined ? 0 : decimalsOf(tickSize));

/** Number of decimals a tick or step like "0.01" has. */
export function decimalsOf(step: string): number {
  const frac = step.split('.')[1]?.replace(/0+$/, '') ?? '';
  return frac.length;
}

// One formatter per format, made once: `toLocaleString` with options builds a new
// Intl.NumberFormat on every call, which is far too slow for a book that redraws many times a second.
const fixedFormats = new Map<number, Intl.NumberFormat>();
const qtyFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 8 });

function fixedFormat(decimals: number): Intl.NumberFormat {
  let format = fixedFormats.get(decimals);
  if (format === undefined) {
    format = new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    fixedFormats.set(decimals, format);
  }
  return format;
}

/** Groups thousands and fixes decimals for display; keeps a string in, string out. */
export function fmt(value: string | number | null | undefined, decimals = 2): string {
  if (value === null || value === undefined || value === '') return '—';
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) return String(value);
  return fixedFormat(decimals).format(n);
}

export function fmtQty(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  return qtyFormat.format(Number(value));
}

export function fmtPercent(fraction: string | number | null | undefined): string {
  if (fraction === null || fraction === undefined) return '—';
  return `${(Number(fraction) * 100).toFixed(2)}%`;
}

export function fmtTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}
