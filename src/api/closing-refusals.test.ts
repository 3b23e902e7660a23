/**
 * A request that arrives while the server closes, on a keep-alive connection that still has a
 * request in flight (the idle ones are closed at once, so this is how a client meets a restart): it
 * is refused 503 in the dialect of its path, as every other refusal is, and its connection closed.
 * Each case holds one connection busy with a slow request, starts `close()`, sends the next request
 * on that connection, then lets the slow one finish and reads both answers off the socket.
 */
import { connect, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../test-kit/service-kit.js';
import { sleep, until, within } from '../test-kit/wait.js';
import { buildServer } from './server.js';

/** Every byte the server sends on `socket` until it closes the connection. */
function everything(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (data: Buffer) => (text += data.toString('latin1')));
    socket.on('close', () => resolve(text));
  });
}

/** The last HTTP/1.1 response of `text`: its status, its `Connection` header and its body. */
function lastResponse(text: string): { status: number; connection: string | undefined; body: unknown } {
  const start = text.lastIndexOf('HTTP/1.1 ');
  const [head, body] = [text.slice(start, text.indexOf('\r\n\r\n', start)), text.slice(text.indexOf('\r\n\r\n', start) + 4)];
  const connection = /\r\nconnection: ([^\r]*)/i.exec(head)?.[1];
  return { status: Number(head.split(' ')[1]), connection, body: JSON.parse(body) as unknown };
}

describe('a request on a busy connection while the server closes', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => service.close());

  it.each([
    ['/api/account/balances', { code: 'UNAVAILABLE', message: 'the server is shutting down; retry in a moment' }],
    ['/binance/api/v3/ping', { code: -1001, msg: 'the server is shutting down; retry in a moment' }],
    ['/api/v3/ping', { code: 503, msg: 'the server is shutting down; retry in a moment' }],
    ['/api/v1/contract/ping', { success: false, code: 503, message: 'the server is shutting down; retry in a moment' }],
  ])('%s answers 503 in its dialect and closes the connection', async (path, expected) => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    const app: FastifyInstance = await buildServer(service.deps, {
      plugins: [
        (instance) => {
          instance.get('/slow-for-test', async () => {
            started = true;
            await held;
            return { ok: true };
          });
        },
      ],
    });
    const port = Number(new URL(await app.listen({ port: 0, host: '127.0.0.1' })).port);
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    const received = everything(socket);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /slow-for-test HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await until(() => started, 'the slow request to start');
    const closed = app.close();
    await sleep(50);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    await sleep(50);
    release();
    const text = await within(received, 'the server to close the connection');
    await within(closed, 'the server to close');
    expect(text.startsWith('HTTP/1.1 200')).toBe(true);
    expect(lastResponse(text)).toEqual({ status: 503, connection: 'close', body: expected });
  });
});
