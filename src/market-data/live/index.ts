/** Live market data through ccxt pro: the feed into the kernel, the recorder, instrument loading. */
export { startLiveFeed, type FeedEnginePort, type LiveFeed, type LiveFeedOptions } from './live-feed.js';
export { openLiveMarkets, type LiveMarkets, type LiveSubscription, type OpenLiveMarketsOptions } from './live-markets.js';
export { recordLive, type RecordedSymbol, type RecordOptions } from './recorder.js';
export { RecordingWriter } from './recording-writer.js';
export { instrumentFromCcxtMarket, readMarketCache, writeMarketCache } from './instrument-loader.js';
export { parseSymbolSpec, kernelSymbolOf, createProExchange, type ExchangeSettings, type ProExchangeFactory } from './live-exchanges.js';
export { CcxtBookStream, type InvalidCause, type StreamState } from './ccxt-book-stream.js';
export { KernelBookMapper } from './kernel-book-mapper.js';
export { Backoff } from './backoff.js';
