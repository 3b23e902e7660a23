/**
 * The bounds an account's fee rates must lie within: one definition for the API edge (which answers
 * 400 before anything is journaled) and the kernel (which refuses the input if one gets past).
 *
 * - A rate is a fraction of the notional ("0.001" = 0.1 %); its size is at most 1 % (MAX_FEE_RATE),
 *   above every retail spot and futures schedule of Binance and MEXC by an order of magnitude.
 * - The taker rate is never negative: no exchange pays takers.
 * - The maker rate may be negative (a rebate), but the rebate is never larger than the taker rate,
 *   or a maker and a taker trading with each other would create money (the same rule as
 *   `validateInstrument` applies to an instrument's own rates).
 * When only one rate is given, the other is the instrument's default (`defaults`), if known.
 */
import { formatFixed, parseFixed, type Fixed } from '../money/fixed.js';

export const MAX_FEE_RATE_TEXT = '0.01';
export const MAX_FEE_RATE: Fixed = parseFixed(MAX_FEE_RATE_TEXT);

export interface FeeRates {
  readonly maker?: Fixed | undefined;
  readonly taker?: Fixed | undefined;
}

export interface FeeRateProblem {
  readonly field: 'maker' | 'taker';
  readonly message: string;
}

/** Why these rates are out of bounds (the first problem, naming its field), or undefined. */
export function feeRateProblem(rates: FeeRates, defaults?: { readonly maker: Fixed; readonly taker: Fixed }): FeeRateProblem | undefined {
  const { maker, taker } = rates;
  if (taker !== undefined && (taker < 0n || taker > MAX_FEE_RATE)) {
    return { field: 'taker', message: `taker fee must be a fraction from 0 to ${MAX_FEE_RATE_TEXT} (1 %), got ${formatFixed(taker)}` };
  }
  if (maker !== undefined && (maker < -MAX_FEE_RATE || maker > MAX_FEE_RATE)) {
    return { field: 'maker', message: `maker fee must be a fraction from -${MAX_FEE_RATE_TEXT} to ${MAX_FEE_RATE_TEXT} (at most 1 % either way), got ${formatFixed(maker)}` };
  }
  const effectiveTaker = taker ?? defaults?.taker;
  if (maker !== undefined && maker < 0n && effectiveTaker !== undefined && -maker > effectiveTaker) {
    return { field: 'maker', message: `a maker rebate (${formatFixed(maker)}) must not be larger than the taker fee (${formatFixed(effectiveTaker)})` };
  }
  return undefined;
}

/** The same check on decimal strings as an API body carries them; a string that is not a decimal is a problem too. */
export function feeTextProblem(rates: { readonly maker?: string | undefined; readonly taker?: string | undefined }, defaults?: { readonly maker: Fixed; readonly taker: Fixed }): FeeRateProblem | undefined {
  const parsed: { maker?: Fixed; taker?: Fixed } = {};
  for (const field of ['maker', 'taker'] as const) {
    const text = rates[field];
    if (text === undefined) continue;
    try {
      parsed[field] = parseFixed(text);
    } catch {
      return { field, message: `${field} fee must be a decimal fraction, e.g. "0.001" for 0.1 %` };
    }
  }
  return feeRateProblem(parsed, defaults);
}
