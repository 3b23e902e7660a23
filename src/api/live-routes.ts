/**
 * Admin routes for live trading (`Authorization: Bearer <ADMIN_API_KEY>`):
 * - `PUT /api/accounts/:id/exchange-credentials` `{"apiKey","secret"}`: sets (or replaces) the
 *   account's own exchange keys, stored sealed; the answer says only that they are set and when.
 *   New keys lift the account's halt (the refusal was about the old ones).
 * - `GET /api/accounts/:id/exchange-credentials`: whether keys are set, and when; never the keys.
 * - `GET /api/admin/live/reconciliation`: the last reconciliation of the service's record of what
 *   it sent with what the venue reports (run on start); `POST /api/admin/live/reconcile` runs one.
 *   On paper there is nothing to reconcile: 409 NOT_LIVE.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { checkExchangeKeysStorable } from './account-service.js';
import { requireAdmin } from './auth.js';
import { ADMIN_KEY_ONLY } from './edge-guards.js';
import { HttpError } from './http-errors.js';
import { ExchangeCredentials } from './schemas.js';
import type { ServiceDeps } from './service-deps.js';
import { givenFieldsFirst } from './given-fields-first.js';

export function registerLiveRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const tags = ['accounts (admin)'];
  const AccountId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
  const known = (id: string) => {
    if (deps.credentials.byAccount(id) === undefined) throw HttpError.of({ code: 'UNKNOWN_ACCOUNT', message: `no account ${id}` });
  };

  app.put<{ Params: { id: string }; Body: { apiKey: string; secret: string } }>(
    '/api/accounts/:id/exchange-credentials',
    { config: ADMIN_KEY_ONLY, schema: { tags, summary: "Sets the account's own exchange API key and secret for live trading (stored encrypted, never returned)", params: AccountId, body: givenFieldsFirst(ExchangeCredentials) } },
    async (request) => {
      requireAdmin(request, deps.adminKeyHash);
      known(request.params.id);
      checkExchangeKeysStorable(deps);
      const at = (deps.wallClock ?? Date.now)();
      await deps.exchangeKeys!.set(request.params.id, { apiKey: request.body.apiKey, secret: request.body.secret }, at);
      await deps.audit.append({ at, actor: 'admin', mode: deps.mode.mode, action: 'account.exchange-credentials', accountId: request.params.id, details: { exchangeCredentials: 'set' } });
      return { id: request.params.id, exchangeCredentials: await deps.exchangeKeys!.describe(request.params.id) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/accounts/:id/exchange-credentials',
    { config: ADMIN_KEY_ONLY, schema: { tags, summary: 'Whether the account has exchange credentials, and since when (never the credentials)', params: AccountId } },
    async (request) => {
      requireAdmin(request, deps.adminKeyHash);
      known(request.params.id);
      const described = deps.exchangeKeys === undefined ? { set: false, updatedAt: null } : await deps.exchangeKeys.describe(request.params.id);
      return { id: request.params.id, exchangeCredentials: described };
    },
  );

  const reconciliation = () => {
    if (deps.reconciliation === undefined) throw new HttpError(409, { code: 'NOT_LIVE', message: 'the service trades on paper: there is no venue record to reconcile' });
    return deps.reconciliation;
  };

  app.get('/api/admin/live/reconciliation', { config: ADMIN_KEY_ONLY, schema: { tags: ['admin'], summary: "The last reconciliation of the live record with the venue's report" } }, async (request) => {
    requireAdmin(request, deps.adminKeyHash);
    return { report: reconciliation().last() ?? null };
  });

  app.post('/api/admin/live/reconcile', { config: ADMIN_KEY_ONLY, schema: { tags: ['admin'], summary: "Reconciles the live record with the venue's report now" } }, async (request) => {
    requireAdmin(request, deps.adminKeyHash);
    return { report: await reconciliation().run() };
  });
}
