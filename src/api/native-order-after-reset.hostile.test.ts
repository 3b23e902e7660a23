/**
 * `GET /api/orders/:id` and `DELETE /api/orders/:id` keep to the account's current life (docs/adr/0070): after a reset, the
 * earlier account's order is unknown (404 UNKNOWN_ORDER), as `GET /api/orders` no longer lists it. The kernel holds
 * an order closed by the input it handled last until the next input, so right after the reset the
 * order its cancel closed was still answered, CANCELED, as the new account's (and its cancel refused as not open).
 *
 * Bundled spot recording at 23:55:00; a limit buy of 0.001 at 60,000 rests under the ask (61,828).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';

describe('an order of the account before its reset is not the new account’s', () => {
  let service: TestService;
  let account: { id: string; apiKey: string };
  const req = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) => {
    const reply = await service.app.inject({ method, url, headers: { authorization: `Bearer ${account.apiKey}` }, ...(payload !== undefined ? { payload } : {}) });
    return { status: reply.statusCode, body: reply.json() };
  };

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'reset', balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => service?.close());

  it('right after the reset, by id: 404, and the history is empty; an order placed since is found', async () => {
    const old = (await req('POST', '/api/orders', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '60000' })).body.orderId as string;
    expect((await req('GET', `/api/orders/${old}`)).body).toMatchObject({ status: 'NEW' });
    expect((await service.app.inject({ method: 'POST', url: `/api/accounts/${account.id}/reset`, headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: {} })).statusCode).toBe(200);
    expect(await req('GET', `/api/orders/${old}`)).toMatchObject({ status: 404, body: { code: 'UNKNOWN_ORDER' } });
    expect(await req('DELETE', `/api/orders/${old}`)).toMatchObject({ status: 404, body: { code: 'UNKNOWN_ORDER' } });
    expect((await req('GET', '/api/orders')).body.items).toEqual([]);
    const fresh = (await req('POST', '/api/orders', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '60000' })).body.orderId as string;
    expect((await req('GET', `/api/orders/${fresh}`)).body).toMatchObject({ orderId: fresh, status: 'NEW' });
  });
});
