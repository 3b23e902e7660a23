/**
 * Native cancels on the bundled BTCUSDT spot tape, fed to 23:55:00 UTC (last trade 61,828.00; nothing
 * more is fed, so no trigger below is reached):
 * - `DELETE /api/orders/:id` on one leg of an OCO list cancels the whole list, as Binance does
 *   ("Canceling an individual order from an order list will cancel the entire order list");
 * - `DELETE /api/orders?symbol=` cancels every open order of the account on the symbol, a list as a
 *   whole list, and answers them;
 * - a path word such as "open" is refused as not an order id (400), not looked up as one (404).
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

  it('DELETE /api/orders?symbol= cancels every open order of the account on the symbol, the OCO list whole, and answers them', async () => {
    const a = await open('cancel-all', { USDT: '1000', BTC: '1' });
    const other = await open('cancel-all-other', { USDT: '1000' });
    // A limit buy of 0.001 at 60,000 rests below the best ask (61,828): 0.001 × 60,000 = 60 USDT locked.
    const buy = (await inject({ method: 'POST', url: '/api/orders', headers: a.headers, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: '60000', quantity: '0.001', clientOrderId: 'rest1' } })).json() as View;
    const [tp, sl] = await a.oco('all1');
    const theirs = (await inject({ method: 'POST', url: '/api/orders', headers: other.headers, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: '60000', quantity: '0.001', clientOrderId: 'theirs' } })).json() as View;
    expect(await a.balances()).toMatchObject({ USDT: { free: '940', locked: '60' }, BTC: { free: '0.99', locked: '0.01' } });

    // A symbol not traded here is refused, as an order on it is, and touches none of them.
    const unknown = await inject({ method: 'DELETE', url: '/api/orders?symbol=ETHUSDT', headers: a.headers });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toEqual({ code: 'UNKNOWN_SYMBOL', message: 'unknown symbol ETHUSDT' });
    expect(await a.openOrders()).toHaveLength(3);

    const res = await inject({ method: 'DELETE', url: '/api/orders?symbol=BTCUSDT', headers: a.headers });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as View[];
    expect(items.map((o) => [o.orderId, o.status]).sort()).toEqual([[buy.orderId, 'CANCELED'], [tp!.orderId, 'CANCELED'], [sl!.orderId, 'CANCELED']].sort());
    expect(await a.openOrders()).toEqual([]);
    expect((await inject({ url: '/api/orders/oco/all1', headers: a.headers })).json()).toMatchObject({ listOrderStatus: 'ALL_DONE' });
    expect(await a.balances()).toMatchObject({ USDT: { free: '1000', locked: '0' }, BTC: { free: '1', locked: '0' } });
    // The other account's order stays open.
    expect((await other.openOrders()).map((o) => o.orderId)).toEqual([theirs.orderId]);
    // Nothing left: an empty answer, not an error.
    expect((await inject({ method: 'DELETE', url: '/api/orders?symbol=BTCUSDT', headers: a.headers })).json()).toEqual({ items: [] });
  });

  it('a cancel-all without a symbol, or a path word where an order id goes, is refused with 400 saying what is expected', async () => {
    const a = await open('words', { USDT: '1000' });
    const noSymbol = await inject({ method: 'DELETE', url: '/api/orders', headers: a.headers });
    expect(noSymbol.statusCode).toBe(400);
    expect(noSymbol.json().message).toMatch(/symbol/);
    const word = await inject({ method: 'DELETE', url: '/api/orders/open', headers: a.headers });
    expect(word.statusCode).toBe(400);
    expect(word.json()).toEqual({ code: 'INVALID_REQUEST', message: '"open" is not an order id: an order id is the orderId POST /api/orders answered, decimal digits (e.g. "42"); to cancel every open order on a symbol: DELETE /api/orders?symbol=BTCUSDT' });
    const read = await inject({ url: '/api/orders/latest', headers: a.headers });
    expect(read.statusCode).toBe(400);
    expect(read.json().message).toMatch(/^"latest" is not an order id: .*decimal digits/);
    // An id of the right form that names no order of this account is still an unknown order.
    expect((await inject({ method: 'DELETE', url: '/api/orders/987654', headers: a.headers })).statusCode).toBe(404);
  });
});
