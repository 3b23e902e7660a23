/**
 * Market inputs for library tests that drive a `PaperTradingEngine` by hand on BTCUSDT: a whole
 * book (a `book.snapshot`, each with a higher `lastUpdateId` than the engine's last one) and a print
 * of 0.001.
 */
import type { LevelInput } from '../core/kernel/inputs.js';
import type { PaperTradingEngine } from '../library/paper-trading-engine.js';

const SYMBOL = 'BTCUSDT';
const updateIds = new WeakMap<PaperTradingEngine, number>();

/** The book of BTCUSDT becomes `bids` and `asks` (price, quantity; best first) at `time`. */
export function book(engine: PaperTradingEngine, time: number, bids: LevelInput[], asks: LevelInput[]): void {
  const lastUpdateId = (updateIds.get(engine) ?? 10) + 1;
  updateIds.set(engine, lastUpdateId);
  engine.feedMarket({ kind: 'book.snapshot', time, symbol: SYMBOL, lastUpdateId, bids, asks });
}

/** A print of 0.001 BTCUSDT at `price`; `seller`: a sell aggressor, hitting the bids (what triggers a long's stop). */
export function print(engine: PaperTradingEngine, time: number, tradeId: number, price: string, seller: boolean): void {
  engine.feedMarket({ kind: 'trade', time, symbol: SYMBOL, tradeId, price, quantity: '0.001', buyerMaker: seller });
}
