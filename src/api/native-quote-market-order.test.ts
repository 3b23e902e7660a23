/**
 * A native market buy sized in quote (`quoteOrderQty`) read back through `POST /api/orders`,
 * `GET /api/orders/:id`, `GET /api/orders` and `GET /api/orders.csv`: its `quantity` is the base
 * quantity it bought, as Binance's and MEXC's origQty state it, never the "0" the engine holds for
 * an order that named no quantity; the quote amount asked stays in `quoteOrderQty`
 * (`quote_order_quantity` in the CSV). Oracle: the fill worked by hand from the recording's best ask.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';

let service: TestService;
let account: { id: string; apiKey: string };
const bearer = () => ({ authorization: `Bearer ${account.apiKey}` });

beforeAll(async () => {
  service = await startTestService({ until: 1723161300000 });
  account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'quote', balances: { USDT: '10000' } } })).json();
});
afterAll(async () => {
  await service?.close();
});

it('states the quantity bought in the order view, the history and the CSV, with the quote amount in its own field', async () => {
  // The touch: best ask 61828 for 0.45849 BTC; step 0.00001. 100 USDT buys the most steps that cost at most 100:
  // 0.00161 × 61828 = 99.54308 (0.00162 × 61828 = 100.16136 is too much).
  expect(service.engine.kernel.depth('BTCUSDT', 1)?.asks).toEqual([['61828', '0.45849']]);
  const res = await service.app.inject({ method: 'POST', url: '/api/orders', headers: bearer(), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quoteOrderQty: '100' } });
  expect(res.statusCode).toBe(201);
  const bought = { quantity: '0.00161', quoteOrderQty: '100', executedQty: '0.00161', cumulativeQuoteQty: '99.54308', status: 'FILLED' };
  expect(res.json()).toMatchObject(bought);
  const orderId = res.json().orderId as string;
  expect((await service.app.inject({ url: `/api/orders/${orderId}`, headers: bearer() })).json()).toMatchObject(bought);

  await service.deps.hub.readModelCaughtUp();
  expect((await service.app.inject({ url: '/api/orders', headers: bearer() })).json().items).toEqual([expect.objectContaining({ id: orderId, ...bought })]);

  const csv = (await service.app.inject({ url: '/api/orders.csv', headers: bearer() })).body.trim().split('\r\n').map((line) => line.split(','));
  const row = Object.fromEntries(csv[0]!.map((name, i) => [name, csv[1]![i]]));
  expect(csv).toHaveLength(2);
  expect(row).toMatchObject({ order_id: orderId, quantity: '0.00161', quote_order_quantity: '100', executed_quantity: '0.00161', cumulative_quote_quantity: '99.54308' });
});

it('leaves the quantity of an order that named one as it was given', async () => {
  // A limit buy of 0.001 at 60000 rests below the best ask (61828): nothing executed, quantity as given.
  const res = await service.app.inject({ method: 'POST', url: '/api/orders', headers: bearer(), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: '60000', quantity: '0.001' } });
  expect(res.json()).toMatchObject({ quantity: '0.001', executedQty: '0', status: 'NEW' });
  expect(res.json()).not.toHaveProperty('quoteOrderQty');
});
