/**
 * A bound on what the server holds for a WebSocket client that does not read: every frame the
 * server sends waits in the connection's buffer until the client takes it, so a client that sends
 * requests and never reads their answers (or stops reading a depth stream) would grow the
 * process's memory without end (measured: one such connection on `/mexc/ws`, 2.3 GB in 20 s).
 *
 * Guarantees: once more than `maxBytes` wait unsent on a connection, the next send drops the
 * connection (`terminate`, as Binance and MEXC drop a client that cannot keep up) instead of
 * queueing; a client that reads is never affected. Applies to every WebSocket route of the server
 * (`/ws`, `/binance/…`, `/mexc/ws`), through the server's `connection` event.
 * Cost: one comparison per frame sent.
 */
import type { WebSocket, WebSocketServer } from 'ws';

/** 4 MiB: minutes of the busiest stream for a client that reads slowly, seconds for one that never reads. */
export const WS_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** Makes `socket.send` drop the connection instead of queueing past `maxBytes`. */
export function limitSendBuffer(socket: WebSocket, maxBytes: number = WS_MAX_BUFFERED_BYTES): void {
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
