/**
 * MEXC Spot's history windows: `GET /api/v3/allOrders` "Get all account orders including active,
 * cancelled or completed orders (the query period is the latest 24 hours by default)", on the
 * exchange's clock (a replay's time on paper).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { buildServer } from '../server.js';
import { registerMexcApi } from './mexc-api.js';
import { mexcSignature } from './mexc-signature.js';

const HOUR = 60 * 60 * 1000;

describe("MEXC Spot's history windows", () => {
  let service: TestService;
  let app: FastifyInstance;
  let account: { apiKey: string; apiSecret: string };
  const signed = async (method: 'GET' | 'POST', path: string, params: string) => {
    const total = `${params}${params === '' ? '' : '&'}timestamp=${Date.now()}`;
    return (await app.inject({ method, url: `${path}?${total}&signature=${mexcSignature(account.apiSecret, total)}`, headers: { 'x-mexc-apikey': account.apiKey } })).json();
  };
  const ids = (orders: { orderId: string }[]) => orders.map((o) => o.orderId);

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    app = await buildServer(service.deps, { plugins: [registerMexcApi] });
    account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'windows', balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  it('allOrders without startTime and endTime lists the latest 24 hours only', async () => {
    const first = await signed('POST', '/api/v3/order', 'symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=100');
    const placedAt = first.transactTime as number;
    // 25 hours later on the exchange's clock, a second order.
    await service.deps.hub.submit({ kind: 'clock', time: placedAt + 25 * HOUR });
    const second = await signed('POST', '/api/v3/order', 'symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=100');
    expect(second.transactTime).toBe(placedAt + 25 * HOUR);

    expect(ids(await signed('GET', '/api/v3/allOrders', 'symbol=BTCUSDT'))).toEqual([second.orderId]);
    // A window given reaches back as far as it says.
    expect(ids(await signed('GET', '/api/v3/allOrders', `symbol=BTCUSDT&startTime=${placedAt}&endTime=${placedAt + 25 * HOUR}`))).toEqual([first.orderId, second.orderId]);
  });
});
