import { describe, expect, it } from 'vitest';
import { divRound, formatFixed, parseFixed, type Rounding } from './fixed.js';

// formatFixed cut from one toString and divRound in one division, at the edges random values
// rarely reach: values of exactly 17, 18, 19, 36 and 37 digits, powers of ten and their
// neighbours, negatives whose fraction is all zeros, decimals 0 … 30; quotients exactly on a half,
// one off it, and numerators one off a multiple, for denominators from 1 to 10^36. Oracles: a
// formatter from the quotient and remainder by 10^18, and the rounding of the exact rational n/d
// decided by comparing 2·|r| with |d|, written out per mode.

const E18 = 10n ** 18n;

function modelFormat(value: bigint, decimals?: number): string {
  const abs = value < 0n ? -value : value;
  const rest = abs % E18;
  const padded = rest.toString().padStart(18, '0');
  const significant = padded.replace(/0+$/, '');
  if (decimals !== undefined && significant.length > decimals) return 'refused';
  let fraction = significant;
  if (decimals !== undefined) fraction = rest === 0n ? '0'.repeat(decimals) : padded.slice(0, decimals);
  const body = fraction === '' ? `${abs / E18}` : `${abs / E18}.${fraction}`;
  return value < 0n ? `-${body}` : body;
}

function modelDivide(n: bigint, d: bigint, rounding: Rounding): bigint {
  const negative = n < 0n !== d < 0n;
  const an = n < 0n ? -n : n;
  const ad = d < 0n ? -d : d;
  const q = an / ad;
  const r = an % ad;
  let magnitude = q;
  if (r !== 0n) {
    const away =
      rounding === 'up' ||
      (rounding === 'half-up' && 2n * r >= ad) ||
      (rounding === 'ceil' && !negative) ||
      (rounding === 'floor' && negative);
    if (away) magnitude = q + 1n;
  }
  return negative ? -magnitude : magnitude;
}

function edgeValues(): bigint[] {
  const out = new Set<bigint>([0n, 1n, 9n, 10n]);
  for (const digits of [1, 2, 9, 15, 16, 17, 18, 19, 20, 35, 36, 37, 40]) {
    const p = 10n ** BigInt(digits);
    for (const v of [p, p - 1n, p + 1n, p / 2n, (p * 123_456_789n) / 1_000_000_000n, p - 10n ** BigInt(Math.max(0, digits - 18))]) out.add(v);
  }
  // Whole numbers (fraction all zeros), one unit of 10^-18 on either side of them, and a fraction of one nonzero digit in each place.
  for (const whole of [1n, 7n, 10n, 999_999n, 10n ** 19n]) {
    out.add(whole * E18);
    out.add(whole * E18 + 1n);
    out.add(whole * E18 - 1n);
    for (let place = 0; place < 18; place += 1) out.add(whole * E18 + 5n * 10n ** BigInt(place));
  }
  return [...out].flatMap((v) => [v, -v]);
}

const ROUNDINGS: readonly Rounding[] = ['down', 'up', 'half-up', 'floor', 'ceil'];

describe('fixed-point edges (hostile)', () => {
  it('formats every edge value as the quotient and the remainder by 10^18 do, to 0 … 30 decimals or trimmed, and parses back', () => {
    let cases = 0;
    for (const v of edgeValues()) {
      expect(formatFixed(v)).toBe(modelFormat(v));
      expect(parseFixed(formatFixed(v))).toBe(v);
      for (let decimals = 0; decimals <= 30; decimals += 1) {
        const expected = modelFormat(v, decimals);
        if (expected === 'refused') {
          expect(() => formatFixed(v, decimals)).toThrow(`${modelFormat(v)} has more than ${decimals} decimal places`);
        } else {
          expect(formatFixed(v, decimals)).toBe(expected);
          expect(parseFixed(expected)).toBe(v);
        }
        cases += 1;
      }
    }
    expect(cases).toBeGreaterThan(5_000);
  });

  it('never writes a minus sign before a zero', () => {
    for (const decimals of [undefined, 0, 2, 18, 30]) expect(formatFixed(-0n, decimals)).not.toMatch(/^-/);
    expect(formatFixed(-1n)).toBe('-0.000000000000000001');
    expect(formatFixed(-E18, 2)).toBe('-1.00');
  });

  it('rounds quotients on a half, one off it and one off a multiple as the exact rational does, in every mode and for either sign', () => {
    let cases = 0;
    const denominators = [1n, 2n, 3n, 4n, 7n, 10n, 125n, E18, 2n * E18 + 1n, 10n ** 36n, 10n ** 36n + 7n];
    for (const d of denominators) {
      for (const k of [0n, 1n, 2n, 99n, 10n ** 20n]) {
        const half = d / 2n;
        for (const n of [k * d, k * d + 1n, k * d - 1n, k * d + half, k * d + half - 1n, k * d + half + 1n, k * d + d - 1n]) {
          for (const [num, den] of [[n, d], [-n, d], [n, -d], [-n, -d]] as const) {
            for (const rounding of ROUNDINGS) {
              expect(divRound(num, den, rounding)).toBe(modelDivide(num, den, rounding));
              cases += 1;
            }
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(5_000);
    for (const rounding of ROUNDINGS) expect(() => divRound(5n, 0n, rounding)).toThrow('division by zero');
  });
});
