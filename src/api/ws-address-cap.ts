/**
 * A cap on the WebSocket connections one remote address holds open at once, on every WebSocket
 * route (`/ws`, `/binance/…`, `/mexc/ws`, `/mexc/contract/edge`): without it one client could open
 * connections until the process runs out of file descriptors or memory (each holds subscriptions
 * and up to WS_MAX_BUFFERED_BYTES of unsent frames).
 *
 * Guarantees: an upgrade request from an address that already holds `max` connections (counted
 * from the moment its upgrade was let through, so requests arriving together cannot all slip in) is
 * refused before the upgrade with HTTP 429 `TOO_MANY_CONNECTIONS`, in the dialect of its path
 * (MEXC 429, Binance -1034, the MEXC contract envelope 510); a connection frees its slot when its TCP socket closes, however it
 * ends. The address is `clientAddress` (client-address.ts): the socket's, or the client a proxy in TRUST_PROXY names (as the rate limit: docs/adr/0019).
 * Connections injected in-process (`injectWS`, no TCP socket) are not counted.
 * Cost: one map look-up per upgrade request and per close.
 */
import type { Socket } from 'node:net';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import { HttpError } from './http-errors.js';
import { clientAddress } from './client-address.js';

/**
 * Refuses WebSocket upgrades from an address holding `max` open connections. The check is a hook of
 * the WebSocket routes only (those registered after this call, `websocket` or `wsHandler`): other
 * requests do not pass through it.
 */
export function limitConnectionsPerAddress(app: FastifyInstance, max: number): void {
  const open = new Map<string, number>();
  const check: onRequestHookHandler = (request, _reply, done) => {
    const socket = request.raw.socket as Socket | undefined;
    if (!request.ws || typeof socket?.once !== 'function') return done();
    const address = clientAddress(request);
    const held = open.get(address) ?? 0;
    if (held >= max) {
      return done(new HttpError(429, { code: 'TOO_MANY_CONNECTIONS', message: `at most ${max} WebSocket connections at once per address (${held} open from ${address}): close one before opening another` }));
    }
    open.set(address, held + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
    done();
  };
  app.addHook('onRoute', (route) => {
    if (route.websocket !== true && route.wsHandler === undefined) return;
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [...own, check];
  });
}
