/**
 * The book view paper orders see: the exchange's displayed levels, less what paper orders took,
 * less what real trades consumed since the exchange last stated the level.
 *
 * Per level it keeps two amounts, both taken from the front of the level's queue:
 * - `traded`: real trade volume printed at the level since a depth update last stated it; a level
 *   priced better than a print on its side is `swept` (the aggressor went through it, so nothing
 *   of it was left when the print happened);
 * - `paper`: what paper orders took from it and the real market has not consumed since.
 *
 * available = displayed − traded − paper (0 when swept), never negative.
 *
 * Guarantees:
 * - a real trade consumes, for every paper order, the displayed liquidity it traded through: on the
 *   side it hit, its quantity at its price and everything better, until a depth update states the
 *   level again (the statement already reflects the trade);
 * - liquidity a paper order took is never given back by a statement of the same size or less: a
 *   statement of size S leaves min(paper, S) taken. It comes back only as real trades at the level
 *   consume it (the real market's aggressors took the same front of the queue: each traded unit
 *   first retires a unit of `paper`), or as the exchange shows more than was left (S above
 *   displayed − paper is new liquidity), or when the level is emptied (S = 0: all of it is gone);
 * - a full snapshot states every level at once (same rules).
 * Not modelled: which orders a cancellation removed (cancellations are assumed to be of other
 * orders than the ones paper took, the cautious reading).
 * Cost: one Map entry per displayed level touched by paper or by a print since its last statement
 * (a statement of size 0 drops it); a print costs O(levels it went through).
 * Layout: entries are keyed by their price as the nearest double (`Number(price)`), with the rare
 * prices that share a double chained behind one another and told apart by their exact Fixed: a
 * lookup hashes a number, not a bigint. A level the book states as decimal parts m × 10^-f has the
 * same key, m × 10^(18−f) in one IEEE product (both factors exact, the product correctly rounded,
 * as `Number` of the Fixed is), so it becomes a Fixed only when an entry has its key.
 */
import { fixedOfParts, SCALE_DIGITS, type Fixed } from '../money/fixed.js';
import type { BookSide, BookSideName } from '../book/book-side.js';
import type { DecimalLevels } from '../book/decimal-levels.js';

interface LevelUse {
  readonly price: Fixed;
  /** `Number(price)`: the entry's key. */
  readonly key: number;
  traded: Fixed;
  paper: Fixed;
  swept: boolean;
  /** The next entry with the same key (another price, when prices have more than 15 digits). */
  next: LevelUse | undefined;
  /**
   * The price as a book side's integer units of 10^-`digits` (price = units × 10^-digits, exactly),
   * when known (a level a print went through); `digits` is -1 otherwise.
   */
  units: number;
  digits: number;
}

/** A level's use as snapshots store it: [side, price, paper, traded?, swept?]. */
export type LevelUseEntry = readonly [BookSideName, Fixed, Fixed, Fixed?, boolean?];

/** 10^(18 − f) as a double, exact (powers of ten up to 10^22 are). */
const SCALE_OF_FRACTION: readonly number[] = Array.from({ length: SCALE_DIGITS + 1 }, (_, f) => 10 ** (SCALE_DIGITS - f));

class SideUses {
  /** Key → the first entry with that key. */
  private readonly byKey = new Map<number, LevelUse>();
  size = 0;
  /**
   * Every entry's key lies in [low, high] (widened by each entry added, reset when none is left): a
   * statement of a level outside is answered without hashing its key. The entries are mostly levels
   * near the best that prints went through; statements come at every depth (on the bundled
   * recording 95 % of the levels a delta states while the view tracks anything have no entry).
   */
  private low = Infinity;
  private high = -Infinity;
  /**
   * The last sweep: every level of the book side priced `sweptWorst` (its units at `sweptDigits`)
   * or better has an entry, swept, with no paper, unless the book changed a level there since
   * (`BookSide.unchangedFrom`); `sweptDigits` is −1 when something else may have changed them.
   */
  sweptWorst = 0;
  sweptDigits = -1;

  find(price: Fixed): LevelUse | undefined {
    return this.findKeyed(Number(price), price);
  }

  /** `find` with the price's key already known. */
  findKeyed(key: number, price: Fixed): LevelUse | undefined {
    let use = this.byKey.get(key);
    while (use !== undefined && use.price !== price) use = use.next;
    return use;
  }

  /** The first entry with the key `key` (see `findKeyed`). */
  head(key: number): LevelUse | undefined {
    return this.byKey.get(key);
  }

  /** The entry of the price `mantissa` × 10^-`fraction` (see `readDecimal`). */
  findParts(mantissa: number, fraction: number): LevelUse | undefined {
    const key = mantissa * SCALE_OF_FRACTION[fraction]!;
    if (key < this.low || key > this.high) return undefined;
    let use = this.byKey.get(key);
    if (use === undefined) return undefined;
    const price = fixedOfParts(mantissa, fraction);
    while (use !== undefined && use.price !== price) use = use.next;
    return use;
  }

  add(price: Fixed, paper: Fixed, traded: Fixed, swept: boolean, key = Number(price), units = 0, digits = -1): LevelUse {
    const use: LevelUse = { price, key, traded, paper, swept, next: this.byKey.get(key), units, digits };
    this.byKey.set(key, use);
    this.size += 1;
    if (key < this.low) this.low = key;
    if (key > this.high) this.high = key;
    return use;
  }

  delete(use: LevelUse): void {
    this.size -= 1;
    if (this.size === 0) {
      this.low = Infinity;
      this.high = -Infinity;
      this.sweptDigits = -1;
    }
    const head = this.byKey.get(use.key)!;
    if (head === use) {
      if (use.next === undefined) this.byKey.delete(use.key);
      else this.byKey.set(use.key, use.next);
      return;
    }
    let before = head;
    while (before.next !== use) before = before.next!;
    before.next = use.next;
  }

  all(): LevelUse[] {
    const out: LevelUse[] = [];
    for (let use of this.byKey.values()) for (; use !== undefined; use = use.next!) out.push(use);
    return out;
  }

  clear(): void {
    this.byKey.clear();
    this.size = 0;
    this.low = Infinity;
    this.high = -Infinity;
    this.sweptDigits = -1;
  }
}

export class BookView {
  private readonly levels = { bid: new SideUses(), ask: new SideUses() };

  /** What paper orders may still take at a level displaying `displayed`. */
  available(side: BookSideName, price: Fixed, displayed: Fixed): Fixed {
    const uses = this.levels[side];
    if (uses.size === 0) return displayed;
    const use = uses.find(price);
    if (use === undefined) return displayed;
    if (use.swept) return 0n;
    const left = displayed - use.traded - use.paper;
    return left > 0n ? left : 0n;
  }

  /** What paper orders took from the level and still hold (0 when swept). */
  paperAt(side: BookSideName, price: Fixed): Fixed {
    const uses = this.levels[side];
    if (uses.size === 0) return 0n;
    const use = uses.find(price);
    return use === undefined || use.swept ? 0n : use.paper;
  }

  /** Paper took `quantity` from the level. */
  take(side: BookSideName, price: Fixed, quantity: Fixed): void {
    if (quantity <= 0n) return;
    this.levels[side].sweptDigits = -1;
    this.use(side, price).paper += quantity;
  }

  /**
   * A real trade hit `side` at `price`: levels better than the price are gone, the level at the
   * price lost `quantity`; each traded unit retires a unit of what paper took there first.
   */
  onTrade(book: BookSide, price: Fixed, quantity: Fixed): void {
    const uses = this.levels[book.side];
    // The book's levels come as integer units of 10^-digits: their key is one product, as in `findParts`.
    // Most swept levels were swept by an earlier print already (99 % on the bundled recording): the
    // book names only those worse than the last sweep's worst when nothing changed the levels there
    // since, and an entry that knows its units at these digits is told apart by them, without the
    // level's Fixed.
    const digits = book.priceDigits;
    const skip = uses.sweptDigits === digits && book.unchangedFrom(uses.sweptWorst);
    const swept = book.unitsBetterThan(price, SWEPT, skip ? uses.sweptWorst : undefined);
    if (swept > 0) {
      const scale = SCALE_OF_FRACTION[digits]!;
      for (let i = 0; i < swept; i += 1) {
        const units = SWEPT[i]!;
        const key = units * scale;
        let level: Fixed | undefined;
        let use = uses.size === 0 ? undefined : uses.head(key);
        for (; use !== undefined; use = use.next) {
          if (use.digits === digits) {
            if (use.units === units) break;
          } else if (use.price === (level ??= fixedOfParts(units, digits))) {
            use.units = units;
            use.digits = digits;
            break;
          }
        }
        if (use === undefined) use = uses.add(level ?? fixedOfParts(units, digits), 0n, 0n, true, key, units, digits);
        use.swept = true;
        use.paper = 0n;
      }
      // Every level at the worst one swept or better is now swept: this sweep's, and the last one's when skipped.
      uses.sweptWorst = SWEPT[swept - 1]!;
      uses.sweptDigits = digits;
      book.watch();
    } else if (skip) {
      // Nothing new swept, and nothing changed the swept levels since the last watch: watch from here.
      book.watch();
    }
    let use = uses.size === 0 ? undefined : uses.find(price);
    if (use === undefined) {
      // A print at a price the book does not show changes nothing a statement would not (and keeps no entry).
      if (!book.has(price)) return;
      use = uses.add(price, 0n, 0n, false);
    }
    const retired = use.paper < quantity ? use.paper : quantity;
    use.paper -= retired;
    use.traded += quantity;
  }

  /** The exchange stated the level's size anew (a delta naming it, or a snapshot). */
  stated(side: BookSideName, price: Fixed, displayed: Fixed): void {
    const uses = this.levels[side];
    uses.sweptDigits = -1;
    if (uses.size === 0) return;
    const use = uses.find(price);
    if (use !== undefined) restate(uses, use, displayed);
  }

  /** True when the view keeps an entry for some level of `side` (else no statement changes it). */
  tracks(side: BookSideName): boolean {
    return this.levels[side].size > 0;
  }

  /** `stated` with the size `book` now displays at `price`, looked up only for a level the view tracks. */
  statedIn(book: BookSide, price: Fixed): void {
    const uses = this.levels[book.side];
    if (uses.size === 0) return;
    const use = uses.find(price);
    if (use !== undefined) restateIn(uses, use, book);
  }

  /**
   * `statedIn` for every level of `levels` (one side of a delta, as decimal parts): a price becomes
   * a Fixed only when the view tracks its level. One loop, the side's entries looked up once, left
   * as soon as the side has none.
   */
  statedInLevels(book: BookSide, levels: DecimalLevels): void {
    const uses = this.levels[book.side];
    const { priceMantissa, priceFraction } = levels;
    for (let i = 0; i < levels.length && uses.size > 0; i += 1) {
      const use = uses.findParts(priceMantissa[i]!, priceFraction[i]!);
      if (use !== undefined) restateIn(uses, use, book);
    }
  }

  /** A full snapshot: every level is stated by the book's new sizes (absent levels by zero). */
  statedAll(bids: BookSide, asks: BookSide): void {
    for (const book of [bids, asks]) {
      const uses = this.levels[book.side];
      uses.sweptDigits = -1;
      for (const use of uses.all()) restateIn(uses, use, book);
    }
  }

  clear(): void {
    this.levels.bid.clear();
    this.levels.ask.clear();
  }

  /** Accepts entries written by `entries()`, and the older [side, price, paper] form. */
  restore(entries: readonly LevelUseEntry[]): void {
    this.clear();
    for (const [side, price, paper, traded, swept] of entries) {
      const uses = this.levels[side];
      const use = uses.find(price);
      if (use !== undefined) uses.delete(use);
      uses.add(price, paper, traded ?? 0n, swept ?? false);
    }
  }

  /** Entries for snapshots, in a stable order. */
  entries(): LevelUseEntry[] {
    const out: LevelUseEntry[] = [];
    for (const side of ['bid', 'ask'] as const) {
      const sorted = this.levels[side].all().sort((a, b) => (a.price < b.price ? -1 : a.price > b.price ? 1 : 0));
      for (const use of sorted) out.push([side, use.price, use.paper, use.traded, use.swept]);
    }
    return out;
  }

  private use(side: BookSideName, price: Fixed): LevelUse {
    const uses = this.levels[side];
    return (uses.size === 0 ? undefined : uses.find(price)) ?? uses.add(price, 0n, 0n, false);
  }
}

/** Scratch of `onTrade`: the units of the levels a print went through. */
const SWEPT: number[] = [];

/** `restate` with the size `book` displays, looked up only when the entry holds paper that a smaller size would cut. */
function restateIn(uses: SideUses, use: LevelUse, book: BookSide): void {
  if (use.swept || use.paper === 0n) uses.delete(use); // paper min(0, size) is 0 whatever the size
  else restate(uses, use, book.sizeAt(use.price));
}

/** A statement of size `displayed` at a tracked level: paper keeps at most what is displayed; traded and swept start over. */
function restate(uses: SideUses, use: LevelUse, displayed: Fixed): void {
  const paper = use.swept ? 0n : use.paper < displayed ? use.paper : displayed;
  if (paper === 0n) {
    uses.delete(use);
    return;
  }
  use.paper = paper;
  use.traded = 0n;
  use.swept = false;
}
