/**
 * MEXC's Spot v3 streams: the listen-key routes (`POST`/`PUT`/`DELETE`/`GET /api/v3/userDataStream`,
 * signed as every MEXC private route) and the WebSocket at `/mexc/ws` (mexc-stream.ts), over the
 * same kernel, accounts and keys as the MEXC REST dialect (src/api/mexc). A bot on ccxt's pro
 * `mexc` class streams from papertrade by pointing `urls.api.ws.spot` here.
 *
 * Answers (MEXC Spot v3 "Listen Key"): `{"listenKey":"…"}` for create, keep-alive and close;
 * `{"listenKey":["…",…]}` for the list. A key that is not the account's live key is refused with
 * 700004 and the parameter named.
 */
import type { FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../service-deps.js';
import { sharedDepthDiffs } from '../dialect-kit/depth-diffs.js';
import { acceptRawFormBodies, paramsOf } from '../dialect-kit/request-params.js';
import { mexcErrorHandler, signedMexcAccount } from '../mexc/mexc-api.js';
import { mexcErrors } from '../mexc/mexc-errors.js';
import { ListenKeyStore } from './mexc-listen-keys.js';
import { registerMexcStream, type MexcStreamOptions } from './mexc-stream.js';

const tags = ['mexc v3'];

export async function registerMexcStreams(app: FastifyInstance, deps: ServiceDeps, options: MexcStreamOptions = {}): Promise<void> {
  const wallClock = deps.wallClock ?? Date.now;
  const listenKeys = new ListenKeyStore(wallClock);
  const diffs = sharedDepthDiffs(app, deps.hub);
  // A deleted account's keys end with it: a new connection on one would otherwise be accepted.
  const stopForgetting = deps.hub.subscribe((events) => {
    for (const event of events) if (event.type === 'ACCOUNT_CLOSED') listenKeys.forget(event.account);
  });
  app.addHook('onClose', async () => stopForgetting());
  await app.register(async (scope) => {
    acceptRawFormBodies(scope);
    scope.setErrorHandler(mexcErrorHandler);
    const keyParam = (p: Record<string, string>): string => {
      const key = p.listenKey;
      if (key === undefined || key === '') throw mexcErrors.mandatory('listenKey');
      return key;
    };

    scope.post('/api/v3/userDataStream', { schema: { tags } }, async (request) => {
      const account = signedMexcAccount(request, deps, wallClock);
      return { listenKey: listenKeys.create(account.accountId) };
    });
    scope.put('/api/v3/userDataStream', { schema: { tags } }, async (request) => {
      const account = signedMexcAccount(request, deps, wallClock);
      const key = keyParam(paramsOf(request));
      if (!listenKeys.keepAlive(account.accountId, key)) throw mexcErrors.invalidParameter('listenKey is not a live key of this account');
      return { listenKey: key };
    });
    scope.delete('/api/v3/userDataStream', { schema: { tags } }, async (request) => {
      const account = signedMexcAccount(request, deps, wallClock);
      const key = keyParam(paramsOf(request));
      if (!listenKeys.close(account.accountId, key)) throw mexcErrors.invalidParameter('listenKey is not a live key of this account');
      return { listenKey: key };
    });
    scope.get('/api/v3/userDataStream', { schema: { tags } }, async (request) => {
      const account = signedMexcAccount(request, deps, wallClock);
      return { listenKey: listenKeys.keysOf(account.accountId) };
    });
    registerMexcStream(scope, { deps, listenKeys, diffs, options });
  });
}
