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
    it(`keeps the ${side} levels a plain sorted map keeps, across chunk splits and rescales to finer prices and sizes`, () => {
      // Prices around 61,000 on a 0.01 grid, plus neighbours 1–3 units of 10^-8 away: the first of
      // those the book meets makes it hold every price in finer units, mid-stream.
      const price = fc.oneof(
        fc.integer({ min: 0, max: 600 }).map((i) => 61_000n * SCALE + BigInt(i) * 10n ** 16n),
        fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 3 })).map(([i, d]) => 61_000n * SCALE + BigInt(i) * 10n ** 16n + BigInt(d) * 10n ** 10n),
      );
      // Sizes on a 0.001 grid, and now and then one of up to 8 decimals (a rescale of every size).
      const size = fc.oneof(fc.constant(0n), fc.integer({ min: 1, max: 5_000 }).map((i) => BigInt(i) * 10n ** 15n), fc.bigInt({ min: 1n, max: 5n * 10n ** 8n }).map((i) => i * 10n ** 10n));
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
      expect(deepest).toBeGreaterThan(200); // a chunk splits at 32 levels: several splits happened
    });
  }

  for (const side of ['bid', 'ask'] as const) {
    it(`keeps the ${side} levels a plain sorted map keeps with a ladder window of 64 or 128 ticks, levels far from it, a best that moves and a window that grows`, () => {
      // Prices on a 0.01 grid over 6,000 ticks (around 61,000 or around 0, negative prices included),
      // half of them in a cluster of 300 whose levels come and go (the best leaves the window, falls
      // into its lower half, the side empties); now and then a price of 10^-8 (every key rescaled) or
      // a size of 8 decimals.
      const tick = 10n ** 16n;
      const price = fc.oneof(
        { arbitrary: fc.integer({ min: -3_000, max: 3_000 }).map((i) => BigInt(i) * tick), weight: 50 },
        { arbitrary: fc.integer({ min: -200, max: 100 }).map((i) => BigInt(i) * tick), weight: 50 },
        { arbitrary: fc.integer({ min: 1, max: 40 }).map((d) => 30n * SCALE + BigInt(d) * 10n ** 10n), weight: 1 },
      );
      const size = fc.oneof(
        { arbitrary: fc.constant(0n), weight: 10 },
        { arbitrary: fc.integer({ min: 1, max: 5_000 }).map((i) => BigInt(i) * 10n ** 15n), weight: 10 },
        { arbitrary: fc.constant(12_345_678n * 10n ** 10n), weight: 1 },
      );
      fc.assert(
        fc.property(fc.constantFrom([64, 64], [64, 1_024], [128, 128]), fc.constantFrom(61_000n * SCALE, 0n), fc.array(fc.tuple(price, size), { minLength: 200, maxLength: 2_000 }), ([span, maxSpan], center, offsets) => {
          const updates = offsets.map(([p, q]) => [center + p, q] as const);
          const book = new BookSide(side, span, maxSpan);
          const model = new Map<bigint, bigint>();
          const out: number[] = [];
          updates.forEach(([p, q], n) => {
            book.set(p, q);
            if (q === 0n) model.delete(p);
            else model.set(p, q);
            if (n % 97 !== 0 && n !== updates.length - 1) return;
            const expected = modelLevels(model, side);
            expect([...book.levels()]).toEqual(expected);
            expect(book.depth).toBe(expected.length);
            expect(book.bestPrice()).toBe(expected[0]?.[0]);
            expect(book.top(3)).toEqual(expected.slice(0, 3));
            expect(book.sizeAt(p)).toBe(model.get(p) ?? 0n);
            expect(book.has(p)).toBe(model.has(p));
            const unit = 10n ** BigInt(18 - book.priceDigits);
            for (const q of [p, p + 1n, p - 1n]) {
              const k = book.unitsBetterThan(q, out);
              expect(out.slice(0, k).map((units) => BigInt(units) * unit)).toEqual(expected.map(([l]) => l).filter((l) => (side === 'bid' ? l > q : l < q)));
              // Only those worse than a bound: a level's own price, a price between levels, one beyond every level.
              const worse = (l: bigint, w: bigint) => (side === 'bid' ? l < w : l > w);
              for (const w of [expected[n % Math.max(1, expected.length)]?.[0] ?? p, p + 1n, p - 1n, (side === 'bid' ? 1n : -1n) * 100_000n * SCALE]) {
                if (w % unit !== 0n) continue; // a bound is a level's units
                const j = book.unitsBetterThan(q, out, Number(w / unit));
                expect(out.slice(0, j).map((units) => BigInt(units) * unit), `better than ${q}, worse than ${w}`).toEqual(
                  expected.map(([l]) => l).filter((l) => (side === 'bid' ? l > q : l < q) && worse(l, w)),
                );
              }
            }
          });
          for (const [p] of updates.slice(0, 40)) expect(book.sizeAt(p)).toBe(model.get(p) ?? 0n);
          book.clear();
          expect([...book.levels()]).toEqual([]);
          expect(book.bestPrice()).toBeUndefined();
          book.set(61_000n * SCALE, SCALE);
          expect([...book.levels()]).toEqual([[61_000n * SCALE, SCALE]]);
        }),
        { numRuns: 120 },
      );
    });
  }

  for (const side of ['bid', 'ask'] as const) {
    it(`names the ${side} levels better than a price as a plain filter of the levels does, also where prices share a double`, () => {
      // Prices of 16 significant digits 10^-14 apart (90 + i × 10^-14: 9 × 10^15 units, below
      // 2^53): many neighbours round to the same double, where the comparison must fall back to
      // the exact values; queries on them and between them.
      const base = 90n * SCALE;
      const unit = 10_000n;
      const price = fc.integer({ min: 0, max: 400 }).map((i) => base + BigInt(i) * unit);
      const query = fc.oneof(price, fc.integer({ min: -5, max: 4_010 }).map((i) => base + (BigInt(i) * unit) / 10n));
      fc.assert(
        fc.property(fc.array(price, { minLength: 1, maxLength: 300 }), fc.array(query, { minLength: 1, maxLength: 30 }), (prices, queries) => {
          const book = new BookSide(side);
          for (const p of prices) book.set(p, SCALE);
          const levels = [...book.levels()].map(([p]) => p);
          const out: number[] = [];
          for (const q of queries) {
            const n = book.unitsBetterThan(q, out);
            const named = out.slice(0, n).map((units) => BigInt(units) * 10n ** BigInt(18 - book.priceDigits));
            expect(named).toEqual(levels.filter((p) => (side === 'bid' ? p > q : p < q)));
          }
        }),
        { numRuns: 200 },
      );
      // The premise: some neighbours here do share a double.
      const shared = Array.from({ length: 400 }, (_, i) => base + BigInt(i) * unit).filter((p) => Number(p) === Number(p + unit));
      expect(shared.length).toBeGreaterThan(100);
    });
  }

  it('refuses a level of 2^53 units or more, and changes nothing', () => {
    const book = new BookSide('ask');
    book.set(61_000n * SCALE, SCALE); // whole units
    book.set(61_000n * SCALE + 10n ** 16n, SCALE); // now in cents: 6,100,001 units
    // 2^53 cents: beyond what a number holds exactly.
    expect(() => book.set(2n ** 53n * 10n ** 16n, SCALE)).toThrow(RangeError);
    // A price of 10^-18 would need 61,000 × 10^18 units for the levels held.
    expect(() => book.set(1n, SCALE)).toThrow(RangeError);
    expect(() => book.set(SCALE, 10n ** 17n * SCALE + 1n)).toThrow(RangeError);
    expect([...book.levels()]).toEqual([[61_000n * SCALE, SCALE], [61_000n * SCALE + 10n ** 16n, SCALE]]);
    book.set(61_000n * SCALE + 10n ** 10n, 3n * 10n ** 10n); // finer still: prices and sizes in units of 10^-8
    expect([...book.levels()]).toEqual([[61_000n * SCALE, SCALE], [61_000n * SCALE + 10n ** 10n, 3n * 10n ** 10n], [61_000n * SCALE + 10n ** 16n, SCALE]]);
    // A size of 10^-18 beside sizes of 1 would need 10^18 units.
    expect(() => book.set(60_000n * SCALE, 1n)).toThrow(RangeError);
    expect(book.depth).toBe(3);
    expect(book.sizeAt(61_000n * SCALE + 1n)).toBe(0n);
  });

  it('refuses a negative size and changes nothing', () => {
    const book = new BookSide('bid');
    book.set(SCALE, SCALE);
    expect(() => book.set(SCALE, -1n)).toThrow(RangeError);
    expect([...book.levels()]).toEqual([[SCALE, SCALE]]);
  });
});
