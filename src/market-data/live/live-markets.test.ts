/**
 * One subscription per kernel symbol: a market named twice is watched once, and two markets that
 * would share a kernel symbol (Binance's spot BTC/USDT and its perpetual BTC/USDT:USDT are both
 * BTCUSDT on one exchange) are refused at once, with their names.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ccxt, { type Exchange } from 'ccxt';
import { afterEach, describe, expect, it } from 'vitest';
import { exchangeFile } from '../../test-kit/data-paths.js';
import { writeMarketCache } from './instrument-loader.js';
import { openLiveMarkets } from './live-markets.js';

const mexcMarkets = () => JSON.parse(readFileSync(exchangeFile('ccxt_static_markets_mexc_excerpt.json'), 'utf8')) as Record<string, Record<string, unknown>>;
const offlineMexc = (): Exchange => {
  const exchange = new ccxt.pro.mexc({ enableRateLimit: false });
  exchange.loadMarkets = () => Promise.reject(new ccxt.NetworkError('offline'));
  return exchange;
};

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function cacheWith(markets: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'papertrade-markets-'));
  dirs.push(dir);
  const file = join(dir, 'markets.json');
  writeMarketCache(file, 'mexc', markets as never);
  return file;
}

describe('live markets named by the user', () => {
  it('a market named twice (BTCUSDT, then mexc:BTC/USDT) is one subscription and one instrument', async () => {
    const file = cacheWith([mexcMarkets()['BTC/USDT']]);
    const markets = await openLiveMarkets({ config: { exchange: 'mexc' }, symbols: ['BTCUSDT', 'mexc:BTC/USDT'], marketCacheFile: file, factory: () => offlineMexc() });
    try {
      expect(markets.subscriptions).toEqual([{ exchangeId: 'mexc', ccxtSymbol: 'BTC/USDT', marketId: 'BTCUSDT', kernelSymbol: 'BTCUSDT' }]);
      expect(markets.instruments.map((i) => i.symbol)).toEqual(['BTCUSDT']);
    } finally {
      await markets.close();
    }
  });

  it('two different markets that would both be BTCUSDT to the kernel are refused, naming both', async () => {
    const spot = mexcMarkets()['BTC/USDT']!;
    // A second market whose id also reads BTCUSDT once its separator is dropped.
    const other = { ...spot, id: 'BTC_USDT', symbol: 'BTC/USDT:OTHER', base: 'BTC', quote: 'USDT' };
    const file = cacheWith([spot, other]);
    await expect(openLiveMarkets({ config: { exchange: 'mexc' }, symbols: ['BTC/USDT', 'BTC/USDT:OTHER'], marketCacheFile: file, factory: () => offlineMexc() })).rejects.toThrow(/BTC\/USDT.*BTC\/USDT:OTHER.*BTCUSDT|BTCUSDT.*BTC\/USDT.*BTC\/USDT:OTHER/);
  });
});
