/**
 * The Binance USD-M futures-compatible API under `/binance/fapi` (a server plugin:
 * `buildServer(deps, { plugins: [registerBinanceUsdmApi] })`), beside the Spot one under
 * `/binance/api` (docs/adr/0025, 0030).
 */
export { registerBinanceUsdmApi, BINANCE_USDM_PREFIX } from './usdm-api.js';
export { usdmErrors, usdmErrorOf } from './usdm-errors.js';
