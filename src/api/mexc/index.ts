/** The MEXC Spot v3-compatible API (a server plugin: `buildServer(deps, { plugins: [registerMexcApi] })`). */
export { registerMexcApi, type MexcApiOptions } from './mexc-api.js';
export { MexcError, mexcErrorOf, mexcErrors } from './mexc-errors.js';
export { mexcSignature, verifySignedRequest } from './mexc-signature.js';
export { KLINE_INTERVALS, bucketingOf, type KlineInterval } from './mexc-kline-intervals.js';
export { MarketTape, aggregateKlines, bucketOf } from '../dialect-kit/market-tape.js';
