/**
 * Opens the live side at start: one ccxt pro client per exchange, its markets (loadMarkets, else
 * the market cache, else nothing), the subscriptions with their kernel symbols, and the instrument
 * specs the kernel must be configured with (ccxt's, else the bundled ones).
 *
 * Guarantees: every subscription has an instrument; which source each instrument came from is
 * reported (`instrumentSources`); a failure to reach the exchange is not fatal when a cache or a
 * bundled spec covers the symbol (the feed then keeps retrying with backoff).
 */
import type { Exchange } from 'ccxt';
import type { Instrument } from '../../core/instruments/instrument.js';
import { bundledInstrumentFor, instrumentFromCcxtMarket, readMarketCache, writeMarketCache } from './instrument-loader.js';
import { createProExchange, kernelSymbolOf, parseSymbolSpec, resolveMarket, tapBinanceDepthSequence, type ExchangeSettings, type ProExchangeFactory, type RawSequenceAnomaly } from './live-exchanges.js';
import { tapMexcDepthSequence } from './mexc-depth-sequence.js';

export interface LiveSubscription {
  readonly exchangeId: string;
  /** ccxt unified symbol (BTC/USDT). */
  readonly ccxtSymbol: string;
  /** The exchange's market id (BTCUSDT). */
  readonly marketId: string;
  /** The kernel's symbol: the market id, or `exchange:ID` when several exchanges run at once. */
  readonly kernelSymbol: string;
}

export interface LiveMarkets {
  readonly exchanges: ReadonlyMap<string, Exchange>;
  readonly subscriptions: readonly LiveSubscription[];
  readonly instruments: readonly Instrument[];
  readonly instrumentSources: Readonly<Record<string, 'exchange' | 'cache' | 'bundled'>>;
  /** Binance-family raw sequence taps, by exchange id. */
  readonly rawTaps: ReadonlyMap<string, (listener: (a: RawSequenceAnomaly) => void) => void>;
  close(): Promise<void>;
}

export interface OpenLiveMarketsOptions {
  /** Default exchange and its URL/option overrides (the service configuration). */
  readonly config: ExchangeSettings;
  /** "BTCUSDT", "BTC/USDT", "binance:BTC/USDT", … */
  readonly symbols: readonly string[];
  /** Overrides for other exchanges than the default, by id. */
  readonly exchangeSettings?: Readonly<Record<string, Omit<ExchangeSettings, 'exchange'>>>;
  /** Qualify kernel symbols with the exchange (default: when more than one exchange is used). */
  readonly qualify?: boolean;
  /** Where ccxt markets are cached (JSON); no caching when absent. */
  readonly marketCacheFile?: string;
  readonly factory?: ProExchangeFactory;
  readonly log?: (line: string) => void;
}

/**
 * ccxt keeps the promise of a loadMarkets that failed and hands it back to every later call, each
 * watch's included (a watch loads the markets first): a feed started while the exchange's REST API
 * was down failed every re-watch on that one old error, never asking the exchange again. Wrapped,
 * a failed load is forgotten, so that the next call asks again.
 */
function retryFailedMarketLoads(exchange: Exchange): void {
  const target = exchange as unknown as { marketsLoading?: unknown; loadMarkets: (...args: unknown[]) => Promise<unknown> };
  const load = target.loadMarkets.bind(exchange);
  target.loadMarkets = (...args) =>
    load(...args).catch((error: unknown) => {
      target.marketsLoading = undefined;
      throw error;
    });
}

export async function openLiveMarkets(options: OpenLiveMarketsOptions): Promise<LiveMarkets> {
  const specs = options.symbols.map((s) => parseSymbolSpec(s, options.config.exchange));
  const exchangeIds = [...new Set(specs.map((s) => s.exchange))];
  const qualify = options.qualify ?? exchangeIds.length > 1;
  const log = options.log ?? (() => undefined);
  const exchanges = new Map<string, Exchange>();
  const rawTaps = new Map<string, (listener: (a: RawSequenceAnomaly) => void) => void>();
  const subscriptions: LiveSubscription[] = [];
  const instruments: Instrument[] = [];
  const instrumentSources: Record<string, 'exchange' | 'cache' | 'bundled'> = {};
  const cache = options.marketCacheFile !== undefined ? readMarketCache(options.marketCacheFile) : undefined;
  /**
   * False for a market already subscribed (named twice: BTCUSDT and BTC/USDT); throws for another
   * market of the same exchange with the same kernel symbol (spot BTC/USDT and perpetual
   * BTC/USDT:USDT are both BTCUSDT): two books would feed one kernel book, and a recording's files.
   */
  const firstOfItsName = (exchangeId: string, ccxtSymbol: string, kernelSymbol: string): boolean => {
    const taken = subscriptions.find((s) => s.exchangeId === exchangeId && s.kernelSymbol === kernelSymbol);
    if (taken === undefined) return true;
    if (taken.ccxtSymbol === ccxtSymbol) return false;
    throw new Error(`${exchangeId} ${taken.ccxtSymbol} and ${ccxtSymbol} would both be ${kernelSymbol}: watch one of them at a time`);
  };

  for (const exchangeId of exchangeIds) {
    const settings = exchangeId === options.config.exchange ? options.config : (options.exchangeSettings?.[exchangeId] ?? {});
    const exchange = await createProExchange(exchangeId, settings, options.factory);
    retryFailedMarketLoads(exchange);
    exchanges.set(exchangeId, exchange);
    const listeners = new Set<(a: RawSequenceAnomaly) => void>();
    const tap = (a: RawSequenceAnomaly) => listeners.forEach((l) => l(a));
    if (tapBinanceDepthSequence(exchange, tap) || tapMexcDepthSequence(exchange, tap)) rawTaps.set(exchangeId, (l) => listeners.add(l));

    let source: 'exchange' | 'cache' | undefined;
    try {
      await exchange.loadMarkets();
      source = 'exchange';
    } catch (error) {
      const cached = cache?.exchanges[exchangeId];
      log(`${exchangeId}: loadMarkets failed (${error instanceof Error ? error.message : String(error)}); ${cached !== undefined ? 'using the market cache' : 'using bundled specs'}`);
      if (cached !== undefined) {
        exchange.setMarkets(Object.values(cached));
        source = 'cache';
      }
    }
    const used = [];
    for (const spec of specs.filter((s) => s.exchange === exchangeId)) {
      if (source !== undefined) {
        const market = resolveMarket(exchange, spec.symbol);
        const kernelSymbol = kernelSymbolOf(exchangeId, market, qualify);
        if (!firstOfItsName(exchangeId, market.symbol, kernelSymbol)) continue;
        subscriptions.push({ exchangeId, ccxtSymbol: market.symbol, marketId: String(market.id), kernelSymbol });
        used.push(market);
        try {
          instruments.push(instrumentFromCcxtMarket(exchangeId, market, kernelSymbol, exchange.precisionMode ?? 4));
          instrumentSources[kernelSymbol] = source;
          continue;
        } catch (error) {
          log(`${kernelSymbol}: ${error instanceof Error ? error.message : String(error)}; trying the bundled spec`);
        }
        const bundled = bundledInstrumentFor(exchangeId, String(market.id), kernelSymbol, market.spot ? 'spot' : 'perpetual');
        if (bundled === undefined) throw new Error(`${exchangeId} ${spec.symbol}: no instrument spec from the exchange and none bundled`);
        instruments.push(bundled);
        instrumentSources[kernelSymbol] = 'bundled';
      } else {
        const id = spec.symbol.replace(/[/_:-]/g, '').toUpperCase();
        const kernelSymbol = qualify ? `${exchangeId}:${id}` : id;
        const bundled = bundledInstrumentFor(exchangeId, id, kernelSymbol);
        if (bundled === undefined) throw new Error(`${exchangeId} ${spec.symbol}: exchange unreachable, no cached market and no bundled spec`);
        const ccxtSymbol = spec.symbol.includes('/') ? spec.symbol : `${bundled.base}/${bundled.quote}`;
        if (!firstOfItsName(exchangeId, ccxtSymbol, kernelSymbol)) continue;
        instruments.push(bundled);
        instrumentSources[kernelSymbol] = 'bundled';
        subscriptions.push({ exchangeId, ccxtSymbol, marketId: id, kernelSymbol });
      }
    }
    if (source === 'exchange' && options.marketCacheFile !== undefined && used.length > 0) writeMarketCache(options.marketCacheFile, exchangeId, used);
  }

  return {
    exchanges,
    subscriptions,
    instruments,
    instrumentSources,
    rawTaps,
    async close() {
      await Promise.all([...exchanges.values()].map((e) => e.close().catch(() => undefined)));
    },
  };
}
