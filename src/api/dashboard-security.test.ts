/** The dashboard's security headers: a Content-Security-Policy of its own origin, framing forbidden. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../test-kit/service-kit.js';
import { registerDashboard } from './dashboard-routes.js';
import { buildServer } from './server.js';

describe('dashboard security headers', () => {
  let service: TestService;
  let app: FastifyInstance;
  beforeAll(async () => {
    service = await startTestService();
    app = await buildServer(service.deps, { plugins: [registerDashboard] });
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  it('sends a same-origin CSP that forbids framing, and X-Frame-Options DENY, on the page and its fallback', async () => {
    for (const url of ['/', '/some/client/route']) {
      const res = await app.inject({ url });
      const csp = String(res.headers['content-security-policy']);
      const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values.join(' ')]));
      expect(directives.get('frame-ancestors')).toBe("'none'");
      expect(directives.get('default-src')).toBe("'self'");
      expect(directives.get('script-src')).toBe("'self'");
      expect(directives.get('connect-src')).toBe("'self'");
      expect(directives.get('object-src')).toBe("'none'");
      expect(directives.has('upgrade-insecure-requests')).toBe(false);
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('leaves the API and its docs page as they were', async () => {
    const api = await app.inject({ url: '/api/market/instruments' });
    expect(api.statusCode).toBe(200);
    expect(api.headers['content-security-policy']).toBeUndefined();
    expect((await app.inject({ url: '/docs/json' })).statusCode).toBe(200);
  });

  it('answers an unknown Binance path (or a listenKey path read with GET) in Binance\'s {code,msg}, never the dashboard page', async () => {
    // Binance answers 404 for a path it does not serve; a ccxt client reading HTML there fails on JSON.parse.
    for (const url of ['/binance/api/v3/nope', '/binance/fapi/v1/nope', '/binance/fapi/v9/order', '/binance/api/v3/orderList/oto', '/binance']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toMatchObject({ code: expect.any(Number), msg: expect.any(String) });
    }
    for (const url of ['/binance/api/v3/userDataStream', '/binance/fapi/v1/listenKey']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(405);
      expect(res.headers.allow, url).toBe('DELETE, POST, PUT');
      expect(res.json(), url).toMatchObject({ code: expect.any(Number), msg: expect.any(String) });
    }
  });
});
