/**
 * Request rate limits per key and the back-off on failed authentications, in-process over the real
 * engine, with small limits so the test sees them bite.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_EDGE_LIMITS } from '../config/limits-config.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { AuthThrottle } from './auth-throttle.js';
import { unusable } from './edge-guards.js';
import { registerMexcApi } from './mexc/mexc-api.js';
import { buildServer } from './server.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('values no route can use (unit)', () => {
  it('names the first one by its path through nested objects and arrays, a key holding U+0000 written escaped', () => {
    expect(unusable({ symbol: 'BTCUSDT', legs: [{ price: '1' }, { price: '2', size: [1, Number.POSITIVE_INFINITY] }] }, 'body', 0)).toEqual({ path: 'body/legs/1/size/1', nul: false });
    expect(unusable({ a: { b: 'x\u0000y' } }, 'body', 0)).toEqual({ path: 'body/a/b', nul: true });
    expect(unusable({ a: { 'k\u0000': 1 } }, 'querystring', 0)).toEqual({ path: 'querystring/a/k\\u0000', nul: true });
    expect(unusable(Number.NaN, 'body', 0)).toEqual({ path: 'body', nul: false });
    expect(unusable({ a: [1, 'two', { c: -0 }], d: null }, 'params', 0)).toBeUndefined();
  });
});

describe('the failed-authentication back-off (unit, fake clock)', () => {
  it('refuses after the limit for a time that doubles with each further failure, up to the cap', () => {
    let now = 0;
    const throttle = new AuthThrottle({ failureLimit: 3, backoffMs: 1_000, maxBackoffMs: 5_000 }, () => now);
    throttle.failed('a');
    throttle.failed('a');
    expect(throttle.retryAfterMs('a')).toBe(0);
    throttle.failed('a');
    expect(throttle.retryAfterMs('a')).toBe(1_000);
    expect(throttle.retryAfterMs('b')).toBe(0);
    const waits: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      now += throttle.retryAfterMs('a');
      throttle.failed('a');
      waits.push(throttle.retryAfterMs('a'));
    }
    expect(waits).toEqual([2_000, 4_000, 5_000, 5_000]);
  });

  it('forgets an address that stops failing, and never counts with a limit of 0', () => {
    let now = 0;
    const throttle = new AuthThrottle({ failureLimit: 2, backoffMs: 1_000, maxBackoffMs: 10_000 }, () => now);
    throttle.failed('a');
    now = 10_001;
    throttle.failed('a');
    expect(throttle.retryAfterMs('a')).toBe(0);
    const off = new AuthThrottle({ failureLimit: 0, backoffMs: 1_000, maxBackoffMs: 10_000 }, () => now);
    for (let i = 0; i < 100; i += 1) off.failed('a');
    expect(off.retryAfterMs('a')).toBe(0);
  });

  it('keeps at most maxTracked addresses', () => {
    const throttle = new AuthThrottle({ failureLimit: 1, backoffMs: 1_000, maxBackoffMs: 10_000, maxTracked: 2 });
    for (const address of ['a', 'b', 'c']) throttle.failed(address);
    expect(throttle.retryAfterMs('a')).toBe(0);
    expect(throttle.retryAfterMs('c')).toBeGreaterThan(0);
  });
});

describe('limits on a running server', () => {
  let service: TestService;
  let app: FastifyInstance;
  let alice: { apiKey: string; apiSecret: string };
  let bob: { apiKey: string };

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    app = await buildServer(service.deps, { plugins: [registerMexcApi], limits: { ...DEFAULT_EDGE_LIMITS, rateLimitMax: 5, rateLimitWindowMs: 60_000, authFailureLimit: 3, authBackoffMs: 500, authBackoffMaxMs: 4_000 } });
    alice = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'alice', balances: { USDT: '1000' } } })).json();
    bob = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'bob', balances: { USDT: '1000' } } })).json();
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  it('limits requests per account key: 429 RATE_LIMITED with Retry-After, other keys unaffected', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await app.inject({ url: '/api/account/balances', headers: bearer(alice.apiKey), remoteAddress: '10.0.0.1' })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await app.inject({ url: '/api/account/balances', headers: bearer(alice.apiKey), remoteAddress: '10.0.0.2' });
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toEqual({ code: 'RATE_LIMITED', message: expect.stringContaining('5 per 60000 ms') });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await app.inject({ url: '/api/account/balances', headers: bearer(bob.apiKey), remoteAddress: '10.0.0.1' })).statusCode).toBe(200);
  });

  it('answers the MEXC routes over the limit with HTTP 429 and MEXC\'s code 429', async () => {
    const headers = { 'x-mexc-apikey': bob.apiKey };
    let last;
    for (let i = 0; i < 6; i += 1) last = await app.inject({ url: '/api/v3/account?timestamp=1&signature=x', headers, remoteAddress: '10.0.0.3' });
    expect(last!.statusCode).toBe(429);
    expect(last!.json()).toEqual({ code: 429, msg: expect.stringContaining('Too Many Requests') });
    expect(last!.headers['retry-after']).toBeDefined();
  });

  it('counts requests without a known key per address, so random keys buy no quota', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await app.inject({ url: '/api/market/instruments', remoteAddress: '10.0.0.4' })).statusCode);
    expect(statuses.at(-1)).toBe(429);
    expect((await app.inject({ url: '/api/market/instruments', remoteAddress: '10.0.0.5' })).statusCode).toBe(200);
  });
});

// The back-off runs on the wall clock. Here that clock moves only when the test says so (Date alone
// is faked, before the server is built), so the 500 ms and 1000 ms windows do not depend on how fast
// a loaded machine gets from one request to the next.
describe('the failed-authentication back-off on a running server', () => {
  let service: TestService;
  let throttled: FastifyInstance;
  let alice: { apiKey: string };
  let bob: { apiKey: string };

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    alice = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'alice', balances: { USDT: '1000' } } })).json();
    bob = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'bob', balances: { USDT: '1000' } } })).json();
    vi.useFakeTimers({ toFake: ['Date'] });
    throttled = await buildServer(service.deps, { plugins: [registerMexcApi], limits: { ...DEFAULT_EDGE_LIMITS, rateLimitMax: 5, rateLimitWindowMs: 60_000, authFailureLimit: 3, authBackoffMs: 500, authBackoffMaxMs: 4_000 } });
  });
  afterAll(async () => {
    await throttled?.close();
    vi.useRealTimers();
    await service?.close();
  });

  it('backs off an address after repeated wrong keys, for longer each time, then lets the right key in', async () => {
    const from = { remoteAddress: '10.0.1.1' };
    for (let i = 0; i < 3; i += 1) expect((await throttled.inject({ url: '/api/accounts', headers: bearer(`wrong-${i}`), ...from })).statusCode).toBe(401);
    const refused = await throttled.inject({ url: '/api/accounts', headers: admin, ...from });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toEqual({ code: 'TOO_MANY_AUTH_FAILURES', message: expect.any(String) });
    expect(refused.headers['retry-after']).toBe('1');
    // Public data needs no key and is not held back; another address is not affected.
    expect((await throttled.inject({ url: '/api/market/feeds', ...from })).statusCode).toBe(200);
    expect((await throttled.inject({ url: '/api/accounts', headers: admin, remoteAddress: '10.0.1.2' })).statusCode).toBe(200);
    // MEXC keys and signatures count too, and a refused MEXC request answers in MEXC's shape.
    const mexc = await throttled.inject({ url: '/api/v3/account?timestamp=1&signature=x', headers: { 'x-mexc-apikey': alice.apiKey }, ...from });
    expect(mexc.statusCode).toBe(429);
    expect(mexc.json()).toEqual({ code: 429, msg: expect.any(String) });

    vi.advanceTimersByTime(550);
    expect((await throttled.inject({ url: '/api/accounts', headers: bearer('wrong-again'), ...from })).statusCode).toBe(401);
    // The fourth failure: 1000 ms now.
    vi.advanceTimersByTime(400);
    expect((await throttled.inject({ url: '/api/accounts', headers: admin, ...from })).statusCode).toBe(429);
    vi.advanceTimersByTime(700);
    expect((await throttled.inject({ url: '/api/accounts', headers: admin, ...from })).statusCode).toBe(200);
  });

  it('counts unknown MEXC keys towards the back-off', async () => {
    const from = { remoteAddress: '10.0.2.1' };
    for (let i = 0; i < 3; i += 1) {
      const res = await throttled.inject({ url: '/api/v3/account?timestamp=1&signature=x', headers: { 'x-mexc-apikey': `nope-${i}` }, ...from });
      expect(res.json()).toMatchObject({ code: 10072 });
    }
    expect((await throttled.inject({ url: '/api/account/balances', headers: bearer(bob.apiKey), ...from })).statusCode).toBe(429);
  });
});
