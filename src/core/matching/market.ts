/**
 * Everything the engine knows about one symbol: the exchange's book and its sync state, what paper
 * orders took from it, the paper orders resting on it, and those waiting for the book to be usable.
 */
import { BookSynchronizer, type SequenceMode } from '../book/book-synchronizer.js';
import type { Instrument } from '../instruments/instrument.js';
import type { Order, Side } from '../orders/order.js';
import { OwnLiquidity } from './own-liquidity.js';
import { RestingOrders } from './resting-orders.js';

export class Market {
  readonly sync: BookSynchronizer;
  readonly own = new OwnLiquidity();
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
  /** Last trade price seen on the tape, as a decimal string (presentation only). */
  lastTradePrice: string | undefined;

  constructor(readonly instrument: Instrument) {
    this.sync = new BookSynchronizer(instrument.symbol, sequenceModeOf(instrument));
  }

  get book() {
    return this.sync.book;
  }

  get usable(): boolean {
    return this.sync.status === 'synced';
  }

  resting(side: Side): RestingOrders {
    return side === 'BUY' ? this.bids : this.asks;
  }
}

/** Binance USD-M chains deltas with `pu`; every other source follows the spot rule. */
export function sequenceModeOf(instrument: Instrument): SequenceMode {
  return instrument.exchange === 'binance' && instrument.market === 'perpetual' ? 'usdm' : 'spot';
}
