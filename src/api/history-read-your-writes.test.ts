import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { ReadModel } from '../persistence/read-model.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };

let service: TestService;
let key: string;
beforeAll(async () => {
  service = await startTestService();
  key = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'ryw', balances: { USDT: '100000' } } })).json<{ apiKey: string }>().apiKey;
}, 60_000);
afterAll(async () => service.close());

/**
 * The read tables follow the engine a moment behind (on PostgreSQL, or under load, more than a turn
 * of the event loop). Here the projection of the order is held back until the read has started: a
 * history read must wait for it, not answer from tables that do not hold the order yet.
 */
it.each([
  ['GET /api/orders', '/api/orders', (body: string) => (JSON.parse(body) as { items: Array<{ clientOrderId: string }> }).items.map((o) => o.clientOrderId)],
  ['GET /api/trades', '/api/trades', (body: string) => (JSON.parse(body) as { items: Array<{ orderId: string }> }).items.map((t) => t.orderId)],
  ['GET /api/account/fills', '/api/account/fills', (body: string) => (JSON.parse(body) as { items: Array<{ orderId: string }> }).items.map((t) => t.orderId)],
  ['GET /api/orders.csv', '/api/orders.csv', (body: string) => body.split('\n').slice(1).filter((l) => l !== '')],
  ['GET /api/trades.csv', '/api/trades.csv', (body: string) => body.split('\n').slice(1).filter((l) => l !== '')],
])('%s right after an order is answered lists it, although its projection was still on its way', async (_name, url, listed) => {
  const headers = { authorization: `Bearer ${key}` };
  const before = listed((await service.app.inject({ url, headers })).body).length;
  const apply = ReadModel.prototype.apply;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const held = vi.spyOn(ReadModel.prototype, 'apply').mockImplementation(async function (this: ReadModel, ...args) {
    await gate;
    return apply.apply(this, args);
  });
  try {
    const placed = await service.app.inject({ method: 'POST', url: '/api/orders', headers, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001' } });
    expect(placed.statusCode, placed.body).toBe(201);
    let answered = false;
    const read = service.app.inject({ url, headers }).then((res) => ((answered = true), res));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false); // waiting for the read tables
    release();
    const res = await read;
    expect(res.statusCode, res.body).toBe(200);
    expect(listed(res.body).length).toBeGreaterThan(before);
  } finally {
    release();
    held.mockRestore();
  }
});
