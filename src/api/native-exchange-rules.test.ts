import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { buildServer } from './server.js';

// The spot examples through the native API on the bundled BTCUSDT spot recording at
// 1723161400000 (last trade 61,747.28; 5-minute average 61,812.19): the native body carries the
// native code, MEXC's code and the words, and the trailing callback is a fraction (0.01 = 1 %),
// bounded by TRAILING_DELTA's 10–2000 BIPS = 0.001–0.2.
const T = 1723161400000;

describe('exchange rules through the native API', () => {
  let service: TestService;
  let app: FastifyInstance;
  let key: string;
  const place = async (payload: object) => {
    const reply = await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${key}` }, payload: { symbol: 'BTCUSDT', ...payload } });
    return { status: reply.statusCode, body: reply.json() as Record<string, unknown> };
  };

  beforeAll(async () => {
    service = await startTestService({ until: T });
    app = await buildServer(service.deps);
    key = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'rules', balances: { USDT: '100000', BTC: '10' } } })).json().apiKey;
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('a LIMIT BUY 0.1 at 100 and a SELL 0.001 at 10000 are refused with PERCENT_PRICE (MEXC 30087), nothing fills', async () => {
    for (const order of [{ side: 'BUY', type: 'LIMIT', quantity: '0.1', price: '100' }, { side: 'SELL', type: 'LIMIT', quantity: '0.001', price: '10000' }]) {
      const { status, body } = await place(order);
      expect(status).toBe(400);
      expect(body).toMatchObject({ code: 'PERCENT_PRICE', mexcCode: 30087, message: expect.stringMatching(/^Order price exceeds allowed range \(.* outside 0\.2×–5× the 5-minute average price/) });
    }
  });

  it('a SELL STOP_LOSS at 62000 (the price is already below) is refused with WOULD_TRIGGER_IMMEDIATELY', async () => {
    const { status, body } = await place({ side: 'SELL', type: 'STOP_LOSS', quantity: '0.001', stopPrice: '62000' });
    expect([status, body.code, body.mexcCode]).toEqual([400, 'WOULD_TRIGGER_IMMEDIATELY', 30010]);
    expect(body.message).toMatch(/^Stop price would trigger immediately\./);
  });

  it('callbackRate is a fraction: 0.0001 (0.01 %) and 0.5 (50 %) are refused with TRAILING_DELTA, 0.001 and 0.2 rest', async () => {
    const trail = (callbackRate: string) => place({ side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.001', callbackRate });
    for (const rate of ['0.0001', '0.5']) {
      const { status, body } = await trail(rate);
      expect([status, body.code, body.mexcCode]).toEqual([400, 'TRAILING_DELTA', 700004]);
      expect(body.message).toBe(`Filter failure: TRAILING_DELTA (callbackRate ${rate} outside 0.001–0.2 (fractions: 0.01 = 1 %))`);
    }
    for (const rate of ['0.001', '0.2']) expect((await trail(rate)).body).toMatchObject({ status: 'NEW', callbackRate: rate });
  });
});
