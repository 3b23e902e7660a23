/** Binance's WebSocket streams, public and private, spot and USD-M futures, under `/binance` (docs/adr/0032). */
export { registerBinanceStreams } from './binance-streams-api.js';
export { ListenKeyBook, type StreamMarket } from './listen-keys.js';
