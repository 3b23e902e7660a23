/**
 * Where the service's market data comes from (MARKET_DATA): a looping replay of a recording, or the
 * exchanges' live streams through ccxt. Opened before the engine, because the instruments the kernel
 * is configured with come from it; the feed starts once the server is built.
 *
 * Guarantees: every configured symbol has an instrument (exchange, cache or bundled spec, reported in
 * `description`), with FEE_MAKER/FEE_TAKER applied; a source that cannot be opened is a
 * `StartupError` naming the cause; `close` releases the exchange connections of a feed never started.
 */
import { findBundledInstrument } from '../core/instruments/bundled-instruments.js';
import type { Instrument } from '../core/instruments/instrument.js';
import { parseFixed } from '../core/money/fixed.js';
import type { AppConfig } from '../config/index.js';
import type { EngineHub } from '../api/engine-hub.js';
import type { FeedStatus } from '../api/service-deps.js';
import { readRecording } from '../market-data/recording-reader.js';
import { DEFAULT_TRADES_ONLY_MODEL, tradesOnlyInputs, tradesOnlyLabel } from '../market-data/trades-only-book.js';
import type { KernelConfig } from '../core/kernel/kernel.js';
import type { LiveMarkets } from '../market-data/live/live-markets.js';
import { FundingPoller } from './funding-poller.js';
import { ReplayFeed } from './replay-feed.js';
import { StartupError } from './startup-error.js';

export interface MarketFeed {
  status(): FeedStatus[];
  stop(): Promise<void> | void;
}

export interface MarketSource {
  readonly instruments: readonly Instrument[];
  /** The kernel's funding configuration: in replay, FUNDING_RATE on every perpetual; live funding comes as inputs instead. */
  readonly funding?: KernelConfig['funding'];
  /** One line for the start banner. */
  readonly description: string;
  startFeed(hub: EngineHub, onStatus: (status: FeedStatus) => void): MarketFeed;
  close(): Promise<void>;
}

export async function openMarketSource(config: AppConfig, print: (line: string) => void): Promise<MarketSource> {
  return config.marketData === 'live' ? openLive(config, print) : openReplay(config);
}

function openReplay(config: AppConfig): MarketSource {
  const read = readRecording(config.replayRecording);
  const spec = findBundledInstrument('binance', read.market, read.symbol);
  if (spec === undefined) throw new StartupError(`no instrument spec for ${read.symbol} (${read.market}) in ${config.replayRecording}`);
  const tradesOnly = read.fidelity === 'trades-only';
  const recording = tradesOnly ? { ...read, inputs: tradesOnlyInputs(read, spec, DEFAULT_TRADES_ONLY_MODEL) } : read;
  // The recordings hold no funding rates: FUNDING_RATE is the one every funding time applies.
  const funding = config.fundingRate !== undefined && spec.market === 'perpetual' ? { rates: { [spec.symbol]: config.fundingRate } } : undefined;
  return {
    instruments: [withFeeOverrides(spec, config)],
    ...(funding !== undefined ? { funding } : {}),
    description: `replay of ${recording.symbol} (${config.replayRecording}) at ${config.replaySpeed === Infinity ? 'full' : `${config.replaySpeed}×`} speed${funding !== undefined ? `, funding ${config.fundingRate} at 00:00/08:00/16:00 UTC` : ''}${tradesOnly ? `; ${tradesOnlyLabel(DEFAULT_TRADES_ONLY_MODEL)}` : ''}.`,
    startFeed(hub) {
      const feed = new ReplayFeed(hub, recording, config.replaySpeed);
      feed.start();
      return feed;
    },
    close: async () => undefined,
  };
}

async function openLive(config: AppConfig, print: (line: string) => void): Promise<MarketSource> {
  // ccxt pro comes with the live markets: a replay source never imports it (docs/adr/0059).
  const { openLiveMarkets, startLiveFeed } = await import('../market-data/live/index.js');
  let markets;
  try {
    markets = await openLiveMarkets({
      config: {
        exchange: config.exchange,
        exchangeUrls: { ...config.otherExchanges[config.exchange]?.exchangeUrls, ...config.exchangeUrls },
        exchangeOptions: { ...config.otherExchanges[config.exchange]?.exchangeOptions, ...config.exchangeOptions },
      },
      symbols: config.symbols,
      exchangeSettings: config.otherExchanges,
      marketCacheFile: config.marketCacheFile,
      log: (line) => print(`  ${line}`),
    });
  } catch (error) {
    throw new StartupError(`live market data: ${error instanceof Error ? error.message : String(error)}`);
  }
  const live = markets;
  const exchanges = [...live.exchanges.keys()].join(', ');
  const symbols = live.subscriptions.map((s) => `${s.kernelSymbol} (${s.ccxtSymbol}, ${live.instrumentSources[s.kernelSymbol] ?? 'bundled'} specs)`).join(', ');
  let started = false;
  return {
    instruments: live.instruments.map((i) => withFeeOverrides(i, config)),
    description: `live from ${exchanges}: ${symbols}; a symbol silent for ${config.staleAfterMs} ms is stale.`,
    startFeed(hub, onStatus) {
      started = true;
      const feed = startLiveFeed({ hub, markets: live, staleAfterMs: config.staleAfterMs, onStatus });
      const funding = liveFunding(hub, live, print);
      funding.start();
      return {
        status: () => feed.status(),
        stop: async () => {
          funding.stop();
          await feed.stop();
        },
      };
    },
    async close() {
      if (!started) await live.close();
    },
  };
}

/** The exchange's funding rates and times for every perpetual subscribed (ccxt fetchFundingRate). */
export function liveFunding(hub: EngineHub, live: LiveMarkets, print: (line: string) => void): FundingPoller {
  const perpetuals = new Set(live.instruments.filter((i) => i.market === 'perpetual').map((i) => i.symbol));
  const sources = live.subscriptions
    .filter((sub) => perpetuals.has(sub.kernelSymbol) && live.exchanges.get(sub.exchangeId)?.has['fetchFundingRate'] === true)
    .map((sub) => ({ symbol: sub.kernelSymbol, fetch: () => live.exchanges.get(sub.exchangeId)!.fetchFundingRate(sub.ccxtSymbol) }));
  const reported = new Set<string>();
  const reportedMarks = new Set<string>();
  return new FundingPoller({
    sources,
    submit: async (input) => {
      const first = (await hub.submit(input))[0];
      if (first?.type === 'INPUT_REJECTED') throw new Error(first.message);
    },
    engineNow: () => hub.kernel.now,
    onError: (symbol, error) => {
      if (reported.has(symbol)) return;
      reported.add(symbol);
      print(`  funding rate of ${symbol} unavailable for now: ${error instanceof Error ? error.message : String(error)}`);
    },
    onRefused: (input, error) => {
      const why = error instanceof Error ? error.message : String(error);
      if (input.kind === 'funding') print(`  funding rate ${input.rate} of ${input.symbol} due ${new Date(input.time).toISOString()} refused, not charged: ${why}`);
      else if (!reportedMarks.has(input.symbol)) {
        reportedMarks.add(input.symbol);
        print(`  mark price ${input.price} of ${input.symbol} refused: ${why}`);
      }
    },
  });
}

/** The configured fee overrides (FEE_MAKER, FEE_TAKER) applied to a spec. */
function withFeeOverrides(spec: Instrument, config: AppConfig): Instrument {
  return {
    ...spec,
    ...(config.feeMaker !== undefined ? { makerFee: parseFixed(config.feeMaker) } : {}),
    ...(config.feeTaker !== undefined ? { takerFee: parseFixed(config.feeTaker) } : {}),
  };
}
