/**
 * One side of an L2 book: price levels with their displayed size.
 *
 * Guarantees: no level of size zero is ever kept; prices are unique; iteration runs best-first.
 * Layout: levels sorted worst → best in chunks of at most 2·CHUNK levels (a two-level sorted
 * array, the shape of a B+ tree's leaves): an insertion or removal moves at most one chunk's
 * elements, where one flat array moves on average more than a thousand per update on the bundled
 * Binance recording (its deltas insert and remove levels at every depth). Each level keeps its
 * price also as the nearest double (`keys`), held unboxed and contiguous: that mapping is monotonic
 * (p < q ⇒ key(p) ≤ key(q)), so a search on the keys is exact, comparing bigint prices only where
 * two keys are equal. No hashing of bigint keys, no pointer chasing per comparison.
 * Cost: O(log n) lookup, O(CHUNK) insertion and removal.
 */
import type { Fixed } from '../money/fixed.js';

export type BookSideName = 'bid' | 'ask';

/** Levels per chunk after a split; a chunk splits when it reaches twice this. */
const CHUNK = 64;

interface Chunk {
  /** `keys[i]` is `Number(prices[i])`. */
  readonly keys: number[];
  readonly prices: Fixed[];
  /** Never zero. */
  readonly sizes: Fixed[];
}

export class BookSide {
  /** Worst → best, each chunk worst → best and never empty: bids ascending, asks descending. */
  private chunks: Chunk[] = [];
  private count = 0;
  private readonly ascending: boolean;
  /** Where the last `locate` ended: chunk index and index inside it. */
  private at = 0;
  private inChunk = 0;

  constructor(readonly side: BookSideName) {
    this.ascending = side === 'bid';
  }

  get depth(): number {
    return this.count;
  }

  /** True when `a` is a better price than `b` on this side. */
  isBetter(a: Fixed, b: Fixed): boolean {
    return this.ascending ? a > b : a < b;
  }

  bestPrice(): Fixed | undefined {
    const last = this.chunks[this.chunks.length - 1];
    return last === undefined ? undefined : last.prices[last.prices.length - 1];
  }

  sizeAt(price: Fixed): Fixed {
    if (!this.locate(price)) return 0n;
    return this.chunks[this.at]!.sizes[this.inChunk]!;
  }

  /** Sets a level's size; zero removes it. */
  set(price: Fixed, size: Fixed): void {
    if (size < 0n) throw new RangeError('a book level cannot have a negative size');
    const had = this.locate(price);
    const chunk = this.chunks[this.at];
    const i = this.inChunk;
    if (had) {
      if (size !== 0n) {
        chunk!.sizes[i] = size;
        return;
      }
      this.count -= 1;
      if (chunk!.prices.length === 1) {
        this.chunks.splice(this.at, 1);
        return;
      }
      removeKey(chunk!.keys, i);
      removeFixed(chunk!.prices, i);
      removeFixed(chunk!.sizes, i);
      return;
    }
    if (size === 0n) return;
    this.count += 1;
    if (chunk === undefined) {
      this.chunks.push({ keys: [Number(price)], prices: [price], sizes: [size] });
      return;
    }
    insertKey(chunk.keys, i, Number(price));
    insertFixed(chunk.prices, i, price);
    insertFixed(chunk.sizes, i, size);
    if (chunk.prices.length >= 2 * CHUNK) {
      this.chunks.splice(this.at + 1, 0, { keys: chunk.keys.splice(CHUNK), prices: chunk.prices.splice(CHUNK), sizes: chunk.sizes.splice(CHUNK) });
    }
  }

  clear(): void {
    this.chunks = [];
    this.count = 0;
  }

  /** Levels best-first as [price, size]. */
  *levels(): IterableIterator<readonly [Fixed, Fixed]> {
    for (let c = this.chunks.length - 1; c >= 0; c -= 1) {
      const { prices, sizes } = this.chunks[c]!;
      for (let i = prices.length - 1; i >= 0; i -= 1) yield [prices[i]!, sizes[i]!];
    }
  }

  /** The best `n` levels as [price, size]. */
  top(n: number): Array<readonly [Fixed, Fixed]> {
    const out: Array<readonly [Fixed, Fixed]> = [];
    for (let c = this.chunks.length - 1; c >= 0 && out.length < n; c -= 1) {
      const { prices, sizes } = this.chunks[c]!;
      for (let i = prices.length - 1; i >= 0 && out.length < n; i -= 1) out.push([prices[i]!, sizes[i]!]);
    }
    return out;
  }

  /**
   * Finds where `price` sits or would be inserted (worst → best order), into `at` and `inChunk`;
   * true when the level exists. A price better than every level goes to the end of the last chunk.
   */
  private locate(price: Fixed): boolean {
    const chunks = this.chunks;
    const key = Number(price);
    let lo = 0;
    let hi = chunks.length - 1;
    // The first chunk whose best level is not worse than `price` (or the last chunk).
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = chunks[mid]!;
      const last = c.keys.length - 1;
      if (this.worse(c.keys[last]!, c.prices[last]!, key, price)) lo = mid + 1;
      else hi = mid;
    }
    this.at = lo;
    const chunk = chunks[lo];
    if (chunk === undefined) {
      this.inChunk = 0;
      return false;
    }
    const { keys, prices } = chunk;
    let l = 0;
    let h = keys.length;
    while (l < h) {
      const mid = (l + h) >>> 1;
      if (this.worse(keys[mid]!, prices[mid]!, key, price)) l = mid + 1;
      else h = mid;
    }
    this.inChunk = l;
    return l < keys.length && prices[l] === price;
  }

  /** True when the level (k, p) is worse than (key, price) on this side. */
  private worse(k: number, p: Fixed, key: number, price: Fixed): boolean {
    if (this.ascending) return k < key || (k === key && p < price);
    return k > key || (k === key && p > price);
  }
}

// Array splice without the removed-elements array it allocates (chunks are short); one function
// per element kind, so that each stays monomorphic.

function insertKey(array: number[], index: number, value: number): void {
  let j = array.length;
  array.push(value);
  for (; j > index; j -= 1) array[j] = array[j - 1]!;
  array[index] = value;
}

function insertFixed(array: Fixed[], index: number, value: Fixed): void {
  let j = array.length;
  array.push(value);
  for (; j > index; j -= 1) array[j] = array[j - 1]!;
  array[index] = value;
}

function removeKey(array: number[], index: number): void {
  const last = array.length - 1;
  for (let j = index; j < last; j += 1) array[j] = array[j + 1]!;
  array.pop();
}

function removeFixed(array: Fixed[], index: number): void {
  const last = array.length - 1;
  for (let j = index; j < last; j += 1) array[j] = array[j + 1]!;
  array.pop();
}
