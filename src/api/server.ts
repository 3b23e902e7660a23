/**
 * The HTTP + WebSocket server: Fastify with TypeBox schemas, an OpenAPI document (`/docs/json`)
 * and a docs page (`/docs`), the native routes and the stream. `buildServer` makes the app without
 * listening, so tests drive it in-process with `app.inject`.
 *
 * Every error leaves through one handler: schema failures become 400 `INVALID_REQUEST` with the
 * validator's message; domain rejections their mapped status (http-errors.ts); anything else 500
 * without internals.
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { registerAccountRoutes } from './account-routes.js';
import { HttpError } from './http-errors.js';
import { registerMarketRoutes } from './market-routes.js';
import { registerReportRoutes } from './report-routes.js';
import type { ServiceDeps } from './service-deps.js';
import { registerTradingRoutes } from './trading-routes.js';
import { registerStream } from './ws-stream.js';

export interface ServerOptions {
  readonly logger?: FastifyServerOptions['logger'];
  /** Extra route plugins (the MEXC-compatible API, the dashboard). */
  readonly plugins?: ReadonlyArray<(app: FastifyInstance, deps: ServiceDeps) => Promise<void> | void>;
}

export const REDACTED_PATHS = ['req.headers.authorization', 'req.headers["x-mexc-apikey"]', 'apiSecret', 'secret', '*.apiSecret', '*.secret'];

export async function buildServer(deps: ServiceDeps, options: ServerOptions = {}): Promise<FastifyInstance> {
  let ready = false;
  const app = Fastify({
    logger: options.logger ?? false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Clients (ccxt among them) send `Content-Type: application/json` with no body on DELETE and POST.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body: string, done) => {
    if (body.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body) as unknown);
    } catch {
      done(Object.assign(new Error('the body is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'papertrade', version: '0.1.0', description: 'Paper trading on real market data, with the same API as live trading.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  await app.register(fastifyWebsocket);

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof HttpError) return reply.code(error.status).send(error.body);
    const { validation, statusCode, message } = error as { validation?: unknown; statusCode?: number; message?: string };
    if (validation !== undefined) return reply.code(400).send({ code: 'INVALID_REQUEST', message: message ?? 'invalid request' });
    if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) return reply.code(statusCode).send({ code: 'INVALID_REQUEST', message: message ?? 'invalid request' });
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ code: 'INTERNAL', message: 'internal error' });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ code: 'NOT_FOUND', message: `no route ${request.method} ${request.url}` }));

  registerMarketRoutes(app, deps, () => ready);
  registerAccountRoutes(app, deps);
  registerTradingRoutes(app, deps);
  registerReportRoutes(app, deps);
  registerStream(app, deps);
  for (const plugin of options.plugins ?? []) await plugin(app, deps);
  await app.ready();
  ready = true;
  return app;
}
