/**
 * One side of an L2 book: price levels with their displayed size.
 *
 * Guarantees: no level of size zero is ever kept; prices are unique; iteration runs best-first;
 * prices and sizes are exact (what goes in as a decimal comes out as the same Fixed).
 * Representation: prices and sizes are integers held in JS numbers, in units of 10^-priceDigits
 * and 10^-sizeDigits (for a tick or a lot that is a power of ten, the instrument's integer ticks
 * and lots). The digits start at those of the first levels and grow when the exchange shows a
 * finer level: every level is then rescaled, exactly. Integers below 2^53 are exact in a number,
 * so comparisons and indexing are plain number operations: no bigint per level update.
 * A level whose price or size is 2^53 units or more (16 significant digits at the book's scale)
 * is refused with a RangeError and changes nothing; no exchange quotes such a level.
 * Layout: a level's key is its price in units, negated on the ask side, so that keys grow toward
 * the best price on both sides. Levels whose key lies in a window of `span` keys from a moving
 * `base` sit in a ladder: their size at index key − base of one typed array, with a bitmap of the
 * occupied indexes, so a level is found by a subtraction, not a search, and the best is tracked
 * (the next one after it is found in the bitmap). The window is placed with the best price near
 * its top (1/8 of it above for prices that improve) and moved when the best leaves it or falls
 * into its lower half; levels outside it (far from the best, where updates are rare) sit in a
 * two-level sorted array (chunked-levels.ts). The window starts at 4,096 keys and doubles, up to
 * 131,072, while more than 1/16 of the updates fall outside it.
 * Cost: O(1) update inside the window (O(span/32) words scanned at worst when the best level is
 * removed); O(log n) lookup and O(16) moves outside it; a move or growth of the window is O(n),
 * done only after at least n/4 updates since the last move; a rescale is O(n), at most 18 times in
 * a book's life. Memory: 8 bytes + 1 bit per key of the window, allocated at the first level
 * (32 KiB at first; 512 KiB and 1 MiB for the two sides of the bundled BTCUSDT recording, whose
 * 0.01 tick puts 93 % of the updates within 32,768 ticks of the best). Reading a level as a Fixed
 * costs one bigint product.
 * Not modelled: a grid coarser than the units (a tick of 0.5 on units of 0.1): the window then
 * covers fewer ticks, and after a rescale to finer units it covers fewer still (levels beyond it are
 * the sorted array's, as exact, only slower).
 */
import { fixedOfParts, formatFixed, partsOfFixed, SCALE_DIGITS, type DecimalParts, type Fixed } from '../money/fixed.js';
import { ChunkedLevels } from './chunked-levels.js';

export type BookSideName = 'bid' | 'ask';

/** Keys in the ladder's window at first, and at most (powers of two): see `grow`. */
const SPAN = 1 << 12;
const MAX_SPAN = 1 << 17;
/** The share of the updates outside the window that makes it grow: 1/16 (see `grow`). */
const GROW_SHARE_SHIFT = 4;

const POW10: readonly number[] = Array.from({ length: SCALE_DIGITS + 1 }, (_, i) => 10 ** i);
const POW10N: readonly bigint[] = Array.from({ length: SCALE_DIGITS + 1 }, (_, i) => 10n ** BigInt(i));
const MAX_UNITS = Number.MAX_SAFE_INTEGER;
const MAX_UNITS_BIG = BigInt(MAX_UNITS);

/** A position in a best-first walk of the levels (see `start` and `next`). */
interface Walk {
  /** 0: sorted levels above the window; 1: the window; 2: sorted levels below it. */
  phase: number;
  /** Chunk and index of the next sorted level. */
  c: number;
  j: number;
  /** Index of the next window level, −1 when none is left. */
  i: number;
  /** The level the last `next` reached. */
  key: number;
  size: number;
}

export class BookSide {
  /** Levels outside the window, by key. */
  private readonly far = new ChunkedLevels();
  /** Sizes by key − base (0: no level); allocated with the first level. */
  private sizes: Float64Array = EMPTY_SIZES;
  /** Bit i set when sizes[i] is not 0. */
  private bits: Int32Array = EMPTY_BITS;
  /** The key at index 0 of the window; window keys are base … base + span − 1, all below 2^53. */
  private base = 0;
  /** Index of the best level in the window; −1 when the window holds none. */
  private topIndex = -1;
  /** Levels in the window. */
  private near = 0;
  private count = 0;
  /** Updates so far; at the window's last move (it moves again only after count / 4 more) and growth. */
  private updates = 0;
  private movedAt = 0;
  private grownAt = 0;
  /** Updates outside the window since it last grew. */
  private farSince = 0;
  /** The best key an update (or a clear, or a rescale: +∞) touched since `watch`; −∞ when none. */
  private touched = Infinity;
  private readonly ascending: boolean;
  private digitsOfPrice = 0;
  private digitsOfSize = 0;
  /** 10^(18 − digits): a unit as a Fixed. */
  private priceUnit: bigint = POW10N[SCALE_DIGITS]!;
  private sizeUnit: bigint = POW10N[SCALE_DIGITS]!;
  private readonly walk: Walk = { phase: 0, c: 0, j: 0, i: 0, key: 0, size: 0 };

  /**
   * `span` and `maxSpan`: keys in the ladder's window at first and at most, powers of two from 64
   * (small ones are for tests).
   */
  constructor(readonly side: BookSideName, private span = SPAN, private readonly maxSpan = MAX_SPAN) {
    this.ascending = side === 'bid';
    const power = (n: number) => n >= 64 && n <= 1 << 30 && (n & (n - 1)) === 0;
    if (!power(span) || !power(maxSpan) || span > maxSpan) throw new RangeError(`a book side's window must be a power of two from 64, at most its maximum: ${span}, ${maxSpan}`);
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
    const units = this.bestUnits();
    return units === undefined ? undefined : BigInt(units) * this.priceUnit;
  }

  /** The best price in units of 10^-priceDigits; undefined when the side is empty. */
  bestUnits(): number | undefined {
    if (this.count === 0) return undefined;
    const key = this.bestKey();
    return this.ascending ? key : 0 - key;
  }

  sizeAt(price: Fixed): Fixed {
    const key = this.keyOf(price);
    return key === undefined ? 0n : BigInt(this.sizeOfKey(key)) * this.sizeUnit;
  }

  /** True when the side shows a level at `price`. */
  has(price: Fixed): boolean {
    const key = this.keyOf(price);
    return key !== undefined && this.sizeOfKey(key) !== 0;
  }

  /** Sets a level's size; zero removes it. */
  set(price: Fixed, size: Fixed): void {
    if (size < 0n) throw new RangeError('a book level cannot have a negative size');
    // On the side's grid already (the common case): one division each, no rescale.
    if (price % this.priceUnit === 0n && size % this.sizeUnit === 0n) {
      const p = Number(price / this.priceUnit);
      const s = Number(size / this.sizeUnit);
      if (Number.isSafeInteger(p) && Number.isSafeInteger(s)) {
        this.put(this.ascending ? p : 0 - p, s);
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
    this.put(this.ascending ? price : 0 - price, size);
  }

  /** Starts watching for updates: see `unchangedFrom`. */
  watch(): void {
    this.touched = -Infinity;
  }

  /**
   * True when no update since the last `watch` set or removed a level priced `units` (see
   * `priceDigits`) or better, and the side was neither cleared nor rescaled since.
   */
  unchangedFrom(units: number): boolean {
    return this.touched < (this.ascending ? units : 0 - units);
  }

  /** Sets the level at `key` to `size` units (0 removes it). The window's case is kept small, to be inlined. */
  private put(key: number, size: number): void {
    this.updates += 1;
    if (key > this.touched) this.touched = key;
    const i = key - this.base;
    if (i >= 0 && i < this.sizes.length && this.count !== 0) {
      const sizes = this.sizes;
      const old = sizes[i]!;
      if (size !== 0) {
        sizes[i] = size;
        if (old === 0) this.occupy(i);
      } else if (old !== 0) {
        sizes[i] = 0;
        this.vacate(i);
      }
      return;
    }
    this.putOutside(key, size);
  }

  /** A level appeared at window index `i` (its size written). */
  private occupy(i: number): void {
    this.bits[i >> 5] = this.bits[i >> 5]! | (1 << (i & 31));
    this.near += 1;
    this.count += 1;
    if (i > this.topIndex) this.topIndex = i;
  }

  /** The level at window index `i` was removed (its size zeroed). */
  private vacate(i: number): void {
    this.bits[i >> 5] = this.bits[i >> 5]! & ~(1 << (i & 31));
    this.near -= 1;
    this.count -= 1;
    if (i !== this.topIndex) return;
    this.topIndex = this.below(i);
    // The best fell into the window's lower half (or out of it): the levels updated next are below it.
    if (this.topIndex < this.span >> 1 && this.count > 0 && this.mayMove()) this.move(this.bestKey());
  }

  /** `put` for a key outside the window, or the first level of an empty side. */
  private putOutside(key: number, size: number): void {
    if (this.count === 0) {
      if (size === 0) return;
      this.place(key);
      const i = key - this.base;
      this.sizes[i] = size;
      this.occupy(i);
      return;
    }
    const i = key - this.base;
    this.count += this.far.put(key, size);
    this.farSince += 1;
    // A level above the window (i ≥ span here): the best left it.
    if (i > 0 && this.count > 0 && this.mayMove()) this.move(this.bestKey());
    else if (this.span < this.maxSpan && this.farSince << GROW_SHARE_SHIFT > this.updates - this.grownAt && this.updates - this.grownAt >= this.span >> 1 && this.count > 0 && this.mayMove()) this.grow();
  }

  /**
   * Doubles the window, its best kept near the top: more than 1/16 of the updates since it last
   * moved fell outside it, over at least span / 2 updates since it last grew (on the bundled recording the window grows from 4,096 keys to 65,536, where
   * 4.6 % of the updates fall outside; a book whose updates stay near the best keeps a small one).
   */
  private grow(): void {
    const n = this.gather();
    this.span *= 2;
    this.sizes = new Float64Array(this.span);
    this.bits = new Int32Array(this.span >> 5);
    this.grownAt = this.updates;
    this.farSince = 0;
    this.spread(n, this.baseFor(KEYS[n - 1]!));
  }

  /** True when the window may move: enough updates since it last did to pay for the move. */
  private mayMove(): boolean {
    return this.updates - this.movedAt >= this.count >> 2;
  }

  /** The best level's key (the side holds a level). */
  private bestKey(): number {
    const farBest = this.far.max();
    if (farBest !== undefined && (farBest >= this.base || this.topIndex < 0)) return farBest;
    return this.base + this.topIndex;
  }

  /** The key of `price`; undefined when no level can be there (finer than the units, or beyond 2^53 of them). */
  private keyOf(price: Fixed): number | undefined {
    // The price asked last, with its unit and key: prints repeat their price, and each asks `has`.
    if (price === this.keyedPrice && this.priceUnit === this.keyedUnit) return this.keyed;
    let key: number | undefined;
    if (price % this.priceUnit !== 0n) key = undefined; // finer than every level held
    else {
      const units = price / this.priceUnit;
      if (units > MAX_UNITS_BIG || units < -MAX_UNITS_BIG) key = undefined;
      else key = this.ascending ? Number(units) : 0 - Number(units);
    }
    this.keyedPrice = price;
    this.keyedUnit = this.priceUnit;
    this.keyed = key;
    return key;
  }

  /** The last `keyOf`: its price, the unit it was keyed at, and the key. */
  private keyedPrice: Fixed | undefined;
  private keyedUnit = 0n;
  private keyed: number | undefined;

  private sizeOfKey(key: number): number {
    if (this.count === 0) return 0;
    const i = key - this.base;
    return i >= 0 && i < this.span ? this.sizes[i]! : this.far.get(key);
  }

  /** Highest occupied window index below `i`; −1 when none. */
  private below(i: number): number {
    const bits = this.bits;
    let w = i >> 5;
    let word = bits[w]! & ((1 << (i & 31)) - 1);
    while (word === 0) {
      w -= 1;
      if (w < 0) return -1;
      word = bits[w]!;
    }
    return (w << 5) + 31 - Math.clz32(word);
  }

  /** Starts the window for an empty side, its first level being `key`. */
  private place(key: number): void {
    if (this.sizes.length === 0) {
      this.sizes = new Float64Array(this.span);
      this.bits = new Int32Array(this.span >> 5);
    }
    this.base = this.baseFor(key);
    this.topIndex = -1;
    this.movedAt = this.updates;
    this.grownAt = this.updates;
    this.farSince = 0;
  }

  /** The window's base with `best` at 7/8 of it, kept so that every key in it is below 2^53. */
  private baseFor(best: number): number {
    const base = best - (this.span - (this.span >> 3));
    return base < -MAX_UNITS ? -MAX_UNITS : base > MAX_UNITS - this.span + 1 ? MAX_UNITS - this.span + 1 : base;
  }

  /** Moves the window to have `best` near its top: every level is taken out in key order and put back. */
  private move(best: number): void {
    const n = this.gather();
    this.spread(n, this.baseFor(best));
  }

  /** Every level into KEYS and SIZES, ascending, the window emptied; returns how many. */
  private gather(): number {
    let n = 0;
    const chunks = this.far.chunks;
    let c = 0;
    let j = 0;
    // Sorted levels below the window, then the window, then the sorted levels above it.
    for (; c < chunks.length; c += 1, j = 0) {
      const { keys, sizes } = chunks[c]!;
      for (; j < keys.length && keys[j]! < this.base; j += 1, n += 1) {
        KEYS[n] = keys[j]!;
        SIZES[n] = sizes[j]!;
      }
      if (j < keys.length) break;
    }
    const bits = this.bits;
    const sizes = this.sizes;
    for (let w = 0; w < bits.length; w += 1) {
      let word = bits[w]!;
      if (word === 0) continue;
      bits[w] = 0;
      while (word !== 0) {
        const low = word & -word;
        const i = (w << 5) + 31 - Math.clz32(low);
        KEYS[n] = this.base + i;
        SIZES[n] = sizes[i]!;
        sizes[i] = 0;
        n += 1;
        word ^= low;
      }
    }
    for (; c < chunks.length; c += 1, j = 0) {
      const { keys, sizes } = chunks[c]!;
      for (; j < keys.length; j += 1, n += 1) {
        KEYS[n] = keys[j]!;
        SIZES[n] = sizes[j]!;
      }
    }
    this.far.clear();
    this.topIndex = -1;
    this.near = 0;
    return n;
  }

  /** Puts back the `n` levels of KEYS and SIZES (ascending) with the window at `base`. */
  private spread(n: number, base: number): void {
    this.base = base;
    this.movedAt = this.updates;
    const span = this.span;
    const sizes = this.sizes;
    const bits = this.bits;
    for (let k = 0; k < n; k += 1) {
      const key = KEYS[k]!;
      const i = key - base;
      if (i >= 0 && i < span) {
        sizes[i] = SIZES[k]!;
        bits[i >> 5] = bits[i >> 5]! | (1 << (i & 31));
        this.near += 1;
        this.topIndex = i; // ascending: the last one is the best
      } else {
        this.far.append(key, SIZES[k]!);
      }
    }
    this.count = n;
  }

  clear(): void {
    this.gather();
    this.count = 0;
    this.touched = Infinity;
  }

  /** Starts a best-first walk (see `next`). */
  private start(walk: Walk): void {
    const chunks = this.far.chunks;
    walk.phase = 0;
    walk.c = chunks.length - 1;
    walk.j = walk.c >= 0 ? chunks[walk.c]!.keys.length - 1 : -1;
    walk.i = this.count === 0 ? -1 : this.topIndex;
  }

  /** The walk's next level into `walk.key` and `walk.size`; false when none is left. */
  private next(walk: Walk): boolean {
    const chunks = this.far.chunks;
    if (walk.phase === 0) {
      if (walk.c >= 0 && chunks[walk.c]!.keys[walk.j]! >= this.base) return this.nextSorted(walk, chunks);
      walk.phase = 1;
    }
    if (walk.phase === 1) {
      const i = walk.i;
      if (i >= 0) {
        walk.key = this.base + i;
        walk.size = this.sizes[i]!;
        walk.i = this.below(i);
        return true;
      }
      walk.phase = 2;
    }
    return walk.c >= 0 && this.nextSorted(walk, chunks);
  }

  private nextSorted(walk: Walk, chunks: ChunkedLevels['chunks']): boolean {
    const chunk = chunks[walk.c]!;
    walk.key = chunk.keys[walk.j]!;
    walk.size = chunk.sizes[walk.j]!;
    walk.j -= 1;
    if (walk.j < 0) {
      walk.c -= 1;
      walk.j = walk.c >= 0 ? chunks[walk.c]!.keys.length - 1 : -1;
    }
    return true;
  }

  /**
   * The levels better than `price`, best first, as price units (see `priceDigits`) written into
   * `out`; returns how many (most prints go through none: then nothing is written). A level L is
   * compared as the double L × 10^(18−priceDigits) against the double of `price`: both are
   * correctly rounded and rounding is monotonic, so unequal doubles order the exact values; only
   * equal doubles are compared as Fixed. `worseThan` (price units): only the levels worse than
   * it are named, and the walk starts there instead of at the best.
   */
  unitsBetterThan(price: Fixed, out: number[], worseThan?: number): number {
    if (this.count === 0) return 0;
    const scale = POW10[SCALE_DIGITS - this.digitsOfPrice]!;
    const target = Number(price);
    const ascending = this.ascending;
    // Keys grow toward the best: the levels worse than `worseThan` are those keyed below `bound`.
    const bound = worseThan === undefined ? Infinity : ascending ? worseThan : 0 - worseThan;
    let n = 0;
    const farBest = this.far.max();
    if (farBest !== undefined && farBest >= this.base) {
      // Sorted levels above the window (rare: the window follows the best): the general walk.
      const walk = this.walk;
      this.start(walk);
      while (this.next(walk)) {
        if (walk.key >= bound) continue;
        const units = ascending ? walk.key : 0 - walk.key;
        if (!this.unitsBetter(units, scale, target, price)) return n;
        out[n++] = units;
      }
      return n;
    }
    const base = this.base;
    const first = bound - base > this.topIndex ? this.topIndex : bound - base <= 0 ? -1 : this.below(bound - base);
    for (let i = first; i >= 0; i = this.below(i)) {
      const units = ascending ? base + i : 0 - (base + i);
      if (!this.unitsBetter(units, scale, target, price)) return n;
      out[n++] = units;
    }
    // Every level of the window is better (or above the bound): the sorted ones below it follow.
    const chunks = this.far.chunks;
    for (let c = chunks.length - 1; c >= 0; c -= 1) {
      const keys = chunks[c]!.keys;
      for (let j = keys.length - 1; j >= 0; j -= 1) {
        if (keys[j]! >= bound) continue;
        const units = ascending ? keys[j]! : 0 - keys[j]!;
        if (!this.unitsBetter(units, scale, target, price)) return n;
        out[n++] = units;
      }
    }
    return n;
  }

  /** True when the level at `units` is better than `price` (`target` its double, `scale` a unit's as a double). */
  private unitsBetter(units: number, scale: number, target: number, price: Fixed): boolean {
    const level = units * scale;
    if (level !== target) return this.ascending ? level > target : level < target;
    const exact = BigInt(units) * this.priceUnit;
    return this.ascending ? exact > price : exact < price;
  }

  /** Levels best-first as [price, size]. */
  *levels(): IterableIterator<readonly [Fixed, Fixed]> {
    if (this.count === 0) return;
    const ascending = this.ascending;
    const priceUnit = this.priceUnit;
    const sizeUnit = this.sizeUnit;
    const chunks = this.far.chunks;
    const base = this.base;
    let c = chunks.length - 1;
    let j = c >= 0 ? chunks[c]!.keys.length - 1 : -1;
    // Sorted levels above the window (rare), then the window, then the sorted levels below it.
    for (; c >= 0; c -= 1, j = c >= 0 ? chunks[c]!.keys.length - 1 : -1) {
      const { keys, sizes } = chunks[c]!;
      for (; j >= 0 && keys[j]! >= base; j -= 1) yield [BigInt(ascending ? keys[j]! : 0 - keys[j]!) * priceUnit, BigInt(sizes[j]!) * sizeUnit];
      if (j >= 0) break;
    }
    const bits = this.bits;
    for (let w = this.topIndex >> 5; w >= 0; w -= 1) {
      for (let word = bits[w]!; word !== 0; ) {
        const bit = 31 - Math.clz32(word);
        const i = (w << 5) + bit;
        yield [BigInt(ascending ? base + i : 0 - (base + i)) * priceUnit, BigInt(this.sizes[i]!) * sizeUnit];
        word &= ~(1 << bit);
      }
    }
    for (; c >= 0; c -= 1, j = c >= 0 ? chunks[c]!.keys.length - 1 : -1) {
      const { keys, sizes } = chunks[c]!;
      for (; j >= 0; j -= 1) yield [BigInt(ascending ? keys[j]! : 0 - keys[j]!) * priceUnit, BigInt(sizes[j]!) * sizeUnit];
    }
  }

  /** The best `n` levels as [price, size]. */
  top(n: number): Array<readonly [Fixed, Fixed]> {
    const out: Array<readonly [Fixed, Fixed]> = [];
    const walk: Walk = { phase: 0, c: 0, j: 0, i: 0, key: 0, size: 0 };
    this.start(walk);
    while (out.length < n && this.next(walk)) out.push([BigInt(this.ascending ? walk.key : 0 - walk.key) * this.priceUnit, BigInt(walk.size) * this.sizeUnit]);
    return out;
  }

  /** Prices to `digits` decimal digits (more than now); throws, changing nothing, when a level would reach 2^53 units. */
  private rescalePrices(digits: number): void {
    const factor = POW10[digits - this.digitsOfPrice]!;
    if (this.count > 0) {
      const n = this.gather();
      for (let k = 0; k < n; k += 1) {
        const key = KEYS[k]!;
        if (key * factor > MAX_UNITS || key * factor < -MAX_UNITS) {
          this.spread(n, this.base); // back as it was
          throw beyondRange('price', BigInt(this.ascending ? key : 0 - key) * this.priceUnit, digits);
        }
      }
      for (let k = 0; k < n; k += 1) KEYS[k] = KEYS[k]! * factor;
      this.spread(n, this.baseFor(KEYS[n - 1]!));
    }
    this.digitsOfPrice = digits;
    this.priceUnit = POW10N[SCALE_DIGITS - digits]!;
    this.touched = Infinity;
  }

  private rescaleSizes(digits: number): void {
    const factor = POW10[digits - this.digitsOfSize]!;
    const walk = this.walk;
    this.start(walk);
    while (this.next(walk)) if (walk.size * factor > MAX_UNITS) throw beyondRange('size', BigInt(walk.size) * this.sizeUnit, digits);
    for (const { sizes } of this.far.chunks) for (let i = 0; i < sizes.length; i += 1) sizes[i] = sizes[i]! * factor;
    const sizes = this.sizes;
    for (let i = 0; i < sizes.length; i += 1) if (sizes[i] !== 0) sizes[i] = sizes[i]! * factor;
    this.digitsOfSize = digits;
    this.sizeUnit = POW10N[SCALE_DIGITS - digits]!;
  }
}

const EMPTY_SIZES = new Float64Array(0);
const EMPTY_BITS = new Int32Array(0);

/** Scratch of a window move and a rescale: every level's key and size, ascending. */
const KEYS: number[] = [];
const SIZES: number[] = [];

/** A Fixed as decimal parts (see `readDecimal`), for the callers that hold Fixed values; throws beyond 2^53. */
function partsOf(value: Fixed): DecimalParts {
  const parts = partsOfFixed(value);
  if (parts === undefined) throw beyondRange('value', value, SCALE_DIGITS);
  return parts;
}

function beyondRange(what: string, value: Fixed, digits: number): RangeError {
  return new RangeError(`a book ${what} beyond what the book holds exactly (2^53 units of 10^-${digits}): ${formatFixed(value)}`);
}
