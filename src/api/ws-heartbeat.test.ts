/**
 * The server's heartbeat over real sockets, on every WebSocket route: a client that stops answering
 * pings is dropped within two ping intervals, also one that sends pongs of its own that echo no
 * ping; a client that answers them stays connected across many, also when the event loop was held
 * past an interval.
 */
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestService, type TestService } from '../test-kit/service-kit.js';
import { sleep } from '../test-kit/wait.js';
import { buildServer } from './server.js';

const INTERVAL_MS = 200;
const PATHS = ['/ws', '/binance/ws', '/binance/ws-api/v3', '/mexc/ws', '/mexc/contract/edge'];

describe('the WebSocket heartbeat', () => {
  let service: TestService;
  let app: FastifyInstance;
  let url: string;

  beforeAll(async () => {
    service = await startTestService();
    app = await buildServer(service.deps, { wsPingIntervalMs: INTERVAL_MS });
    url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/^http/, 'ws');
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  /** Opens `path`; `autoPong: false` makes a client that receives pings and never answers them, as a vanished one. */
  async function open(path: string, autoPong: boolean) {
    const ws = new WebSocket(`${url}${path}`, { autoPong });
    let pings = 0;
    ws.on('ping', () => pings++);
    const closed = new Promise<number>((resolve) => ws.on('close', () => resolve(Date.now())));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return { ws, closed, opened: Date.now(), pings: () => pings };
  }

  it('drops no one when the event loop was held past a ping interval: the pongs that came meanwhile are not read yet', async () => {
    const client = await open('/ws', true);
    let held = false;
    // The client answers a ping (ws sends its pong before the event), then the process holds its
    // event loop for 2.5 intervals: the server's next tick runs late, before it reads that pong.
    client.ws.on('ping', () => {
      if (held) return;
      held = true;
      const until = performance.now() + 2.5 * INTERVAL_MS;
      while (performance.now() < until);
    });
    await sleep(6 * INTERVAL_MS);
    expect(held).toBe(true);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    client.ws.close();
  });

  it('drops a client that sends pongs of its own but does not echo the pings: unsolicited pongs keep no connection alive', async () => {
    const start = Date.now();
    const unsolicited = await open('/ws', false);
    const wrongEcho = await open('/ws', false);
    // Pongs of its own four times an interval, empty, as a keep-alive that ignores the pings.
    const beat = setInterval(() => unsolicited.ws.readyState === WebSocket.OPEN && unsolicited.ws.pong(), INTERVAL_MS / 4);
    // An answer to every ping, with a payload that is not the ping's.
    wrongEcho.ws.on('ping', (data: Buffer) => wrongEcho.ws.pong(Buffer.concat([data, Buffer.from('0')])));
    const echoing = await open('/ws', false);
    echoing.ws.on('ping', (data: Buffer) => echoing.ws.pong(data));
    try {
      const closed = await Promise.race([Promise.all([unsolicited.closed, wrongEcho.closed]), sleep(10 * INTERVAL_MS).then(() => undefined)]);
      expect(closed, 'a client without echoed pongs is still connected after 10 intervals').toBeDefined();
      for (const at of closed!) expect(at - start).toBeLessThanOrEqual(2 * INTERVAL_MS + 500);
      // The client that echoes each ping's payload by hand stays, as one whose library does.
      await sleep(4 * INTERVAL_MS);
      expect(echoing.ws.readyState).toBe(WebSocket.OPEN);
      expect(echoing.pings()).toBeGreaterThanOrEqual(3);
    } finally {
      clearInterval(beat);
      echoing.ws.close();
    }
  });

  for (const path of PATHS) {
    it(`on ${path} drops a client that stops answering pings within two intervals, and keeps one that answers`, async () => {
      const silent = await open(path, false);
      const alive = await open(path, true);
      // Pinged at the first tick (within one interval), dropped at the next: at most two intervals,
      // plus room for a loaded machine; never before one interval.
      const closedAt = await Promise.race([silent.closed, sleep(10 * INTERVAL_MS).then(() => undefined)]);
      expect(closedAt, 'the silent client is still connected after 10 intervals').toBeDefined();
      expect(closedAt! - silent.opened).toBeGreaterThanOrEqual(INTERVAL_MS - 20);
      expect(closedAt! - silent.opened).toBeLessThanOrEqual(2 * INTERVAL_MS + 500);
      expect(silent.pings()).toBeGreaterThanOrEqual(1);
      // The answering client: still open after six intervals, having been pinged at each.
      await sleep(6 * INTERVAL_MS);
      expect(alive.ws.readyState).toBe(WebSocket.OPEN);
      expect(alive.pings()).toBeGreaterThanOrEqual(5);
      alive.ws.close();
    });
  }
});
