/** Binance's WebSocket streams, public and private, spot and USD-M futures, under `/binance` (docs/adr/0032). */
export { registerBinanceStreams } from './binance-streams-api.js';
export { ListenKeyBook, LISTEN_KEY_LIFETIME_MS, type StreamMarket } from './listen-keys.js';
