/**
 * Guards on every WebSocket connection of the server: a bound on what it holds for a client that
 * does not read, and the log level of a client's refused frames (`onWebSocketError`).
 *
 * A client that does not read: every frame the
 * server sends waits in the connection's buffer until the client takes it, so a client that sends
 * requests and never reads their answers (or stops reading a depth stream) would grow the
 * process's memory without end (measured: one such connection on `/mexc/ws`, 2.3 GB in 20 s).
 *
 * Guarantees: once more than `maxBytes` wait unsent on a connection, the next send (or the pong
 * `ws` answers a ping with) drops the connection (`terminate`, as Binance and MEXC drop a client
 * that cannot keep up) instead of queueing; a client that reads is never affected. Applies to every
 * WebSocket route of the server (`/ws`, `/binance/…`, `/mexc/ws`), through the server's
 * `connection` event.
 * Cost: one comparison per frame sent and per ping received.
 */
import type { FastifyRequest } from 'fastify';
import type { WebSocket, WebSocketServer } from 'ws';

/** 4 MiB: minutes of the busiest stream for a client that reads slowly, seconds for one that never reads. */
export const WS_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** Makes `socket.send` drop the connection instead of queueing past `maxBytes`; so does a ping answered past it. */
export function limitSendBuffer(socket: WebSocket, maxBytes: number = WS_MAX_BUFFERED_BYTES): void {
  // `ws` answers every ping with a pong of its payload on its own, not through `send`.
  socket.on('ping', () => {
    if (socket.bufferedAmount > maxBytes) socket.terminate();
  });
  const send = socket.send.bind(socket);
  socket.send = ((...args: Parameters<WebSocket['send']>) => {
    if (socket.bufferedAmount > maxBytes) {
      socket.terminate();
      return;
    }
    send(...args);
  }) as WebSocket['send'];
}

/** Applies `limitSendBuffer` to every connection `server` accepts. */
export function limitSendBuffers(server: WebSocketServer, maxBytes: number = WS_MAX_BUFFERED_BYTES): void {
  server.on('connection', (socket: WebSocket) => limitSendBuffer(socket, maxBytes));
}

/**
 * `@fastify/websocket`'s `errorHandler`: a frame the protocol refuses (too large, not UTF-8, an
 * unknown opcode, unmasked: the `ws` codes `WS_ERR_…`) is the client's fault and logged at info;
 * anything else stays an error. Either way the connection is dropped, as the default handler does.
 * Without it, every hostile client wrote an error line (one per oversized frame).
 */
export function onWebSocketError(error: Error, socket: WebSocket, request: FastifyRequest): void {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('WS_ERR_')) request.log.info({ code, reason: error.message }, 'WebSocket client frame refused');
  else request.log.error({ err: error }, 'WebSocket connection failed');
  socket.terminate();
}
