/**
 * A WebSocket client that sends requests and never reads the answers: the server drops it once its
 * unsent frames pass WS_MAX_BUFFERED_BYTES, instead of holding them in memory without end, on every
 * WebSocket route; a client that reads on the same server goes on being answered. So is one that
 * sends pings and never reads the pongs the server answers them with.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestService, type TestService } from '../test-kit/service-kit.js';
import { buildServer } from './server.js';
import { WS_MAX_BUFFERED_BYTES } from './ws-send-buffer.js';

/** A client frame (RFC 6455 §5.2: FIN, `opcode`, masked with a zero key) carrying `payload`, under 126 bytes. */
function maskedFrame(opcode: number, payload: Buffer): Buffer {
  if (payload.length >= 126) throw new Error('frame too long for a 7-bit length');
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

/** A text frame carrying `text`. */
const maskedTextFrame = (text: string): Buffer => maskedFrame(0x1, Buffer.from(text));

/** Upgrades `path` over a raw socket that is paused (never reads), then writes `frame` until `stop()` (or 200 MiB, 30 s). */
async function nonReader(port: number, path: string, frame: Buffer, stop: () => boolean): Promise<{ bytes: number; socket: Socket }> {
  const socket = connect(port, '127.0.0.1');
  socket.pause();
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  const chunk = Buffer.concat(Array.from({ length: 500 }, () => frame));
  let bytes = 0;
  const started = Date.now();
  while (!stop() && !socket.destroyed && bytes < 200 * 1024 * 1024 && Date.now() - started < 30_000) {
    const flushed = socket.write(chunk);
    bytes += chunk.length;
    if (!flushed) await new Promise((resolve) => setTimeout(resolve, 5));
    else await new Promise((resolve) => setImmediate(resolve));
  }
  return { bytes, socket };
}

describe('a WebSocket client that never reads', () => {
  let service: TestService;
  let port: number;

  beforeAll(async () => {
    service = await startTestService();
    const base = await service.app.listen({ port: 0, host: '127.0.0.1' });
    port = Number(new URL(base).port);
  });
  afterAll(async () => service.close());

  const cases = [
    { path: '/mexc/ws', frame: maskedTextFrame('{"method":"SUBSCRIPTION","params":["spot@public.aggre.deals.v3.api.pb@100ms@XYZ"]}') },
    { path: '/ws', frame: maskedTextFrame('{"op":"subscribe","channels":["market:XYZ"]}') },
    // A ping (opcode 9) with the largest payload a control frame may carry: the server answers each with a pong of the same payload.
    { path: '/binance/ws', frame: maskedFrame(0x9, Buffer.alloc(125, 0x70)) },
  ];
  for (const { path, frame } of cases) {
    it(`on ${path} is dropped once more than ${WS_MAX_BUFFERED_BYTES} bytes wait for it; a reader is still answered`, async () => {
      const reader = new WebSocket(`ws://127.0.0.1:${port}/mexc/ws`);
      const answers: string[] = [];
      reader.on('message', (data: Buffer) => answers.push(data.toString()));
      await new Promise((resolve) => reader.once('open', resolve));
      // The server's side of the flooding connection: the next one it accepts.
      let closed = false;
      service.app.websocketServer.once('connection', (socket: WebSocket) => socket.once('close', () => (closed = true)));

      const { bytes, socket } = await nonReader(port, path, frame, () => closed);
      socket.destroy();
      // Dropped: the server let go of the connection while the client was still writing.
      expect(closed).toBe(true);
      expect(bytes).toBeLessThan(200 * 1024 * 1024);

      reader.send(JSON.stringify({ method: 'PING', id: 5 }));
      await expect.poll(() => answers).toContain('{"id":5,"code":0,"msg":"PONG"}');
      reader.close();
    }, 40_000);
  }
});

describe('a WebSocket frame the protocol refuses', () => {
  it('(larger than WS_MAX_FRAME_BYTES) closes the connection with 1009 and is logged at info, not as a server error', async () => {
    const lines: string[] = [];
    const service = await startTestService();
    const app = await buildServer(service.deps, { logger: { level: 'info', stream: { write: (line: string) => lines.push(line) } } });
    try {
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      for (const path of ['/mexc/ws', '/ws']) {
        const socket = new WebSocket(`${url.replace('http', 'ws')}${path}`);
        const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
        await new Promise((resolve) => socket.once('open', resolve));
        socket.send('x'.repeat(20_000));
        expect(await closed).toBe(1009);
      }
      await expect.poll(() => lines.filter((l) => l.includes('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')).length).toBe(2);
      const refused = lines.filter((l) => l.includes('WS_ERR_')).map((l) => JSON.parse(l) as { level: number });
      expect(refused.map((l) => l.level)).toEqual([30, 30]);
      expect(lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50)).toEqual([]);
    } finally {
      await app.close();
      await service.close();
    }
  });
});
