/**
 * The book stream against ccxt stand-ins: what reaches the listener, and how often it watches again.
 */
import type { Exchange } from 'ccxt';
import { describe, expect, it } from 'vitest';
import { until } from '../../test-kit/wait.js';
import { CcxtBookStream, type LiveTrade } from './ccxt-book-stream.js';

const T = 1_723_161_300_000;
const never = new Promise<never>(() => undefined);


describe('the ccxt book stream', () => {
  it('delivers every trade of an exchange whose trade ids pass 2^53 (Bitget: 19 digits), a trade seen again excepted', async () => {
    // Bitget's ids as its stream sends them: 1169142761312637004 and …010 are the same double.
    const trade = (id: string, price: number) => ({ id, timestamp: T, price, amount: 0.01, side: 'buy' });
    const batches = [
      [trade('1169142761312637004', 60010), trade('1169142761312637010', 60011)],
      [trade('1169142761312637010', 60011), trade('1169142761312637101', 60012)], // the second again after a reconnect, then a new one
    ];
    const exchange = {
      has: {},
      watchOrderBook: async () => never,
      watchTrades: async () => (batches.length > 0 ? batches.shift() : never),
      close: async () => undefined,
    } as unknown as Exchange;
    const seen: LiveTrade[] = [];
    const stream = new CcxtBookStream(exchange, 'BTC/USDT', { onBook: () => undefined, onTrade: (t) => void seen.push(t), onInvalid: () => undefined }, { staleAfterMs: 60_000 });
    stream.start();
    try {
      await until(() => batches.length === 0, 'both batches');
      await new Promise((r) => setTimeout(r, 50));
      expect(seen.map((t) => [t.id, t.price])).toEqual([
        ['1169142761312637004', 60010],
        ['1169142761312637010', 60011],
        ['1169142761312637101', 60012],
      ]);
    } finally {
      await stream.stop();
    }
  });

  it('watches a book that keeps coming back crossed again only after the backoff (base, ×2, …), never in a tight loop', async () => {
    // An exchange whose snapshot is itself crossed (bid 60,020 over ask 60,010) every time it is taken.
    let watches = 0;
    const exchange = {
      has: { unWatchOrderBook: true },
      watchOrderBook: async () => {
        watches += 1;
        await new Promise((r) => setTimeout(r, 1)); // a round trip
        return { bids: [[60020, 1]], asks: [[60010, 1]], timestamp: T, nonce: watches };
      },
      unWatchOrderBook: async () => undefined,
      watchTrades: async () => never,
      close: async () => undefined,
    } as unknown as Exchange;
    const causes: string[] = [];
    const stream = new CcxtBookStream(exchange, 'BTC/USDT', { onBook: () => undefined, onTrade: () => undefined, onInvalid: (cause) => void causes.push(cause) }, { staleAfterMs: 60_000, trades: false, backoff: { baseMs: 100, maxMs: 10_000 } });
    const started = Date.now();
    stream.start();
    try {
      await new Promise((r) => setTimeout(r, 500));
      const elapsed = Date.now() - started;
      // By hand: watches start at about 0, 100, 300 and 700 ms (waits of 100, 200, 400 between them).
      const allowed = [0, 100, 300, 700, 1500].filter((at) => at <= elapsed).length;
      expect(watches).toBeGreaterThanOrEqual(2);
      expect(watches).toBeLessThanOrEqual(allowed);
      expect(causes.every((c) => c === 'crossed')).toBe(true);
    } finally {
      await stream.stop();
    }
  });

  it('renews a first subscription that never delivers a book, after staleAfterMs, and the book then comes', async () => {
    // An exchange that ignores the first subscription: its watch never resolves until it is
    // unsubscribed (ccxt then rejects the pending watch with UnsubscribeError); the next one answers.
    let watches = 0;
    let unwatches = 0;
    let reject: ((error: Error) => void) | undefined;
    const exchange = {
      has: { unWatchOrderBook: true },
      watchOrderBook: async () => {
        watches += 1;
        if (watches === 1) return new Promise((_resolve, fail) => void (reject = fail));
        if (watches > 2) return never; // one book, then a quiet market
        return { bids: [[60000, 1]], asks: [[60010, 1]], timestamp: T, nonce: watches };
      },
      unWatchOrderBook: async () => {
        unwatches += 1;
        const error = new Error('unsubscribed');
        error.name = 'UnsubscribeError';
        reject?.(error);
      },
      watchTrades: async () => never,
      close: async () => undefined,
    } as unknown as Exchange;
    const books: number[] = [];
    const stream = new CcxtBookStream(exchange, 'BTC/USDT', { onBook: (v) => void books.push(v.nonce ?? -1), onTrade: () => undefined, onInvalid: () => undefined }, { staleAfterMs: 200, trades: false });
    stream.start();
    try {
      expect(stream.state).toBe('connecting');
      await until(() => books.length > 0, 'a book after the renewal');
      expect(unwatches).toBe(1);
      expect(books).toEqual([2]);
      expect(stream.state).toBe('live');
    } finally {
      await stream.stop();
    }
  });
});
