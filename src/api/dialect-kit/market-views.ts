/**
 * Market data every dialect shapes in its own words: the top of the kernel's book, the last price,
 * a window of the tape's trades, the rolling 24-hour statistics. Numbers stay exact decimals.
 *
 * Times are the engine's exchange time (the replayed market's own clock in replay).
 */
import type { Kernel } from '../../core/kernel/kernel.js';
import { formatFixed, mulExact, parseFixed, type Fixed } from '../../core/money/fixed.js';
import type { MarketTape, TapeTrade } from './market-tape.js';

const DAY = 86_400_000;

export type Level = readonly [price: string, quantity: string];

export function bestOf(kernel: Kernel, symbol: string): { bid: Level | undefined; ask: Level | undefined } {
  const d = kernel.depth(symbol, 1);
  return { bid: d?.bids[0], ask: d?.asks[0] };
}

/** The last traded price, else the book's mid, else '0'. */
export function lastPriceOf(kernel: Kernel, tape: MarketTape, symbol: string): string {
  const last = tape.tradesOf(symbol).at(-1)?.price;
  if (last !== undefined) return last;
  const { bid, ask } = bestOf(kernel, symbol);
  return bid !== undefined && ask !== undefined ? formatFixed((parseFixed(bid[0]) + parseFixed(ask[0])) / 2n) : '0';
}

/** The kept trades within [start, end]: the first `limit` from `start` when given, else the last `limit`. */
export function tradeWindow(trades: readonly TapeTrade[], limit: number, start: number | undefined, end: number | undefined): readonly TapeTrade[] {
  const within = trades.filter((t) => (start === undefined || t.time >= start) && (end === undefined || t.time <= end));
  return start !== undefined ? within.slice(0, limit) : within.slice(-limit);
}

export function quoteQtyOf(t: TapeTrade): string {
  return formatFixed(mulExact(parseFixed(t.price), parseFixed(t.quantity)));
}

export interface DayStats {
  readonly symbol: string;
  readonly open: Fixed | undefined;
  readonly high: Fixed | undefined;
  readonly low: Fixed | undefined;
  readonly close: Fixed | undefined;
  readonly change: Fixed;
  /** change / open as a fraction (0.01 = 1 %), 0 without trades. */
  readonly changeFraction: Fixed;
  readonly volume: Fixed;
  readonly quoteVolume: Fixed;
  readonly first: TapeTrade | undefined;
  readonly last: TapeTrade | undefined;
  readonly count: number;
  readonly bid: Level | undefined;
  readonly ask: Level | undefined;
  readonly openTime: number;
  readonly closeTime: number;
}

/** The statistics of the kept trades of the last 24 hours of exchange time. */
export function dayStatsOf(kernel: Kernel, tape: MarketTape, symbol: string): DayStats {
  const now = kernel.now;
  const trades = tape.tradesOf(symbol).filter((t) => t.time > now - DAY);
  const { bid, ask } = bestOf(kernel, symbol);
  const first = trades[0];
  const last = trades.at(-1);
  let high: Fixed | undefined;
  let low: Fixed | undefined;
  let volume = 0n;
  let quoteVolume = 0n;
  for (const t of trades) {
    const price = parseFixed(t.price);
    const qty = parseFixed(t.quantity);
    if (high === undefined || price > high) high = price;
    if (low === undefined || price < low) low = price;
    volume += qty;
    quoteVolume += mulExact(price, qty);
  }
  const open = first !== undefined ? parseFixed(first.price) : undefined;
  const close = last !== undefined ? parseFixed(last.price) : undefined;
  const change = open !== undefined && close !== undefined ? close - open : 0n;
  const changeFraction = open !== undefined && open !== 0n ? (change * 10n ** 18n) / open : 0n;
  return { symbol, open, high, low, close, change, changeFraction, volume, quoteVolume, first, last, count: trades.length, bid, ask, openTime: first?.time ?? now, closeTime: now };
}

export function fixedOrZero(v: Fixed | undefined): string {
  return v === undefined ? '0' : formatFixed(v);
}

/** The fields of a 24-hour ticker MEXC and Binance share, in their order: last trade, best bid and ask, OHLC, volumes, window. */
export function dayTickerFields(d: DayStats) {
  return {
    lastPrice: fixedOrZero(d.close),
    lastQty: d.last?.quantity ?? '0',
    bidPrice: d.bid?.[0] ?? '0',
    bidQty: d.bid?.[1] ?? '0',
    askPrice: d.ask?.[0] ?? '0',
    askQty: d.ask?.[1] ?? '0',
    openPrice: fixedOrZero(d.open),
    highPrice: fixedOrZero(d.high),
    lowPrice: fixedOrZero(d.low),
    volume: formatFixed(d.volume),
    quoteVolume: formatFixed(d.quoteVolume),
    openTime: d.openTime,
    closeTime: d.closeTime,
  };
}
