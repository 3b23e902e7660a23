/**
 * The MEXC contract (futures) API: `/api/v1/contract/*` (public) and `/api/v1/private/*` (signed),
 * with MEXC's paths, parameters, signing, envelope (`{success, code, data}`) and error codes, over
 * the same accounts, keys, facade, kernel and audit log as the native API. A bot written for MEXC's
 * perpetual swaps (ccxt's unmodified `mexc` class among them) trades the engine's perpetuals here
 * by changing its base URLs only; orders placed here are the native API's orders.
 *
 * Guarantees: every answer on these paths, errors included, is in MEXC's contract envelope
 * (mexc-contract-errors.ts); signed routes verify key, Request-Time and signature before anything
 * else, over the raw query or the raw JSON body (mexc-contract-signature.ts); sizes are in MEXC
 * contracts (mexc-contract-symbols.ts).
 *
 * Register it before the MEXC Spot v3 API: the spot dialect answers `contract/detail` with no
 * contracts only when no contract dialect does.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccountProfile } from '../../persistence/credential-store.js';
import type { ServiceDeps } from '../service-deps.js';
import type { MarketTape } from '../dialect-kit/market-tape.js';
import { rawQueryOf } from '../dialect-kit/request-params.js';
import { sharedTape } from '../dialect-kit/shared-tape.js';
import { edgeErrorOf } from '../edge-errors.js';
import { JsonNumberRangeError, parseJsonExactly } from '../exact-json.js';
import { contractErrors, MexcContractError, mexcContractBodyOf } from './mexc-contract-errors.js';
import { registerContractMarketRoutes } from './mexc-contract-market-routes.js';
import { registerContractAccountRoutes } from './mexc-contract-account-routes.js';
import { registerContractOrderRoutes } from './mexc-contract-order-routes.js';
import { registerContractPlanChangeRoute } from './mexc-contract-plan-change.js';
import { registerContractPlanRoutes } from './mexc-contract-plan-routes.js';
import { registerContractStopRoutes } from './mexc-contract-stop-routes.js';
import { CONTRACT_KEY_HEADER, verifyContractRequest } from './mexc-contract-signature.js';
import { findContract, type Contract } from './mexc-contract-symbols.js';
import { clientAddress } from '../client-address.js';
import { utf8Body } from '../utf8-request.js';

export const CONTRACT_DETAIL_PATH = '/api/v1/contract/detail';

export interface ContractContext {
  readonly deps: ServiceDeps;
  readonly tape: MarketTape;
  /** The query's parameters (GET, DELETE). */
  query(request: FastifyRequest): Record<string, string>;
  /** The JSON body (POST): an object, or an array for batch calls; 601 when it does not decode. */
  body(request: FastifyRequest): unknown;
  /** The account of a correctly signed request; throws MexcContractError otherwise. */
  signed(request: FastifyRequest): AccountProfile;
  /** The contract MEXC calls `symbol` (`BTC_USDT`): 600 when absent, 1001 when not traded here. */
  contract(symbol: unknown): Contract;
  wallClock(): number;
}

/** MEXC's success envelope. */
export function ok(data?: unknown): { success: true; code: 0; data?: unknown } {
  return data === undefined ? { success: true, code: 0 } : { success: true, code: 0, data };
}

/** MEXC contract codes that mean a wrong key or signature. */
const AUTH_FAILURES = new Set([401, 602]);

const header = (request: FastifyRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export interface MexcContractApiOptions {
  /** Public trades kept per symbol (default 100,000; the tape is shared with the other dialects). */
  readonly tapeCapacity?: number;
}

export async function registerMexcContractApi(app: FastifyInstance, deps: ServiceDeps, options: MexcContractApiOptions = {}): Promise<void> {
  if (app.hasRoute({ method: 'GET', url: CONTRACT_DETAIL_PATH })) {
    throw new Error('register the MEXC contract API before the MEXC Spot v3 API (whose contract detail lists no contracts)');
  }
  const tape = sharedTape(app, deps.hub, options.tapeCapacity);
  const wallClock = deps.wallClock ?? Date.now;
  const rawBody = (request: FastifyRequest): string => (typeof request.body === 'string' ? request.body : '');
  const context: ContractContext = {
    deps,
    tape,
    wallClock,
    query(request) {
      return Object.fromEntries(new URLSearchParams(rawQueryOf(request)));
    },
    body(request) {
      const text = rawBody(request);
      if (text.trim() === '') return {};
      // Numbers as written (exact-json.ts): `"vol": 1234567890.12345678` is that many contracts, not a double's digits.
      try {
        return parseJsonExactly(text);
      } catch (error) {
        if (error instanceof JsonNumberRangeError) throw contractErrors.param(error.message);
        throw contractErrors.undecodable();
      }
    },
    contract(symbol) {
      if (typeof symbol !== 'string' || symbol === '') throw contractErrors.param('symbol is required');
      const found = findContract(deps.hub.kernel, symbol);
      if (found === undefined) throw contractErrors.unknownContract();
      return found;
    },
    signed(request) {
      return verifyContractRequest(
        {
          method: request.method,
          rawQuery: rawQueryOf(request),
          rawBody: rawBody(request),
          apiKey: header(request, CONTRACT_KEY_HEADER),
          requestTime: header(request, 'request-time'),
          signature: header(request, 'signature'),
          recvWindow: header(request, 'recv-window'),
        },
        deps.credentials,
        wallClock(),
      );
    },
  };

  await app.register(async (scope) => {
    // The signature covers the JSON body as sent: keep it raw in this scope.
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, utf8Body((_request, body, done) => done(null, body)));
    scope.setErrorHandler((error, request, reply) => {
      if (error instanceof MexcContractError) {
        if (AUTH_FAILURES.has(error.code)) request.server.authThrottle.failed(clientAddress(request));
        return reply.code(error.status).send(error.body);
      }
      const edge = edgeErrorOf(error);
      if (edge !== undefined) {
        const mexc = mexcContractBodyOf(edge);
        return reply.code(mexc.status).send(mexc.body);
      }
      request.log.error({ err: error }, 'MEXC contract API request failed');
      return reply.code(500).send({ success: false, code: 500, message: 'internal error' });
    });
    registerContractMarketRoutes(scope, context);
    registerContractOrderRoutes(scope, context);
    registerContractStopRoutes(scope, context);
    registerContractPlanRoutes(scope, context);
    registerContractPlanChangeRoute(scope, context);
    registerContractAccountRoutes(scope, context);
  });
}
