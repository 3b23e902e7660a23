/**
 * Native cancels on the bundled BTCUSDT spot tape, fed to 23:55:00 UTC (last trade 61,828.00; nothing
 * more is fed, so no trigger below is reached):
 * - `DELETE /api/orders/:id` on one leg of an OCO list cancels the whole list, as Binance does
 *   ("Canceling an individual order from an order list will cancel the entire order list").
 */
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';

type View = { orderId: string; clientOrderId: string; status: string; ocoGroup?: string };

describe('native order cancels', () => {
  let service: TestService;
  const inject = (options: InjectOptions) => service.app.inject(options);
  const open = async (name: string, balances: Record<string, string>) => {
    const made = (await inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name, balances } })).json() as { apiKey: string };
    const headers = { authorization: `Bearer ${made.apiKey}` };
    return {
      headers,
      oco: async (group: string) => {
        // A SELL OCO of 0.01 BTC: take-profit at 65,000 and stop-loss at 60,000, both far from 61,828.
        const res = await inject({ method: 'POST', url: '/api/orders/oco', headers, payload: { symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', takeProfit: { stopPrice: '65000.00' }, stopLoss: { stopPrice: '60000.00' }, listClientOrderId: group } });
        expect(res.statusCode).toBe(201);
        return res.json().orders as View[];
      },
      balances: async () => (await inject({ url: '/api/account/balances', headers })).json().balances as Record<string, { free: string; locked: string }>,
      openOrders: async () => (await inject({ url: '/api/orders/open', headers })).json().items as View[],
    };
  };

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
  });
  afterAll(async () => {
    await service?.close();
  });

  it('DELETE /api/orders/:id on one leg of an OCO list cancels the other leg and frees the 0.01 BTC they shared', async () => {
    const a = await open('one-leg', { USDT: '0', BTC: '1' });
    const [tp, sl] = await a.oco('leg');
    // One reservation for both legs: 1 − 0.01 = 0.99 free, 0.01 locked.
    expect((await a.balances()).BTC).toEqual({ free: '0.99', locked: '0.01' });
    const res = await inject({ method: 'DELETE', url: `/api/orders/${tp!.orderId}`, headers: a.headers });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ orderId: tp!.orderId, status: 'CANCELED', ocoGroup: 'leg' });
    expect((await inject({ url: `/api/orders/${sl!.orderId}`, headers: a.headers })).json()).toMatchObject({ orderId: sl!.orderId, status: 'CANCELED' });
    expect((await inject({ url: '/api/orders/oco/leg', headers: a.headers })).json()).toMatchObject({ listOrderStatus: 'ALL_DONE', orders: [{ status: 'CANCELED' }, { status: 'CANCELED' }] });
    expect(await a.openOrders()).toEqual([]);
    expect((await a.balances()).BTC).toEqual({ free: '1', locked: '0' });
  });
});
