/**
 * One side of an L2 book: price levels with their displayed size.
 *
 * Guarantees: no level of size zero is ever kept; prices are unique; iteration runs best-first;
 * prices and sizes are exact (what goes in as a decimal comes out as the same Fixed).
 * Representation: prices and sizes are integers held in JS numbers, in units of 10^-priceDigits
 * and 10^-sizeDigits (for a tick or a lot that is a power of ten, the instrument's integer ticks
 * and lots). The digits start at those of the first levels and grow when the exchange shows a
 * finer level: every level is then rescaled, exactly. Integers below 2^53 are exact in a number,
 * so comparisons and the sorted search are plain number operations: no bigint per level update.
 * A level whose price or size is 2^53 units or more (16 significant digits at the book's scale)
 * is refused with a RangeError and changes nothing; no exchange quotes such a level.
 * Layout: levels sorted worst → best in chunks of at most 2·CHUNK levels (a two-level sorted
 * array, the shape of a B+ tree's leaves): an insertion or removal moves at most one chunk's
 * elements, where one flat array moves on average more than a thousand per update on the bundled
 * Binance recording (its deltas insert and remove levels at every depth).
 * Cost: O(log n) lookup, O(CHUNK) insertion and removal; a rescale is O(n), at most 18 times in a
 * book's life. Reading a level as a Fixed costs one bigint product.
 */
import { fixedOfParts, formatFixed, partsOfFixed, SCALE_DIGITS, type DecimalParts, type Fixed } from '../money/fixed.js';

export type BookSideName = 'bid' | 'ask';

/** Levels per chunk after a split; a chunk splits when it reaches twice this. */
const CHUNK = 16;

const POW10: readonly number[] = Array.from({ length: SCALE_DIGITS + 1 }, (_, i) => 10 ** i);
const POW10N: readonly bigint[] = Array.from({ length: SCALE_DIGITS + 1 }, (_, i) => 10n ** BigInt(i));
const MAX_UNITS = Number.MAX_SAFE_INTEGER;
const MAX_UNITS_BIG = BigInt(MAX_UNITS);

interface Chunk {
  /** Prices in units of 10^-priceDigits, worst → best. */
  readonly prices: number[];
  /** Sizes in units of 10^-sizeDigits; never zero. */
  readonly sizes: number[];
}

export class BookSide {
  /** Worst → best, each chunk worst → best and never empty: bids ascending, asks descending. */
  private chunks: Chunk[] = [];
  /** Each chunk's best price (its last), for the search over chunks to read one flat array. */
  private bests: number[] = [];
  private count = 0;
  private readonly ascending: boolean;
  /** Where the last `locate` ended: chunk index and index inside it. */
  private at = 0;
  private inChunk = 0;
  private digitsOfPrice = 0;
  private digitsOfSize = 0;
  /** 10^(18 − digits): a unit as a Fixed. */
  private priceUnit: bigint = POW10N[SCALE_DIGITS]!;
  private sizeUnit: bigint = POW10N[SCALE_DIGITS]!;

  constructor(readonly side: BookSideName) {
    this.ascending = side === 'bid';
  }

  get depth(): number {
    return this.count;
  }

  /** Decimal digits of a price unit: prices are held as integers × 10^-priceDigits. */
  get priceDigits(): number {
    return this.digitsOfPrice;
  }

  /** True when `a` is a better price than `b` on this side. */
  isBetter(a: Fixed, b: Fixed): boolean {
    return this.ascending ? a > b : a < b;
  }

  bestPrice(): Fixed | undefined {
    const last = this.chunks[this.chunks.length - 1];
    return last === undefined ? undefined : BigInt(last.prices[last.prices.length - 1]!) * this.priceUnit;
  }

  /** The best price in units of 10^-priceDigits; undefined when the side is empty. */
  bestUnits(): number | undefined {
    const last = this.chunks[this.chunks.length - 1];
    return last === undefined ? undefined : last.prices[last.prices.length - 1];
  }

  sizeAt(price: Fixed): Fixed {
    if (!this.has(price)) return 0n;
    return BigInt(this.chunks[this.at]!.sizes[this.inChunk]!) * this.sizeUnit;
  }

  /** True when the side shows a level at `price`. */
  has(price: Fixed): boolean {
    if (price % this.priceUnit !== 0n) return false; // finer than every level held
    const units = price / this.priceUnit;
    if (units > MAX_UNITS_BIG || units < -MAX_UNITS_BIG) return false;
    return this.locate(Number(units));
  }

  /** Sets a level's size; zero removes it. */
  set(price: Fixed, size: Fixed): void {
    if (size < 0n) throw new RangeError('a book level cannot have a negative size');
    // On the side's grid already (the common case): one division each, no rescale.
    if (price % this.priceUnit === 0n && size % this.sizeUnit === 0n) {
      const p = Number(price / this.priceUnit);
      const s = Number(size / this.sizeUnit);
      if (Number.isSafeInteger(p) && Number.isSafeInteger(s)) {
        this.put(p, s);
        return;
      }
    }
    const p = partsOf(price);
    const s = partsOf(size);
    this.setParts(p.mantissa, p.fraction, s.mantissa, s.fraction);
  }

  /**
   * Sets the level priced `priceMantissa` × 10^-`priceFraction` to `sizeMantissa` × 10^-`sizeFraction`
   * (exact integers below 2^53, fractions 0 … 18, as `readDecimal` gives them); size zero removes it.
   */
  setParts(priceMantissa: number, priceFraction: number, sizeMantissa: number, sizeFraction: number): void {
    if (sizeMantissa < 0) throw new RangeError('a book level cannot have a negative size');
    if (priceFraction > this.digitsOfPrice) this.rescalePrices(priceFraction);
    const price = priceMantissa * POW10[this.digitsOfPrice - priceFraction]!;
    if (price > MAX_UNITS || price < -MAX_UNITS) throw beyondRange('price', fixedOfParts(priceMantissa, priceFraction), this.digitsOfPrice);
    let size = 0;
    if (sizeMantissa !== 0) {
      if (sizeFraction > this.digitsOfSize) this.rescaleSizes(sizeFraction);
      size = sizeMantissa * POW10[this.digitsOfSize - sizeFraction]!;
      if (size > MAX_UNITS) throw beyondRange('size', fixedOfParts(sizeMantissa, sizeFraction), this.digitsOfSize);
    }
    this.put(price, size);
  }

  /** Sets the level at `price` units to `size` units (0 removes it). */
  private put(price: number, size: number): void {
    const had = this.locate(price);
    const chunk = this.chunks[this.at];
    const i = this.inChunk;
    if (had) {
      if (size !== 0) {
        chunk!.sizes[i] = size;
        return;
      }
      this.count -= 1;
      const prices = chunk!.prices;
      if (prices.length === 1) {
        this.chunks.splice(this.at, 1);
        this.bests.splice(this.at, 1);
        return;
      }
      remove(prices, i);
      remove(chunk!.sizes, i);
      if (i === prices.length) this.bests[this.at] = prices[i - 1]!;
      return;
    }
    if (size === 0) return;
    this.count += 1;
    if (chunk === undefined) {
      this.chunks.push({ prices: [price], sizes: [size] });
      this.bests.push(price);
      return;
    }
    const prices = chunk.prices;
    insert(prices, i, price);
    insert(chunk.sizes, i, size);
    if (i === prices.length - 1) this.bests[this.at] = price;
    if (prices.length >= 2 * CHUNK) {
      this.chunks.splice(this.at + 1, 0, { prices: prices.splice(CHUNK), sizes: chunk.sizes.splice(CHUNK) });
      this.bests.splice(this.at + 1, 0, this.bests[this.at]!);
      this.bests[this.at] = prices[CHUNK - 1]!;
    }
  }

  clear(): void {
    this.chunks = [];
    this.bests = [];
    this.count = 0;
  }

  /**
   * The levels better than `price`, best first, as price units (see `priceDigits`) written into
   * `out`; returns how many (most prints go through none: then nothing is written). A level L is
   * compared as the double L × 10^(18−priceDigits) against the double of `price`: both are
   * correctly rounded and rounding is monotonic, so unequal doubles order the exact values; only
   * equal doubles are compared as Fixed.
   */
  unitsBetterThan(price: Fixed, out: number[]): number {
    const scale = POW10[SCALE_DIGITS - this.digitsOfPrice]!;
    const target = Number(price);
    let n = 0;
    for (let c = this.chunks.length - 1; c >= 0; c -= 1) {
      const prices = this.chunks[c]!.prices;
      for (let i = prices.length - 1; i >= 0; i -= 1) {
        const units = prices[i]!;
        const level = units * scale;
        const better =
          level === target
            ? this.ascending ? BigInt(units) * this.priceUnit > price : BigInt(units) * this.priceUnit < price
            : this.ascending ? level > target : level < target;
        if (!better) return n;
        out[n] = units;
        n += 1;
      }
    }
    return n;
  }

  /** Levels best-first as [price, size]. */
  *levels(): IterableIterator<readonly [Fixed, Fixed]> {
    for (let c = this.chunks.length - 1; c >= 0; c -= 1) {
      const { prices, sizes } = this.chunks[c]!;
      for (let i = prices.length - 1; i >= 0; i -= 1) yield [BigInt(prices[i]!) * this.priceUnit, BigInt(sizes[i]!) * this.sizeUnit];
    }
  }

  /** The best `n` levels as [price, size]. */
  top(n: number): Array<readonly [Fixed, Fixed]> {
    const out: Array<readonly [Fixed, Fixed]> = [];
    for (let c = this.chunks.length - 1; c >= 0 && out.length < n; c -= 1) {
      const { prices, sizes } = this.chunks[c]!;
      for (let i = prices.length - 1; i >= 0 && out.length < n; i -= 1) out.push([BigInt(prices[i]!) * this.priceUnit, BigInt(sizes[i]!) * this.sizeUnit]);
    }
    return out;
  }

  /** Prices to `digits` decimal digits (more than now); throws, changing nothing, when a level would reach 2^53 units. */
  private rescalePrices(digits: number): void {
    const factor = POW10[digits - this.digitsOfPrice]!;
    for (const { prices } of this.chunks) {
      for (const p of prices) if (p * factor > MAX_UNITS || p * factor < -MAX_UNITS) throw beyondRange('price', BigInt(p) * this.priceUnit, digits);
    }
    for (const { prices } of this.chunks) for (let i = 0; i < prices.length; i += 1) prices[i] = prices[i]! * factor;
    for (let c = 0; c < this.bests.length; c += 1) this.bests[c] = this.bests[c]! * factor;
    this.digitsOfPrice = digits;
    this.priceUnit = POW10N[SCALE_DIGITS - digits]!;
  }

  private rescaleSizes(digits: number): void {
    const factor = POW10[digits - this.digitsOfSize]!;
    for (const { sizes } of this.chunks) {
      for (const s of sizes) if (s * factor > MAX_UNITS) throw beyondRange('size', BigInt(s) * this.sizeUnit, digits);
    }
    for (const { sizes } of this.chunks) for (let i = 0; i < sizes.length; i += 1) sizes[i] = sizes[i]! * factor;
    this.digitsOfSize = digits;
    this.sizeUnit = POW10N[SCALE_DIGITS - digits]!;
  }

  /**
   * Finds where `price` (in units) sits or would be inserted (worst → best order), into `at` and
   * `inChunk`; true when the level exists. A price better than every level goes to the end of the last chunk.
   */
  private locate(price: number): boolean {
    const chunks = this.chunks;
    const bests = this.bests;
    const ascending = this.ascending;
    let lo = 0;
    let hi = chunks.length - 1;
    // The first chunk whose best level is not worse than `price` (or the last chunk).
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const best = bests[mid]!;
      if (ascending ? best < price : best > price) lo = mid + 1;
      else hi = mid;
    }
    this.at = lo;
    const chunk = chunks[lo];
    if (chunk === undefined) {
      this.inChunk = 0;
      return false;
    }
    const prices = chunk.prices;
    let l = 0;
    let h = prices.length;
    while (l < h) {
      const mid = (l + h) >>> 1;
      const p = prices[mid]!;
      if (ascending ? p < price : p > price) l = mid + 1;
      else h = mid;
    }
    this.inChunk = l;
    return l < prices.length && prices[l] === price;
  }
}

/** A Fixed as decimal parts (see `readDecimal`), for the callers that hold Fixed values; throws beyond 2^53. */
function partsOf(value: Fixed): DecimalParts {
  const parts = partsOfFixed(value);
  if (parts === undefined) throw beyondRange('value', value, SCALE_DIGITS);
  return parts;
}

function beyondRange(what: string, value: Fixed, digits: number): RangeError {
  return new RangeError(`a book ${what} beyond what the book holds exactly (2^53 units of 10^-${digits}): ${formatFixed(value)}`);
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
