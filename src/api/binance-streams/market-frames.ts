/**
 * Market stream payloads in Binance's field names, from the kernel's market inputs.
 * Spot: https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams;
 * USD-M futures: https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams.
 * Decimals stay the strings the feed gave; times are the feed's exchange time (Unix ms).
 */
import type { TradeInput } from '../../core/kernel/inputs.js';
import { extend } from '../../core/objects.js';
import type { DepthDiff } from '../dialect-kit/depth-diffs.js';
import type { StreamMarket } from './listen-keys.js';

type Level = readonly [string, string];

/**
 * The unit of a spot connection's time fields: Binance spot, "All time and timestamp related fields
 * are milliseconds by default. To receive the information in microseconds, please add the parameter
 * timeUnit=MICROSECOND or timeUnit=microsecond in the URL"
 * (https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams).
 */
export type TimeUnit = 'MILLISECOND' | 'MICROSECOND';

/** The time fields (Unix ms) of each spot event we send, by its `e`; spot's bookTicker has none. */
const TIME_FIELDS: ReadonlyMap<string, readonly string[]> = new Map([
  ['trade', ['E', 'T']],
  ['aggTrade', ['E', 'T']],
  ['depthUpdate', ['E']],
  ['executionReport', ['E', 'T', 'O', 'W']],
  ['outboundAccountPosition', ['E', 'u']],
  ['balanceUpdate', ['E', 'T']],
  ['listenKeyExpired', ['E']],
  ['eventStreamTerminated', ['E']],
]);

/** `frame` as a connection in `unit` is sent it: itself in milliseconds, else `inMicroseconds(frame)`. */
export function inTimeUnit(frame: Readonly<Record<string, unknown>>, unit: TimeUnit | undefined): Readonly<Record<string, unknown>> {
  return unit === 'MICROSECOND' ? inMicroseconds(frame) : frame;
}

/** `frame` with its time fields in microseconds (ms × 1000: exact, below 2^53 until the year 2255); other fields as they are. */
export function inMicroseconds(frame: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const fields = TIME_FIELDS.get(String(frame.e)) ?? [];
  const copy = { ...frame };
  for (const field of fields) if (typeof copy[field] === 'number') copy[field] = (copy[field] as number) * 1_000;
  return copy;
}

/** `<symbol>@trade`. Spot sends `M` (ignore); futures `X` (the trade's order type, MARKET for ours). */
export function tradeFrame(t: TradeInput, market: StreamMarket): Record<string, unknown> {
  const common = { e: 'trade', E: t.time, s: t.symbol, t: t.tradeId, p: t.price, q: t.quantity, T: t.time, m: t.buyerMaker };
  return market === 'spot' ? extend(common, { M: true }) : extend(common, { X: 'MARKET' });
}

/** `<symbol>@aggTrade`: one trade per aggregate (first and last trade id are its own), as the REST aggTrades. */
export function aggTradeFrame(t: TradeInput, market: StreamMarket): Record<string, unknown> {
  const common = { e: 'aggTrade', E: t.time, s: t.symbol, a: t.tradeId, p: t.price, q: t.quantity, f: t.tradeId, l: t.tradeId, T: t.time, m: t.buyerMaker };
  return market === 'spot' ? extend(common, { M: true }) : common;
}

/** `<symbol>@bookTicker`: spot has no event type or times; futures has both. `u` is the book's update id. */
export function bookTickerFrame(symbol: string, updateId: number, time: number, bid: Level | undefined, ask: Level | undefined, market: StreamMarket): Record<string, unknown> {
  const top = { s: symbol, b: bid?.[0] ?? '0', B: bid?.[1] ?? '0', a: ask?.[0] ?? '0', A: ask?.[1] ?? '0' };
  return market === 'spot' ? { u: updateId, ...top } : { e: 'bookTicker', u: updateId, E: time, T: time, ...top };
}

/**
 * The depth diffs of one interval (dialect-kit/depth-diffs.ts: each chains on the one before)
 * merged into one: `U` the first update id, `u` the last, `pu` (futures) the `u` of the diff before
 * it; a level changed twice carries its latest size ("0": removed), as Binance's own aggregated
 * diff does.
 */
export class PendingDiff {
  private firstUpdateId: number | undefined;
  private previousFinal: number | undefined;
  private finalUpdateId = 0;
  private time = 0;
  private readonly bids = new Map<string, string>();
  private readonly asks = new Map<string, string>();

  get isEmpty(): boolean {
    return this.firstUpdateId === undefined;
  }

  add(delta: DepthDiff): void {
    if (this.firstUpdateId === undefined) {
      this.firstUpdateId = delta.firstUpdateId;
      this.previousFinal = delta.firstUpdateId - 1;
    }
    this.finalUpdateId = delta.finalUpdateId;
    this.time = delta.time;
    for (const [price, size] of delta.bids) this.bids.set(price, size);
    for (const [price, size] of delta.asks) this.asks.set(price, size);
  }

  /** The `depthUpdate` payload, and the diff emptied; undefined when nothing is pending. */
  take(symbol: string, market: StreamMarket): Record<string, unknown> | undefined {
    if (this.firstUpdateId === undefined) return undefined;
    const ids = market === 'spot' ? { U: this.firstUpdateId, u: this.finalUpdateId } : { U: this.firstUpdateId, u: this.finalUpdateId, ...(this.previousFinal !== undefined ? { pu: this.previousFinal } : {}) };
    const frame = {
      e: 'depthUpdate',
      E: this.time,
      ...(market === 'futures' ? { T: this.time } : {}),
      s: symbol,
      ...ids,
      b: [...this.bids],
      a: [...this.asks],
    };
    this.firstUpdateId = undefined;
    this.previousFinal = undefined;
    this.bids.clear();
    this.asks.clear();
    return frame;
  }
}
