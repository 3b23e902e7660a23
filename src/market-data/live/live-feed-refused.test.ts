/**
 * The engine refuses a live input (a database outage refuses every input until it ends, ADR 0014; an
 * input that cannot be stored is refused too). The feed must go on: the refused book update leaves
 * a gap the kernel's book is resynced from, and later trades still arrive.
 */
import type { Exchange } from 'ccxt';
import { describe, expect, it } from 'vitest';
import { until } from '../../test-kit/wait.js';
import { findBundledInstrument } from '../../core/instruments/bundled-instruments.js';
import type { KernelInput } from '../../core/kernel/inputs.js';
import { Kernel } from '../../core/kernel/kernel.js';
import { startLiveFeed } from './live-feed.js';
import type { LiveMarkets } from './live-markets.js';

const T = 1_723_161_300_000;

/** A ccxt stand-in that serves `books` and `trades` one per watch, then nothing. */
function scripted(books: unknown[], trades: unknown[][]): Exchange {
  const never = new Promise<never>(() => undefined);
  return {
    has: {},
    watchOrderBook: async () => (books.length > 0 ? books.shift() : never),
    watchTrades: async () => (trades.length > 0 ? trades.shift() : never),
    close: async () => undefined,
  } as unknown as Exchange;
}


/** Binance BTC/USDT watched on `exchange`, as the kernel's BTCUSDT. */
function binanceBtc(exchange: Exchange): LiveMarkets {
  return {
    exchanges: new Map([['binance', exchange]]),
    subscriptions: [{ exchangeId: 'binance', ccxtSymbol: 'BTC/USDT', marketId: 'BTCUSDT', kernelSymbol: 'BTCUSDT' }],
    instruments: [], instrumentSources: {}, rawTaps: new Map(), close: async () => undefined,
  };
}

describe('a live feed whose engine refuses inputs for a while', () => {
  it('goes on after a refused book update and trade: the kernel resyncs to the exchange book and takes the later trades', async () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', 'BTCUSDT')!] });
    const trade = (id: number, price: number) => ({ id: String(id), timestamp: T + id, price, amount: 0.5, side: 'buy' });
    const exchange = scripted(
      [
        { bids: [[60000, 2]], asks: [[60010, 2]], timestamp: T, nonce: 1 },
        // Refused, as is the invalidation that follows it: the engine is unavailable.
        { bids: [[60000, 2]], asks: [[60010, 1]], timestamp: T + 100, nonce: 2 },
        // The exchange's book once the engine is back: 60,010 at 1 (as the refused update said) and 60,020 at 3.
        { bids: [[60000, 2]], asks: [[60010, 1], [60020, 3]], timestamp: T + 200, nonce: 3 },
      ],
      [[trade(7, 60010)], [trade(8, 60011)], [trade(9, 60012)]],
    );
    let bookInputs = 0;
    let refuseNext = 0;
    const applied: KernelInput[] = [];
    const hub = {
      kernel,
      submit: async (input: KernelInput) => {
        if (input.kind === 'book.snapshot' || input.kind === 'book.delta') {
          bookInputs += 1;
          if (bookInputs === 2) refuseNext = 2; // this update and the invalidation after it
        }
        if (input.kind === 'trade' && input.tradeId === 8) throw new Error('the database is unreachable; nothing was recorded, retry later');
        if (refuseNext > 0) {
          refuseNext -= 1;
          throw new Error('the database is unreachable; nothing was recorded, retry later');
        }
        applied.push(input);
        return kernel.handle(input);
      },
    };
    const markets = binanceBtc(exchange);
    const feed = startLiveFeed({ hub, markets, staleAfterMs: 60_000, backoff: { baseMs: 1 } });
    try {
      await until(() => applied.filter((i) => i.kind === 'book.snapshot').length === 2 && applied.some((i) => i.kind === 'trade' && i.tradeId === 9), 'the resync and the last trade');
      expect(kernel.bookStatus('BTCUSDT')?.status).toBe('synced');
      expect(kernel.depth('BTCUSDT', 10)).toEqual({ bids: [['60000', '2']], asks: [['60010', '1'], ['60020', '3']] });
      expect(applied.filter((i) => i.kind === 'trade').map((i) => (i.kind === 'trade' ? i.tradeId : 0))).toEqual([7, 9]);
      expect(feed.status()[0]).toMatchObject({ status: 'synced' });
    } finally {
      await feed.stop();
    }
  });

  it('goes on after a book ccxt could not parse (a size of "1e400" is Infinity to ccxt): the next good book resyncs the kernel', async () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', 'BTCUSDT')!] });
    const exchange = scripted(
      [
        { bids: [[60000, 2]], asks: [[60010, 2]], timestamp: T, nonce: 1 },
        { bids: [[60000, 2]], asks: [[60010, Number.parseFloat('1e400')]], timestamp: T + 100, nonce: 2 },
        { bids: [[60000, 1]], asks: [[60010, 2], [60020, 3]], timestamp: T + 200, nonce: 3 },
      ],
      [],
    );
    const applied: KernelInput[] = [];
    const hub = {
      kernel,
      submit: async (input: KernelInput) => {
        applied.push(input);
        return kernel.handle(input);
      },
    };
    const markets = binanceBtc(exchange);
    const feed = startLiveFeed({ hub, markets, staleAfterMs: 60_000, backoff: { baseMs: 1 }, trades: false });
    try {
      await until(() => applied.filter((i) => i.kind === 'book.snapshot').length === 2, 'the resync');
      expect(applied.map((i) => i.kind)).toEqual(['book.snapshot', 'book.invalidate', 'book.snapshot']);
      expect(kernel.bookStatus('BTCUSDT')?.status).toBe('synced');
      expect(kernel.depth('BTCUSDT', 10)).toEqual({ bids: [['60000', '1']], asks: [['60010', '2'], ['60020', '3']] });
      expect(feed.counters()['BTCUSDT']).toMatchObject({ errors: 1 });
    } finally {
      await feed.stop();
    }
  });
});
