/**
 * MEXC's contract (futures) WebSocket at `/mexc/contract/edge` (MEXC: wss://contract.mexc.com/edge),
 * over the same kernel, accounts and keys as the MEXC contract REST dialect (src/api/mexc-contract):
 * a bot on ccxt's pro `mexc` class streams its swaps from papertrade by pointing `urls.api.ws.swap`
 * here. What a connection speaks: contract-stream-session.ts; docs/adr/0043.
 *
 * Depth pushes come from the depth diff feed every dialect's streams share (one per engine hub),
 * the ticker's 24-hour figures from the market tape the MEXC REST dialects share: register the
 * streams after them (`buildServer` does). A server without them keeps no tape for the streams (it
 * would follow every trade for nothing but the ticker): its tickers' 24-hour figures are empty.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { sharedDepthDiffs } from '../dialect-kit/depth-diffs.js';
import { edgeErrorOf } from '../edge-errors.js';
import { mexcContractBodyOf } from '../mexc-contract/mexc-contract-errors.js';
import { MarketTape } from '../dialect-kit/market-tape.js';
import { sharedTape } from '../dialect-kit/shared-tape.js';
import { CONTRACT_DETAIL_PATH } from '../mexc-contract/mexc-contract-api.js';
import { positionFillRows, type PositionFillRow } from '../mexc-contract/mexc-contract-account-routes.js';
import type { ServiceDeps } from '../service-deps.js';
import { ContractStreamSession } from './contract-stream-session.js';
import { clientAddress } from '../client-address.js';

export const MEXC_CONTRACT_WS_PATH = '/mexc/contract/edge';

export interface MexcContractStreamOptions {
  /** Public channels per connection (default 30). */
  readonly maxSubscriptions?: number;
}

export async function registerMexcContractStreams(app: FastifyInstance, deps: ServiceDeps, options: MexcContractStreamOptions = {}): Promise<void> {
  const wallClock = deps.wallClock ?? Date.now;
  const diffs = sharedDepthDiffs(app, deps.hub);
  const tape = app.hasRoute({ method: 'GET', url: CONTRACT_DETAIL_PATH }) ? sharedTape(app, deps.hub) : new MarketTape(0, 0);
  // What the trades table holds of an account's open positions (paper), for its position pushes.
  const recordedFills = async (accountId: string): Promise<ReadonlyMap<string, readonly PositionFillRow[]>> => {
    const account = deps.hub.kernel.account(accountId);
    return account?.kind === 'futures' ? positionFillRows(deps, accountId, account.openPositions().map((p) => p.id)) : new Map();
  };
  app.route({
    method: 'GET',
    url: MEXC_CONTRACT_WS_PATH,
    schema: { hide: true },
    handler: async (_request, reply) =>
      reply.code(426).header('upgrade', 'websocket').send({ success: false, code: 426, message: `${MEXC_CONTRACT_WS_PATH} is a WebSocket: connect with Upgrade: websocket` }),
    // A refusal before the upgrade (too many connections from the address, the auth back-off) in the
    // contract envelope, as the 426 above and the contract REST routes; not the native body.
    errorHandler: (error, request, reply) => {
      const edge = edgeErrorOf(error);
      if (edge !== undefined) {
        const contract = mexcContractBodyOf(edge);
        return reply.code(contract.status).send(contract.body);
      }
      request.log.error({ err: error }, 'MEXC contract stream upgrade failed');
      return reply.code(500).send({ success: false, code: 500, message: 'internal error' });
    },
    wsHandler: (socket: WebSocket, request: FastifyRequest) => {
      const session = new ContractStreamSession({
        kernel: () => deps.hub.kernel,
        tape,
        credentials: deps.credentials,
        wallClock,
        maxSubscriptions: options.maxSubscriptions ?? 30,
        send: (frame) => {
          if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
        },
        close: (code, reason) => socket.close(code, reason),
        authFailed: () => request.server.authThrottle.failed(clientAddress(request)),
        inBackOff: () => request.server.authThrottle.retryAfterMs(clientAddress(request)) > 0,
        ...(deps.execution.mode === 'paper' ? { recordedFills } : {}),
      });
      const unsubscribeHub = deps.hub.subscribe((events, input) => session.onEngine(events, input));
      const unsubscribeDiffs = diffs.subscribe((diff) => session.onDiff(diff));
      socket.on('close', () => {
        unsubscribeHub();
        unsubscribeDiffs();
        session.close();
      });
      socket.on('message', (raw: Buffer) => {
        // A listener that threw would be an uncaught exception: the whole process. Never let one out.
        try {
          session.onMessage(raw);
        } catch (failure) {
          request.log.error({ err: failure }, 'MEXC contract WebSocket message failed');
          if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ channel: 'rs.error', data: 'internal error', ts: wallClock() }));
        }
      });
    },
  });
}
