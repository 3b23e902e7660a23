/**
 * An L2 order book: the exchange's displayed levels, nothing of ours.
 *
 * Guarantees: levels are exactly what the snapshot and the applied deltas say (a delta's size
 * replaces the level; zero removes it). Paper orders are never inserted here.
 * Not modelled: sequence checks (see `BookSynchronizer`), what paper orders and trades took from it
 * (see the book view, matching/book-view.ts).
 */
import type { Fixed } from '../money/fixed.js';
import { BookSide, type BookSideName } from './book-side.js';

export type Level = readonly [price: Fixed, size: Fixed];

export class OrderBook {
  readonly bids = new BookSide('bid');
  readonly asks = new BookSide('ask');

  constructor(readonly symbol: string) {}

  side(name: BookSideName): BookSide {
    return name === 'bid' ? this.bids : this.asks;
  }

  replace(bids: readonly Level[], asks: readonly Level[]): void {
    this.bids.clear();
    this.asks.clear();
    for (const [price, size] of bids) this.bids.set(price, size);
    for (const [price, size] of asks) this.asks.set(price, size);
  }

  /** True when the best bid reaches the best ask (an exchange book never shows this). */
  isCrossed(): boolean {
    const bid = this.bids.bestPrice();
    const ask = this.asks.bestPrice();
    return bid !== undefined && ask !== undefined && bid >= ask;
  }

  /** Mid price, rounded down to the given tick; undefined while a side is empty. */
  mid(tick: Fixed): Fixed | undefined {
    const bid = this.bids.bestPrice();
    const ask = this.asks.bestPrice();
    if (bid === undefined || ask === undefined) return undefined;
    return ((bid + ask) / 2n / tick) * tick;
  }
}
