/**
 * The recent public trades per symbol and the account fills, kept in memory for the MEXC API:
 * `trades`, `aggTrades`, `klines`, `ticker/24hr` read the tape; `myTrades` reads the fills before the
 * read tables have caught up (they are projected asynchronously).
 *
 * Guarantees: trades are kept in arrival order, at least the last `capacity` per symbol (the oldest
 * drop out, in batches);
 * klines are aggregated from the kept trades only, in exact decimals, buckets aligned to UTC
 * (weeks start on Monday, months on the 1st). Every time is the engine's exchange time.
 * Not modelled: history older than the ring (the kernel keeps no trade history); candles of minutes
 * without trades are absent, as on MEXC.
 * Cost: O(1) per trade; O(n) per query over the kept trades.
 */
import { formatFixed, mulExact, parseFixed, type Fixed } from '../../core/money/fixed.js';
import type { FillEvent, KernelEvent } from '../../core/kernel/events.js';
import type { KernelInput } from '../../core/kernel/inputs.js';

export interface TapeTrade {
  readonly id: number;
  readonly time: number;
  readonly price: string;
  readonly quantity: string;
  readonly buyerMaker: boolean;
}

export const KLINE_INTERVALS = ['1m', '5m', '15m', '30m', '60m', '4h', '1d', '1W', '1M'] as const;
export type KlineInterval = (typeof KLINE_INTERVALS)[number];

const MINUTE = 60_000;
const FIXED_MS: Readonly<Record<Exclude<KlineInterval, '1W' | '1M'>, number>> = {
  '1m': MINUTE, '5m': 5 * MINUTE, '15m': 15 * MINUTE, '30m': 30 * MINUTE, '60m': 60 * MINUTE, '4h': 240 * MINUTE, '1d': 1_440 * MINUTE,
};
const WEEK = 7 * 1_440 * MINUTE;
const FIRST_MONDAY = 4 * 1_440 * MINUTE; // 1970-01-05

export function isKlineInterval(text: string): text is KlineInterval {
  return (KLINE_INTERVALS as readonly string[]).includes(text);
}

/** [open, close) of the bucket holding `time`. */
export function bucketOf(time: number, interval: KlineInterval): [number, number] {
  if (interval === '1W') {
    const open = time - ((((time - FIRST_MONDAY) % WEEK) + WEEK) % WEEK);
    return [open, open + WEEK];
  }
  if (interval === '1M') {
    const d = new Date(time);
    return [Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)];
  }
  const ms = FIXED_MS[interval];
  const open = time - (((time % ms) + ms) % ms);
  return [open, open + ms];
}

/** MEXC's kline row: [openTime, open, high, low, close, volume, closeTime, quoteVolume]. */
export type KlineRow = [number, string, string, string, string, string, number, string];

export function aggregateKlines(trades: readonly TapeTrade[], interval: KlineInterval): KlineRow[] {
  const rows: { open: number; close: number; o: Fixed; h: Fixed; l: Fixed; c: Fixed; v: Fixed; q: Fixed }[] = [];
  for (const t of trades) {
    const price = parseFixed(t.price);
    const qty = parseFixed(t.quantity);
    const last = rows.at(-1);
    if (last !== undefined && t.time >= last.open && t.time < last.close) {
      if (price > last.h) last.h = price;
      if (price < last.l) last.l = price;
      last.c = price;
      last.v += qty;
      last.q += mulExact(price, qty);
      continue;
    }
    const [open, close] = bucketOf(t.time, interval);
    rows.push({ open, close, o: price, h: price, l: price, c: price, v: qty, q: mulExact(price, qty) });
  }
  return rows.map((r) => [r.open, formatFixed(r.o), formatFixed(r.h), formatFixed(r.l), formatFixed(r.c), formatFixed(r.v), r.close, formatFixed(r.q)]);
}

export class MarketTape {
  private readonly trades = new Map<string, TapeTrade[]>();
  private readonly fills = new Map<string, FillEvent[]>();

  constructor(private readonly capacity = 100_000, private readonly fillCapacity = 10_000) {}

  /** Feed it every input and its events (an EngineHub listener). */
  observe(events: readonly KernelEvent[], input: KernelInput): void {
    if (input.kind === 'trade') {
      push(this.trades, input.symbol, { id: input.tradeId, time: input.time, price: input.price, quantity: input.quantity, buyerMaker: input.buyerMaker }, this.capacity);
    }
    for (const event of events) if (event.type === 'FILL') push(this.fills, event.account, event, this.fillCapacity);
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
