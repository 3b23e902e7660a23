/** Public routes: mode, instruments, feed status per symbol, book depth (health and readiness: health-routes.ts). */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { formatFixed } from '../core/money/fixed.js';
import { HttpError } from './http-errors.js';
import type { ServiceDeps } from './service-deps.js';

export function registerMarketRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const tags = ['market'];

  app.get('/api/mode', { schema: { tags: ['service'] } }, async () => ({ mode: deps.mode.mode, liveRefusedBecause: deps.mode.liveRefusedBecause }));

  app.get('/api/market/instruments', { schema: { tags } }, async () => ({
    items: deps.hub.kernel.instruments().map((i) => ({
      symbol: i.symbol, exchange: i.exchange, market: i.market, base: i.base, quote: i.quote,
      tickSize: formatFixed(i.tickSize), stepSize: formatFixed(i.stepSize), minQty: formatFixed(i.minQty), maxQty: formatFixed(i.maxQty),
      minNotional: formatFixed(i.minNotional), makerFee: formatFixed(i.makerFee), takerFee: formatFixed(i.takerFee),
      ...(i.maxLeverage !== undefined ? { maxLeverage: i.maxLeverage } : {}),
    })),
  }));

  app.get('/api/market/feeds', { schema: { tags } }, async () => ({ items: deps.feeds() }));

  app.get<{ Params: { symbol: string }; Querystring: { limit?: number } }>(
    '/api/market/depth/:symbol',
    { schema: { tags, querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }) } },
    async (request) => {
      const kernel = deps.hub.kernel;
      const depth = kernel.depth(request.params.symbol, request.query.limit ?? 20);
      if (depth === undefined) throw HttpError.of({ code: 'UNKNOWN_SYMBOL', message: `unknown symbol ${request.params.symbol}` });
      return { symbol: request.params.symbol, at: kernel.now, status: kernel.bookStatus(request.params.symbol)?.status, ...depth };
    },
  );
}
