import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedText } from './bounded-text.js';

describe('boundedText', () => {
  it('cuts a 100,001-digit price to its first 40 characters and its length', () => {
    expect(boundedText(`price 1${'0'.repeat(100_000)} is above the maximum 1000000`)).toBe(`price 1${'0'.repeat(39)}…(100001 characters) is above the maximum 1000000`);
  });

  it('leaves a run of 100 characters whole and cuts one of 101', () => {
    const hundred = 'x'.repeat(100);
    expect(boundedText(`a ${hundred} b`)).toBe(`a ${hundred} b`);
    expect(boundedText(`a ${hundred}y b`)).toBe(`a ${'x'.repeat(40)}…(101 characters) b`);
  });

  it('does not split a surrogate pair at the cut', () => {
    const text = `${'x'.repeat(39)}😀${'y'.repeat(100)}`;
    expect(boundedText(text)).toBe(`${'x'.repeat(39)}…(${text.length} characters)`);
  });

  it('returns text without a long run as it is, and never leaves a run over 100 characters', () => {
    const token = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ minLength: 90, maxLength: 400 }), fc.string({ unit: 'binary', minLength: 40, maxLength: 120 }), fc.constantFrom('😀', '1'.repeat(150), '"0.'.concat('0'.repeat(300), '1"')));
    fc.assert(
      fc.property(fc.array(token, { maxLength: 8 }), (tokens) => {
        const text = tokens.join(' ');
        const out = boundedText(text);
        const longest = (t: string) => Math.max(0, ...(t.match(/\S+/g) ?? []).map((r) => r.length));
        if (longest(text) <= 100) expect(out).toBe(text);
        expect(longest(out)).toBeLessThanOrEqual(100);
      }),
      { numRuns: 3_000 },
    );
  });
});
