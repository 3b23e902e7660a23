/**
 * MEXC spot depth (`spot@public.aggre.depth.v3.api.pb`): checks that each frame's versions chain
 * on the last (`fromVersion = previous toVersion + 1`, MEXC's "How to maintain a local order book"),
 * which ccxt's `mexc` class does not: it applies every frame after its snapshot whatever its
 * versions, so a lost frame would leave its book wrong without a word.
 *
 * Guarantees: a frame that skips versions is not applied; ccxt's book for the symbol is dropped and
 * its pending (or next) `watchOrderBook` rejects with ccxt's InvalidNonce, which the book stream
 * reports as a gap and answers with a fresh subscription and REST snapshot (ccxt-book-stream.ts),
 * as ccxt's Binance classes do by themselves. A frame seen again (`toVersion` ≤ the last) is
 * reported as a duplicate and left to ccxt (which skips it). The chain restarts at each depth
 * subscription MEXC acknowledges. Cost: O(1) per frame.
 */
import { InvalidNonce, type Exchange } from 'ccxt';
import type { RawSequenceAnomaly } from './live-exchanges.js';

type Handler = (client: unknown, message: Record<string, unknown>) => unknown;

/** Installs the check on a ccxt pro `mexc` client; false (nothing installed) for any other exchange. */
export function tapMexcDepthSequence(exchange: Exchange, onAnomaly: (a: RawSequenceAnomaly) => void): boolean {
  const target = exchange as unknown as { handleOrderBook?: Handler; handleSubscriptionStatus?: Handler; orderbooks?: Record<string, unknown> };
  const onBook = target.handleOrderBook;
  const onStatus = target.handleSubscriptionStatus;
  if (exchange.id !== 'mexc' || typeof onBook !== 'function' || typeof onStatus !== 'function') return false;
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
