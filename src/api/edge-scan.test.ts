/**
 * Every documented route (from the OpenAPI document) and the MEXC routes, each method, with and
 * without keys, with hostile path segments, query values and bodies: no answer is 5xx, every 4xx
 * is a JSON body in its dialect's shape. Deterministic (a fixed table, no randomness).
 */
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { dashboardPlugin } from './dashboard-routes.js';
import { isMexcPath } from './edge-errors.js';
import { registerMexcApi } from './mexc/mexc-api.js';
import { isMexcContractPath } from './mexc-contract/mexc-contract-errors.js';

const VALUES = ['', '-1', '1e400', 'NaN', '%00', '%E0%A4%A', '9'.repeat(400), "'; DROP TABLE", '__proto__', '1.0000000000000000000001'];
const BODIES = ['{"a":', '[]', 'null', '{"__proto__":{"x":1}}', JSON.stringify({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '1e3', price: [] }), JSON.stringify({ balances: { USDT: {} }, document: [], leverage: 1e308 })];
const MEXC = ['/api/v3/order', '/api/v3/openOrders', '/api/v3/account', '/api/v3/myTrades', '/api/v3/allOrders', '/api/v3/order/test', '/api/v3/depth', '/api/v3/klines', '/api/v3/trades', '/api/v3/ticker/24hr'];

describe('a scan of every route with hostile input', () => {
  let service: TestService;
  let apiKey: string;
  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000, plugins: [registerMexcApi, dashboardPlugin()] });
    apiKey = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'scan', balances: { USDT: '1000', BTC: '1' } } })).json().apiKey;
  });
  afterAll(async () => service.close());

  it('answers thousands of hostile requests without a 5xx, each 4xx in its shape', async () => {
    const docs = (await service.app.inject({ url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const routes: Array<[string, string]> = [];
    for (const [path, operations] of Object.entries(docs.paths)) for (const method of Object.keys(operations)) routes.push([method.toUpperCase(), path.replace(/\{[^}]+\}/g, ':param')]);
    for (const path of MEXC) for (const method of ['GET', 'POST', 'DELETE']) routes.push([method, path]);
    expect(routes.length).toBeGreaterThan(40);
    const keys = [{}, { authorization: `Bearer ${apiKey}` }, { authorization: `Bearer ${ADMIN_KEY}` }, { 'x-mexc-apikey': apiKey }];
    const problems: string[] = [];
    let sent = 0;
    for (const [method, path] of routes) {
      for (const headers of keys) {
        for (const value of VALUES) {
          const url = `${path.replace(/:param/g, encodeURIComponent(value) || 'x')}?symbol=${value}&limit=${value}&orderId=${value}&timestamp=${Date.now()}&signature=${value}&interval=${value}&quantity=${value}`;
          for (const body of method === 'GET' ? [undefined] : BODIES) {
            const request: InjectOptions = { method: method as InjectOptions['method'], url, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { payload: body } : {}) };
            const res = await service.app.inject(request);
            sent += 1;
            if (res.statusCode >= 500) problems.push(`${res.statusCode} ${method} ${url.slice(0, 100)} → ${res.body.slice(0, 200)}`);
            else if (res.statusCode >= 400) {
              let shapeOk = false;
              try {
                const json = res.json() as Record<string, unknown>;
                shapeOk = isMexcContractPath(url)
                  ? json.success === false && typeof json.code === 'number' && typeof json.message === 'string'
                  : isMexcPath(url)
                    ? typeof json.code === 'number' && typeof json.msg === 'string'
                    : typeof json.code === 'string' && typeof json.message === 'string';
              } catch {
                shapeOk = false;
              }
              if (!shapeOk) problems.push(`${res.statusCode} ${method} ${url.slice(0, 100)}: not the shape → ${res.body.slice(0, 200)}`);
            }
          }
        }
      }
    }
    console.log(`edge scan: ${sent} requests, ${problems.length} problems`);
    expect(sent).toBeGreaterThan(5_000);
    expect(problems.slice(0, 20)).toEqual([]);
    const order = await service.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${apiKey}` }, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001' } });
    expect(order.json()).toMatchObject({ status: 'FILLED' });
  }, 300_000);
});
