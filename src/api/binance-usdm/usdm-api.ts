/**
 * The Binance USD-M futures-compatible API: `/binance/fapi/v1/*`, `/binance/fapi/v2/*` and the
 * `/binance/fapi/v3/*` account reads ccxt's `binanceusdm` uses, with Binance's paths, parameters,
 * signing, response shapes, error codes and weight headers, over the same accounts, keys, facade,
 * kernel and audit log as the native API and the other dialects. A futures bot written for Binance
 * (through ccxt's unmodified `binanceusdm` class or by hand) trades a papertrade futures account on
 * paper by changing its host only.
 *
 * Guarantees: as the Spot dialect's (binance/binance-api.ts: Binance's error shape everywhere under
 * the prefix, parameters from query and form body, `X-MBX-USED-WEIGHT-1M` on every answer), with
 * USD-M's limits (2400 weight a minute; orders 300 per 10 s and 1200 a minute, counted in
 * `X-MBX-ORDER-COUNT-10S` and `-1M`); SIGNED routes verify key, signature and recvWindow first and
 * refuse a spot account's key (-2015). Not here: the user data stream and its listenKey, the
 * WebSocket streams, batch orders, order modification (PUT); income history is a paper account's
 * only (usdm-income.ts).
 */
import type { FastifyInstance } from 'fastify';
import { formatFixed } from '../../core/money/fixed.js';
import { binanceScope } from '../binance/binance-api.js';
import { BinanceRateMeter } from '../binance/binance-weights.js';
import { sharedTape } from '../dialect-kit/shared-tape.js';
import type { ServiceDeps } from '../service-deps.js';
import { registerUsdmAccountRoutes } from './usdm-account-routes.js';
import { registerUsdmIncomeRoute } from './usdm-income.js';
import { FundingHistory, registerUsdmMarketRoutes } from './usdm-market-routes.js';
import { registerUsdmTradingRoutes, usdmTrading } from './usdm-trading-routes.js';
import { USDM_RATE_LIMITS } from './usdm-weights.js';

export const BINANCE_USDM_PREFIX = '/binance/fapi';

export async function registerBinanceUsdmApi(app: FastifyInstance, deps: ServiceDeps): Promise<void> {
  const tape = sharedTape(app, deps.hub);
  const wallClock = deps.wallClock ?? Date.now;
  const meter = new BinanceRateMeter(wallClock, USDM_RATE_LIMITS);
  const funding = new FundingHistory();
  const unsubscribe = deps.hub.subscribe((events, input) =>
    funding.observe(events, input, (symbol) => {
      const mark = deps.hub.kernel.markPrice(symbol);
      return mark === undefined ? undefined : formatFixed(mark);
    }),
  );
  app.addHook('onClose', async () => unsubscribe());
  await app.register(
    async (scope) => {
      const ctx = binanceScope(scope, { deps, tape, meter, wallClock, tag: 'binance usd-m futures' });
      const trading = usdmTrading(app, ctx);
      registerUsdmMarketRoutes(ctx, funding);
      registerUsdmTradingRoutes(trading);
      registerUsdmAccountRoutes(trading);
      registerUsdmIncomeRoute(trading);
    },
    { prefix: BINANCE_USDM_PREFIX },
  );
}
