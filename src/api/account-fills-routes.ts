/**
 * `GET /api/account/fills?symbol=&limit=&offset=`: the account's fills, newest first, each with the
 * PnL it realized. The trades read table holds no realized PnL, so it is computed here from all the
 * account's fills in execution order, at average price (core/accounts/realized-pnl-view.ts): spot
 * and futures alike, fees left out as exchanges leave them out; null where a fill closed nothing.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { realizedPnlByFill } from '../core/accounts/realized-pnl-view.js';
import { formatFixed, parseFixed } from '../core/money/fixed.js';
import { requireAccount } from './auth.js';
import { Page, type PageQuery } from './schemas.js';
import type { ServiceDeps } from './service-deps.js';

export function registerAccountFillsRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const Query = Type.Intersect([Page, Type.Object({ symbol: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })) })]);
  app.get<{ Querystring: PageQuery & { symbol?: string } }>(
    '/api/account/fills',
    { schema: { tags: ['history'], summary: 'Fills, newest first, with the PnL each realized (average price, fees left out)', querystring: Query } },
    async (request) => {
      const account = requireAccount(request, deps.credentials);
      const { limit, offset, symbol } = request.query;
      const rows = (await deps.db.selectFrom('trades').selectAll().where('accountId', '=', account.accountId).execute())
        .map((r) => ({ ...r, timestamp: Number(r.timestamp) }))
        .sort((a, b) => a.timestamp - b.timestamp || Number(a.id) - Number(b.id) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const kernel = deps.hub.kernel;
      const market = kernel.account(account.accountId)?.kind === 'futures' ? 'futures' : 'spot';
      const realized = realizedPnlByFill(
        rows.map((r) => ({
          symbol: r.symbol,
          side: r.orderSide,
          quantity: parseFixed(r.size),
          price: parseFixed(r.price),
          fee: parseFixed(r.fee),
          feeInBase: r.feeAsset === (kernel.instrument(r.symbol)?.base ?? ''),
        })),
        market,
      );
      const all = rows.map((r, i) => ({ ...r, realizedPnl: realized[i] === null || realized[i] === undefined ? null : formatFixed(realized[i]) }));
      const chosen = (symbol === undefined ? all : all.filter((r) => r.symbol === symbol)).reverse();
      const items = chosen.slice(offset, offset + limit);
      return { items, limit, offset, nextOffset: offset + limit < chosen.length ? offset + limit : null };
    },
  );
}
