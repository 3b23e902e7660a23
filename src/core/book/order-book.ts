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
import { DecimalLevels } from './decimal-levels.js';

export type Level = readonly [price: Fixed, size: Fixed];

/** Levels as Fixed pairs, or as the edge read them (see DecimalLevels). */
export type Levels = readonly Level[] | DecimalLevels;

/** Sets every level of `levels` on `side`, in order. */
export function setLevels(side: BookSide, levels: Levels): void {
  if (levels instanceof DecimalLevels) {
    const { priceMantissa, priceFraction, sizeMantissa, sizeFraction } = levels;
    for (let i = 0; i < levels.length; i += 1) side.setParts(priceMantissa[i]!, priceFraction[i]!, sizeMantissa[i]!, sizeFraction[i]!);
    return;
  }
  for (const [price, size] of levels) side.set(price, size);
}

export class OrderBook {
  readonly bids = new BookSide('bid');
  readonly asks = new BookSide('ask');

  constructor(readonly symbol: string) {}

  side(name: BookSideName): BookSide {
    return name === 'bid' ? this.bids : this.asks;
  }

  replace(bids: Levels, asks: Levels): void {
    this.bids.clear();
    this.asks.clear();
    setLevels(this.bids, bids);
    setLevels(this.asks, asks);
  }

  /** True when the best bid reaches the best ask (an exchange book never shows this). */
  isCrossed(): boolean {
    if (this.bids.priceDigits === this.asks.priceDigits) {
      const bid = this.bids.bestUnits();
      const ask = this.asks.bestUnits();
      return bid !== undefined && ask !== undefined && bid >= ask;
    }
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
