/**
 * The server's WebSocket connections when it closes. `@fastify/websocket` starts the close handshake
 * with every client, and the HTTP server's `close()` waits for each connection to end; `ws` ends one
 * when the client answers with its own close frame, or else after its close timeout, 30 s. A client
 * that stopped reading (its socket buffers full, so the close frame never even reaches it) answers
 * nothing: a service told to stop (SIGTERM) hung 30 s on one such client.
 *
 * Guarantees: every client has `graceMs` from the start of `close()` to complete the close handshake
 * (a client that reads gets a clean close, as before); a connection still open then is dropped
 * (`terminate`), so the WebSocket connections hold `close()` at most `graceMs`.
 * Cost: one timer per `close()` that finds connections open.
 */
import type { FastifyInstance } from 'fastify';

/** 500 ms: a client on any network that answers at all completes the close handshake in far less. */
export const WS_CLOSE_GRACE_MS = 500;

/** From `close()` on, drops the WebSocket connections of `app` that have not closed within `graceMs`. */
export function terminateOnClose(app: FastifyInstance, graceMs: number = WS_CLOSE_GRACE_MS): void {
  app.addHook('preClose', async () => {
    const server = app.websocketServer;
    if (server.clients.size === 0) return;
    const timer = setTimeout(() => {
      for (const socket of server.clients) socket.terminate();
    }, graceMs);
    timer.unref();
    // `close` comes once the last connection has gone: nothing is left to drop.
    server.once('close', () => clearTimeout(timer));
  });
}
