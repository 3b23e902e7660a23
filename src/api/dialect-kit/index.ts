/**
 * What the exchange dialects (src/api/mexc, src/api/binance, …) share: request parameters and
 * HMAC signing, the market tape and the market views drawn from the kernel, an account's history,
 * and the calls around the facade. A dialect adds only its paths, shapes, statuses and errors
 * (docs/adr/0025).
 */
export * from './account-history.js';
export * from './depth-diffs.js';
export * from './facade-calls.js';
export * from './market-tape.js';
export * from './market-views.js';
export * from './order-quantity.js';
export * from './request-params.js';
export * from './shared-tape.js';
export * from './signed-request.js';
export * from './history-pages.js';
