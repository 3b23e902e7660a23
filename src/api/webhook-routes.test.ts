import { createHmac, timingSafeEqual } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { WebhookReceiver, type ReceivedRequest } from '../test-kit/webhook-receiver.js';
import { sleep, until } from '../test-kit/wait.js';
import type { FeedStatus } from './service-deps.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Stripe's scheme checked with node:crypto alone: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>. */
function signatureValid(secret: string, request: ReceivedRequest): boolean {
  const header = String(request.headers['x-papertrade-signature']);
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (match === null) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${request.body}`).digest();
  const fresh = Math.abs(Date.now() / 1000 - Number(match[1])) < 300;
  return fresh && timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'));
}

describe('outbound webhooks', () => {
  let service: TestService;
  let receiver: WebhookReceiver;
  let feedStatus: FeedStatus['status'] = 'synced';
  let feedPolls = 0;
  let alice: { id: string; apiKey: string };
  let bob: { id: string; apiKey: string };
  const inject = (options: InjectOptions) => service.app.inject(options);

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    service = await startTestService({
      until: 1723161300000,
      webhooks: {
        retry: { baseDelayMs: 40, maxDelayMs: 250, maxAttempts: 10_000 },
        feedPollMs: 20,
        feeds: () => {
          feedPolls += 1;
          return [{ symbol: 'BTCUSDT', source: 'replay', status: feedStatus, lastEventAt: service.engine.kernel.now }];
        },
      },
    });
    // alice's equity is nearly all in what she buys, so the 0.1 % fee alone passes her 0.05 % drawdown limit.
    alice = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'alice', balances: { USDT: '700' }, risk: { maxDrawdown: '0.0005' } } })).json();
    bob = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'bob', balances: { USDT: '1000' } } })).json();
  });
  afterAll(async () => {
    await service.close();
    await receiver.close();
  });

  it('refuses endpoints that are not http(s) URLs and events it does not know, naming what is allowed', async () => {
    const create = (payload: object) => inject({ method: 'POST', url: '/api/webhooks', headers: bearer(alice.apiKey), payload });
    for (const [payload, message] of [
      [{ url: 'ftp://example.com/hook', events: ['FILL'] }, /^url: the scheme must be http or https, not ftp/],
      [{ url: 'not a url', events: ['FILL'] }, /^url: not an absolute URL/],
      [{ url: 'https://user:pw@example.com/', events: ['FILL'] }, /^url: must not carry a user name or password/],
      [{ url: 'https://example.com/', events: ['FILL', 'ORDER_NEW'] }, /^events: unknown "ORDER_NEW"; allowed: FILL, LIQUIDATION, MAX_DRAWDOWN_REACHED, FEED_STALE, FEED_RECOVERED$/],
    ] as const) {
      const res = await create(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().message).toMatch(message);
    }
    expect((await inject({ method: 'POST', url: '/api/webhooks', payload: { url: 'https://example.com/', events: ['FILL'] } })).statusCode).toBe(401);
    // The key before the body: a caller without one learns nothing of the rules.
    expect((await inject({ method: 'POST', url: '/api/webhooks', payload: { url: 42 } })).statusCode).toBe(401);
    expect((await inject({ url: '/api/webhooks', headers: bearer(alice.apiKey) })).json().items).toEqual([]);
  });

  it('gives the secret once, shows the endpoint to its account only, and deletes it', async () => {
    const res = await inject({ method: 'POST', url: '/api/webhooks', headers: bearer(bob.apiKey), payload: { url: 'http://192.168.1.20:8080/hook', events: ['LIQUIDATION', 'FILL', 'FILL'], description: 'lan' } });
    expect(res.statusCode).toBe(201);
    const hook = res.json();
    expect(hook).toMatchObject({ id: expect.stringMatching(/^wh_/), url: 'http://192.168.1.20:8080/hook', events: ['FILL', 'LIQUIDATION'], description: 'lan', secret: expect.stringMatching(/^whsec_/) });
    const listed = (await inject({ url: '/api/webhooks', headers: bearer(bob.apiKey) })).json().items;
    expect(listed).toEqual([{ id: hook.id, url: hook.url, events: hook.events, description: 'lan', createdAt: hook.createdAt }]);
    expect(JSON.stringify(listed)).not.toContain(hook.secret);
    expect((await inject({ url: `/api/webhooks/${hook.id}`, headers: bearer(alice.apiKey) })).statusCode).toBe(404);
    expect((await inject({ method: 'DELETE', url: `/api/webhooks/${hook.id}`, headers: bearer(alice.apiKey) })).statusCode).toBe(404);
    const deleted = await inject({ method: 'DELETE', url: `/api/webhooks/${hook.id}`, headers: bearer(bob.apiKey) });
    expect(deleted.json()).toMatchObject({ id: hook.id, deletedAt: expect.any(Number) });
    expect((await inject({ url: '/api/webhooks', headers: bearer(bob.apiKey) })).json().items).toEqual([]);
  });

  it('delivers each chosen event once, signed, through a receiver outage, with every attempt logged', async () => {
    const aliceHook = (await inject({ method: 'POST', url: '/api/webhooks', headers: bearer(alice.apiKey), payload: { url: receiver.url('/alice'), events: ['FILL', 'MAX_DRAWDOWN_REACHED', 'FEED_STALE'] } })).json();
    const bobHook = (await inject({ method: 'POST', url: '/api/webhooks', headers: bearer(bob.apiKey), payload: { url: receiver.url('/bob'), events: ['FEED_RECOVERED'] } })).json();

    // The receiver is unavailable (503) while the events happen.
    receiver.answer = 503;
    const buy = await inject({ method: 'POST', url: '/api/orders', headers: bearer(alice.apiKey), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' } });
    expect(buy.json()).toMatchObject({ status: 'FILLED' });
    await inject({ method: 'POST', url: '/api/orders', headers: bearer(bob.apiKey), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001' } });
    await service.feedUntil(1723161302000);
    expect(service.deps.hub.kernel.isHalted(alice.id)).toBe(true);
    // Stale until the dispatcher has read it so (a poll after the change), then synced again.
    feedStatus = 'stale';
    const pollsBefore = feedPolls;
    await until(() => feedPolls > pollsBefore, 'the dispatcher to read the stale feed');
    feedStatus = 'synced';

    const deliveries = async (hook: { id: string }, key: string) => (await inject({ url: `/api/webhooks/${hook.id}/deliveries?limit=500`, headers: bearer(key) })).json().items as Array<Record<string, any>>;
    await until(async () => (await deliveries(aliceHook, alice.apiKey)).length === 3 && (await deliveries(aliceHook, alice.apiKey)).every((d) => d.attempts >= 2), 'two refused attempts of each delivery');
    // Then it is down altogether (connections refused) for a while, and comes back.
    await receiver.down();
    const refusedBefore = receiver.requests.length;
    await until(async () => (await deliveries(aliceHook, alice.apiKey)).every((d) => d.attemptLog.some((a: { error: string | null }) => a.error === 'ECONNREFUSED')), 'attempts on a receiver that is down');
    receiver.answer = 200;
    await receiver.up();
    const all = async () => [...(await deliveries(aliceHook, alice.apiKey)), ...(await deliveries(bobHook, bob.apiKey))];
    await until(async () => (await all()).every((d) => d.status === 'delivered'), 'every delivery').catch(async (error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify((await all()).map((d) => [d.event, d.status, d.attempts, d.nextAttemptAt, d.lastError]))} at ${Date.now()}`);
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(receiver.requests.length).toBeGreaterThan(refusedBefore);

    // Each chosen event accepted exactly once, nothing else; every request correctly signed.
    const accepted = receiver.accepted('/alice').map((r) => JSON.parse(r.body));
    expect(accepted.map((p) => p.type).sort()).toEqual(['FEED_STALE', 'FILL', 'MAX_DRAWDOWN_REACHED']);
    expect(new Set(accepted.map((p) => p.id)).size).toBe(3);
    expect(receiver.accepted('/bob').map((r) => JSON.parse(r.body).type)).toEqual(['FEED_RECOVERED']);
    expect(receiver.requests.every((r) => signatureValid(r.path === '/alice' ? aliceHook.secret : bobHook.secret, r))).toBe(true);
    expect(receiver.requests.every((r) => !signatureValid('whsec_wrong', r))).toBe(true);
    for (const r of receiver.accepted()) {
      const payload = JSON.parse(r.body);
      expect(r.headers['x-papertrade-delivery']).toBe(payload.id);
      expect(r.headers['x-papertrade-event']).toBe(payload.type);
      expect(r.headers['content-type']).toBe('application/json');
    }

    // The FILL is alice's one trade as the history shows it; the halt names her limit.
    const fill = accepted.find((p) => p.type === 'FILL');
    const trade = (await inject({ url: '/api/trades', headers: bearer(alice.apiKey) })).json().items[0];
    expect(fill).toMatchObject({ account: alice.id, data: { type: 'FILL', account: alice.id, tradeId: trade.id, orderId: trade.orderId, price: trade.price, quantity: trade.size, fee: trade.fee, feeAsset: 'BTC' } });
    expect(accepted.find((p) => p.type === 'MAX_DRAWDOWN_REACHED')).toMatchObject({ account: alice.id, data: { limit: '0.0005' } });
    expect(accepted.find((p) => p.type === 'FEED_STALE')).toMatchObject({ data: { symbol: 'BTCUSDT', status: 'stale' } });

    // Every attempt is in the log: refusals (503), connection errors, then one 200.
    for (const delivery of await deliveries(aliceHook, alice.apiKey)) {
      const log = delivery.attemptLog as Array<{ attempt: number; statusCode: number | null; error: string | null }>;
      expect(log.map((a) => a.attempt)).toEqual(log.map((_, i) => i + 1));
      expect(delivery.attempts).toBe(log.length);
      expect(log.filter((a) => a.statusCode === 200)).toHaveLength(1);
      expect(log.at(-1)).toMatchObject({ statusCode: 200, error: null });
      // A connection error: ECONNREFUSED, or a reset when a kept-alive socket closed under the request.
      expect(log.slice(0, -1).every((a) => (a.statusCode === 503 && a.error === 'HTTP 503') || (a.statusCode === null && /^(ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET)$/.test(a.error ?? ''))), JSON.stringify(log)).toBe(true);
      expect(log.some((a) => a.statusCode === 503) && log.some((a) => a.error === 'ECONNREFUSED')).toBe(true);
      const sent = receiver.requests.filter((r) => r.headers['x-papertrade-delivery'] === delivery.id);
      expect(sent.map((r) => r.status)).toEqual(log.filter((a) => a.statusCode !== null).map((a) => a.statusCode));
    }
    // The body is the same bytes on every attempt.
    for (const id of new Set(receiver.requests.map((r) => r.headers['x-papertrade-delivery']))) {
      expect(new Set(receiver.requests.filter((r) => r.headers['x-papertrade-delivery'] === id).map((r) => r.body)).size).toBe(1);
    }
  });

  it('sends a PING on demand, signed like any delivery, and logs it', async () => {
    const hook = (await inject({ method: 'POST', url: '/api/webhooks', headers: bearer(bob.apiKey), payload: { url: receiver.url('/ping'), events: ['LIQUIDATION'] } })).json();
    const res = await inject({ method: 'POST', url: `/api/webhooks/${hook.id}/ping`, headers: bearer(bob.apiKey) });
    expect(res.statusCode).toBe(202);
    const { deliveryId } = res.json();
    await until(() => receiver.accepted('/ping').length === 1, 'the ping');
    const [ping] = receiver.accepted('/ping');
    expect(JSON.parse(ping!.body)).toMatchObject({ id: deliveryId, type: 'PING', account: bob.id });
    expect(signatureValid(hook.secret, ping!)).toBe(true);
    await until(async () => (await inject({ url: `/api/webhooks/${hook.id}/deliveries`, headers: bearer(bob.apiKey) })).json().items[0]?.status === 'delivered', 'the ping logged');
    expect((await inject({ method: 'POST', url: `/api/webhooks/${hook.id}/ping`, headers: bearer(alice.apiKey) })).statusCode).toBe(404);
  });

  it("deletes a deleted account's endpoints", async () => {
    const carol = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'carol', balances: { USDT: '10' } } })).json();
    const hook = (await inject({ method: 'POST', url: '/api/webhooks', headers: bearer(carol.apiKey), payload: { url: receiver.url('/carol'), events: ['FEED_STALE'] } })).json();
    expect((await inject({ method: 'DELETE', url: `/api/accounts/${carol.id}`, headers: admin })).statusCode).toBe(204);
    await until(async () => (await service.webhooks!.store.get(hook.id))?.deletedAt !== null, 'the endpoint deleted');
    expect(await service.webhooks!.store.list(carol.id)).toEqual([]);
  });
});
