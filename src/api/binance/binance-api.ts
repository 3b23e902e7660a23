/**
 * The Binance Spot v3-compatible API: `/binance/api/v3/*` (and the one `/binance/sapi` call ccxt's
 * `loadMarkets` makes) with Binance's paths, parameters, signing, response shapes, error codes and
 * weight headers, over the same accounts, keys, facade, kernel and audit log as the native and MEXC
 * APIs. A bot written for Binance (through ccxt's unmodified `binance` class or by hand) trades here
 * on paper by changing its host only.
 *
 * Guarantees: every answer under `/binance`, errors included (unknown paths too), is in Binance's
 * shape (binance-errors.ts); parameters are read from the query string and a form body (the query
 * wins; a name sent twice in either is refused, -1101); every answer carries `X-MBX-USED-WEIGHT-1M`, and a request beyond 6000 weight a minute
 * per address is refused before it runs (binance-weights.ts); SIGNED routes verify key, signature
 * and recvWindow before anything else (binance-signature.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccountProfile } from '../../persistence/credential-store.js';
import type { MarketTape } from '../dialect-kit/market-tape.js';
import { acceptRawFormBodies, duplicateParam, paramsOf, rawBodyOf, rawQueryOf } from '../dialect-kit/request-params.js';
import { sharedTape } from '../dialect-kit/shared-tape.js';
import { edgeErrorOf } from '../edge-errors.js';
import type { ServiceDeps } from '../service-deps.js';
import { BinanceError, binanceBodyOf, binanceErrors } from './binance-errors.js';
import { registerBinanceMarketRoutes } from './binance-market-routes.js';
import { BINANCE_API_KEY_HEADER, verifyBinanceRequest } from './binance-signature.js';
import { registerBinanceOrderListRoutes } from './binance-order-list-routes.js';
import { registerBinanceTradingRoutes } from './binance-trading-routes.js';
import { BinanceRateMeter } from './binance-weights.js';
import { clientAddress } from '../client-address.js';

export const BINANCE_PREFIX = '/binance';
const SPOT_TAG = 'binance spot v3';

type Handler = (request: FastifyRequest, reply: FastifyReply, params: Record<string, string>) => Promise<unknown>;

export interface BinanceContext {
  readonly deps: ServiceDeps;
  readonly tape: MarketTape;
  readonly meter: BinanceRateMeter;
  /** The account of a correctly signed request; throws BinanceError otherwise. */
  signed(request: FastifyRequest, params: Record<string, string>): AccountProfile;
  wallClock(): number;
  /** Registers a route under the prefix with its request weight (fixed, or from the parameters). */
  route(method: 'GET' | 'POST' | 'DELETE', url: string, weight: number | ((params: Record<string, string>) => number), handler: Handler): void;
}

/** Binance codes that mean a wrong key or signature: they count towards the address's back-off. */
const AUTH_FAILURES = new Set([-2014, -2015, -1022]);

export async function registerBinanceApi(app: FastifyInstance, deps: ServiceDeps): Promise<void> {
  const tape = sharedTape(app, deps.hub);
  const wallClock = deps.wallClock ?? Date.now;
  const meter = new BinanceRateMeter(wallClock);
  await app.register(
    async (scope) => {
      const context = binanceScope(scope, { deps, tape, meter, wallClock, tag: SPOT_TAG });
      registerBinanceMarketRoutes(context);
      registerBinanceTradingRoutes(app, context);
      registerBinanceOrderListRoutes(app, context);
    },
    { prefix: BINANCE_PREFIX },
  );
}

/**
 * Makes an encapsulated scope speak Binance (Spot here, USD-M in src/api/binance-usdm): form bodies
 * kept raw for the signature, every failure in Binance's `{code,msg}` shape (unknown paths too),
 * the weight header on every answer; answers the context its routes are registered with.
 */
export function binanceScope(
  scope: FastifyInstance,
  options: { readonly deps: ServiceDeps; readonly tape: MarketTape; readonly meter: BinanceRateMeter; readonly wallClock: () => number; readonly tag: string },
): BinanceContext {
  const { deps, wallClock, meter } = options;
  acceptRawFormBodies(scope);
  scope.setErrorHandler((error, request, reply) => {
    if (error instanceof BinanceError) {
      if (AUTH_FAILURES.has(error.code)) request.server.authThrottle.failed(clientAddress(request));
      return reply.code(error.status).send(error.body);
    }
    const edge = edgeErrorOf(error);
    if (edge !== undefined) {
      const binance = binanceBodyOf(edge);
      return reply.code(binance.status).send(binance.body);
    }
    request.log.error({ err: error }, 'Binance API request failed');
    return reply.code(500).send({ code: -1000, msg: 'An unknown error occurred while processing the request.' });
  });
  // No not-found handler of its own: the server's tells a method this path does not take (405 with
  // `Allow`) from a path that does not exist (404), and answers both in Binance's shape under /binance.
  return {
    deps,
    tape: options.tape,
    meter,
    wallClock,
    signed(request, params) {
      const header = request.headers[BINANCE_API_KEY_HEADER];
      return verifyBinanceRequest(
        { rawQuery: rawQueryOf(request), rawBody: rawBodyOf(request), apiKey: Array.isArray(header) ? header[0] : header, params },
        deps.credentials,
        wallClock(),
        options.tag === SPOT_TAG,
      );
    },
    route(method, url, weight, handler) {
      scope.route({
        method,
        url,
        schema: { tags: [options.tag] },
        handler: async (request, reply) => {
          const params = paramsOf(request);
          const used = meter.chargeWeight(clientAddress(request), typeof weight === 'number' ? weight : weight(params));
          void reply.header('x-mbx-used-weight', String(used.used)).header('x-mbx-used-weight-1m', String(used.used));
          if (used.refusal !== undefined) throw used.refusal;
          // Binance refuses a name sent twice (-1101) rather than pick one: `quantity=0.01&…&quantity=5` is not an order for 5.
          if (duplicateParam(request) !== undefined) throw binanceErrors.duplicateParam();
          return handler(request, reply, params);
        },
      });
    },
  };
}
