/**
 * An upgrade request pipelined behind another request on one HTTP/1.1 connection, over a real
 * socket: Node hands the socket to the upgrade without its HTTP parser while the first response is
 * still being written, so no route can take it. It must be refused and the connection closed, not
 * held: a held socket is read by nothing (not even the client's close), so every such request would
 * keep a descriptor for good, outside the WebSocket connection cap, and keep `close()` waiting.
 */
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../test-kit/service-kit.js';
import { until } from '../test-kit/wait.js';
import { buildServer } from './server.js';

const upgrade = (path: string) =>
  `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;

describe('an upgrade request pipelined behind another request', () => {
  let service: TestService;
  let app: FastifyInstance;
  let port: number;

  beforeAll(async () => {
    service = await startTestService();
    app = await buildServer(service.deps);
    port = Number(new URL(await app.listen({ port: 0, host: '127.0.0.1' })).port);
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  const connections = () => new Promise<number>((resolve, reject) => app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));

  it('is answered 400 after the first response, and the connection closes', async () => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let ended = false;
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('end', () => (ended = true));
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n${upgrade('/binance/ws')}`);
    await until(() => ended, 'the server closing the connection');
    // The first request's answer, in order, then the refusal in the dialect of the upgrade's path (Binance: -1100 for a bad request).
    const [first, second] = text.split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(first).toMatch(/\{"status":"ok"\}$/);
    expect(second).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(second).toMatch(/\r\nConnection: close\r\n/i);
    expect(JSON.parse(second!.split('\r\n\r\n')[1]!)).toEqual({ code: -1100, msg: 'an upgrade request must be the only request in flight on its connection: send it on a connection of its own' });
    socket.destroy();
  });

  it('holds nothing once the client has gone', async () => {
    for (let i = 0; i < 5; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(`GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n${upgrade('/ws')}`);
      socket.destroy();
    }
    await until(async () => (await connections()) === 0, 'every connection released');
  });
});
