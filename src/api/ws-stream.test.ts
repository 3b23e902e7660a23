/**
 * The WebSocket stream's limits, in-process (`injectWS`) over the real engine: the frame size, the
 * subscription count, the authentication back-off, and the close when the account is deleted.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { DEFAULT_EDGE_LIMITS } from '../config/limits-config.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { buildServer } from './server.js';
import { ACCOUNT_DELETED_CLOSE_CODE } from './ws-stream.js';
import { UNTIL_MS } from '../test-kit/wait.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };

/** Collects a socket's messages; `next(match)` waits for the first one matching. */
function listen(ws: WebSocket) {
  const messages: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data: Buffer) => {
    messages.push(JSON.parse(data.toString()) as Record<string, unknown>);
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
  return {
    closed,
    async next(match: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
      // Bounded by time, not by the number of other messages that arrive meanwhile.
      for (const end = Date.now() + UNTIL_MS; Date.now() < end; ) {
        const found = messages.find(match);
        if (found !== undefined) {
          messages.splice(messages.indexOf(found), 1);
          return found;
        }
        await Promise.race([new Promise<void>((r) => waiters.push(r)), new Promise((r) => setTimeout(r, 25))]);
      }
      throw new Error(`no matching message in ${JSON.stringify(messages)}`);
    },
  };
}

describe('the WebSocket stream', () => {
  let service: TestService;
  let app: FastifyInstance;

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    app = await buildServer(service.deps, { limits: { ...DEFAULT_EDGE_LIMITS, rateLimitMax: 0, wsMaxFrameBytes: 1_024, wsMaxSubscriptions: 2, authFailureLimit: 2, authBackoffMs: 60_000 } });
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  const account = async () => (await app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'ws', balances: { USDT: '1000' } } })).json() as { id: string; apiKey: string };

  it('closes a connection that sends a frame above the limit (1009)', async () => {
    const ws = await app.injectWS('/ws');
    const socket = listen(ws);
    ws.send(JSON.stringify({ op: 'subscribe', channels: ['x'.repeat(2_000)] }));
    expect((await socket.closed).code).toBe(1009);
  });

  it('refuses a subscription beyond the per-connection limit, whole, and keeps those held', async () => {
    const { apiKey } = await account();
    const ws = await app.injectWS('/ws');
    const socket = listen(ws);
    ws.send(JSON.stringify({ op: 'auth', apiKey }));
    await socket.next((m) => m.op === 'auth');
    ws.send(JSON.stringify({ op: 'subscribe', channels: ['account', 'market:BTCUSDT'] }));
    expect(await socket.next((m) => m.op === 'subscribe')).toMatchObject({ ok: true });
    // Subscribing again to what is held costs nothing; one more channel is refused.
    ws.send(JSON.stringify({ op: 'subscribe', channels: ['market:BTCUSDT'] }));
    expect(await socket.next((m) => m.op === 'subscribe')).toMatchObject({ ok: true });
    ws.send(JSON.stringify({ op: 'subscribe', channels: ['depth:BTCUSDT'] }));
    expect(await socket.next((m) => m.op === 'error')).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS' });
    ws.terminate();
  });

  it('refuses a subscription naming an unknown channel, whole: none of the others in it is held after', async () => {
    const { apiKey } = await account();
    const ws = await app.injectWS('/ws');
    const socket = listen(ws);
    // Before auth, "account" is refused; the valid market channel before it must not be kept.
    ws.send(JSON.stringify({ op: 'subscribe', channels: ['market:BTCUSDT', 'account'] }));
    expect(await socket.next((m) => m.op === 'error')).toMatchObject({ code: 'UNAUTHORIZED' });
    ws.send(JSON.stringify({ op: 'subscribe', channels: ['market:BTCUSDT', 'depth:NOPE'] }));
    expect(await socket.next((m) => m.op === 'error')).toMatchObject({ code: 'BAD_CHANNEL' });
    ws.send(JSON.stringify({ op: 'auth', apiKey }));
    await socket.next((m) => m.op === 'auth');
    // The limit is 2: two fresh channels fit only if the refused requests left nothing held.
    ws.send(JSON.stringify({ op: 'subscribe', channels: ['account', 'depth:BTCUSDT'] }));
    expect(await socket.next((m) => m.op === 'subscribe' || m.op === 'error')).toMatchObject({ op: 'subscribe', ok: true });
    ws.terminate();
  });

  it('tells the connection and closes it when its account is deleted', async () => {
    const { id, apiKey } = await account();
    const ws = await app.injectWS('/ws');
    const socket = listen(ws);
    ws.send(JSON.stringify({ op: 'auth', apiKey }));
    await socket.next((m) => m.op === 'auth');
    expect((await app.inject({ method: 'DELETE', url: `/api/accounts/${id}`, headers: admin })).statusCode).toBe(204);
    expect(await socket.next((m) => m.op === 'error')).toMatchObject({ code: 'ACCOUNT_DELETED' });
    expect(await socket.closed).toEqual({ code: ACCOUNT_DELETED_CLOSE_CODE, reason: 'account deleted' });
  });

  it('counts wrong keys towards the address\'s back-off, then checks no key at all', async () => {
    const { apiKey } = await account();
    // The address HTTP requests injected without one get.
    const ws = await app.injectWS('/ws', { socket: { remoteAddress: '127.0.0.1' } } as never);
    const socket = listen(ws);
    for (const wrong of ['nope-1', 'nope-2']) {
      ws.send(JSON.stringify({ op: 'auth', apiKey: wrong }));
      expect(await socket.next((m) => m.op === 'error')).toMatchObject({ code: 'UNAUTHORIZED' });
    }
    ws.send(JSON.stringify({ op: 'auth', apiKey }));
    expect(await socket.next((m) => m.op === 'error')).toMatchObject({ code: 'TOO_MANY_AUTH_FAILURES' });
    // The same address over HTTP is held back too.
    expect((await app.inject({ url: '/api/account/balances', headers: { authorization: `Bearer ${apiKey}` } })).statusCode).toBe(429);
    ws.terminate();
  });

  it('answers frames that are JSON but not objects (null, a number, a list) with BAD_MESSAGE, and stays up', async () => {
    const ws = await app.injectWS('/ws');
    const socket = listen(ws);
    for (const frame of ['null', '42', '[]', '"auth"', 'true']) {
      ws.send(frame);
      expect(await socket.next((m) => m.op === 'error')).toMatchObject({ code: 'BAD_MESSAGE' });
    }
    ws.send(JSON.stringify({ op: 'subscribe', channels: ['market:BTCUSDT'] }));
    expect(await socket.next((m) => m.op === 'subscribe')).toMatchObject({ ok: true });
    ws.terminate();
  });

  it('answers a plain GET on /ws with 426 in the documented shape', async () => {
    const res = await app.inject({ url: '/ws' });
    expect(res.statusCode).toBe(426);
    expect(res.json()).toEqual({ code: 'UPGRADE_REQUIRED', message: expect.any(String) });
  });
});
