/**
 * Everything the engine knows about one symbol: the exchange's book and its sync state, the view of it
 * paper orders see (what paper orders and real trades took from it), the paper orders resting on it,
 * and those waiting for the book to be usable.
 */
import { BookSynchronizer, type SequenceMode } from '../book/book-synchronizer.js';
import type { Instrument } from '../instruments/instrument.js';
import { parseFixed, type Fixed } from '../money/fixed.js';
import type { Order, Side } from '../orders/order.js';
import { AveragePrice } from './average-price.js';
import { BookView } from './book-view.js';
import { RestingOrders } from './resting-orders.js';

export class Market {
  readonly sync: BookSynchronizer;
  readonly view = new BookView();
  readonly bids = new RestingOrders('BUY');
  readonly asks = new RestingOrders('SELL');
  /** Accepted orders that arrived while the book was not usable, in arrival order. */
  readonly waiting: Order[] = [];
  /** Conditional orders not yet triggered, in placement order. */
  readonly conditionals: Order[] = [];
  /** Mark price: from a mark-price input when the source has one, else the book's mid. */
  mark: bigint | undefined;
  /** True once a mark-price input arrived: the mid no longer sets the mark. */
  markFromInput = false;
  /** The engine's clock when the last book input (snapshot or delta) was applied; undefined before the first. */
  lastBookAt: number | undefined;
  /**
   * Exchange time of the latest book update applied. An order that comes to rest dates its queue by
   * it: trades stamped at or before it are already in the sizes it saw (ADR 0026, rule 4).
   */
  bookStatedAt: number | undefined;
  /** True while the book is a quote derived from trade prints, not the exchange's (ADR 0041). */
  tradesOnly = false;
  /** Where a bar with `pauseOnFill` stopped (its time, leg and price): the one point a `resume` bar may go on from (kernel/bar-input.ts). */
  barPause: { readonly time: number; readonly leg: 1 | 2 | 3; readonly price: bigint; readonly bar?: string; readonly first?: bigint } | undefined;
  /** Last trade price seen on the tape, as a decimal string (presentation only). */
  lastTradePrice: string | undefined;
  /** The text `lastTradeValue` last parsed, and its value. */
  private parsedTradeText: string | undefined;
  private parsedTradePrice: Fixed | undefined;
  /** Volume-weighted average trade price over the instrument's band window (Binance avgPrice; 5 minutes by default). */
  readonly averagePrice: AveragePrice;

  constructor(readonly instrument: Instrument) {
    this.averagePrice = new AveragePrice(instrument.priceBand?.averageMinutes ?? 5);
    this.sync = new BookSynchronizer(instrument.symbol, sequenceModeOf(instrument));
  }

  get book() {
    return this.sync.book;
  }

  get usable(): boolean {
    return this.sync.status === 'synced';
  }

  /** True when the engine's clock moved more than `staleAfterMs` past the last book update by `now`. */
  staleAt(now: number, staleAfterMs: number | undefined): boolean {
    return staleAfterMs !== undefined && this.lastBookAt !== undefined && now - this.lastBookAt > staleAfterMs;
  }

  /**
   * `lastTradePrice` as a Fixed (undefined before the first print); parsed once per text, not per
   * placement or valuation that reads it. Throws as `parseFixed` for a text that is not a decimal.
   */
  lastTradeValue(): Fixed | undefined {
    const text = this.lastTradePrice;
    if (text === undefined) return undefined;
    if (text !== this.parsedTradeText) {
      this.parsedTradePrice = parseFixed(text);
      this.parsedTradeText = text;
    }
    return this.parsedTradePrice;
  }

  /** A print at `text` (the tape's decimal), whose value the caller already parsed: both kept, nothing parsed again. */
  printed(text: string, value: Fixed): void {
    this.lastTradePrice = text;
    this.parsedTradeText = text;
    this.parsedTradePrice = value;
  }

  resting(side: Side): RestingOrders {
    return side === 'BUY' ? this.bids : this.asks;
  }
}

/** Binance USD-M chains deltas with `pu`; every other source follows the spot rule. */
export function sequenceModeOf(instrument: Instrument): SequenceMode {
  return instrument.exchange === 'binance' && instrument.market === 'perpetual' ? 'usdm' : 'spot';
}
