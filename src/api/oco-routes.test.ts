/**
 * OCO over REST on the bundled BTCUSDT spot tape: at 23:55:00 UTC the last trade is 61,828.00, and
 * until 23:55:30 the trades run from 61,825.37 to 61,860.80.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { buildServer } from './server.js';

describe('OCO groups over REST', () => {
  let service: TestService;
  let app: FastifyInstance;
  let account: { id: string; apiKey: string };
  const bearer = () => ({ authorization: `Bearer ${account.apiKey}` });
  const place = (payload: object) => app.inject({ method: 'POST', url: '/api/orders/oco', headers: bearer(), payload });
  const balances = async () => (await app.inject({ url: '/api/account/balances', headers: bearer() })).json().balances;

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    app = await buildServer(service.deps);
    account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'oco', balances: { USDT: '0', BTC: '1' } } })).json();
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  it('refuses a group whose stop-loss the venue refuses, and leaves no take-profit behind, not even a cancelled one', async () => {
    // 61,700.005 is off the 0.01 tick: the second leg is refused, so neither is placed.
    const res = await place({ symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', takeProfit: { stopPrice: '61850.00' }, stopLoss: { stopPrice: '61700.005' }, listClientOrderId: 'refused' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/^stopLoss: /);
    expect((await app.inject({ url: '/api/orders/open', headers: bearer() })).json().items).toEqual([]);
    expect((await balances()).BTC).toEqual({ free: '1', locked: '0' });
    expect((await app.inject({ url: '/api/orders/oco/refused', headers: bearer() })).statusCode).toBe(404);
    expect(service.deps.hub.kernel.orders(account.id)).toEqual([]);
    await service.deps.hub.readModelCaughtUp();
    expect((await app.inject({ url: '/api/orders', headers: bearer() })).json().items).toEqual([]);
  });

  it('refuses a group whose stop-loss would be a sixth open stop (MAX_NUM_ALGO_ORDERS 5), leaving the account exactly as it was', async () => {
    const other = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'oco-cap', balances: { USDT: '0', BTC: '1' } } })).json() as { id: string; apiKey: string };
    const headers = { authorization: `Bearer ${other.apiKey}` };
    // Four SELL stops at 61,000: 0.04 BTC locked; the take-profit would be the fifth stop, the stop-loss the sixth.
    for (let i = 0; i < 4; i += 1) {
      const stop = await app.inject({ method: 'POST', url: '/api/orders', headers, payload: { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', stopPrice: '61000.00', clientOrderId: `stop${i}` } });
      expect(stop.statusCode).toBe(201);
    }
    const held = async () => (await app.inject({ url: '/api/account/balances', headers })).json().balances;
    const before = await held();
    expect(before.BTC).toEqual({ free: '0.96', locked: '0.04' });
    const res = await app.inject({ method: 'POST', url: '/api/orders/oco', headers, payload: { symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', takeProfit: { stopPrice: '61850.00' }, stopLoss: { stopPrice: '61700.00' }, listClientOrderId: 'capped' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/^stopLoss: /);
    expect(await held()).toEqual(before);
    expect(service.deps.hub.kernel.orders(other.id).map((o) => [o.clientOrderId, o.status])).toEqual([0, 1, 2, 3].map((i) => [`stop${i}`, 'NEW']));
    await service.deps.hub.readModelCaughtUp();
    expect((await app.inject({ url: '/api/orders', headers })).json().items.map((o: { clientOrderId: string }) => o.clientOrderId).sort()).toEqual(['stop0', 'stop1', 'stop2', 'stop3']);
    expect((await app.inject({ url: '/api/orders/oco/capped', headers })).statusCode).toBe(404);
  });

  it('places a take-profit and a stop-loss as one group; the tape reaches the take-profit, which fills, and the stop-loss is cancelled', async () => {
    const res = await place({ symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', takeProfit: { stopPrice: '61850.00' }, stopLoss: { stopPrice: '61700.00', price: '61690.00' }, listClientOrderId: 'exit1' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      ocoGroup: 'exit1', symbol: 'BTCUSDT', listOrderStatus: 'EXECUTING',
      orders: [
        { clientOrderId: 'exit1-tp', type: 'TAKE_PROFIT', side: 'SELL', stopPrice: '61850', quantity: '0.01', status: 'NEW', ocoGroup: 'exit1' },
        { clientOrderId: 'exit1-sl', type: 'STOP_LOSS_LIMIT', side: 'SELL', stopPrice: '61700', price: '61690', quantity: '0.01', status: 'NEW', ocoGroup: 'exit1' },
      ],
    });
    // The legs share one reservation of 0.01 BTC, as Binance locks an OCO's quantity once.
    expect((await balances()).BTC).toEqual({ free: '0.99', locked: '0.01' });

    await service.feedUntil(1723161330000); // the tape reaches 61,850.00 (high 61,860.80), never 61,700.00 (low 61,825.37)
    const group = (await app.inject({ url: '/api/orders/oco/exit1', headers: bearer() })).json();
    expect(group).toMatchObject({ listOrderStatus: 'ALL_DONE', orders: [{ clientOrderId: 'exit1-tp', status: 'FILLED', executedQty: '0.01' }, { clientOrderId: 'exit1-sl', status: 'CANCELED', executedQty: '0' }] });
    expect((await balances()).BTC).toEqual({ free: '0.99', locked: '0' });
    expect((await app.inject({ method: 'DELETE', url: '/api/orders/oco/exit1', headers: bearer() })).statusCode).toBe(409);
  });

  it('cancels a whole group at once and names a group that does not exist', async () => {
    expect((await place({ symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', takeProfit: { stopPrice: '65000.00' }, stopLoss: { stopPrice: '60000.00' }, listClientOrderId: 'exit2' })).statusCode).toBe(201);
    expect((await place({ symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', takeProfit: { stopPrice: '65000.00' }, stopLoss: { stopPrice: '60000.00' }, listClientOrderId: 'exit2' })).statusCode).toBe(409);
    const cancelled = (await app.inject({ method: 'DELETE', url: '/api/orders/oco/exit2', headers: bearer() })).json();
    expect(cancelled).toMatchObject({ listOrderStatus: 'ALL_DONE', orders: [{ status: 'CANCELED' }, { status: 'CANCELED' }] });
    expect((await balances()).BTC).toEqual({ free: '0.99', locked: '0' });
    expect((await app.inject({ url: '/api/orders/oco/nope', headers: bearer() })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/api/orders/oco', payload: { side: 'HOLD' } })).statusCode).toBe(401);
    expect((await place({ symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', takeProfit: { stopPrice: '65000.00' }, stopLoss: {} })).json()).toEqual({ code: 'INVALID_REQUEST', message: 'body/stopLoss/stopPrice is required' });
  });
});
