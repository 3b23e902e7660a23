import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimalsOf, div, divRound, fixedOfParts, formatFixed, isMultipleOf, mul, mulExact, parseFixed, partsOfFixed, readDecimal, roundToDecimals, roundToIncrement, type DecimalParts, type Rounding } from './fixed.js';

describe('fixed-point money', () => {
  it("parses the exchanges' decimal strings exactly", () => {
    expect(parseFixed('61837.63000000')).toBe(61837_630000000000000000n);
    expect(parseFixed('0.00000001')).toBe(10_000_000_000n);
    expect(parseFixed('-0.5')).toBe(-500_000_000_000_000_000n);
    expect(parseFixed('123456789012.123456789012345678')).toBe(123456789012_123456789012345678n);
    expect(formatFixed(parseFixed('61837.63000000'))).toBe('61837.63');
    expect(formatFixed(parseFixed('61837.63'), 8)).toBe('61837.63000000');
  });

  it('refuses anything that is not a plain decimal, and never rounds while parsing', () => {
    for (const bad of ['', '1e5', 'NaN', '1,5', ' 1', '.5', '1.', '0x10', 'Infinity', '1.0000000000000000001']) {
      expect(() => parseFixed(bad), bad).toThrow(/decimal/);
    }
    expect(parseFixed('1.000000000000000000000')).toBe(10n ** 18n);
  });

  it('rounds explicitly: to ticks, steps and asset precision', () => {
    const tick = parseFixed('0.01');
    expect(formatFixed(roundToIncrement(parseFixed('61837.635'), tick, 'down'))).toBe('61837.63');
    expect(formatFixed(roundToIncrement(parseFixed('61837.635'), tick, 'up'))).toBe('61837.64');
    expect(formatFixed(roundToIncrement(parseFixed('61837.635'), tick, 'half-up'))).toBe('61837.64');
    expect(formatFixed(roundToDecimals(parseFixed('-1.005'), 2, 'floor'))).toBe('-1.01');
    expect(formatFixed(roundToDecimals(parseFixed('-1.005'), 2, 'ceil'))).toBe('-1');
    expect(isMultipleOf(parseFixed('0.00123'), parseFixed('0.00001'))).toBe(true);
    expect(isMultipleOf(parseFixed('0.000015'), parseFixed('0.00001'))).toBe(false);
    expect(decimalsOf(parseFixed('0.00001'))).toBe(5);
    expect(() => formatFixed(parseFixed('1.005'), 2)).toThrow(/more than 2 decimal places/);
  });

  it('multiplies price by quantity exactly on the grid, and divides with a stated rounding', () => {
    expect(formatFixed(mulExact(parseFixed('61837.63'), parseFixed('0.00123')))).toBe('76.0602849');
    expect(formatFixed(div(parseFixed('1'), parseFixed('3'), 'down'))).toBe('0.333333333333333333');
    expect(formatFixed(div(parseFixed('2'), parseFixed('3'), 'half-up'))).toBe('0.666666666666666667');
    expect(divRound(-7n, 2n, 'floor')).toBe(-4n);
    expect(divRound(-7n, 2n, 'down')).toBe(-3n);
  });

  it('round-trips every value and keeps a + b − b == a (property)', () => {
    const fixed = fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n });
    fc.assert(fc.property(fixed, fixed, (a, b) => {
      expect(parseFixed(formatFixed(a))).toBe(a);
      expect(a + b - b).toBe(a);
      expect(mul(a, 10n ** 18n)).toBe(a);
    }));
  });

  it('parses and formats as a plain string model of the decimal does, on any digits and signs', () => {
    // The model: sign, whole digits and fraction digits handled as text, then one BigInt of the digits.
    const model = (sign: string, whole: string, fraction: string): bigint => {
      const value = BigInt(whole + fraction.padEnd(18, '0'));
      return sign === '-' ? -value : value;
    };
    const digits = (max: number) => fc.array(fc.constantFrom(...'0123456789'), { minLength: 1, maxLength: max }).map((d) => d.join(''));
    fc.assert(
      fc.property(fc.constantFrom('', '-', '+'), digits(20), fc.option(digits(18), { nil: undefined }), (sign, whole, fraction) => {
        const text = fraction === undefined ? `${sign}${whole}` : `${sign}${whole}.${fraction}`;
        const value = model(sign, whole, fraction ?? '');
        expect(parseFixed(text)).toBe(value);
        const trimmed = (fraction ?? '').replace(/0+$/, '');
        const wholeText = BigInt(whole).toString();
        const expected = trimmed === '' ? wholeText : `${wholeText}.${trimmed}`;
        expect(formatFixed(value)).toBe(value === 0n ? '0' : sign === '-' ? `-${expected}` : expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads a decimal into digits and fractional places as a plain string model does, without a bigint', () => {
    expect(['61837.63000000', '0.00000001', '-0.5', '+12', '0', '-0', '7.000'].map((t) => {
      const out: DecimalParts = { mantissa: NaN, fraction: NaN };
      return readDecimal(t, out) ? [out.mantissa, out.fraction] : undefined;
    })).toEqual([[6183763, 2], [1, 8], [-5, 1], [12, 0], [0, 0], [0, 0], [7, 0]]);
    for (const bad of ['', '1e5', 'NaN', '1,5', ' 1', '.5', '1.', '1.0.', '1.0a0', '1.a00', '0x10', '1.0000000000000000001', '9007199254740992', '90071992547409.92']) {
      expect(readDecimal(bad, { mantissa: 0, fraction: 0 }), bad).toBe(false);
    }
    // The model: the digits as text, trailing fractional zeros dropped, read by Number only below 2^53.
    const digits = (max: number) => fc.array(fc.constantFrom(...'0123456789'), { minLength: 1, maxLength: max }).map((d) => d.join(''));
    fc.assert(
      fc.property(fc.constantFrom('', '-', '+'), digits(17), fc.option(digits(20), { nil: undefined }), (sign, whole, fraction) => {
        const text = fraction === undefined ? `${sign}${whole}` : `${sign}${whole}.${fraction}`;
        const kept = (fraction ?? '').replace(/0+$/, '');
        const all = BigInt(whole + kept);
        const out: DecimalParts = { mantissa: NaN, fraction: NaN };
        const read = readDecimal(text, out);
        if (kept.length > 18 || all > BigInt(Number.MAX_SAFE_INTEGER)) {
          expect(read).toBe(false);
          return;
        }
        expect(read).toBe(true);
        expect(out.fraction).toBe(kept.length);
        expect(BigInt(out.mantissa)).toBe(sign === '-' ? -all : all);
        expect(fixedOfParts(out.mantissa, out.fraction)).toBe(parseFixed(text));
      }),
      { numRuns: 3_000 },
    );
  });

  it('gives a Fixed the parts its decimal text reads as, one form per value', () => {
    expect(partsOfFixed(parseFixed('61837.63'))).toEqual({ mantissa: 6183763, fraction: 2 });
    expect(partsOfFixed(parseFixed('61000'))).toEqual({ mantissa: 61000, fraction: 0 });
    expect(partsOfFixed(1n)).toEqual({ mantissa: 1, fraction: 18 });
    expect(partsOfFixed(2n ** 53n * 10n ** 18n)).toBeUndefined();
    const value = fc.oneof(fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }), fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }).map((v) => v * 10n ** 10n));
    fc.assert(
      fc.property(value, (v) => {
        const out: DecimalParts = { mantissa: NaN, fraction: NaN };
        const read = readDecimal(formatFixed(v), out);
        const parts = partsOfFixed(v);
        if (!read) expect(parts).toBeUndefined();
        else expect(parts).toEqual(out);
      }),
      { numRuns: 3_000 },
    );
  });

  it('formats as the whole quotient and the padded remainder by 10^18 give it, trimmed or to a number of decimals', () => {
    // The model: the value's quotient and remainder by 10^18 as bigints, the remainder padded to 18 digits.
    const model = (value: bigint, decimals?: number): string => {
      const abs = value < 0n ? -value : value;
      const rest = (abs % 10n ** 18n).toString().padStart(18, '0');
      const significant = rest.replace(/0+$/, '');
      if (decimals !== undefined && significant.length > decimals) return 'too many decimals';
      const fraction = decimals === undefined ? significant : abs % 10n ** 18n === 0n ? '0'.repeat(decimals) : rest.slice(0, decimals);
      const body = fraction === '' ? `${abs / 10n ** 18n}` : `${abs / 10n ** 18n}.${fraction}`;
      return value < 0n ? `-${body}` : body;
    };
    const value = fc.oneof(
      fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }),
      fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
      fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }).map((v) => v * 10n ** 10n),
      fc.bigInt({ min: -1000n, max: 1000n }),
    );
    fc.assert(
      fc.property(value, fc.option(fc.integer({ min: 0, max: 24 }), { nil: undefined }), (v, decimals) => {
        const expected = model(v, decimals);
        if (expected === 'too many decimals') expect(() => formatFixed(v, decimals)).toThrow(`${model(v)} has more than ${decimals} decimal places`);
        else expect(formatFixed(v, decimals)).toBe(expected);
      }),
      { numRuns: 5_000 },
    );
  });

  it('divides by a whole number (a leverage) as div by that number as a Fixed does, in every rounding mode', () => {
    // Margins divide a notional by the leverage: divRound by L must be div by L × 10^18.
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 45n), max: 10n ** 45n }), fc.integer({ min: 1, max: 200 }), fc.constantFrom<Rounding>('up', 'down', 'ceil', 'floor', 'half-up'), (n, leverage, rounding) => {
        expect(divRound(n, BigInt(leverage), rounding)).toBe(div(n, BigInt(leverage) * 10n ** 18n, rounding));
      }),
      { numRuns: 3_000 },
    );
  });

  it('rounds every quotient as the truncated quotient and its remainder say, for any signs', () => {
    // The model: q = n / d truncated and r = n % d; r = 0 is exact, otherwise the mode moves q away from zero or not.
    const model = (n: bigint, d: bigint, rounding: Rounding): bigint => {
      const q = n / d;
      const r = n % d;
      if (r === 0n) return q;
      const away = (n < 0n) === (d < 0n) ? q + 1n : q - 1n;
      const positive = (n < 0n) === (d < 0n);
      if (rounding === 'down') return q;
      if (rounding === 'up') return away;
      if (rounding === 'floor') return positive ? q : away;
      if (rounding === 'ceil') return positive ? away : q;
      return 2n * (r < 0n ? -r : r) >= (d < 0n ? -d : d) ? away : q;
    };
    const numerator = fc.oneof(fc.bigInt({ min: -(10n ** 50n), max: 10n ** 50n }), fc.bigInt({ min: -100n, max: 100n }));
    const denominator = fc.oneof(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.bigInt({ min: -7n, max: 7n })).filter((d) => d !== 0n);
    fc.assert(
      fc.property(numerator, denominator, fc.constantFrom<Rounding>('up', 'down', 'ceil', 'floor', 'half-up'), (n, d, rounding) => {
        expect(divRound(n, d, rounding)).toBe(model(n, d, rounding));
      }),
      { numRuns: 20_000 },
    );
    expect(() => divRound(1n, 0n, 'down')).toThrow('division by zero');
  });
});
