import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BookSide, type BookSideName } from './book-side.js';

/** The model: a plain map of price → size, sorted on demand; best first. */
function modelLevels(model: Map<bigint, bigint>, side: BookSideName): Array<readonly [bigint, bigint]> {
  return [...model].sort(([a], [b]) => (side === 'bid' ? (a > b ? -1 : a < b ? 1 : 0) : a < b ? -1 : a > b ? 1 : 0));
}

const SCALE = 10n ** 18n;

describe('one side of the book', () => {
  for (const side of ['bid', 'ask'] as const) {
    it(`keeps the ${side} levels a plain sorted map keeps, across chunk splits and prices no double tells apart`, () => {
      // Prices around 61,602 on a 0.01 grid, plus neighbours 1–3 units of 10^-18 away: those map to
      // the same double, so only the bigint tie-break orders them.
      const price = fc.oneof(
        fc.integer({ min: 0, max: 600 }).map((i) => 61_000n * SCALE + BigInt(i) * 10n ** 16n),
        fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 3 })).map(([i, d]) => 61_000n * SCALE + BigInt(i) * 10n ** 16n + BigInt(d)),
      );
      const size = fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 5n * SCALE }));
      let deepest = 0;
      fc.assert(
        fc.property(fc.array(fc.tuple(price, size), { minLength: 300, maxLength: 1_500, size: 'max' }), (updates) => {
          const book = new BookSide(side);
          const model = new Map<bigint, bigint>();
          for (const [p, q] of updates) {
            book.set(p, q);
            if (q === 0n) model.delete(p);
            else model.set(p, q);
          }
          const expected = modelLevels(model, side);
          expect([...book.levels()]).toEqual(expected);
          expect(book.depth).toBe(expected.length);
          deepest = Math.max(deepest, book.depth);
          expect(book.bestPrice()).toBe(expected[0]?.[0]);
          expect(book.top(5)).toEqual(expected.slice(0, 5));
          for (const [p] of updates.slice(0, 50)) expect(book.sizeAt(p)).toBe(model.get(p) ?? 0n);
        }),
        { numRuns: 150 },
      );
      expect(deepest).toBeGreaterThan(200); // a chunk splits at 128 levels: several splits happened
    });
  }

  it('refuses a negative size and changes nothing', () => {
    const book = new BookSide('bid');
    book.set(SCALE, SCALE);
    expect(() => book.set(SCALE, -1n)).toThrow(RangeError);
    expect([...book.levels()]).toEqual([[SCALE, SCALE]]);
  });
});
