/**
 * Hostile and malformed requests, in-process over the real engine: each answered 4xx in the
 * documented shape (`{"code","message"}`, MEXC's `{"code","msg"}` under /api/v3), never 5xx, and
 * the service still trades afterwards.
 */
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { dashboardPlugin } from './dashboard-routes.js';
import { registerMexcApi } from './mexc/mexc-api.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };

describe('hostile requests', () => {
  let service: TestService;
  let key: string;
  const inject = (options: InjectOptions) => service.app.inject(options);
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000, plugins: [registerMexcApi, dashboardPlugin()] });
    key = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'target', balances: { USDT: '10000' } } })).json().apiKey;
  });
  afterAll(async () => service.close());

  const bearer = () => ({ authorization: `Bearer ${key}` });

  const nativeCases: Array<[string, () => InjectOptions, number, string]> = [
    ['an undecodable escape in the path', () => ({ url: '/api/orders/%E0%A4%A', headers: bearer() }), 400, 'BAD_URL'],
    ['an undecodable escape in a dashboard path', () => ({ url: '/%E0%A4%A' }), 400, 'BAD_URL'],
    ['an undecodable escape in an unknown path', () => ({ url: '/nope/%ZZ' }), 400, 'BAD_URL'],
    ['a body that is not JSON', () => ({ method: 'POST', url: '/api/orders', headers: { ...bearer(), ...json }, payload: '{"symbol":' }), 400, 'INVALID_JSON'],
    ['a JSON body with a __proto__ key', () => ({ method: 'POST', url: '/api/orders', headers: { ...bearer(), ...json }, payload: '{"__proto__":{"admin":true},"symbol":"BTCUSDT"}' }), 400, 'INVALID_JSON'],
    ['a JSON array where an object is expected', () => ({ method: 'POST', url: '/api/orders', headers: { ...bearer(), ...json }, payload: '[1,2,3]' }), 400, 'INVALID_REQUEST'],
    ['JSON null as the body', () => ({ method: 'POST', url: '/api/accounts', headers: { ...admin, ...json }, payload: 'null' }), 400, 'INVALID_REQUEST'],
    ['a body of an unsupported media type', () => ({ method: 'POST', url: '/api/orders', headers: { ...bearer(), 'content-type': 'text/plain' }, payload: 'symbol=BTCUSDT' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a form body on a native route', () => ({ method: 'POST', url: '/api/accounts', headers: { ...admin, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'name=x' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a body larger than the limit', () => ({ method: 'POST', url: '/api/orders', headers: { ...bearer(), ...json }, payload: `{"symbol":"${'A'.repeat(1_100_000)}"}` }), 413, 'PAYLOAD_TOO_LARGE'],
    ['an unknown API route', () => ({ url: '/api/nothing-here' }), 404, 'NOT_FOUND'],
    ['an unknown method on a known path', () => ({ method: 'PUT', url: '/api/orders' }), 405, 'METHOD_NOT_ALLOWED'],
    ['a PATCH on an order', () => ({ method: 'PATCH', url: '/api/orders/123', headers: bearer() }), 405, 'METHOD_NOT_ALLOWED'],
    ['a DELETE on the account list', () => ({ method: 'DELETE', url: '/api/accounts', headers: admin }), 405, 'METHOD_NOT_ALLOWED'],
    ['an OPTIONS request', () => ({ method: 'OPTIONS', url: '/api/orders' }), 405, 'METHOD_NOT_ALLOWED'],
    ['a limit that is not a number', () => ({ url: '/api/market/depth/BTCUSDT?limit=lots' }), 400, 'INVALID_REQUEST'],
    ['a limit far out of range', () => ({ url: '/api/market/depth/BTCUSDT?limit=99999999999999999999' }), 400, 'INVALID_REQUEST'],
    ['a limit that overflows to Infinity', () => ({ url: '/api/orders?limit=1e400', headers: bearer() }), 400, 'INVALID_REQUEST'],
    ['an offset that overflows to Infinity', () => ({ url: '/api/trades?offset=1e400', headers: bearer() }), 400, 'INVALID_REQUEST'],
    ['a leverage string that overflows to Infinity', () => ({ method: 'POST', url: '/api/account/leverage', headers: bearer(), payload: { symbol: 'BTCUSDT', leverage: '1e400' } }), 400, 'INVALID_REQUEST'],
    ['a path segment beyond the router limit', () => ({ url: `/api/orders/${'9'.repeat(5000)}`, headers: bearer() }), 404, 'NOT_FOUND'],
    ['a traversal attempt', () => ({ url: '/..%2f..%2fetc%2fpasswd' }), 404, 'NOT_FOUND'],
    ['an encoded traversal into the API', () => ({ url: '/assets/..%2f..%2f..%2fpackage.json' }), 404, 'NOT_FOUND'],
    ['a malformed Authorization header', () => ({ url: '/api/account/balances', headers: { authorization: 'Bearer' } }), 401, 'UNAUTHORIZED'],
    ['a huge order quantity', () => ({ method: 'POST', url: '/api/orders', headers: bearer(), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '9'.repeat(200), price: '60000' } }), 400, 'MAX_QUANTITY'],
    ['a WebSocket path without an upgrade', () => ({ url: '/ws' }), 426, 'UPGRADE_REQUIRED'],
    ['an unknown path under the API on the dashboard', () => ({ url: '/api/v2/whatever' }), 404, 'NOT_FOUND'],
    ['a GET on a POST-only API path', () => ({ url: '/api/accounts/import', headers: admin }), 405, 'METHOD_NOT_ALLOWED'],
  ];

  for (const [name, request, status, code] of nativeCases) {
    it(`${name}: ${status} ${code}`, async () => {
      const res = await inject(request());
      expect(res.statusCode, res.body).toBe(status);
      const body = res.json();
      expect(body).toMatchObject({ code, message: expect.any(String) });
      expect(Object.keys(body).filter((k) => k !== 'code' && k !== 'message' && k !== 'mexcCode')).toEqual([]);
    });
  }

  it('refuses a price of 100,001 digits, or of 100,000 decimals, in a message that echoes its first 40 characters and its length, not the whole', async () => {
    const huge = `1${'0'.repeat(100_000)}`;
    const fine = `0.${'0'.repeat(99_999)}1`;
    const order = { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '60000' };
    const cases: [Record<string, unknown>, string, string][] = [
      [{ ...order, price: huge }, 'INVALID_PRICE', `price is outside the instrument's price range (price 1${'0'.repeat(39)}…(100001 characters) is above the maximum 1000000)`],
      // The run echoed is the quoted text: 2 quotes + "0." + 99,999 zeros + "1" = 100,004 characters.
      [{ ...order, price: fine }, 'INVALID_ORDER', `Invalid parameter (price: more than 18 decimal places: "0.${'0'.repeat(37)}…(100004 characters))`],
      [{ ...order, type: 'STOP_LOSS', side: 'SELL', price: undefined, stopPrice: huge }, 'INVALID_PRICE', `(stopPrice 1${'0'.repeat(39)}…(100001 characters) is above the maximum 1000000)`],
      [{ ...order, takeProfit: { stopPrice: huge } }, 'INVALID_PRICE', `(takeProfit.stopPrice 1${'0'.repeat(39)}…(100001 characters) is above the maximum 1000000)`],
    ];
    for (const [payload, code, message] of cases) {
      const res = await inject({ method: 'POST', url: '/api/orders', headers: bearer(), payload });
      expect(res.statusCode).toBe(400);
      expect(res.body.length, code).toBeLessThan(400);
      expect(res.json().code).toBe(code);
      expect(res.json().message, res.json().message).toContain(message);
    }
  });

  const mexcCases: Array<[string, InjectOptions, number, number]> = [
    ['an undecodable escape', { url: '/api/v3/order/%E0%A4%A' }, 400, 700004],
    ['an unknown MEXC route', { url: '/api/v3/nothing' }, 404, 404],
    ['a method the route does not take', { method: 'PUT', url: '/api/v3/order' }, 405, 405],
    ['a JSON body that is not JSON', { method: 'POST', url: '/api/v3/order', headers: { 'content-type': 'application/json' }, payload: '{' }, 400, 700004],
    ['a body larger than the limit', { method: 'POST', url: '/api/v3/order', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `symbol=${'A'.repeat(1_100_000)}` }, 413, 413],
    ['an unsupported media type', { method: 'POST', url: '/api/v3/order', headers: { 'content-type': 'text/xml' }, payload: '<order/>' }, 415, 415],
    ['an unknown API key', { method: 'POST', url: '/api/v3/order?symbol=BTCUSDT&timestamp=1&signature=00', headers: { 'x-mexc-apikey': 'nope' } }, 400, 10072],
  ];

  it('MEXC: a signature that is malformed percent-encoding (signature=%zz) does not verify: 400 {code:700002}', async () => {
    const res = await inject({ url: `/api/v3/account?timestamp=${Date.now()}&signature=%zz`, headers: { 'x-mexc-apikey': key } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toEqual({ code: 700002, msg: expect.any(String) });
  });

  it('a 405 says which methods the path takes', async () => {
    const res = await inject({ method: 'PUT', url: '/api/accounts' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, POST');
  });

  for (const [name, request, status, code] of mexcCases) {
    it(`MEXC: ${name}: ${status} {code:${code}}`, async () => {
      const res = await inject(request);
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json()).toEqual({ code, msg: expect.any(String) });
    });
  }

  it('a raw request line Node refuses is answered 400 in the same shape', async () => {
    const { createConnection } = await import('node:net');
    if (!service.app.server.listening) await service.app.listen({ port: 0, host: '127.0.0.1' });
    const address = service.app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write('GET /api/orders HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({ code: 'BAD_REQUEST', message: expect.any(String) });
  });

  it('a HEAD request refused for its header size gets the headers only', async () => {
    const { createConnection } = await import('node:net');
    if (!service.app.server.listening) await service.app.listen({ port: 0, host: '127.0.0.1' });
    const address = service.app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write(`HEAD /api/v3/ping HTTP/1.1\r\nHost: x\r\nX-Pad: ${'y'.repeat(20_000)}\r\n\r\n`));
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    const [headers, ...rest] = answer.split('\r\n\r\n');
    expect(headers).toMatch(/^HTTP\/1\.1 431 /);
    expect(rest.join('')).toBe('');
  });

  it('after all of that, nothing answered 5xx and an ordinary order still fills', async () => {
    const results: LightMyRequestResponse[] = [];
    for (const [, request] of nativeCases) results.push(await inject(request()));
    for (const [, request] of mexcCases) results.push(await inject(request));
    expect(results.filter((r) => r.statusCode >= 500).map((r) => r.body)).toEqual([]);
    expect((await inject({ url: '/health' })).json()).toEqual({ status: 'ok' });
    const order = await inject({ method: 'POST', url: '/api/orders', headers: bearer(), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001' } });
    expect(order.json()).toMatchObject({ status: 'FILLED', executedQty: '0.001' });
  });
});
