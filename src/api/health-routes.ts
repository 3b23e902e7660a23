/**
 * Liveness and readiness, for a process supervisor or a load balancer.
 *
 * - `GET /health` is liveness: 200 `{"status":"ok"}` whenever the process answers at all. It never
 *   depends on the database or the market feed, so a supervisor does not restart a process that is
 *   riding out a database outage by itself.
 * - `GET /ready` is readiness: 200 only when the server has started, the engine can apply and
 *   persist inputs (engine-status.ts: not restoring, its database reachable, not stopped) and at
 *   least one market feed is synced; otherwise 503 with `{"code","message"}` saying which, plus the
 *   engine's status and the feeds either way.
 */
import type { FastifyInstance } from 'fastify';
import { extend } from '../core/objects.js';
import type { EngineStatus } from '../engine/engine-status.js';
import type { FeedStatus, ServiceDeps } from './service-deps.js';

const ENGINE_NOT_READY: Readonly<Record<string, string>> = {
  restoring: 'the engine is restoring its state',
  unavailable: 'the engine cannot persist: its database is unreachable (retrying)',
  failed: 'the engine stopped after a failure; a restart rebuilds it from what is durable',
  closed: 'the engine is closed',
};

export function registerHealthRoutes(app: FastifyInstance, deps: ServiceDeps, started: () => boolean): void {
  app.get('/health', { schema: { tags: ['service'] } }, async () => ({ status: 'ok' }));
  app.get('/ready', { schema: { tags: ['service'] } }, async (_request, reply) => {
    const engine = deps.hub.engineStatus;
    const feeds = deps.feeds();
    const problem = readinessProblem(started(), engine, feeds);
    const details = extend(engine !== undefined ? { engine } : {}, { feeds });
    if (problem === undefined) return reply.code(200).send({ ready: true, ...details });
    return reply.code(503).send(extend(problem, { ready: false, ...details }));
  });
}

function readinessProblem(started: boolean, engine: EngineStatus | undefined, feeds: readonly FeedStatus[]): { code: string; message: string } | undefined {
  if (!started) return { code: 'STARTING', message: 'the server is starting' };
  if (engine !== undefined && !engine.ready) {
    const why = ENGINE_NOT_READY[engine.state] ?? `the engine is ${engine.state}`;
    return { code: 'UNAVAILABLE', message: engine.reason !== undefined ? `${why}: ${engine.reason}` : why };
  }
  if (!feeds.some((f) => f.status === 'synced')) return { code: 'MARKET_DATA_NOT_SYNCED', message: 'no market feed is synced' };
  return undefined;
}
