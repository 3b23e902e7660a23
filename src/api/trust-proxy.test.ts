/**
 * TRUST_PROXY: behind a reverse proxy every client arrives from the proxy's address, so every
 * per-address count (the keyless request rate, the WebSocket connection cap) would count them all
 * as one. With the proxy trusted, the client its X-Forwarded-For names is counted instead; a
 * client that is not the trusted proxy cannot name itself another address.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { DEFAULT_EDGE_LIMITS } from '../config/limits-config.js';
import { startTestService, type TestService } from '../test-kit/service-kit.js';
import { attemptUpgrade } from '../test-kit/ws-client.js';
import { buildServer, IN_PROCESS_LIMITS } from './server.js';

const PROXY = '10.9.9.9';

describe('TRUST_PROXY in the configuration', () => {
  const read = (value: string | undefined) => loadConfig(value === undefined ? {} : { TRUST_PROXY: value }, { envFile: false });

  it('is off when unset, and takes addresses, CIDR blocks and proxy-addr range names', () => {
    const off = read(undefined);
    expect(off.ok && off.value.trustProxy).toEqual([]);
    const on = read(' 127.0.0.1, 10.0.0.0/8 ,fd00::/8,::1,loopback');
    expect(on.ok && on.value.trustProxy).toEqual(['127.0.0.1', '10.0.0.0/8', 'fd00::/8', '::1', 'loopback']);
  });

  it.each([
    ['true', 'must name the proxies: "true" would trust any client to name its own address'],
    ['*', 'must name the proxies: "*" would trust any client to name its own address'],
    ['10.0.0.0/33', '"10.0.0.0/33" is not an IP address, a CIDR block or one of loopback, linklocal, uniquelocal'],
    ['::1/129', '"::1/129" is not an IP address'],
    ['10.0.0.1,,10.0.0.2', 'holds an empty entry'],
    ['proxy.internal', '"proxy.internal" is not an IP address'],
  ])('refuses %j, naming the variable and why', (value, why) => {
    const result = read(value);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toEqual([{ variable: 'TRUST_PROXY', message: expect.stringContaining(`TRUST_PROXY: ${why}`) }]);
  });
});

describe('the keyless request rate behind a trusted proxy', () => {
  let service: TestService;
  let behindProxy: FastifyInstance;
  let direct: FastifyInstance;
  const limits = { ...DEFAULT_EDGE_LIMITS, rateLimitMax: 5, rateLimitWindowMs: 60_000, authFailureLimit: 0 };
  const get = (app: FastifyInstance, remoteAddress: string, forwardedFor: string) =>
    app.inject({ url: '/api/market/instruments', remoteAddress, headers: { 'x-forwarded-for': forwardedFor } }).then((r) => r.statusCode);

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    behindProxy = await buildServer(service.deps, { limits, trustProxy: [PROXY] });
    direct = await buildServer(service.deps, { limits });
  });
  afterAll(async () => {
    await behindProxy.close();
    await direct.close();
    await service.close();
  });

  it('counts each client the proxy names: the sixth request of one is refused, another client still passes', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push(await get(behindProxy, PROXY, '203.0.113.1'));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(await get(behindProxy, PROXY, '203.0.113.2')).toBe(200);
  });

  it('counts a client named with its source port (a proxy appending it, as Azure Application Gateway does) once, whatever the port', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push(await get(behindProxy, PROXY, `203.0.113.20:${40_000 + i}`));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    // An IPv6 client, bracketed with its port, the same way.
    const v6: number[] = [];
    for (let i = 0; i < 6; i += 1) v6.push(await get(behindProxy, PROXY, `[2001:db8::20]:${40_000 + i}`));
    expect(v6).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('counts an IPv4 client named in its IPv4-mapped IPv6 form (::ffff:a.b.c.d) and plainly as one client', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push(await get(behindProxy, PROXY, i % 2 === 0 ? '::ffff:203.0.113.30' : '203.0.113.30'));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('counts a forwarded name that is no address as the proxy itself: a made-up name each time buys no quota', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push(await get(behindProxy, PROXY, `client-${i}`));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('ignores the header from a peer that is not the trusted proxy: a new name each time buys no quota', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push(await get(behindProxy, '10.0.0.7', `198.51.100.${i}`));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('without TRUST_PROXY, every client behind the proxy shares the proxy\'s count', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push(await get(direct, PROXY, `203.0.113.${10 + i}`));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });
});

describe('the WebSocket connection cap behind a trusted proxy (real sockets)', () => {
  let service: TestService;
  let app: FastifyInstance;
  let url: string;

  /** Opens a connection as the client `forwardedFor`: the socket, or the refusal's status and body. */
  const attempt = (forwardedFor: string) => attemptUpgrade(`${url}/ws`, { headers: { 'x-forwarded-for': forwardedFor } });

  beforeAll(async () => {
    service = await startTestService();
    app = await buildServer(service.deps, { limits: { ...IN_PROCESS_LIMITS, wsMaxConnectionsPerIp: 1 }, trustProxy: ['loopback'] });
    url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/^http/, 'ws');
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  it('holds one connection per forwarded client, and names that client in the refusal', async () => {
    const first = await attempt('203.0.113.1');
    const second = await attempt('203.0.113.2');
    expect('ws' in first && 'ws' in second).toBe(true);
    expect(await attempt('203.0.113.1')).toEqual({
      status: 429,
      body: { code: 'TOO_MANY_CONNECTIONS', message: 'at most 1 WebSocket connections at once per address (1 open from 203.0.113.1): close one before opening another' },
    });
    for (const r of [first, second]) if ('ws' in r) r.ws.close();
  });
});
