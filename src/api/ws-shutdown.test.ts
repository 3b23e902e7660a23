/**
 * Closing the server with WebSocket clients connected, over real sockets. A client that stopped
 * reading: the server's answers (pongs) have filled the kernel's buffers both ways and wait in the
 * server's own, so the close frame never reaches it and it answers none; `close()` drops it after a
 * short grace instead of waiting out `ws`'s 30 s close timeout. A client that answers the close
 * handshake within the grace is closed by the handshake, not dropped. The close codes are RFC 6455's
 * (§7.1.5, §7.4.1): a close frame without a status is reported as 1005, a connection lost without
 * a close frame as 1006.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestService, type TestService } from '../test-kit/service-kit.js';
import { sleep, within } from '../test-kit/wait.js';
import { buildServer } from './server.js';
import { WS_MAX_BUFFERED_BYTES } from './ws-send-buffer.js';
import { WS_CLOSE_GRACE_MS } from './ws-shutdown.js';

/** A client frame (RFC 6455 §5.2: FIN, `opcode`, masked with a zero key) carrying `payload`, under 126 bytes. */
function maskedFrame(opcode: number, payload: Buffer): Buffer {
  if (payload.length >= 126) throw new Error('frame too long for a 7-bit length');
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

/** A ping (opcode 9) with the largest payload a control frame may carry: `ws` answers each with a pong of the same 125 bytes, on every route. */
const PING = maskedFrame(0x9, Buffer.alloc(125, 0x70));

/** What the server keeps queued for the stalled client before `close()`: far from the send-buffer cap, which would drop it anyway. */
const QUEUED_BYTES = 256 * 1024;

/** Upgrades `path` over a raw socket; resolves with it and the server's side of the connection. */
async function rawClient(app: FastifyInstance, port: number, path: string): Promise<{ socket: Socket; server: WebSocket; serverClosed: Promise<number> }> {
  const accepted = new Promise<WebSocket>((resolve) => app.websocketServer.once('connection', resolve));
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  const server = await within(accepted, `the upgrade of ${path}`);
  const serverClosed = new Promise<number>((resolve) => server.once('close', (code: number) => resolve(code)));
  return { socket, server, serverClosed };
}

/** Calls `onClose` when the server's close frame (opcode 8) arrives on `socket`, after the upgrade response. */
function onCloseFrame(socket: Socket, onClose: () => void): void {
  let buffered = Buffer.alloc(0);
  let upgraded = false;
  socket.on('data', (data: Buffer) => {
    buffered = Buffer.concat([buffered, data]);
    if (!upgraded) {
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      upgraded = true;
      buffered = buffered.subarray(end + 4);
    }
    // The server's frames are unmasked (§5.1): a 7-bit length, or 126 then 16 bits, or 127 then 64 bits.
    while (buffered.length >= 2) {
      const length7 = buffered[1]! & 0x7f;
      const header = length7 === 126 ? 4 : length7 === 127 ? 10 : 2;
      if (buffered.length < header) return;
      const length = length7 === 126 ? buffered.readUInt16BE(2) : length7 === 127 ? Number(buffered.readBigUInt64BE(2)) : length7;
      if (buffered.length < header + length) return;
      const opcode = buffered[0]! & 0x0f;
      buffered = buffered.subarray(header + length);
      if (opcode === 0x8) onClose();
    }
  });
}

describe('closing the server with WebSocket clients connected', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => service.close());

  for (const path of ['/ws', '/mexc/ws']) {
    it(`on ${path}, close() drops a client that stopped reading after a short grace instead of waiting 30 s; a client that reads is closed cleanly`, async () => {
      const app = await buildServer(service.deps);
      let stalled: Socket | undefined;
      try {
        const port = Number(new URL(await app.listen({ port: 0, host: '127.0.0.1' })).port);
        const reader = new WebSocket(`ws://127.0.0.1:${port}${path}`);
        const readerClosed = new Promise<number>((resolve) => reader.on('close', (code: number) => resolve(code)));
        await within(new Promise((resolve, reject) => reader.once('open', resolve).once('error', reject)), `${path} to open`);

        // The stalled client never reads, and sends pings until the server's pongs fill the kernel's
        // buffers both ways and wait in the server's own.
        const { socket, server, serverClosed } = await rawClient(app, port, path);
        stalled = socket;
        socket.pause();
        const chunk = Buffer.concat(Array.from({ length: 100 }, () => PING));
        const started = Date.now();
        while (server.bufferedAmount < QUEUED_BYTES && Date.now() - started < 20_000) {
          if (!socket.write(chunk)) await sleep(5);
          else await new Promise((resolve) => setImmediate(resolve));
        }
        await sleep(100);
        expect(server.bufferedAmount).toBeGreaterThanOrEqual(QUEUED_BYTES);
        expect(server.bufferedAmount).toBeLessThan(WS_MAX_BUFFERED_BYTES);
        expect(server.readyState).toBe(WebSocket.OPEN);

        const closing = performance.now();
        await app.close();
        const tookMs = performance.now() - closing;
        // ws would have held close() for its close timeout, 30,000 ms.
        expect(tookMs).toBeLessThan(5_000);
        // Dropped: no close frame came from the client.
        expect(await within(serverClosed, 'the stalled connection to end', 1_000)).toBe(1006);
        expect(await readerClosed).toBe(1005);
      } finally {
        stalled?.destroy();
        await app.close();
      }
    }, 60_000);
  }

  it('a client that answers the close handshake within the grace is closed by it, not dropped', async () => {
    const app = await buildServer(service.deps);
    let slow: Socket | undefined;
    try {
      const port = Number(new URL(await app.listen({ port: 0, host: '127.0.0.1' })).port);
      const { socket, serverClosed } = await rawClient(app, port, '/ws');
      slow = socket;
      // It answers the server's close frame with its own (status 1000, §7.4.1) after 40% of the grace.
      const answerAfterMs = WS_CLOSE_GRACE_MS * 0.4;
      onCloseFrame(socket, () => setTimeout(() => socket.write(maskedFrame(0x8, Buffer.from([0x03, 0xe8]))), answerAfterMs));

      const closing = performance.now();
      await app.close();
      const tookMs = performance.now() - closing;
      expect(await within(serverClosed, 'the connection to end', 1_000)).toBe(1000);
      expect(tookMs).toBeGreaterThanOrEqual(answerAfterMs - 5);
      expect(tookMs).toBeLessThan(5_000);
    } finally {
      slow?.destroy();
      await app.close();
    }
  });
});
