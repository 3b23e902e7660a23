/**
 * The MEXC Spot v3-compatible API: `/api/v3/*` with MEXC's paths, parameters, signing, response
 * shapes and error codes, over the same accounts, keys, facade, kernel and audit log as the native
 * API. A bot written for MEXC (through ccxt's unmodified `mexc` class or by hand) trades here on
 * paper by changing its base URL only.
 *
 * Guarantees: every answer on these routes, errors included, is in MEXC's shape (mexc-errors.ts);
 * parameters are read from the query string and a form body, as MEXC reads them (the query wins);
 * signed routes verify key, signature and recvWindow before anything else (mexc-signature.ts).
 * Also answers `GET /api/v1/contract/detail` with no contracts, which ccxt's `loadMarkets` always
 * calls, unless the MEXC contract API (registered before it) lists the perpetuals there.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccountProfile } from '../../persistence/credential-store.js';
import type { ServiceDeps } from '../service-deps.js';
import type { MarketTape } from '../dialect-kit/market-tape.js';
import { acceptRawFormBodies, duplicateParam, paramsOf, rawBodyOf, rawQueryOf } from '../dialect-kit/request-params.js';
import { sharedTape } from '../dialect-kit/shared-tape.js';
import { edgeErrorOf, mexcBodyOf } from '../edge-errors.js';
import { mexcContractBodyOf } from '../mexc-contract/mexc-contract-errors.js';
import { MexcError, mexcErrors } from './mexc-errors.js';
import { registerMexcMarketRoutes } from './mexc-market-routes.js';
import { MEXC_API_KEY_HEADER, verifySignedRequest } from './mexc-signature.js';
import { registerMexcTradingRoutes } from './mexc-trading-routes.js';
import { clientAddress } from '../client-address.js';

export interface MexcContext {
  readonly deps: ServiceDeps;
  readonly tape: MarketTape;
  /** The request's parameters: query string over form body; a name sent twice in either is refused (700004). */
  params(request: FastifyRequest): Record<string, string>;
  /** The account of a correctly signed request; throws MexcError otherwise. */
  signed(request: FastifyRequest): AccountProfile;
  wallClock(): number;
}

/** MEXC codes that mean a wrong key or signature: unknown API key, signature not valid. */
const AUTH_FAILURES = new Set([10072, 700002]);

export interface MexcApiOptions {
  /** Public trades kept per symbol for trades, klines and tickers (default 100,000; the tape is shared with the other dialects). */
  readonly tapeCapacity?: number;
}

/** The account of a correctly signed MEXC request (key header, signature, recvWindow); throws MexcError otherwise. */
export function signedMexcAccount(request: FastifyRequest, deps: ServiceDeps, wallClock: () => number): AccountProfile {
  const header = request.headers[MEXC_API_KEY_HEADER];
  return verifySignedRequest(
    { rawQuery: rawQueryOf(request), rawBody: rawBodyOf(request), apiKey: Array.isArray(header) ? header[0] : header, params: paramsOf(request) },
    deps.credentials,
    wallClock(),
  );
}

/** Every failure in a MEXC scope in MEXC's `{"code","msg"}` body; wrong keys and signatures count towards the address's back-off. */
export function mexcErrorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof MexcError) {
    if (AUTH_FAILURES.has(error.code)) request.server.authThrottle.failed(clientAddress(request));
    return reply.code(error.status).send(error.body);
  }
  const edge = edgeErrorOf(error);
  if (edge !== undefined) {
    const mexc = mexcBodyOf(edge);
    return reply.code(mexc.status).send(mexc.body);
  }
  request.log.error({ err: error }, 'MEXC API request failed');
  return reply.code(500).send({ code: 500, msg: 'internal error' });
}

export async function registerMexcApi(app: FastifyInstance, deps: ServiceDeps, options: MexcApiOptions = {}): Promise<void> {
  const tape = sharedTape(app, deps.hub, options.tapeCapacity);
  const wallClock = deps.wallClock ?? Date.now;
  // A name sent twice in the query or in the body is refused rather than read as its last value:
  // `quantity=0.001&…&quantity=5` is not an order for 5. Signed routes read parameters after the key check.
  const params = (request: FastifyRequest): Record<string, string> => {
    const twice = duplicateParam(request);
    if (twice !== undefined) throw mexcErrors.invalidParameter(`${twice} was sent more than once`);
    return paramsOf(request);
  };
  const context: MexcContext = {
    deps,
    tape,
    params,
    wallClock,
    signed: (request) => signedMexcAccount(request, deps, wallClock),
  };

  await app.register(async (scope) => {
    // MEXC takes signed parameters in a form body too; keep it raw, the signature covers it as sent.
    acceptRawFormBodies(scope);
    scope.setErrorHandler(mexcErrorHandler);
    if (!scope.hasRoute({ method: 'GET', url: '/api/v1/contract/detail' })) {
      // A contract route: its refusals (a shared guard's) in the contract envelope, not spot's.
      const errorHandler = (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
        const edge = edgeErrorOf(error);
        if (edge === undefined) return mexcErrorHandler(error as Error, request, reply);
        const contract = mexcContractBodyOf(edge);
        return reply.code(contract.status).send(contract.body);
      };
      scope.get('/api/v1/contract/detail', { schema: { tags: ['mexc v3'] }, errorHandler }, async () => ({ success: true, code: 0, data: [] }));
    }
    registerMexcMarketRoutes(scope, context);
    registerMexcTradingRoutes(scope, context);
  });
}
