/**
 * MEXC spot depth (`spot@public.aggre.depth.v3.api.pb`): checks that each frame's versions chain
 * on the last (`fromVersion = previous toVersion + 1`, MEXC's "How to Properly Maintain a Local
 * Copy of the Order Book"), which ccxt's `mexc` class does not: it applies every frame after its
 * snapshot whatever its versions, so a lost frame would leave its book wrong without a word.
 *
 * It also joins the frames to ccxt's REST snapshot as MEXC documents (steps 4 to 7 there): frames
 * with `toVersion` ≤ `lastUpdateId` are discarded; the first one kept must have `fromVersion` ≤
 * `lastUpdateId` + 1 (a snapshot older than the buffered frames is fetched again, as ccxt does);
 * a frame the snapshot fell inside (`fromVersion` ≤ `lastUpdateId` < `toVersion`) is applied whole
 * (its quantities are absolute, so it brings the book to `toVersion`). ccxt's own rule keeps the
 * frames with `fromVersion` ≥ `lastUpdateId` and skips any later one with `fromVersion` below its
 * nonce: a merged frame the snapshot fell inside was dropped and its later updates lost. ccxt's
 * book `nonce` becomes the last applied `toVersion` (ccxt stored `fromVersion`).
 *
 * Guarantees: a frame that skips versions is not applied; ccxt's book for the symbol is dropped and
 * its pending (or next) `watchOrderBook` rejects with ccxt's InvalidNonce, which the book stream
 * reports as a gap and answers with a fresh subscription and REST snapshot (ccxt-book-stream.ts),
 * as ccxt's Binance classes do by themselves. A frame seen again (`toVersion` ≤ the last) is
 * reported as a duplicate and left to ccxt (which skips it). The chain restarts at each depth
 * subscription MEXC acknowledges.
 *
 * MEXC contract depth (`push.depth`, `{"data":{"asks","bids","version"},"symbol":"BTC_USDT"}`):
 * MEXC's "Incremental Order Book Maintenance Mechanism" (futures WebSocket API,
 * https://www.mexc.com/api-docs/futures/websocket-api/incremental-order-book-maintenance-mechanism)
 * says each push's `version` must be exactly the previous one + 1, and that a discontinuity (a gap,
 * or versions out of order) means pushes were lost: recover from the depth commits or a full
 * snapshot. ccxt's `mexc` only skips a push whose `version` is below its book's nonce, so a lost
 * push would go unseen; the tap checks these pushes too: one whose first version is not the last
 * `version` + 1 is a gap, handled as a spot gap (ccxt's book dropped, InvalidNonce, a fresh
 * snapshot). The first version is `begin` when the push carries it (a push merging several
 * versions, `begin`..`version`: ccxt's own recorded example and the contract stand-in send it),
 * else `version`. A push at or below the last `version` is reported as a duplicate and left to
 * ccxt (which skips it): the versions before it all arrived, so it adds nothing. MEXC's
 * acknowledgement (`rs.sub.depth`) names no symbol, so the contract chain restarts instead
 * whenever ccxt's book for the symbol holds nothing yet (none, or one with neither a snapshot nor
 * a buffered push: the first push, after a gap, after `unWatchOrderBook` or a failed snapshot):
 * that push starts the book ccxt joins to its next snapshot. Cost: O(1) per frame, O(buffered
 * frames) per snapshot.
 */
import { InvalidNonce, type Exchange } from 'ccxt';
import type { RawSequenceAnomaly } from './live-exchanges.js';

type Handler = (client: unknown, message: Record<string, unknown>) => unknown;
type Frame = { fromVersion?: unknown; toVersion?: unknown; asks?: unknown; bids?: unknown } | undefined;
type CcxtBook = { nonce?: number | undefined; asks: unknown; bids: unknown };

/** A frame's version range, or undefined when it has none (not an aggregated spot depth frame). */
function versionsOf(frame: Frame): { from: number; to: number } | undefined {
  const from = Number(frame?.fromVersion);
  const to = Number(frame?.toVersion);
  return frame?.fromVersion !== undefined && frame.toVersion !== undefined && Number.isSafeInteger(from) && Number.isSafeInteger(to) ? { from, to } : undefined;
}

/**
 * Where ccxt starts applying its buffered frames after a snapshot at `lastUpdateId` (MEXC steps 4
 * to 6): the first frame with `toVersion` > `lastUpdateId`, when its `fromVersion` is at most
 * `lastUpdateId` + 1; -1 (fetch the snapshot again) when the snapshot is older than that frame;
 * `frames.length` when every frame is at or below the snapshot. Undefined when the frames carry no
 * versions (ccxt's own rule then applies).
 */
export function mexcFirstFrameAfterSnapshot(lastUpdateId: number, frames: readonly Frame[]): number | undefined {
  for (let i = 0; i < frames.length; i += 1) {
    const v = versionsOf(frames[i]);
    if (v === undefined) return undefined;
    if (v.to > lastUpdateId) return v.from <= lastUpdateId + 1 ? i : -1;
  }
  return frames.length;
}

/**
 * A contract `push.depth`: its symbol and the versions it covers (`begin` to `version`; `version`
 * alone without `begin`); undefined for any other message.
 */
export function mexcContractPushVersions(message: Record<string, unknown>): { marketId: string; from: number; to: number } | undefined {
  if (message.channel !== 'push.depth' || typeof message.symbol !== 'string') return undefined;
  const data = message.data as { version?: unknown; begin?: unknown } | undefined;
  const to = integerOf(data?.version);
  if (to === undefined) return undefined;
  const begin = integerOf(data?.begin);
  return { marketId: message.symbol, from: begin !== undefined && begin <= to ? begin : to, to };
}

function integerOf(value: unknown): number | undefined {
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  const n = Number(value);
  return value !== '' && Number.isSafeInteger(n) ? n : undefined;
}

/** Installs the check on a ccxt pro `mexc` client; false (nothing installed) for any other exchange. */
export function tapMexcDepthSequence(exchange: Exchange, onAnomaly: (a: RawSequenceAnomaly) => void): boolean {
  const target = exchange as unknown as {
    handleOrderBook?: Handler;
    handleSubscriptionStatus?: Handler;
    getCacheIndex?: (orderbook: CcxtBook, cache: Frame[]) => number;
    handleDelta?: (orderbook: CcxtBook, delta: Frame) => unknown;
    handleBooksideDelta?: (bookside: unknown, levels: unknown) => unknown;
    orderbooks?: Record<string, unknown>;
  };
  const onBook = target.handleOrderBook;
  const onStatus = target.handleSubscriptionStatus;
  const cacheIndex = target.getCacheIndex;
  const applyDelta = target.handleDelta;
  const applySide = target.handleBooksideDelta;
  if (exchange.id !== 'mexc' || typeof onBook !== 'function' || typeof onStatus !== 'function') return false;
  if (typeof cacheIndex === 'function' && typeof applyDelta === 'function' && typeof applySide === 'function') joinFramesToSnapshot(target, cacheIndex, applyDelta, applySide);
  const last = new Map<string, number>();
  const lastContract = new Map<string, number>();

  target.handleSubscriptionStatus = function (this: unknown, client, message) {
    const msg = typeof message.msg === 'string' ? message.msg : '';
    for (const channel of msg.split(',')) if (channel.includes('public.aggre.depth')) last.delete(channel.split('@').at(-1) ?? '');
    return onStatus.call(this, client, message);
  };

  /** Drops ccxt's book of the symbol and rejects its watch: the book stream resyncs from a snapshot. */
  const lose = (client: unknown, symbol: string, error: InvalidNonce) => {
    if (target.orderbooks !== undefined) delete target.orderbooks[symbol];
    (client as { reject(error: unknown, hash: string): void }).reject(error, `orderbook:${symbol}`);
  };

  /**
   * One frame (spot) or push (contract) on its symbol's chain, whose last version was `previous`
   * (undefined: the chain starts here): at or below it, a duplicate, reported and passed to ccxt;
   * the next version, passed; past it, a gap: reported, ccxt's book of the symbol dropped, nothing
   * passed.
   */
  const step = (chain: Map<string, number>, previous: number | undefined, client: unknown, marketId: string, from: number, to: number, unit: 'frame' | 'push', pass: () => unknown): unknown => {
    if (previous !== undefined && to <= previous) {
      onAnomaly({ symbol: marketId, kind: 'duplicate', firstUpdateId: from, finalUpdateId: to, expected: previous + 1 });
      return pass();
    }
    chain.set(marketId, to);
    if (previous === undefined || from === previous + 1) return pass();
    onAnomaly({ symbol: marketId, kind: 'gap', firstUpdateId: from, finalUpdateId: to, expected: previous + 1 });
    lose(client, exchange.safeSymbol(marketId), new InvalidNonce(`mexc ${marketId}: depth versions ${previous + 1}–${from - 1} never arrived (${unit} ${from}–${to})`));
    return undefined;
  };

  target.handleOrderBook = function (this: unknown, client, message) {
    const push = mexcContractPushVersions(message);
    if (push !== undefined) {
      const { marketId, from, to } = push;
      const symbol = exchange.safeSymbol(marketId);
      const book = target.orderbooks?.[symbol] as (CcxtBook & { cache?: unknown[] }) | undefined;
      const fresh = book === undefined || (book.nonce === undefined && (book.cache?.length ?? 0) === 0);
      return step(lastContract, fresh ? undefined : lastContract.get(marketId), client, marketId, from, to, 'push', () => onBook.call(this, client, message));
    }
    const depth = message.publicAggreDepths as { fromVersion?: unknown; toVersion?: unknown } | undefined;
    const marketId = message.symbol;
    const from = Number(depth?.fromVersion);
    const to = Number(depth?.toVersion);
    if (typeof marketId !== 'string' || !Number.isSafeInteger(from) || !Number.isSafeInteger(to)) return onBook.call(this, client, message);
    return step(last, last.get(marketId), client, marketId, from, to, 'frame', () => onBook.call(this, client, message));
  };
  return true;
}

type JoinTarget = { getCacheIndex?: (orderbook: CcxtBook, cache: Frame[]) => number; handleDelta?: (orderbook: CcxtBook, delta: Frame) => unknown };

/** Replaces ccxt's `getCacheIndex` and `handleDelta` on `target` by MEXC's documented join of frames to a snapshot (see the header). */
function joinFramesToSnapshot(
  target: JoinTarget,
  cacheIndex: (orderbook: CcxtBook, cache: Frame[]) => number,
  applyDelta: (orderbook: CcxtBook, delta: Frame) => unknown,
  applySide: (bookside: unknown, levels: unknown) => unknown,
): void {
  target.getCacheIndex = function (this: unknown, orderbook, cache) {
    const nonce = orderbook.nonce;
    const index = typeof nonce === 'number' && cache.length > 0 ? mexcFirstFrameAfterSnapshot(nonce, cache) : undefined;
    return index ?? cacheIndex.call(this, orderbook, cache);
  };

  target.handleDelta = function (this: unknown, orderbook, delta) {
    const v = versionsOf(delta);
    const version = orderbook.nonce;
    if (v === undefined || typeof version !== 'number') return applyDelta.call(this, orderbook, delta);
    if (v.to <= version) return undefined; // already in the book
    if (v.from > version + 1) throw new InvalidNonce(`mexc: depth versions ${version + 1}–${v.from - 1} never reached the book (frame ${v.from}–${v.to})`);
    orderbook.nonce = v.to;
    applySide.call(this, orderbook.asks, Array.isArray(delta?.asks) ? delta.asks : []);
    applySide.call(this, orderbook.bids, Array.isArray(delta?.bids) ? delta.bids : []);
    return undefined;
  };
}
