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
 * subscription MEXC acknowledges. Frames without `fromVersion`/`toVersion` (the contract's
 * `push.depth`) are left to ccxt. Cost: O(1) per frame, O(buffered frames) per snapshot.
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

  target.handleSubscriptionStatus = function (this: unknown, client, message) {
    const msg = typeof message.msg === 'string' ? message.msg : '';
    for (const channel of msg.split(',')) if (channel.includes('public.aggre.depth')) last.delete(channel.split('@').at(-1) ?? '');
    return onStatus.call(this, client, message);
  };

  target.handleOrderBook = function (this: unknown, client, message) {
    const depth = message.publicAggreDepths as { fromVersion?: unknown; toVersion?: unknown } | undefined;
    const marketId = message.symbol;
    const from = Number(depth?.fromVersion);
    const to = Number(depth?.toVersion);
    if (typeof marketId !== 'string' || !Number.isSafeInteger(from) || !Number.isSafeInteger(to)) return onBook.call(this, client, message);
    const previous = last.get(marketId);
    if (previous !== undefined && to <= previous) {
      onAnomaly({ symbol: marketId, kind: 'duplicate', firstUpdateId: from, finalUpdateId: to, expected: previous + 1 });
      return onBook.call(this, client, message);
    }
    last.set(marketId, to);
    if (previous === undefined || from === previous + 1) return onBook.call(this, client, message);
    onAnomaly({ symbol: marketId, kind: 'gap', firstUpdateId: from, finalUpdateId: to, expected: previous + 1 });
    const symbol = exchange.safeSymbol(marketId);
    if (target.orderbooks !== undefined) delete target.orderbooks[symbol];
    (client as { reject(error: unknown, hash: string): void }).reject(new InvalidNonce(`mexc ${marketId}: depth versions ${previous + 1}–${from - 1} never arrived (frame ${from}–${to})`), `orderbook:${symbol}`);
    return undefined;
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
