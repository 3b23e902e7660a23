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
 */
import { partsOfFixed, type Fixed } from '../money/fixed.js';
import type { BookSide, BookSideName } from '../book/book-side.js';

interface LevelUse {
  traded: Fixed;
  paper: Fixed;
  swept: boolean;
}

/** A level's use as snapshots store it: [side, price, paper, traded?, swept?]. */
export type LevelUseEntry = readonly [BookSideName, Fixed, Fixed, Fixed?, boolean?];

export class BookView {
  private readonly levels = { bid: new Map<Fixed, LevelUse>(), ask: new Map<Fixed, LevelUse>() };
  /**
   * Per side, how many tracked levels have each decimal mantissa (`partsOfFixed`): a level the
   * book states as decimal parts is looked up as a Fixed only when its mantissa is here.
   */
  private readonly mantissas = { bid: new Map<number, number>(), ask: new Map<number, number>() };

  /** What paper orders may still take at a level displaying `displayed`. */
  available(side: BookSideName, price: Fixed, displayed: Fixed): Fixed {
    const use = this.levels[side].get(price);
    if (use === undefined) return displayed;
    if (use.swept) return 0n;
    const left = displayed - use.traded - use.paper;
    return left > 0n ? left : 0n;
  }

  /** Paper took `quantity` from the level. */
  take(side: BookSideName, price: Fixed, quantity: Fixed): void {
    if (quantity <= 0n) return;
    this.use(side, price).paper += quantity;
  }

  /**
   * A real trade hit `side` at `price`: levels better than the price are gone, the level at the
   * price lost `quantity`; each traded unit retires a unit of what paper took there first.
   */
  onTrade(book: BookSide, price: Fixed, quantity: Fixed): void {
    for (const level of book.pricesBetterThan(price)) {
      const use = this.use(book.side, level);
      use.swept = true;
      use.paper = 0n;
    }
    // A print at a price the book does not show changes nothing a statement would not (and keeps no entry).
    if (!this.levels[book.side].has(price) && !book.has(price)) return;
    const use = this.use(book.side, price);
    const retired = use.paper < quantity ? use.paper : quantity;
    use.paper -= retired;
    use.traded += quantity;
  }

  /** The exchange stated the level's size anew (a delta naming it, or a snapshot). */
  stated(side: BookSideName, price: Fixed, displayed: Fixed): void {
    const map = this.levels[side];
    if (map.size === 0) return;
    const use = map.get(price);
    if (use === undefined) return;
    const paper = use.swept ? 0n : use.paper < displayed ? use.paper : displayed;
    if (paper === 0n) {
      map.delete(price);
      this.count(side, price, -1);
      return;
    }
    map.set(price, { traded: 0n, paper, swept: false });
  }

  /** True when the view keeps an entry for some level of `side` (else no statement changes it). */
  tracks(side: BookSideName): boolean {
    return this.levels[side].size > 0;
  }

  /** `stated` with the size `book` now displays at `price`, looked up only for a level the view tracks. */
  statedIn(book: BookSide, price: Fixed): void {
    const map = this.levels[book.side];
    if (map.size === 0 || !map.has(price)) return;
    this.stated(book.side, price, book.sizeAt(price));
  }

  /** False when the view tracks no level of `side` with a price of this decimal mantissa (see `readDecimal`). */
  mayTrack(side: BookSideName, mantissa: number): boolean {
    return this.mantissas[side].has(mantissa);
  }

  /** A full snapshot: every level is stated by the book's new sizes (absent levels by zero). */
  statedAll(bids: BookSide, asks: BookSide): void {
    for (const book of [bids, asks]) for (const price of [...this.levels[book.side].keys()]) this.stated(book.side, price, book.sizeAt(price));
  }

  clear(): void {
    this.levels.bid.clear();
    this.levels.ask.clear();
    this.mantissas.bid.clear();
    this.mantissas.ask.clear();
  }

  /** Accepts entries written by `entries()`, and the older [side, price, paper] form. */
  restore(entries: readonly LevelUseEntry[]): void {
    this.clear();
    for (const [side, price, paper, traded, swept] of entries) {
      if (!this.levels[side].has(price)) this.count(side, price, 1);
      this.levels[side].set(price, { paper, traded: traded ?? 0n, swept: swept ?? false });
    }
  }

  /** Entries for snapshots, in a stable order. */
  entries(): LevelUseEntry[] {
    const out: LevelUseEntry[] = [];
    for (const side of ['bid', 'ask'] as const) {
      const sorted = [...this.levels[side].entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      for (const [price, use] of sorted) out.push([side, price, use.paper, use.traded, use.swept]);
    }
    return out;
  }

  private use(side: BookSideName, price: Fixed): LevelUse {
    const map = this.levels[side];
    let use = map.get(price);
    if (use === undefined) {
      use = { traded: 0n, paper: 0n, swept: false };
      map.set(price, use);
      this.count(side, price, 1);
    }
    return use;
  }

  private count(side: BookSideName, price: Fixed, delta: 1 | -1): void {
    const mantissa = partsOfFixed(price)?.mantissa;
    if (mantissa === undefined) return; // no book level has such a price
    const counts = this.mantissas[side];
    const n = (counts.get(mantissa) ?? 0) + delta;
    if (n === 0) counts.delete(mantissa);
    else counts.set(mantissa, n);
  }
}
