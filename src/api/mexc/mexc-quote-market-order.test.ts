/**
 * A MEXC Spot market buy sized in quote (`quoteOrderQty`) read back by `GET /api/v3/order`,
 * `allOrders` and `DELETE`-shaped answers: MEXC states its `origQty` as the quantity it bought,
 * equal to `executedQty` (a live answer quoted in mexcdevelop/mexc-api-sdk issue #77: a
 * quoteOrderQty=6 KASUSDT buy queried back as origQty "32.69", executedQty "32.69",
 * cummulativeQuoteQty "5.72522853"), never "0"; ccxt reads `origQty` as the order's amount, so "0"
 * with a quantity filled gave a negative remainder. Oracle: the fill worked by hand from the
 * recording's best ask and MEXC's quote budget, and ccxt's own parseOrder.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import ccxt from 'ccxt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildServer } from '../server.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerMexcApi } from './mexc-api.js';
import { mexcSignature } from './mexc-signature.js';

let service: TestService;
let app: FastifyInstance;
let account: { id: string; apiKey: string; apiSecret: string };
const signed = (method: InjectOptions['method'], path: string, params: string) => {
  const total = `${params}&timestamp=${Date.now()}`;
  return app.inject({ method, url: `${path}?${total}&signature=${mexcSignature(account.apiSecret, total)}`, headers: { 'x-mexc-apikey': account.apiKey } });
};

beforeAll(async () => {
  service = await startTestService({ until: 1723161300000 });
  app = await buildServer(service.deps, { plugins: [registerMexcApi] });
  account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'quote', balances: { USDT: '10000' } } })).json();
});
afterAll(async () => {
  await app?.close();
  await service?.close();
});

it('states origQty as the quantity bought, with executedQty and cummulativeQuoteQty from the fill', async () => {
  // The touch: best ask 61828 for 0.45849 BTC; step 0.00001. 100 USDT buys the most steps that cost at most 100:
  // 0.00161 × 61828 = 99.54308 (0.00162 × 61828 = 100.16136 is too much).
  expect(service.engine.kernel.depth('BTCUSDT', 1)?.asks).toEqual([['61828', '0.45849']]);
  const placed = (await signed('POST', '/api/v3/order', 'symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=100')).json();
  expect(placed).toMatchObject({ origQty: '0.00161', quoteOrderQty: '100' });
  const bought = { origQty: '0.00161', executedQty: '0.00161', cummulativeQuoteQty: '99.54308', status: 'FILLED', origQuoteOrderQty: '100' };
  const queried = (await signed('GET', '/api/v3/order', `symbol=BTCUSDT&orderId=${placed.orderId}`)).json();
  expect(queried).toMatchObject(bought);
  expect((await signed('GET', '/api/v3/allOrders', 'symbol=BTCUSDT')).json()).toEqual([expect.objectContaining(bought)]);
  // ccxt's mexc parseOrder: amount from origQty, filled from executedQty, cost from cummulativeQuoteQty; nothing remains.
  const parsed = new ccxt.mexc().parseOrder(queried);
  expect(parsed).toMatchObject({ amount: 0.00161, filled: 0.00161, cost: 99.54308, remaining: 0 });
});
