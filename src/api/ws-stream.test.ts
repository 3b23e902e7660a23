/**
 * The WebSocket stream's limits, in-process (`injectWS`) over the real engine: the frame size, the
 * subscription count, the authentication back-off, and the close when the account is deleted; and,
 * over a real socket, the depth channel's last frame after a burst.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { DEFAULT_EDGE_LIMITS } from '../config/limits-config.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { buildServer } from './server.js';
import { ACCOUNT_DELETED_CLOSE_CODE } from './ws-stream.js';
import { sleep, UNTIL_MS } from '../test-kit/wait.js';
import { connect, until } from '../test-kit/ws-client.js';

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

describe('the depth channel over a real socket', () => {
  let service: TestService;
  let url: string;

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    url = (await service.app.listen({ port: 0, host: '127.0.0.1' })).replace(/^http/, 'ws');
  });
  afterAll(async () => service.close());

  it('sends the book after the last change of a burst, within the interval, once the book goes quiet', async () => {
    const { ws, frames } = await connect(`${url}/ws`);
    ws.send(JSON.stringify({ op: 'subscribe', channels: ['depth:BTCUSDT'] }));
    await until(() => frames.some((f) => f.op === 'subscribe'), 'the subscription');
    const kernel = service.engine.kernel;
    const time = service.fedUntil + 1;
    let id = kernel.bookStatus('BTCUSDT')!.updateId + 1_000;
    // A book of 25 levels a side, 1 USDT apart, each 1 BTC (prices and sizes written as the kernel
    // writes decimals: no trailing zeros).
    const price = (p: number) => String(p);
    const bids = new Map(Array.from({ length: 25 }, (_, i) => [price(60_000 - i), '1'] as [string, string]));
    const asks = new Map(Array.from({ length: 25 }, (_, i) => [price(60_010 + i), '1'] as [string, string]));
    await service.deps.hub.submit({ kind: 'book.snapshot', time, symbol: 'BTCUSDT', lastUpdateId: id, bids: [...bids], asks: [...asks] });
    // The burst: 40 deltas in one wave (well within 250 ms): sizes change, the best bid and ask
    // levels go and come back, a level inside the spread is added last.
    const deltas: Array<{ bids: [string, string][]; asks: [string, string][] }> = [];
    for (let k = 1; k <= 40; k++) deltas.push({ bids: [[price(60_000 - (k % 25)), `${k}.5`]], asks: [[price(60_010 + (k % 25)), k % 2 === 0 ? '0' : `${k}`]] });
    deltas.push({ bids: [[price(60_005), '0.25']], asks: [[price(60_011), '0']] });
    await Promise.all(
      deltas.map((d) => {
        const first = ++id;
        return service.deps.hub.submit({ kind: 'book.delta', time, symbol: 'BTCUSDT', firstUpdateId: first, finalUpdateId: first, bids: d.bids, asks: d.asks });
      }),
    );
    // The oracle: the snapshot and the deltas applied by hand, best 20 a side.
    for (const d of deltas) {
      for (const [p, q] of d.bids) (q === '0' ? bids.delete(p) : bids.set(p, q));
      for (const [p, q] of d.asks) (q === '0' ? asks.delete(p) : asks.set(p, q));
    }
    const top = (side: Map<string, string>, descending: boolean) =>
      [...side].sort(([a], [b]) => (descending ? Number(b) - Number(a) : Number(a) - Number(b))).slice(0, 20).map(([p, q]) => [p, q]);
    const expected = { bids: top(bids, true), asks: top(asks, false) };
    expect(expected.bids.slice(0, 2)).toEqual([['60005', '0.25'], ['60000', '25.5']]);
    expect(expected.asks.slice(0, 2)).toEqual([['60010', '25'], ['60012', '27']]);
    // Quiet: the last frame must come within one interval (250 ms); 1 s leaves room for a loaded machine.
    await sleep(1_000);
    const depth = frames.filter((f) => f.channel === 'depth:BTCUSDT');
    const last = depth.at(-1)!;
    expect({ bids: last.bids, asks: last.asks }).toEqual(expected);
    ws.close();
  });
});
