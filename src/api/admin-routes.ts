/**
 * Operator routes (`Authorization: Bearer <ADMIN_API_KEY>`): the inputs the engine set aside.
 * `GET /api/admin/quarantine?limit=&before=`: newest first, each with its journal seq, the kernel
 * time it was handled at, its kind, INVALID_INPUT or INTERNAL, why, and the journaled input text.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { QuarantineStore } from '../persistence/quarantine-store.js';
import { requireAdmin } from './auth.js';
import { ADMIN_KEY_ONLY } from './edge-guards.js';
import type { ServiceDeps } from './service-deps.js';

const QuarantineQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'rows per page' }),
    before: Type.Optional(Type.Integer({ minimum: 1, description: 'only inputs with a journal seq below this (the previous page’s last seq)' })),
  },
  { additionalProperties: false },
);

export function registerAdminRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const store = new QuarantineStore(deps.db);
  app.get<{ Querystring: { limit: number; before?: number } }>(
    '/api/admin/quarantine',
    { config: ADMIN_KEY_ONLY, schema: { tags: ['admin'], summary: 'Inputs the engine did not apply and set aside', querystring: QuarantineQuery } },
    async (request) => {
      requireAdmin(request, deps.adminKeyHash);
      const { limit, before } = request.query;
      const items = await store.list({ limit, ...(before !== undefined ? { before } : {}) });
      return { items, total: await store.count(), nextBefore: items.length === limit ? items.at(-1)!.seq : null };
    },
  );
}
