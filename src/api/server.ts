/**
 * The HTTP + WebSocket server: Fastify with TypeBox schemas, an OpenAPI document (`/docs/json`)
 * and a docs page (`/docs`), the native routes and the stream. `buildServer` makes the app without
 * listening, so tests drive it in-process with `app.inject`.
 *
 * Every error leaves in the documented shape, `{"code","message"}` (MEXC's `{"code","msg"}` under
 * /api/v3): schema failures are 400 `INVALID_REQUEST` with the validator's message naming the
 * field; domain rejections their mapped status (http-errors.ts); the framework's own refusals
 * (undecodable URL, bad JSON, media type, body size, unknown path, wrong method, limits) their
 * 4xx (edge-errors.ts), also for requests Node's HTTP parser refuses; anything else 500 without
 * internals. Request logs never carry keys or signatures (log-redaction.ts).
 *
 * Limits (edge-guards.ts): without `limits`, an in-process server (tests, the library, benches)
 * has no request rate limit and no authentication back-off; `startService` always passes the
 * configured ones.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { AjvCompiler } from '@fastify/ajv-compiler';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { DEFAULT_EDGE_LIMITS, type EdgeLimits } from '../config/limits-config.js';
import { extend } from '../core/objects.js';
import { registerAccountFillsRoutes } from './account-fills-routes.js';
import { registerAccountLeverageRoutes } from './account-leverage-routes.js';
import { registerAccountRoutes } from './account-routes.js';
import { registerAdminRoutes } from './admin-routes.js';
import { registerCandleRoutes } from './candle-routes.js';
import { edgeErrorOf, isMexcPath, mexcBodyOf, nativeBody, type EdgeError } from './edge-errors.js';
import { binanceBodyOf, isBinancePath } from './binance/binance-errors.js';
import { registerBinanceStreams } from './binance-streams/index.js';
import { isMexcContractPath, mexcContractBodyOf } from './mexc-contract/mexc-contract-errors.js';
import { presentsCredentials, registerEdgeGuards, RouteIndex } from './edge-guards.js';
import { JsonNumberRangeError, mayLoseDigits, reparseNumbers } from './exact-json.js';
import { jsonLiteralMismatch } from './json-type-guard.js';
import { registerExportRoutes } from './export-routes.js';
import { registerHealthRoutes } from './health-routes.js';
import { HttpError } from './http-errors.js';
import { CENSOR, LOG_SERIALIZERS, REDACTED_PATHS, redactUrl } from './log-redaction.js';
import { registerMarketRoutes } from './market-routes.js';
import { registerOcoRoutes } from './oco-routes.js';
import { registerReportRoutes } from './report-routes.js';
import { schemaErrorMessage } from './schema-error-messages.js';
import type { ServiceDeps } from './service-deps.js';
import { registerTradingRoutes } from './trading-routes.js';
import { registerStream } from './ws-stream.js';
import { registerLiveRoutes } from './live-routes.js';
import { registerMexcStreams, type MexcStreamOptions } from './mexc-streams/index.js';
import { registerMexcContractStreams } from './mexc-contract-streams/index.js';
import { limitConnectionsPerAddress } from './ws-address-cap.js';
import { startHeartbeat } from './ws-heartbeat.js';
import { terminateOnClose } from './ws-shutdown.js';
import { limitSendBuffers, onWebSocketError } from './ws-send-buffer.js';
import { clientAddress } from './client-address.js';
import { utf8Body } from './utf8-request.js';

export interface ServerOptions {
  readonly logger?: FastifyServerOptions['logger'];
  /** Extra route plugins (the MEXC-compatible API, the dashboard). */
  readonly plugins?: ReadonlyArray<(app: FastifyInstance, deps: ServiceDeps) => Promise<void> | void>;
  /** Rate, back-off, WebSocket and body limits; absent: the defaults without a request rate limit. */
  readonly limits?: EdgeLimits;
  /** Reverse proxies whose X-Forwarded-For names the client (TRUST_PROXY, config/limits-config.ts); absent or empty: none, `request.ip` is the socket's. */
  readonly trustProxy?: readonly string[];
  /** MEXC's streams at `/mexc/ws` (their fault injection, for tests). */
  readonly mexcStreams?: MexcStreamOptions;
  /** How often every WebSocket connection is pinged, ms; one without a pong by the next ping is dropped (ws-heartbeat.ts; default WS_PING_INTERVAL_MS, 30 s). */
  readonly wsPingIntervalMs?: number;
}

export { REDACTED_PATHS };

/** The limits of a server built without any: no request rate limit, no authentication back-off, the other defaults. */
export const IN_PROCESS_LIMITS: EdgeLimits = Object.freeze({ ...DEFAULT_EDGE_LIMITS, rateLimitMax: 0, authFailureLimit: 0 });

/** The logger options every server gets: the level given, secrets redacted, the request serializer that drops them from URLs. */
function loggerOptions(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (logger === undefined || logger === false) return false;
  const base = logger === true ? {} : (logger as Record<string, unknown>);
  return extend(base, { redact: { paths: REDACTED_PATHS, censor: CENSOR }, serializers: extend((base.serializers as object | undefined) ?? {}, LOG_SERIALIZERS) }) as FastifyServerOptions['logger'];
}

function shorten(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Sends an edge error in the dialect of the path. */
function sendEdgeError(request: FastifyRequest, reply: FastifyReply, error: EdgeError): FastifyReply {
  if (isBinancePath(request.url)) {
    const binance = binanceBodyOf(error);
    return reply.code(binance.status).send(binance.body);
  }
  if (isMexcContractPath(request.url)) {
    const contract = mexcContractBodyOf(error);
    return reply.code(contract.status).send(contract.body);
  }
  if (isMexcPath(request.url)) {
    const mexc = mexcBodyOf(error);
    return reply.code(mexc.status).send(mexc.body);
  }
  return reply.code(error.status).send(nativeBody(error));
}

/** `edge` (400 or 431) as the bytes of a whole HTTP/1.1 response that closes the connection, in the dialect of `url`: for a socket no route answers on. */
function rawRefusal(url: string, edge: EdgeError, withBody: boolean): string {
  const body = JSON.stringify(isBinancePath(url) ? binanceBodyOf(edge).body : isMexcContractPath(url) ? mexcContractBodyOf(edge).body : isMexcPath(url) ? mexcBodyOf(edge).body : nativeBody(edge));
  return `HTTP/1.1 ${edge.status === 431 ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${withBody ? body : ''}`;
}

/**
 * An upgrade request pipelined behind a request whose response is still being written: Node hands
 * the socket to the `upgrade` listeners without its HTTP parser, and `@fastify/websocket` cannot
 * take it (the socket still belongs to the earlier response), so nothing answered, read or closed
 * it: the socket stayed held after the client had gone, outside the WebSocket connection cap, and
 * `close()` waited on it for ever. It is answered 400 once the earlier response is out, and closed.
 */
function refusePipelinedUpgrades(server: FastifyInstance['server']): void {
  server.prependListener('upgrade', (request: IncomingMessage, socket: Socket) => {
    const earlier = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (earlier === null || earlier === undefined) return;
    const edge: EdgeError = { status: 400, code: 'BAD_REQUEST', message: 'an upgrade request must be the only request in flight on its connection: send it on a connection of its own' };
    const refuse = () => socket.end(rawRefusal(request.url ?? '', edge, true), () => socket.destroy());
    // The earlier response's `close` follows its end, or the connection's loss (then nothing is owed).
    if (earlier.writableFinished) refuse();
    else earlier.once('close', () => (earlier.writableFinished ? refuse() : socket.destroy()));
  });
}

/**
 * Fastify's `ajv` option for every route's schemas. `allErrors: false`: one message per refusal and
 * no work on a body's other faults; `verbose` carries the failing schema on each error, so a
 * pattern's description says the format in words (schema-error-messages.ts).
 */
export const VALIDATION_OPTIONS = Object.freeze({ customOptions: Object.freeze({ removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false, verbose: true }) });

/**
 * The validators of every route: Fastify's own (@fastify/ajv-compiler, `VALIDATION_OPTIONS`), with
 * one difference for JSON bodies. A query string or a path gives every value as text, and a repeated
 * query parameter as a list, so there `coerceTypes: 'array'` turns `"5"` into 5 and a single value
 * into a list of one. A JSON body says what it sends: a list where one value goes
 * (`"symbol": ["BTCUSDT"]`, `"leverage": [7]`) is a mistake to name, not to unwrap, so bodies are
 * checked with `coerceTypes: true`. That still reads a number as its text for a decimal field, as
 * the API has always taken numbers (docs/adr/0050); a `true`, `false` or `null` the field does not
 * take is refused before it (json-type-guard.ts).
 */
function validatorsByPart(): ValidatorBuilder {
  // The package's declared types name the compile step after Ajv's; at run time it takes the route.
  const pool = AjvCompiler() as unknown as ValidatorBuilder;
  return (externalSchemas, options) => {
    const others = pool(externalSchemas, options);
    const bodies = pool(externalSchemas, extend(options, { customOptions: extend(options.customOptions ?? {}, { coerceTypes: true }) }));
    return (route) => (route.httpPart === 'body' ? guardedBody(bodies(route) as BodyValidator, route.schema) : others(route));
  };
}

type BodyValidator = ((data: unknown, context?: unknown) => boolean) & { errors?: unknown; schemaEnv?: unknown };

/**
 * `validate` with the JSON literals its schema does not take refused first (json-type-guard.ts),
 * which Ajv's coercion would read as values. Fastify calls a validator with the request as the root's
 * parent when it has `schemaEnv` (so that Ajv may coerce the root): passed on.
 */
function guardedBody(validate: BodyValidator, schema: unknown): BodyValidator {
  const guarded: BodyValidator = (data, context) => {
    const mismatch = jsonLiteralMismatch(schema, data);
    if (mismatch !== undefined) {
      guarded.errors = [mismatch];
      return false;
    }
    const valid = validate(data, context);
    guarded.errors = validate.errors;
    return valid;
  };
  if (validate.schemaEnv !== undefined) guarded.schemaEnv = validate.schemaEnv;
  return guarded;
}

/** Fastify's validator factory as it is called: the shared schemas and the `ajv` option, then each route's part. */
type ValidatorBuilder = (
  externalSchemas: Record<string, unknown>,
  options: { readonly customOptions?: Readonly<Record<string, unknown>> },
) => (route: { readonly schema: unknown; readonly method: string; readonly url: string; readonly httpPart?: string }) => unknown;

export async function buildServer(deps: ServiceDeps, options: ServerOptions = {}): Promise<FastifyInstance> {
  let ready = false;
  const limits = options.limits ?? IN_PROCESS_LIMITS;
  const routes = new RouteIndex();
  const app = Fastify({
    logger: loggerOptions(options.logger),
    bodyLimit: limits.bodyLimitBytes,
    // Fastify's own 503 while closing is `{"error","message","statusCode"}`, in no dialect: the
    // hook below answers it in the path's dialect instead.
    return503OnClosing: false,
    ...(options.trustProxy !== undefined && options.trustProxy.length > 0 ? { trustProxy: [...options.trustProxy] } : {}),
    ajv: VALIDATION_OPTIONS,
    schemaController: { compilersFactory: { buildValidator: validatorsByPart() as unknown as NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator'] } },
    // "body/type must be one of MARKET, LIMIT, …", "body has an unknown field \"colour\"": the field and what it takes.
    schemaErrorFormatter: (errors, dataVar) => new Error(schemaErrorMessage(errors, dataVar)),
    frameworkErrors: (error, request, reply) => {
      const edge = edgeErrorOf(error) ?? { status: 400, code: 'INVALID_REQUEST', message: 'invalid request' };
      return sendEdgeError(request, reply, edge);
    },
    // Requests Node's HTTP parser refuses (malformed request line or headers) never reach a route.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: Socket) => {
      if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
      const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
      const edge: EdgeError = tooLarge
        ? { status: 431, code: 'HEADERS_TOO_LARGE', message: 'the request headers are too large' }
        : { status: 400, code: 'BAD_REQUEST', message: 'the request is not valid HTTP' };
      // The request line, when the parser got that far, tells the dialect to answer in.
      const packet = (error as { rawPacket?: unknown }).rawPacket;
      const line = Buffer.isBuffer(packet) ? packet.subarray(0, 2048).toString('latin1').split('\r\n', 1)[0]! : '';
      const url = line.split(' ')[1] ?? '';
      // A HEAD request gets the headers only: bytes after them would be read as the next response.
      socket.end(rawRefusal(url, edge, !line.startsWith('HEAD ')));
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRoute', (route) => routes.add(route.method, route.url));

  // Clients (ccxt among them) send `Content-Type: application/json` with no body on DELETE and POST.
  // Otherwise Fastify's own JSON parser (it refuses `__proto__` and `constructor.prototype` keys),
  // then, only for a body with a number `JSON.parse` could change, its numbers read again exactly
  // as written (exact-json.ts, docs/adr/0050).
  const json = app.getDefaultJsonParser('error', 'error');
  const notJson = () => Object.assign(new Error('the body is not valid JSON'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
  app.removeContentTypeParser('application/json');
  // No route reads plain text: such a body is 415, not a string handed to an object schema.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, utf8Body((request, body, done) => {
    if (body.trim() === '') return done(null, undefined);
    json(request, body, (error, value) => {
      if (error !== null && error !== undefined) return done(notJson(), undefined);
      if (!mayLoseDigits(body)) return done(null, value);
      try {
        // Fastify's parser skips a leading byte-order mark; so does the reread.
        done(null, reparseNumbers(body.charCodeAt(0) === 0xfeff ? body.slice(1) : body));
      } catch (failure) {
        if (failure instanceof JsonNumberRangeError) return done(new HttpError(400, { code: 'INVALID_REQUEST', message: failure.message }), undefined);
        done(notJson(), undefined);
      }
    });
  }));

  // A request that reaches a connection still open while the server closes (a keep-alive one with a
  // request in flight, or one pipelined behind it) is refused before anything else reads it, in the
  // path's dialect: 503 `UNAVAILABLE` (Binance -1001, MEXC 503), and the connection is closed after it.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  // A callback hook, not an async one: every request passes here, and an async hook costs each a promise (ADR 0063).
  app.addHook('onRequest', (_request, reply, done) => {
    if (!closing) return done();
    void reply.header('connection', 'close');
    done(new HttpError(503, { code: 'UNAVAILABLE', message: 'the server is shutting down; retry in a moment' }));
  });

  // Set before any plugin adds routes: a route takes the error handler in force when it is added, so
  // the documentation's routes (/docs) answer a hook's refusal in the native shape too.
  app.setErrorHandler((error, request, reply) => {
    const edge = edgeErrorOf(error);
    if (edge === undefined) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(500).send({ code: 'INTERNAL', message: 'internal error' });
    }
    // A key that was presented and refused counts towards the address's back-off.
    if (edge.status === 401 && presentsCredentials(request)) app.authThrottle.failed(clientAddress(request));
    // Our own errors keep their whole body (mexcCode included) on native paths; a dialect's path
    // answers every error in its own shape, whoever raised it (a shared hook, a guard).
    if (error instanceof HttpError && !isMexcPath(request.url) && !isMexcContractPath(request.url) && !isBinancePath(request.url)) return reply.code(error.status).send(error.body);
    return sendEdgeError(request, reply, edge);
  });
  await registerEdgeGuards(app, deps, limits);
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'papertrade', version: '0.1.0', description: 'Paper trading on real market data, with the same API as live trading.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  await app.register(fastifyWebsocket, { options: { maxPayload: limits.wsMaxFrameBytes }, errorHandler: onWebSocketError });
  refusePipelinedUpgrades(app.server);
  limitSendBuffers(app.websocketServer);
  limitConnectionsPerAddress(app, limits.wsMaxConnectionsPerIp);
  const stopHeartbeat = startHeartbeat(app.websocketServer, options.wsPingIntervalMs);
  app.addHook('onClose', async () => stopHeartbeat());
  terminateOnClose(app);

  app.setNotFoundHandler((request, reply) => {
    const allowed = routes.allowed(request.url);
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      void reply.header('allow', allowed.join(', '));
      return sendEdgeError(request, reply, { status: 405, code: 'METHOD_NOT_ALLOWED', message: `${request.method} is not allowed here; this path takes ${allowed.join(', ')}` });
    }
    return sendEdgeError(request, reply, { status: 404, code: 'NOT_FOUND', message: `no route ${request.method} ${shorten(redactUrl(request.url).split('?')[0] ?? '')}` });
  });

  registerHealthRoutes(app, deps, () => ready);
  registerMarketRoutes(app, deps);
  registerAccountRoutes(app, deps);
  registerAdminRoutes(app, deps);
  registerTradingRoutes(app, deps);
  registerOcoRoutes(app, deps);
  registerReportRoutes(app, deps);
  registerAccountLeverageRoutes(app, deps);
  registerAccountFillsRoutes(app, deps);
  registerCandleRoutes(app, deps);
  registerExportRoutes(app, deps);
  registerLiveRoutes(app, deps);
  registerStream(app, deps, limits);
  await registerBinanceStreams(app, deps);
  await registerMexcStreams(app, deps, { maxSubscriptions: limits.wsMaxSubscriptions, ...options.mexcStreams });
  for (const plugin of options.plugins ?? []) await plugin(app, deps);
  // After the plugins: the contract streams share the contract API's market tape where it is served.
  await registerMexcContractStreams(app, deps, { maxSubscriptions: limits.wsMaxSubscriptions });
  await app.ready();
  ready = true;
  return app;
}
