import type { Exchange } from 'ccxt';
import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../../core/instruments/bundled-instruments.js';
import type { KernelInput } from '../../core/kernel/inputs.js';
import { Kernel } from '../../core/kernel/kernel.js';
import { startLiveFeed } from './live-feed.js';
import type { LiveMarkets } from './live-markets.js';

const T = 1_723_161_300_000;

/** A ccxt stand-in: one book, then silence. */
function silentAfterOneBook(): Exchange {
  let served = false;
  const never = new Promise<never>(() => undefined);
  return {
    has: {},
    watchOrderBook: async () => {
      if (served) return never;
      served = true;
      return { bids: [[60000, 2]], asks: [[60010, 2]], timestamp: T, nonce: 1 };
    },
    watchTrades: async () => never,
    close: async () => undefined,
  } as unknown as Exchange;
}

describe('a live feed that goes silent', () => {
  it('reports stale only once the kernel has been told, however slowly its inputs are applied: an order sent then waits', async () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', 'BTCUSDT')!] });
    kernel.handle({ kind: 'account.open', time: T, account: 'a', balances: { USDT: '100000' } });
    const applied: string[] = [];
    // A loaded machine: the invalidation takes 300 ms to be applied (journal, queue).
    const hub = {
      kernel,
      submit: async (input: KernelInput) => {
        if (input.kind === 'book.invalidate') await new Promise((r) => setTimeout(r, 300));
        applied.push(input.kind);
        return kernel.handle(input);
      },
    };
    const markets: LiveMarkets = {
      exchanges: new Map([['binance', silentAfterOneBook()]]),
      subscriptions: [{ exchangeId: 'binance', ccxtSymbol: 'BTC/USDT', marketId: 'BTCUSDT', kernelSymbol: 'BTCUSDT' }],
      instruments: [], instrumentSources: {}, rawTaps: new Map(), close: async () => undefined,
    };
    const feed = startLiveFeed({ hub, markets, staleAfterMs: 100, trades: false });
    try {
      const seen: string[] = [];
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const [status] = feed.status();
        if (seen.at(-1) !== status!.status) seen.push(status!.status);
        if (status!.status === 'stale') {
          // Whoever reads "stale" finds the kernel's book unusable: a marketable order waits.
          expect(kernel.bookStatus('BTCUSDT')?.status).not.toBe('synced');
          const events = kernel.handle({ kind: 'order.place', time: kernel.now, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.1' });
          expect(events.map((e) => e.type)).toEqual(['ORDER_NEW']);
          break;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      expect(seen).toEqual(['awaiting-snapshot', 'synced', 'stale'].slice(seen[0] === 'synced' ? 1 : 0));
      expect(applied).toEqual(['book.snapshot', 'book.invalidate']);
    } finally {
      await feed.stop();
    }
  });
});
