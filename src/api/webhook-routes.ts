/**
 * Webhook endpoints of the key's account (`Authorization: Bearer <apiKey>`):
 * `POST /api/webhooks` {url, events, description?} → 201 with the signing `secret`, shown this once;
 * `GET /api/webhooks`, `GET /api/webhooks/:id`, `DELETE /api/webhooks/:id`;
 * `GET /api/webhooks/:id/deliveries` → each delivery with its status and every attempt;
 * `POST /api/webhooks/:id/ping` → 202, a PING delivery to check the receiver and its signature check.
 * Another account's endpoint answers 404, like a missing one. Signing and retries:
 * src/service/webhook-dispatcher.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { extend } from '../core/objects.js';
import type { Webhook } from '../persistence/webhook-store.js';
import type { WebhookDispatcher } from '../service/webhook-dispatcher.js';
import { checkEndpoint, WEBHOOK_EVENTS } from '../service/webhook-subscriptions.js';
import { requireAccount } from './auth.js';
import { HttpError } from './http-errors.js';
import { Page, type PageQuery } from './schemas.js';
import type { ServiceDeps } from './service-deps.js';
import { givenFieldsFirst } from './given-fields-first.js';

/** Endpoints one account may have at once. */
export const MAX_WEBHOOKS_PER_ACCOUNT = 10;

const view = (hook: Webhook) => ({ id: hook.id, url: hook.url, events: hook.events, description: hook.description, createdAt: hook.createdAt, ...(hook.deletedAt !== null ? { deletedAt: hook.deletedAt } : {}) });

const CreateBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048, description: 'http:// or https:// URL that receives POSTs' }),
    events: Type.Array(Type.String({ maxLength: 40 }), { minItems: 1, maxItems: WEBHOOK_EVENTS.length * 2, description: `any of ${WEBHOOK_EVENTS.join(', ')}` }),
    description: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
type CreateBodyType = { url: string; events: string[]; description?: string };

/** The webhook routes over a running dispatcher (a server plugin). */
export function webhookRoutes(dispatcher: WebhookDispatcher): (app: FastifyInstance, deps: ServiceDeps) => void {
  return (app, deps) => {
    const tags = ['webhooks'];
    // The key is checked before the body and the query are: an unknown caller learns nothing of their rules.
    const preValidation = async (request: FastifyRequest) => void requireAccount(request, deps.credentials);
    const store = dispatcher.store;
    const owned = async (accountId: string, id: string): Promise<Webhook> => {
      const hook = await store.get(id);
      if (hook === undefined || hook.accountId !== accountId) throw HttpError.of({ code: 'NOT_FOUND', message: `no webhook ${id}` });
      return hook;
    };

    app.post<{ Body: CreateBodyType }>('/api/webhooks', { preValidation, schema: { tags, body: givenFieldsFirst(CreateBody) } }, async (request, reply) => {
      const account = requireAccount(request, deps.credentials);
      const checked = checkEndpoint(request.body.url, request.body.events);
      if (!checked.ok) throw HttpError.of({ code: 'INVALID_REQUEST', message: checked.message });
      if ((await store.list(account.accountId)).length >= MAX_WEBHOOKS_PER_ACCOUNT) {
        throw new HttpError(409, { code: 'TOO_MANY_WEBHOOKS', message: `an account has at most ${MAX_WEBHOOKS_PER_ACCOUNT} webhooks; delete one first` });
      }
      const hook = await dispatcher.add({ accountId: account.accountId, url: checked.url, events: checked.events, ...(request.body.description !== undefined ? { description: request.body.description } : {}) });
      await deps.audit.append({ at: (deps.wallClock ?? Date.now)(), actor: account.accountId, mode: deps.execution.mode, action: 'webhook.create', accountId: account.accountId, details: { id: hook.id, url: hook.url, events: hook.events } });
      // The secret is shown here only; the receiver keeps it to check signatures.
      return reply.code(201).send(extend(view(hook), { secret: hook.secret }));
    });

    app.get('/api/webhooks', { preValidation, schema: { tags } }, async (request) => {
      const account = requireAccount(request, deps.credentials);
      return { items: (await store.list(account.accountId)).map(view), events: WEBHOOK_EVENTS };
    });

    app.get<{ Params: { id: string } }>('/api/webhooks/:id', { preValidation, schema: { tags } }, async (request) => {
      const account = requireAccount(request, deps.credentials);
      return view(await owned(account.accountId, request.params.id));
    });

    app.delete<{ Params: { id: string } }>('/api/webhooks/:id', { preValidation, schema: { tags } }, async (request) => {
      const account = requireAccount(request, deps.credentials);
      const hook = await owned(account.accountId, request.params.id);
      if (hook.deletedAt === null) {
        await dispatcher.remove(hook.id);
        await deps.audit.append({ at: (deps.wallClock ?? Date.now)(), actor: account.accountId, mode: deps.execution.mode, action: 'webhook.delete', accountId: account.accountId, details: { id: hook.id } });
      }
      return view((await store.get(hook.id))!);
    });

    app.post<{ Params: { id: string } }>('/api/webhooks/:id/ping', { preValidation, schema: { tags } }, async (request, reply) => {
      const account = requireAccount(request, deps.credentials);
      const hook = await owned(account.accountId, request.params.id);
      if (hook.deletedAt !== null) throw HttpError.of({ code: 'NOT_FOUND', message: `webhook ${hook.id} is deleted` });
      return reply.code(202).send({ deliveryId: dispatcher.ping(hook) });
    });

    const DeliveriesQuery = Type.Intersect([Page, Type.Object({ event: Type.Optional(Type.String({ maxLength: 40 })) })]);
    app.get<{ Params: { id: string }; Querystring: PageQuery & { event?: string } }>('/api/webhooks/:id/deliveries', { preValidation, schema: { tags, querystring: DeliveriesQuery } }, async (request) => {
      const account = requireAccount(request, deps.credentials);
      const hook = await owned(account.accountId, request.params.id);
      const { limit, offset, event } = request.query;
      const rows = await store.deliveries(hook.id, { limit: limit + 1, offset, ...(event !== undefined ? { event } : {}) });
      return { items: rows.slice(0, limit), limit, offset, nextOffset: rows.length > limit ? offset + limit : null };
    });
  };
}
