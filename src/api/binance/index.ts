/**
 * The Binance Spot v3-compatible API under `/binance` (a server plugin:
 * `buildServer(deps, { plugins: [registerBinanceApi] })`). Futures (`/binance/fapi`) and streams
 * (`/binance/ws`) are further dialects of the same shape (docs/adr/0025).
 */
export { registerBinanceApi, BINANCE_PREFIX } from './binance-api.js';
export { BinanceError, binanceErrorOf, binanceErrors } from './binance-errors.js';
export { binanceSignature, verifyBinanceRequest } from './binance-signature.js';
