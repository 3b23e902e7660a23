/**
 * `/mexc/ws` under clients that misbehave: a listen key of a deleted account, a connection kept
 * open on a key that was closed, dropped or expired, and a SUBSCRIPTION naming thousands of channels. The expected answers are MEXC's documented ones
 * (https://www.mexc.com/api-docs/spot-v3/websocket-user-data-streams): "Invalid listen key" and
 * the close for a key that names no live account; at most 30 subscriptions per connection.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { buildServer } from '../server.js';

interface Account {
  id: string;
  apiKey: string;
  apiSecret: string;
}

interface Connection {
  readonly texts: string[];
  readonly closed: Promise<number>;
  readonly socket: WebSocket;
}

describe('/mexc/ws refuses', () => {
  let service: TestService;
  let base: string;

  beforeAll(async () => {
    service = await startTestService();
    base = await service.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => service.close());

  const openAccount = async (name: string): Promise<Account> =>
    (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name, balances: { USDT: '1000' } } })).json() as Account;

  /** MEXC's signing: HMAC-SHA256 of the query string under the secret, the key in X-MEXC-APIKEY. */
  const createListenKey = async (account: Account): Promise<string> => {
    const query = `timestamp=${Date.now()}`;
    const signature = createHmac('sha256', account.apiSecret).update(query).digest('hex');
    const res = await service.app.inject({ method: 'POST', url: `/api/v3/userDataStream?${query}&signature=${signature}`, headers: { 'x-mexc-apikey': account.apiKey } });
    expect(res.statusCode).toBe(200);
    return (res.json() as { listenKey: string }).listenKey;
  };

  const connect = async (query = ''): Promise<Connection> => {
    const socket = new WebSocket(`${base.replace('http', 'ws')}/mexc/ws${query}`);
    const texts: string[] = [];
    socket.on('message', (data: Buffer, binary: boolean) => {
      if (!binary) texts.push(data.toString());
    });
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return { socket, texts, closed };
  };

  it("a deleted account's listen key on a new connection: Invalid listen key, closed 1008", async () => {
    const alice = await openAccount('alice');
    const key = await createListenKey(alice);
    const before = await connect(`?listenKey=${key}`);
    before.socket.close();
    await before.closed;

    const deleted = await service.app.inject({ method: 'DELETE', url: `/api/accounts/${alice.id}`, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(deleted.statusCode).toBe(204);

    const after = await connect(`?listenKey=${key}`);
    expect(await after.closed).toBe(1008);
    expect(after.texts).toEqual(['Invalid listen key']);
  });

  it('an open connection whose listen key is closed (DELETE) or dropped as the 61st: Invalid listen key, closed 1008', async () => {
    const bob = await openAccount('bob');
    const key = await createListenKey(bob);
    const c = await connect(`?listenKey=${key}`);
    c.socket.send(JSON.stringify({ method: 'SUBSCRIPTION', params: ['spot@private.orders.v3.api.pb'], id: 1 }));
    await expect.poll(() => c.texts.length).toBe(1);
    const query = `listenKey=${key}&timestamp=${Date.now()}`;
    const signature = createHmac('sha256', bob.apiSecret).update(query).digest('hex');
    const closed = await service.app.inject({ method: 'DELETE', url: `/api/v3/userDataStream?${query}&signature=${signature}`, headers: { 'x-mexc-apikey': bob.apiKey } });
    expect(closed.json()).toEqual({ listenKey: key });
    expect(await c.closed).toBe(1008);
    expect(c.texts.at(-1)).toBe('Invalid listen key');

    const oldest = await createListenKey(bob);
    const kept = await connect(`?listenKey=${oldest}`);
    for (let i = 0; i < 60; i += 1) await createListenKey(bob);
    expect(await kept.closed).toBe(1008);
    expect(kept.texts).toEqual(['Invalid listen key']);
  });

  it('an open connection whose listen key expires (60 minutes without keep-alive): Invalid listen key, closed 1008', async () => {
    let now = Date.now();
    const app = await buildServer({ ...service.deps, wallClock: () => now });
    try {
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      const carol = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'carol', balances: { USDT: '1000' } } })).json() as Account;
      const query = `timestamp=${now}`;
      const signature = createHmac('sha256', carol.apiSecret).update(query).digest('hex');
      const key = ((await app.inject({ method: 'POST', url: `/api/v3/userDataStream?${query}&signature=${signature}`, headers: { 'x-mexc-apikey': carol.apiKey } })).json() as { listenKey: string }).listenKey;
      const socket = new WebSocket(`${url.replace('http', 'ws')}/mexc/ws?listenKey=${key}`);
      const texts: string[] = [];
      socket.on('message', (data: Buffer, binary: boolean) => void (binary ? undefined : texts.push(data.toString())));
      const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
      await new Promise((resolve) => socket.once('open', resolve));
      now += 59 * 60_000;
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(socket.readyState).toBe(WebSocket.OPEN);
      now += 61 * 60_000;
      expect(await closed).toBe(1008);
      expect(texts).toEqual(['Invalid listen key']);
    } finally {
      await app.close();
    }
  });

  it('a PING is answered with an integer id, as MEXC documents {"id":0,"code":0,"msg":"PONG"}: the request\'s own whole id, else 0', async () => {
    const c = await connect();
    // Sent as raw text: 1e1 is the number 10, 1e400 parses to Infinity (JSON.stringify writes null),
    // 2^53 + 1 parses to 2^53, past the whole numbers a double holds exactly.
    const frames = ['{"method":"PING","id":1e1}', '{"method":"PING","id":1.5}', '{"method":"PING","id":1e400}', '{"method":"PING","id":-3}', '{"method":"PING","id":"7"}', '{"method":"PING","id":9007199254740993}', '{"method":"PING"}', '{"method":"PING","id":9007199254740991}'];
    for (const frame of frames) c.socket.send(frame);
    await expect.poll(() => c.texts.length).toBe(frames.length);
    expect(c.texts).toEqual([10, 0, 0, 0, 0, 0, 0, 9007199254740991].map((id) => `{"id":${id},"code":0,"msg":"PONG"}`));
    c.socket.close();
  });

  it('a SUBSCRIPTION of 3,000 names: one refusal, nothing subscribed', async () => {
    const c = await connect();
    const names = Array.from({ length: 3000 }, (_, i) => (i === 0 ? 'spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT' : 'a'));
    c.socket.send(JSON.stringify({ method: 'SUBSCRIPTION', params: names, id: 7 }));
    c.socket.send(JSON.stringify({ method: 'PING', id: 8 }));
    await expect.poll(() => c.texts.length).toBeGreaterThanOrEqual(2);
    expect(c.texts.map((t) => JSON.parse(t) as { id: number; msg: string })).toEqual([
      { id: 7, code: 0, msg: 'Not Subscribed successfully! [3000 channels].  Reason： at most 30 subscriptions per connection' },
      { id: 8, code: 0, msg: 'PONG' },
    ]);
    // Nothing was taken: 30 names still fit.
    const thirty = ['deals', 'depth', 'bookTicker'].flatMap((k) => ['100ms', '10ms'].map((i) => `spot@public.aggre.${k}.v3.api.pb@${i}@BTCUSDT`));
    c.socket.send(JSON.stringify({ method: 'SUBSCRIPTION', params: thirty, id: 9 }));
    await expect.poll(() => c.texts.length).toBe(3);
    expect(JSON.parse(c.texts[2]!)).toEqual({ id: 9, code: 0, msg: thirty.join(',') });
    c.socket.close();
  });
});
