/**
 * `GET /api/account/leverage`: the account's leverage for each perpetual the server trades, as the
 * kernel applies it to new positions (the symbol's setting, or the account's default). A spot
 * account has none: `{ "items": [] }`. Setting it stays `POST /api/account/leverage`.
 */
import type { FastifyInstance } from 'fastify';
import { requireAccount } from './auth.js';
import type { ServiceDeps } from './service-deps.js';

export function registerAccountLeverageRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  app.get('/api/account/leverage', { schema: { tags: ['trading'], summary: "The account's leverage per perpetual symbol" } }, async (request) => {
    const account = requireAccount(request, deps.credentials);
    const kernel = deps.hub.kernel;
    const state = kernel.account(account.accountId);
    if (state?.kind !== 'futures') return { items: [] };
    const items = kernel
      .instruments()
      .filter((i) => i.market === 'perpetual')
      .map((i) => ({ symbol: i.symbol, leverage: state.leverageOf(i.symbol), ...(i.maxLeverage !== undefined ? { maxLeverage: i.maxLeverage } : {}) }));
    return { defaultLeverage: state.defaultLeverage, items };
  });
}
