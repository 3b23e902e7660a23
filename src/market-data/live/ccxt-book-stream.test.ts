/**
 * The book stream against ccxt stand-ins: what reaches the listener, and how often it watches again.
 */
import type { Exchange } from 'ccxt';
import { describe, expect, it } from 'vitest';
import { CcxtBookStream, type LiveTrade } from './ccxt-book-stream.js';

const T = 1_723_161_300_000;
const never = new Promise<never>(() => undefined);

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

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
});
