/**
 * A method a Binance path does not take: as on the native, MEXC and MEXC contract paths, the answer
 * is 405 with `Allow` naming the methods the path takes, in Binance's `{code,msg}` (-1020, "not
 * supported"); only a path that does not exist at all is 404. Spot and USD-M alike.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerBinanceUsdmApi } from '../binance-usdm/index.js';
import { buildServer } from '../server.js';
import { registerBinanceApi } from './binance-api.js';

describe('a Binance path asked with a method it does not take', () => {
  let service: TestService;
  let app: FastifyInstance;

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    app = await buildServer(service.deps, { plugins: [registerBinanceApi, registerBinanceUsdmApi] });
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  it.each([
    ['PUT', '/binance/api/v3/order', 'DELETE, GET, HEAD, POST'],
    ['PATCH', '/binance/api/v3/openOrders', 'DELETE, GET, HEAD'],
    ['POST', '/binance/api/v3/depth', 'GET, HEAD'],
    ['PUT', '/binance/fapi/v1/order', 'DELETE, GET, HEAD, POST'],
  ])('%s %s answers 405, Allow: %s, in Binance shape', async (method, url, allow) => {
    const r = await app.inject({ method: method as 'PUT', url });
    expect(r.statusCode).toBe(405);
    expect(r.headers.allow).toBe(allow);
    expect(r.json()).toMatchObject({ code: -1020 });
    expect(r.json().msg).toContain(`${method} is not allowed here`);
  });

  it('still answers 404 -1020 for a path that does not exist', async () => {
    const r = await app.inject({ method: 'GET', url: '/binance/api/v3/nope' });
    expect(r.statusCode).toBe(404);
    expect(r.json().code).toBe(-1020);
  });
});
