/**
 * `GET /api/account/leverage`: the account's leverage for each perpetual the server trades, as the
 * kernel applies it to new positions (live: as the venue reports it) (the symbol's setting, or the account's default). A spot
 * account has none: `{ "items": [] }`. Setting it stays `POST /api/account/leverage`.
 */
import type { FastifyInstance } from 'fastify';
import { requireAccount } from './auth.js';
import { accountReads } from './paper-account-reads.js';
import { freshValue } from './read-answers.js';
import type { ServiceDeps } from './service-deps.js';

export function registerAccountLeverageRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  app.get('/api/account/leverage', { schema: { tags: ['trading'], summary: "The account's leverage per perpetual symbol" } }, async (request, reply) => {
    const account = requireAccount(request, deps.credentials);
    return freshValue(reply, await accountReads(deps).leverage(account.accountId));
  });
}
