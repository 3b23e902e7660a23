/**
 * One side of an L2 book: price levels with their displayed size.
 *
 * Guarantees: no level of size zero is ever kept; prices are unique; iteration runs best-first.
 * Layout: prices are held worst → best in one array, so the frequent changes near the top of the
 * book move few elements; sizes live in a Map keyed by the bigint price.
 * Cost: O(log n) lookup, O(distance from the top) insertion and removal.
 */
import type { Fixed } from '../money/fixed.js';

export type BookSideName = 'bid' | 'ask';

export class BookSide {
  /** Worst → best: bids ascending, asks descending. */
  private readonly prices: Fixed[] = [];
  private readonly sizes = new Map<Fixed, Fixed>();

  constructor(readonly side: BookSideName) {}

  get depth(): number {
    return this.prices.length;
  }

  /** True when `a` is a better price than `b` on this side. */
  isBetter(a: Fixed, b: Fixed): boolean {
    return this.side === 'bid' ? a > b : a < b;
  }

  bestPrice(): Fixed | undefined {
    return this.prices[this.prices.length - 1];
  }

  sizeAt(price: Fixed): Fixed {
    return this.sizes.get(price) ?? 0n;
  }

  /** Sets a level's size; zero removes it. */
  set(price: Fixed, size: Fixed): void {
    if (size < 0n) throw new RangeError('a book level cannot have a negative size');
    const had = this.sizes.has(price);
    if (size === 0n) {
      if (!had) return;
      this.sizes.delete(price);
      this.prices.splice(this.indexOf(price), 1);
      return;
    }
    this.sizes.set(price, size);
    if (!had) this.prices.splice(this.insertionIndex(price), 0, price);
  }

  clear(): void {
    this.prices.length = 0;
    this.sizes.clear();
  }

  /** Levels best-first as [price, size]. */
  *levels(): IterableIterator<readonly [Fixed, Fixed]> {
    for (let i = this.prices.length - 1; i >= 0; i -= 1) {
      const price = this.prices[i]!;
      yield [price, this.sizes.get(price)!];
    }
  }

  /** The best `n` levels as [price, size]. */
  top(n: number): Array<readonly [Fixed, Fixed]> {
    const out: Array<readonly [Fixed, Fixed]> = [];
    for (let i = this.prices.length - 1; i >= 0 && out.length < n; i -= 1) {
      const price = this.prices[i]!;
      out.push([price, this.sizes.get(price)!]);
    }
    return out;
  }

  /** Index where `price` sits or would be inserted, keeping worst → best order. */
  private insertionIndex(price: Fixed): number {
    let lo = 0;
    let hi = this.prices.length;
    const ascending = this.side === 'bid';
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = this.prices[mid]!;
      if (ascending ? p < price : p > price) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private indexOf(price: Fixed): number {
    const i = this.insertionIndex(price);
    if (this.prices[i] !== price) throw new Error(`book invariant broken: level ${price} missing`);
    return i;
  }
}
