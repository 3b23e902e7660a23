/**
 * The server's heartbeat on every WebSocket connection (`/ws`, `/binance/…`, `/mexc/ws`,
 * `/mexc/contract/edge`): a client that vanished without closing (its network gone, no FIN) would
 * otherwise be held, with its subscriptions and buffers, until TCP gives up on it (hours).
 *
 * Guarantees: every `intervalMs` each open connection is sent a ping frame (RFC 6455 §5.5.2); one that
 * has not answered with a pong by the next ping is dropped (`terminate`). A pong answers only when it
 * echoes the payload of a ping sent since the connection was last answered (RFC 6455 §5.5.3 has the
 * pong carry its ping's data): an unsolicited pong, with an empty or any other payload, keeps no
 * connection alive, as Binance says of its own ("Unsolicited pong frames are allowed, but will not
 * prevent disconnection"). A vanished client is
 * therefore dropped between one and two intervals after its last pong; a client whose WebSocket
 * library answers pings (as `ws`, ccxt, browsers and Python's `websockets` do on their own) is never
 * affected. Binance pings every 20 s and drops a connection without a pong within a minute
 * (https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams); the default here,
 * 30 s, gives a client 30 s to answer and drops a vanished one within Binance's minute.
 * A tick that comes half an interval late or more (the event loop was held: a long synchronous
 * section, the collector, the host) judges no one, since the pongs of the connections are then
 * still unread: a stall never drops the clients that answered during it.
 * A ping waits behind the frames already queued (at most WS_MAX_BUFFERED_BYTES, ws-send-buffer.ts),
 * so a client that reads so slowly that its backlog takes more than an interval to read is dropped
 * too, as Binance drops one whose pong is a minute late.
 * Cost: one timer per server; per connection and interval, one ping frame of a few bytes and one map entry.
 */
import { performance } from 'node:perf_hooks';
import type { WebSocket, WebSocketServer } from 'ws';

/** 30 s: a pong is due within 30 s; a vanished client is dropped 30 to 60 s after its last pong. */
export const WS_PING_INTERVAL_MS = 30_000;

/** Pings every connection of `server` each `intervalMs` and drops those that left the last ping unanswered; returns the stop. */
export function startHeartbeat(server: WebSocketServer, intervalMs: number = WS_PING_INTERVAL_MS): () => void {
  if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) throw new RangeError(`the WebSocket ping interval must be a positive whole number of ms, got ${intervalMs}`);
  /** Connections pinged and not answered since, each with the number of its first unanswered ping. */
  const waiting = new WeakMap<WebSocket, number>();
  /** The number of the last tick's ping, sent as its payload in decimal. */
  let tick = 0;
  server.on('connection', (socket: WebSocket) =>
    socket.on('pong', (data: Buffer) => {
      const since = waiting.get(socket);
      if (since === undefined || data.length === 0 || data.length > 16) return;
      // An echo of a ping sent since the first one left unanswered: later pings are answered in order.
      const echoed = Number(data.toString('latin1'));
      if (Number.isSafeInteger(echoed) && echoed >= since && echoed <= tick) waiting.delete(socket);
    }),
  );
  let lastTick = performance.now();
  const timer = setInterval(() => {
    // A tick half an interval late or more found the event loop held: pongs that arrived meanwhile
    // are still unread in the sockets, so this tick pings again and drops no one.
    const now = performance.now();
    const judge = now - lastTick < 1.5 * intervalMs;
    lastTick = now;
    tick += 1;
    const payload = String(tick);
    for (const socket of server.clients) {
      if (socket.readyState !== socket.OPEN) continue;
      if (judge && waiting.has(socket)) {
        socket.terminate();
        continue;
      }
      if (!waiting.has(socket)) waiting.set(socket, tick);
      socket.ping(payload);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
