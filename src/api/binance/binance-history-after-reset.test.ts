/**
 * Binance Spot's account histories (`myTrades`, `allOrders`, `GET /api/v3/order`) after the account
 * is reset: the read tables keep the earlier account's orders and fills under the same id, and the
 * histories list only the current account's, as USD-M's income does (persistence/account-life.ts).
 * Oracle: a market buy before the reset and one after, placed here; the earlier order asked by id
 * answers Binance's -2013 "Order does not exist." as an order the account never had does.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { injectSigned } from '../../test-kit/signed-inject.js';
import { buildServer } from '../server.js';
import { registerBinanceApi } from './binance-api.js';

let service: TestService;
let app: FastifyInstance;
let keys: { id: string; apiKey: string; apiSecret: string };
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const signed = (path: string, params: Record<string, string> = {}, method: 'GET' | 'POST' = 'GET') => injectSigned(app, keys, { method, url: `/binance${path}`, params });

beforeAll(async () => {
  service = await startTestService({ until: 1723161300000 });
  app = await buildServer(service.deps, { plugins: [registerBinanceApi] });
  keys = (await app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'spot', balances: { USDT: '10000' } } })).json();
});
afterAll(async () => {
  await app?.close();
  await service?.close();
});

it('myTrades, allOrders and the order by id list only the account since its reset', async () => {
  const symbol = service.recording.symbol;
  const buy = async () => (await signed('/api/v3/order', { symbol, side: 'BUY', type: 'MARKET', quantity: '0.001' }, 'POST')).json() as { orderId: number; status: string };
  const before = await buy();
  expect(before.status).toBe('FILLED');
  expect((await signed('/api/v3/myTrades', { symbol })).json()).toHaveLength(1);
  const reset = await app.inject({ method: 'POST', url: `/api/accounts/${keys.id}/reset`, headers: admin, payload: { balances: { USDT: '10000' } } });
  expect(reset.statusCode, reset.body).toBeLessThan(300);
  // Nothing since the reset: the earlier account's fill and order are not this one's.
  expect((await signed('/api/v3/myTrades', { symbol })).json()).toEqual([]);
  expect((await signed('/api/v3/allOrders', { symbol })).json()).toEqual([]);
  expect((await signed('/api/v3/order', { symbol, orderId: String(before.orderId) })).json()).toEqual({ code: -2013, msg: 'Order does not exist.' });
  const after = await buy();
  expect((await signed('/api/v3/myTrades', { symbol })).json().map((t: { orderId: number }) => t.orderId)).toEqual([after.orderId]);
  expect((await signed('/api/v3/allOrders', { symbol })).json().map((o: { orderId: number }) => o.orderId)).toEqual([after.orderId]);
});
