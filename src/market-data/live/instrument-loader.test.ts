import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ccxt, { type Exchange } from 'ccxt';
import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../../core/instruments/bundled-instruments.js';
import { parseFixed } from '../../core/money/fixed.js';
import { exchangeFile } from '../../test-kit/data-paths.js';
import { instrumentFromCcxtMarket, readMarketCache, writeMarketCache } from './instrument-loader.js';
import { kernelSymbolOf, parseSymbolSpec } from './live-exchanges.js';
import { openLiveMarkets } from './live-markets.js';

const mexcMarkets = () => JSON.parse(readFileSync(exchangeFile('ccxt_static_markets_mexc_excerpt.json'), 'utf8')) as Record<string, unknown>;

/** A ccxt pro MEXC client that cannot reach the network (loadMarkets fails at once). */
const offlineMexc = (): Exchange => {
  const exchange = new ccxt.pro.mexc({ enableRateLimit: false });
  exchange.loadMarkets = () => Promise.reject(new ccxt.NetworkError('offline'));
  return exchange;
};

describe('symbol specs', () => {
  it('reads exchange-qualified and plain symbols; a unified swap symbol is not an exchange prefix', () => {
    expect(parseSymbolSpec('binance:BTC/USDT', 'mexc')).toEqual({ exchange: 'binance', symbol: 'BTC/USDT' });
    expect(parseSymbolSpec('BTCUSDT', 'mexc')).toEqual({ exchange: 'mexc', symbol: 'BTCUSDT' });
    expect(parseSymbolSpec('BTC/USDT:USDT', 'binance')).toEqual({ exchange: 'binance', symbol: 'BTC/USDT:USDT' });
  });

  it('qualifies kernel symbols by exchange only when asked', () => {
    const market = { id: 'BTC_USDT' } as Parameters<typeof kernelSymbolOf>[1];
    expect(kernelSymbolOf('mexc', market, false)).toBe('BTCUSDT');
    expect(kernelSymbolOf('mexc', market, true)).toBe('mexc:BTCUSDT');
  });
});

describe('instrument specs through ccxt', () => {
  it('a MEXC spot market from ccxt gives tick, step, minimums and fees', () => {
    const exchange = new ccxt.mexc();
    exchange.setMarkets(Object.values(mexcMarkets()) as never);
    const spec = instrumentFromCcxtMarket('mexc', exchange.market('BTC/USDT'), 'BTCUSDT', exchange.precisionMode ?? 4);
    const bundled = findBundledInstrument('mexc', 'spot', 'BTCUSDT')!;
    expect(spec).toMatchObject({ symbol: 'BTCUSDT', exchange: 'mexc', market: 'spot', base: 'BTC', quote: 'USDT', feeAsset: 'quote' });
    expect([spec.tickSize, spec.stepSize, spec.minQty, spec.minNotional, spec.maxNotional]).toEqual([bundled.tickSize, bundled.stepSize, bundled.minQty, bundled.minNotional, bundled.maxNotional]);
    // ccxt's static market carries the older taker rate (0.02 %); the exchange's figure wins over the bundled one.
    expect([spec.makerFee, spec.takerFee]).toEqual([parseFixed('0'), parseFixed('0.0002')]);
    expect(spec.source).toMatch(/ccxt loadMarkets/);
  });

  it('a maker rebate (a negative maker rate, as ccxt gives BTC Markets\' -0.05 %) is taken as the exchange states it', () => {
    const exchange = new ccxt.mexc();
    exchange.setMarkets(Object.values(mexcMarkets()) as never);
    const market = { ...exchange.market('BTC/USDT'), maker: -0.0005, taker: 0.002 };
    const spec = instrumentFromCcxtMarket('mexc', market, 'BTCUSDT', exchange.precisionMode ?? 4);
    expect([spec.makerFee, spec.takerFee]).toEqual([parseFixed('-0.0005'), parseFixed('0.002')]);
  });

  it('a perpetual without bundled margin tiers is refused', () => {
    const exchange = new ccxt.mexc();
    exchange.setMarkets(Object.values(mexcMarkets()) as never);
    expect(() => instrumentFromCcxtMarket('mexc', exchange.market('BTC/USDT:USDT'), 'BTCUSDT', exchange.precisionMode ?? 4)).toThrow(/margin tiers/);
  });

  it('caches markets, uses the cache when the exchange is unreachable, and the bundled specs when there is no cache', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'papertrade-markets-'));
    const cacheFile = join(dir, 'markets.json');
    try {
      const logs: string[] = [];
      const bundledOnly = await openLiveMarkets({ config: { exchange: 'mexc' }, symbols: ['BTCUSDT'], marketCacheFile: cacheFile, factory: () => offlineMexc(), log: (l) => logs.push(l) });
      expect(bundledOnly.instrumentSources).toEqual({ BTCUSDT: 'bundled' });
      expect(bundledOnly.subscriptions).toEqual([{ exchangeId: 'mexc', ccxtSymbol: 'BTC/USDT', marketId: 'BTCUSDT', kernelSymbol: 'BTCUSDT' }]);
      expect(logs[0]).toMatch(/loadMarkets failed .*bundled/);
      await bundledOnly.close();

      const m = mexcMarkets();
      writeMarketCache(cacheFile, 'mexc', [m['BTC/USDT'], m['ETH/USDT']] as never);
      expect(Object.keys(readMarketCache(cacheFile)!.exchanges.mexc!)).toEqual(['BTC/USDT', 'ETH/USDT']);
      const cached = await openLiveMarkets({ config: { exchange: 'mexc' }, symbols: ['BTCUSDT', 'mexc:ETH/USDT'], marketCacheFile: cacheFile, factory: () => offlineMexc() });
      expect(cached.instrumentSources).toEqual({ BTCUSDT: 'cache', ETHUSDT: 'cache' });
      expect(cached.instruments.map((i) => i.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
      await cached.close();

      // Several exchanges at once: kernel symbols are qualified by exchange.
      const several = await openLiveMarkets({
        config: { exchange: 'mexc' },
        symbols: ['mexc:BTCUSDT', 'binance:BTCUSDT'],
        factory: (id) => {
          const e = id === 'mexc' ? offlineMexc() : new ccxt.pro.binance({ enableRateLimit: false });
          e.loadMarkets = () => Promise.reject(new ccxt.NetworkError('offline'));
          return e;
        },
      });
      expect(several.instruments.map((i) => [i.symbol, i.exchange, i.takerFee])).toEqual([
        ['mexc:BTCUSDT', 'mexc', parseFixed('0.0005')],
        ['binance:BTCUSDT', 'binance', parseFixed('0.001')],
      ]);
      await several.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
