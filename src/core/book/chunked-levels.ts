/**
 * Book levels as a two-level sorted array: the levels a book side holds away from its ladder (see
 * book-side.ts), keyed by an integer that grows toward the best price.
 *
 * Guarantees: keys are unique and kept ascending (worst → best); no level of size zero is kept.
 * Keys and sizes are integers below 2^53 in JS numbers, compared as numbers (exact).
 * Layout: chunks of at most 2·CHUNK levels (the shape of a B+ tree's leaves), each chunk ascending
 * and never empty, and each chunk's last key in one flat array for the search over chunks.
 * Cost: O(log n) lookup, O(CHUNK) insertion and removal; appending above every key is O(1).
 */

/** Levels per chunk after a split; a chunk splits when it reaches twice this. */
const CHUNK = 16;

export interface Chunk {
  /** Ascending. */
  readonly keys: number[];
  /** Never zero. */
  readonly sizes: number[];
}

export class ChunkedLevels {
  /** Ascending, each chunk ascending and never empty. */
  chunks: Chunk[] = [];
  /** Each chunk's last (highest) key. */
  private lasts: number[] = [];
  count = 0;
  /** Where the last `locate` ended: chunk index and index inside it. */
  private at = 0;
  private inChunk = 0;

  /** The highest key; undefined when empty. */
  max(): number | undefined {
    const lasts = this.lasts;
    return lasts.length === 0 ? undefined : lasts[lasts.length - 1];
  }

  /** The size at `key`, 0 when no level is held there. */
  get(key: number): number {
    return this.locate(key) ? this.chunks[this.at]!.sizes[this.inChunk]! : 0;
  }

  /** Sets the level at `key` to `size` (0 removes it); returns the change in the number of levels (−1, 0 or 1). */
  put(key: number, size: number): number {
    const had = this.locate(key);
    const chunk = this.chunks[this.at];
    const i = this.inChunk;
    if (had) {
      if (size !== 0) {
        chunk!.sizes[i] = size;
        return 0;
      }
      this.count -= 1;
      const keys = chunk!.keys;
      if (keys.length === 1) {
        this.chunks.splice(this.at, 1);
        this.lasts.splice(this.at, 1);
        return -1;
      }
      remove(keys, i);
      remove(chunk!.sizes, i);
      if (i === keys.length) this.lasts[this.at] = keys[i - 1]!;
      return -1;
    }
    if (size === 0) return 0;
    this.count += 1;
    if (chunk === undefined) {
      this.chunks.push({ keys: [key], sizes: [size] });
      this.lasts.push(key);
      return 1;
    }
    const keys = chunk.keys;
    insert(keys, i, key);
    insert(chunk.sizes, i, size);
    if (i === keys.length - 1) this.lasts[this.at] = key;
    if (keys.length >= 2 * CHUNK) {
      this.chunks.splice(this.at + 1, 0, { keys: keys.splice(CHUNK), sizes: chunk.sizes.splice(CHUNK) });
      this.lasts.splice(this.at + 1, 0, this.lasts[this.at]!);
      this.lasts[this.at] = keys[CHUNK - 1]!;
    }
    return 1;
  }

  /** Adds a level above every key held (a bulk build in ascending order). */
  append(key: number, size: number): void {
    this.count += 1;
    const last = this.chunks[this.chunks.length - 1];
    if (last === undefined || last.keys.length >= CHUNK) {
      this.chunks.push({ keys: [key], sizes: [size] });
      this.lasts.push(key);
      return;
    }
    last.keys.push(key);
    last.sizes.push(size);
    this.lasts[this.lasts.length - 1] = key;
  }

  /** Multiplies every key by `factor` (the caller checked the products stay below 2^53). */
  scaleKeys(factor: number): void {
    for (const { keys } of this.chunks) for (let i = 0; i < keys.length; i += 1) keys[i] = keys[i]! * factor;
    for (let c = 0; c < this.lasts.length; c += 1) this.lasts[c] = this.lasts[c]! * factor;
  }

  clear(): void {
    this.chunks = [];
    this.lasts = [];
    this.count = 0;
  }

  /**
   * Finds where `key` sits or would be inserted, into `at` and `inChunk`; true when the level
   * exists. A key above every level goes to the end of the last chunk.
   */
  private locate(key: number): boolean {
    const lasts = this.lasts;
    let lo = 0;
    let hi = lasts.length - 1;
    // The first chunk whose last key is not below `key` (or the last chunk).
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (lasts[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    this.at = lo;
    const chunk = this.chunks[lo];
    if (chunk === undefined) {
      this.inChunk = 0;
      return false;
    }
    const keys = chunk.keys;
    let l = 0;
    let h = keys.length;
    while (l < h) {
      const mid = (l + h) >>> 1;
      if (keys[mid]! < key) l = mid + 1;
      else h = mid;
    }
    this.inChunk = l;
    return l < keys.length && keys[l] === key;
  }
}

// Array splice without the removed-elements array it allocates (chunks are short).

function insert(array: number[], index: number, value: number): void {
  let j = array.length;
  array.push(value);
  for (; j > index; j -= 1) array[j] = array[j - 1]!;
  array[index] = value;
}

function remove(array: number[], index: number): void {
  const last = array.length - 1;
  for (let j = index; j < last; j += 1) array[j] = array[j + 1]!;
  array.pop();
}
