/**
 * Own-liquidity consumption: what paper orders took from a displayed level.
 *
 * Guarantees: liquidity taken by any paper order, of any account, is unavailable to every paper
 * order until the exchange's book updates that level (a delta naming the price, or a snapshot).
 * Cost: one Map entry per touched level; cleared as the book moves.
 */
import type { Fixed } from '../money/fixed.js';
import type { BookSideName } from '../book/book-side.js';

export class OwnLiquidity {
  private readonly consumed = { bid: new Map<Fixed, Fixed>(), ask: new Map<Fixed, Fixed>() };

  takenAt(side: BookSideName, price: Fixed): Fixed {
    return this.consumed[side].get(price) ?? 0n;
  }

  /** Displayed size minus what paper orders already took; never negative. */
  available(side: BookSideName, price: Fixed, displayed: Fixed): Fixed {
    const left = displayed - this.takenAt(side, price);
    return left > 0n ? left : 0n;
  }

  take(side: BookSideName, price: Fixed, quantity: Fixed): void {
    if (quantity <= 0n) return;
    this.consumed[side].set(price, this.takenAt(side, price) + quantity);
  }

  /** The exchange updated this level: its displayed size is fresh again. */
  refresh(side: BookSideName, price: Fixed): void {
    this.consumed[side].delete(price);
  }

  clear(): void {
    this.consumed.bid.clear();
    this.consumed.ask.clear();
  }

  restore(entries: ReadonlyArray<readonly [BookSideName, Fixed, Fixed]>): void {
    this.clear();
    for (const [side, price, qty] of entries) this.consumed[side].set(price, qty);
  }

  /** Entries for snapshots, in a stable order. */
  entries(): Array<[BookSideName, Fixed, Fixed]> {
    const out: Array<[BookSideName, Fixed, Fixed]> = [];
    for (const side of ['bid', 'ask'] as const) {
      const sorted = [...this.consumed[side].entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      for (const [price, qty] of sorted) out.push([side, price, qty]);
    }
    return out;
  }
}
