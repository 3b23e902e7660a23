/**
 * Admin routes: create, list, reset, import and delete paper accounts (`Authorization: Bearer <ADMIN_API_KEY>`).
 *
 * Every input is checked here, before the kernel sees it: asset codes, non-negative balances, fee
 * rates within core/instruments/fee-bounds.ts, leverage within the perpetuals' range, and import
 * documents field by field against the export format (account-document-schema.ts). A refusal is
 * 400 with a message naming the field, and changes nothing.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { AccountDocumentSchema, documentProblem, type AccountDocumentBody } from './account-document-schema.js';
import { createAccount, deleteAccount, importAccount, resetAccount } from './account-service.js';
import { requireAdmin } from './auth.js';
import { ADMIN_KEY_ONLY } from './edge-guards.js';
import { HttpError } from './http-errors.js';
import { accountReads } from './paper-account-reads.js';
import { setDataAge } from './read-answers.js';
import { Balances, CreateAccountBody, Page, type CreateAccountBodyType, type PageQuery } from './schemas.js';
import type { AccountProfile } from '../persistence/credential-store.js';
import type { ServiceDeps } from './service-deps.js';
import { givenFieldsFirst } from './given-fields-first.js';

const AccountsQuery = Type.Intersect([Page, Type.Object({ id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) })]);

export function registerAccountRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const tags = ['accounts (admin)'];

  app.post<{ Body: CreateAccountBodyType }>('/api/accounts', { config: ADMIN_KEY_ONLY, schema: { tags, body: givenFieldsFirst(CreateAccountBody) } }, async (request, reply) => {
    requireAdmin(request, deps.adminKeyHash);
    const profile = await createAccount(deps, request.body, 'admin');
    return reply.code(201).send({
      id: profile.accountId,
      name: profile.name,
      type: profile.type,
      apiKey: profile.apiKey,
      apiSecret: profile.apiSecret,
      balances: deps.hub.kernel.balances(profile.accountId),
      createdAt: profile.createdAt,
      ...(request.body.exchangeCredentials !== undefined ? { exchangeCredentials: { set: true } } : {}),
    });
  });

  /**
   * Each account's standing and balances come from the read port (the kernel on paper, the venue
   * with the account's own keys live). An account whose read is refused (no keys, venue away) is
   * listed with `balances: null` and `readError` {code, message}; the rest are still listed.
   * `X-Data-As-Of` is the oldest answer on the page. `id` lists that account alone (no item once it
   * is deleted): the dashboard asks so with the admin key before it uses a picked account's key, so
   * that a pick of an account deleted since its list was read sends no refused key, which would
   * count toward the address's failed-authentication back-off.
   */
  app.get<{ Querystring: PageQuery & { id?: string } }>('/api/accounts', { config: ADMIN_KEY_ONLY, schema: { tags, querystring: AccountsQuery } }, async (request, reply) => {
    requireAdmin(request, deps.adminKeyHash);
    const { limit, offset, id } = request.query;
    const all = id === undefined ? deps.credentials.list() : [deps.credentials.byAccount(id)].filter((p) => p !== undefined);
    const reads = accountReads(deps);
    let asOf = (deps.wallClock ?? Date.now)();
    const items = [];
    for (const p of all.slice(offset, offset + limit)) {
      const listed = await listedAccount(reads, p);
      asOf = Math.min(asOf, listed.asOf);
      items.push(listed.item);
    }
    setDataAge(reply, asOf, (deps.wallClock ?? Date.now)());
    return { items, total: all.length, limit, offset, nextOffset: offset + limit < all.length ? offset + limit : null };
  });

  const AccountId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

  app.post<{ Params: { id: string }; Body: { balances?: Record<string, string> } | undefined }>(
    '/api/accounts/:id/reset',
    {
      config: ADMIN_KEY_ONLY,
      schema: { tags, params: AccountId, body: Type.Object({ balances: Type.Optional(Balances) }, { additionalProperties: false }) },
      // No body at all is a reset to the opening balances, as `{}` is (`curl -X POST …/reset`).
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => {
      requireAdmin(request, deps.adminKeyHash);
      if (deps.credentials.byAccount(request.params.id) === undefined) throw HttpError.of({ code: 'UNKNOWN_ACCOUNT', message: `no account ${request.params.id}` });
      await resetAccount(deps, request.params.id, request.body?.balances, 'admin');
      return { id: request.params.id, balances: deps.hub.kernel.balances(request.params.id) };
    },
  );

  app.post<{ Body: { document: AccountDocumentBody; name?: string } }>(
    '/api/accounts/import',
    { config: ADMIN_KEY_ONLY, schema: { tags, body: givenFieldsFirst(Type.Object({ document: AccountDocumentSchema, name: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })) }, { additionalProperties: false })) } },
    async (request, reply) => {
      requireAdmin(request, deps.adminKeyHash);
      const problem = documentProblem(request.body.document, (symbol) => deps.hub.kernel.instrument(symbol)?.maxLeverage);
      if (problem !== undefined) throw new HttpError(400, { code: 'INVALID_REQUEST', message: `${problem.field}: ${problem.message}` });
      const profile = await importAccount(deps, JSON.stringify(request.body.document), request.body.name, 'admin');
      return reply.code(201).send({ id: profile.accountId, name: profile.name, type: profile.type, apiKey: profile.apiKey, apiSecret: profile.apiSecret, balances: deps.hub.kernel.balances(profile.accountId) });
    },
  );

  app.delete<{ Params: { id: string } }>('/api/accounts/:id', { config: ADMIN_KEY_ONLY, schema: { tags, params: AccountId } }, async (request, reply) => {
    requireAdmin(request, deps.adminKeyHash);
    if (deps.credentials.byAccount(request.params.id) === undefined) throw HttpError.of({ code: 'UNKNOWN_ACCOUNT', message: `no account ${request.params.id}` });
    await deleteAccount(deps, request.params.id, 'admin');
    return reply.code(204).send();
  });
}

/** An account's list item: its profile, and its standing and balances from the read port (or the read's refusal); `asOf` the answer's age, or +∞ when refused. */
async function listedAccount(reads: ReturnType<typeof accountReads>, p: AccountProfile) {
  const summary = await reads.summary(p.accountId);
  const standing = summary.ok
    ? { halted: summary.value.value.halted, balances: summary.value.value.balances }
    : { halted: false, balances: null, readError: { code: summary.error.code, message: summary.error.message } };
  return { item: { id: p.accountId, name: p.name, type: p.type, apiKey: p.apiKey, createdAt: p.createdAt, ...standing }, asOf: summary.ok ? summary.value.asOf : Number.POSITIVE_INFINITY };
}
