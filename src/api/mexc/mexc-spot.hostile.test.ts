/**
 * The MEXC Spot v3 routes against a hostile client: a symbol the spot API does not trade answers
 * MEXC's -1121 "Invalid symbol." on every route that names one, and a refused request changes nothing.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { buildServer } from '../server.js';
import { registerMexcApi } from './mexc-api.js';
import { mexcSignature } from './mexc-signature.js';

describe('the MEXC v3 routes refuse a symbol they do not trade', () => {
  let service: TestService;
  let app: FastifyInstance;
  let account: { id: string; apiKey: string; apiSecret: string };

  const signed = async (method: InjectOptions['method'], path: string, params: string) => {
    const total = `${params}${params === '' ? '' : '&'}timestamp=${Date.now()}`;
    const r = await app.inject({ method, url: `${path}?${total}&signature=${mexcSignature(account.apiSecret, total)}`, headers: { 'x-mexc-apikey': account.apiKey } });
    return [r.statusCode, r.json()];
  };
  const INVALID = [400, { code: -1121, msg: 'Invalid symbol.' }];

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    app = await buildServer(service.deps, { plugins: [registerMexcApi] });
    await service.feedUntil(1723161330000);
    account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'hostile', balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  it('answers openOrders, myTrades, cancel and cancel-all on an unknown symbol with -1121, and cancels nothing', async () => {
    const [status, placed] = await signed('POST', '/api/v3/order', 'symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=0.001&price=50000');
    expect(status).toBe(200);
    const orderId = (placed as { orderId: string }).orderId;
    expect(await signed('GET', '/api/v3/openOrders', 'symbol=NOPEUSDT')).toEqual(INVALID);
    expect(await signed('GET', '/api/v3/myTrades', 'symbol=NOPEUSDT')).toEqual(INVALID);
    expect(await signed('DELETE', '/api/v3/order', `symbol=NOPEUSDT&orderId=${orderId}`)).toEqual(INVALID);
    // One unknown symbol among several refuses the whole request: BTCUSDT's order stays open.
    expect(await signed('DELETE', '/api/v3/openOrders', 'symbol=BTCUSDT,NOPEUSDT')).toEqual(INVALID);
    expect(service.engine.kernel.order(orderId)?.status).toBe('NEW');
  });

  it('answers an order query and allOrders on an unknown symbol with -1121, not an unknown order or an empty list', async () => {
    expect(await signed('GET', '/api/v3/order', 'symbol=NOPEUSDT&orderId=1')).toEqual(INVALID);
    expect(await signed('GET', '/api/v3/allOrders', 'symbol=NOPEUSDT')).toEqual(INVALID);
  });
});
