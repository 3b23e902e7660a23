import type { Exchange } from 'ccxt';
import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../../core/instruments/bundled-instruments.js';
import type { KernelInput } from '../../core/kernel/inputs.js';
import { Kernel } from '../../core/kernel/kernel.js';
import { startLiveFeed } from './live-feed.js';
import type { LiveMarkets } from './live-markets.js';

const T = 1_723_161_300_000;

/** A ccxt stand-in for an exchange that has not answered yet: no book, no trades. */
function notYetAnswering(): Exchange {
  const never = new Promise<never>(() => undefined);
  return { has: {}, watchOrderBook: async () => never, watchTrades: async () => never, close: async () => undefined } as unknown as Exchange;
}

describe('a live feed started on an engine restored from an earlier run', () => {
  it('does not offer the book of before the restart: the feed is not synced and a marketable order waits until this run has its own snapshot', async () => {
    // The engine as a restart restores it: a synced book (best ask 60,010) and a clock that did not
    // move while the service was down, so by the clock alone that book looks fresh.
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', 'BTCUSDT')!], staleAfterMs: 1_500 });
    kernel.handle({ kind: 'book.snapshot', time: T, symbol: 'BTCUSDT', lastUpdateId: 10, bids: [['60000.00', '2']], asks: [['60010.00', '2']] });
    kernel.handle({ kind: 'account.open', time: T, account: 'a', balances: { USDT: '100000' } });
    expect(kernel.bookStatus('BTCUSDT')?.status).toBe('synced');
    const applied: string[] = [];
    const hub = {
      kernel,
      submit: async (input: KernelInput) => {
        applied.push(input.kind);
        return kernel.handle(input);
      },
    };
    const markets: LiveMarkets = {
      exchanges: new Map([['binance', notYetAnswering()]]),
      subscriptions: [{ exchangeId: 'binance', ccxtSymbol: 'BTC/USDT', marketId: 'BTCUSDT', kernelSymbol: 'BTCUSDT' }],
      instruments: [], instrumentSources: {}, rawTaps: new Map(), close: async () => undefined,
    };
    const feed = startLiveFeed({ hub, markets, staleAfterMs: 1_500, trades: false });
    try {
      // At once, before any input of this run is applied, the feed does not say synced.
      expect(feed.status()[0]!.status).not.toBe('synced');
      await new Promise((r) => setTimeout(r, 50));
      expect(applied).toEqual(['book.invalidate']);
      expect(kernel.bookStatus('BTCUSDT')?.status).not.toBe('synced');
      expect(feed.status()[0]!.status).not.toBe('synced');
      // An order sent now meets no book: it waits instead of filling at the 60,010 of before the restart.
      const events = kernel.handle({ kind: 'order.place', time: kernel.now, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.1' });
      expect(events.map((e) => e.type)).toEqual(['ORDER_NEW']);
    } finally {
      await feed.stop();
    }
  });
});
