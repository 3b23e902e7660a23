/**
 * `GET /api/account/fills?symbol=&limit=&offset=`: the account's fills, newest first, each with the
 * PnL it realized (api/fills-with-pnl.ts): a futures fill's from the kernel, a spot fill's at average
 * price; fees left out as exchanges leave them out; null where a fill closed nothing.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { accountReads } from './paper-account-reads.js';
import { freshValue } from './read-answers.js';
import { requireAccount } from './auth.js';
import { ACCOUNT_KEY } from './edge-guards.js';
import { Page, type PageQuery } from './schemas.js';
import type { ServiceDeps } from './service-deps.js';

export function registerAccountFillsRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  // Strict, as the other history routes: an unknown parameter is refused by name, never ignored.
  const Query = Type.Object({ limit: Page.properties.limit, offset: Page.properties.offset, symbol: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })) }, { additionalProperties: false });
  app.get<{ Querystring: PageQuery & { symbol?: string } }>(
    '/api/account/fills',
    { config: ACCOUNT_KEY, schema: { tags: ['history'], summary: 'Fills, newest first, with the PnL each realized (average price, fees left out)', querystring: Query } },
    async (request, reply) => {
      const account = requireAccount(request, deps.credentials);
      const { limit, offset, symbol } = request.query;
      const all = [...freshValue(reply, await accountReads(deps).fillsWithPnl(account.accountId))];
      const chosen = (symbol === undefined ? all : all.filter((r) => r.symbol === symbol)).reverse();
      const items = chosen.slice(offset, offset + limit);
      return { items, limit, offset, nextOffset: offset + limit < chosen.length ? offset + limit : null };
    },
  );
}
