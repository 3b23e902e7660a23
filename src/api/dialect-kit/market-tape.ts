/**
 * The recent public trades per symbol and the account fills, kept in memory for the exchange
 * dialects: `trades`, `aggTrades`, `klines`, `ticker/24hr` read the tape; `myTrades` reads the fills
 * before the read tables have caught up (they are projected asynchronously). One tape serves every
 * dialect of a service (shared-tape.ts).
 *
 * Guarantees: trades are kept in arrival order, at least the last `capacity` per symbol (the oldest
 * drop out, in batches); each kept futures fill carries its position and effect on it as the read
 * model records them (`positionOf`, read-model.ts `positionEffect`), for the MEXC contract stream's
 * position pushes;
 * klines are aggregated from the kept trades only, in exact decimals, buckets aligned to UTC
 * (weeks start on Monday, months on the 1st). Every time is the engine's exchange time.
 * Not modelled: history older than the ring (the kernel keeps no trade history); candles of minutes
 * without trades are absent, as on MEXC (Binance's are too, for want of trades to draw them from).
 * Cost: O(1) per trade; O(n) per query over the kept trades.
 */
import { formatFixed, mulExact, parseFixed, type Fixed } from '../../core/money/fixed.js';
import type { FillEvent, KernelEvent } from '../../core/kernel/events.js';
import type { KernelInput } from '../../core/kernel/inputs.js';
import { positionEffect } from '../../persistence/read-model.js';

/** A futures fill's position and effect on it (the `trades` table's `positionId` and `side`). */
export type FillPositionEffect = NonNullable<ReturnType<typeof positionEffect>>;

export interface TapeTrade {
  readonly id: number;
  readonly time: number;
  readonly price: string;
  readonly quantity: string;
  readonly buyerMaker: boolean;
}

/** How klines are bucketed: a fixed length in ms (aligned to the Unix epoch), Monday weeks, or calendar months. */
export type Bucketing = { readonly ms: number } | 'week' | 'month';

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const FIRST_MONDAY = 4 * DAY; // 1970-01-05

/** [open, close) of the bucket holding `time`. */
export function bucketOf(time: number, bucketing: Bucketing): [number, number] {
  if (bucketing === 'week') {
    const open = time - ((((time - FIRST_MONDAY) % WEEK) + WEEK) % WEEK);
    return [open, open + WEEK];
  }
  if (bucketing === 'month') {
    const d = new Date(time);
    return [Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)];
  }
  const open = time - (((time % bucketing.ms) + bucketing.ms) % bucketing.ms);
  return [open, open + bucketing.ms];
}

/** One candle of kept trades: [openTime, closeTime) and its exact figures. */
export interface Candle {
  readonly openTime: number;
  readonly closeTime: number;
  readonly open: Fixed;
  readonly high: Fixed;
  readonly low: Fixed;
  readonly close: Fixed;
  readonly volume: Fixed;
  readonly quoteVolume: Fixed;
  readonly trades: number;
  /** Volume of trades whose taker bought (the maker was the seller). */
  readonly takerBuyVolume: Fixed;
  readonly takerBuyQuoteVolume: Fixed;
}

export function aggregateCandles(trades: readonly TapeTrade[], bucketing: Bucketing): Candle[] {
  const rows: { -readonly [K in keyof Candle]: Candle[K] }[] = [];
  for (const t of trades) {
    const price = parseFixed(t.price);
    const qty = parseFixed(t.quantity);
    const quote = mulExact(price, qty);
    let last = rows.at(-1);
    if (last === undefined || t.time < last.openTime || t.time >= last.closeTime) {
      const [openTime, closeTime] = bucketOf(t.time, bucketing);
      last = { openTime, closeTime, open: price, high: price, low: price, close: price, volume: 0n, quoteVolume: 0n, trades: 0, takerBuyVolume: 0n, takerBuyQuoteVolume: 0n };
      rows.push(last);
    }
    if (price > last.high) last.high = price;
    if (price < last.low) last.low = price;
    last.close = price;
    last.volume += qty;
    last.quoteVolume += quote;
    last.trades += 1;
    if (!t.buyerMaker) {
      last.takerBuyVolume += qty;
      last.takerBuyQuoteVolume += quote;
    }
  }
  return rows;
}

/** MEXC's kline row: [openTime, open, high, low, close, volume, closeTime, quoteVolume]. */
export type KlineRow = [number, string, string, string, string, string, number, string];

export function aggregateKlines(trades: readonly TapeTrade[], bucketing: Bucketing): KlineRow[] {
  return aggregateCandles(trades, bucketing).map((r) => [r.openTime, formatFixed(r.open), formatFixed(r.high), formatFixed(r.low), formatFixed(r.close), formatFixed(r.volume), r.closeTime, formatFixed(r.quoteVolume)]);
}

export class MarketTape {
  private readonly trades = new Map<string, TapeTrade[]>();
  private readonly fills = new Map<string, FillEvent[]>();
  /** The position effect of each kept futures fill, as the read model records it (dropped with the fill). */
  private readonly effects = new WeakMap<FillEvent, FillPositionEffect>();

  constructor(private readonly capacity = 100_000, private readonly fillCapacity = 10_000) {}

  /** Feed it every input and its events (an EngineHub listener). */
  observe(events: readonly KernelEvent[], input: KernelInput): void {
    if (input.kind === 'trade') {
      push(this.trades, input.symbol, { id: input.tradeId, time: input.time, price: input.price, quantity: input.quantity, buyerMaker: input.buyerMaker }, this.capacity);
    }
    for (const [index, event] of events.entries()) {
      if (event.type !== 'FILL') continue;
      push(this.fills, event.account, event, this.fillCapacity);
      const effect = positionEffect(event, events.slice(index + 1));
      if (effect !== undefined) this.effects.set(event, effect);
    }
  }

  /** A kept fill's position and effect on it; undefined for a spot fill or one the tape did not observe. */
  positionOf(fill: FillEvent): FillPositionEffect | undefined {
    return this.effects.get(fill);
  }

  /** The kept trades of `symbol`, oldest first. */
  tradesOf(symbol: string): readonly TapeTrade[] {
    return this.trades.get(symbol) ?? [];
  }

  /** The account's fills seen by this process, oldest first. */
  fillsOf(account: string): readonly FillEvent[] {
    return this.fills.get(account) ?? [];
  }
}

function push<T>(map: Map<string, T[]>, key: string, item: T, capacity: number): void {
  let list = map.get(key);
  if (list === undefined) map.set(key, (list = []));
  list.push(item);
  // Trimmed in batches so that a full ring costs O(1) amortised per trade.
  if (list.length >= capacity + Math.ceil(capacity / 8)) list.splice(0, list.length - capacity);
}
