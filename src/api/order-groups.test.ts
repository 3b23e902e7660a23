/**
 * Brackets over REST and order groups over the WebSocket, on the bundled BTCUSDT spot tape
 * (Binance rules: 0.1 % fees, a buy's fee in BTC). At 23:55:00 UTC the best ask is 61,828.00 for
 * 0.45849 BTC; the first print at or above 61,850.00 comes at 23:55:09.718, and until 23:55:30
 * the tape stays between 61,825.37 and 61,860.80.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatFixed, parseFixed } from '../core/money/fixed.js';
import { socketMessages as listen } from '../test-kit/exchange-clients.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { buildServer } from './server.js';

describe('brackets and order groups over the API', () => {
  let service: TestService;
  let app: FastifyInstance;
  const open = async (name: string, balances: Record<string, string>) =>
    (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name, balances } })).json() as { id: string; apiKey: string };
  const as = (key: string) => ({ authorization: `Bearer ${key}` });

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    app = await buildServer(service.deps);
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  it('a market buy with a take-profit and a stop-loss attached fills, places its exits as one group, and exits at the take-profit', async () => {
    const trader = await open('bracket', { USDT: '1000' });
    const placed = await app.inject({
      method: 'POST', url: '/api/orders', headers: as(trader.apiKey),
      payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'brk1', takeProfit: { stopPrice: '61850.00', price: '61850.00' }, stopLoss: { stopPrice: '61700.00' } },
    });
    expect(placed.statusCode).toBe(201);
    expect(placed.json()).toMatchObject({ clientOrderId: 'brk1', status: 'FILLED', ocoGroup: 'brk1', takeProfit: { stopPrice: '61850', price: '61850' }, stopLoss: { stopPrice: '61700' } });
    const group = async () => (await app.inject({ url: '/api/orders/oco/brk1', headers: as(trader.apiKey) })).json();
    // Bought 0.01 at the 61,828.00 ask: 618.28 USDT; the 0.1 % fee (0.00001 BTC) leaves 0.00999 BTC,
    // which both exits sell and lock once.
    expect(await group()).toMatchObject({
      ocoGroup: 'brk1', contingencyType: 'BRACKET', listOrderStatus: 'EXECUTING',
      orders: [
        { clientOrderId: 'brk1', type: 'MARKET', side: 'BUY', status: 'FILLED', executedQty: '0.01', cumulativeQuoteQty: '618.28' },
        { clientOrderId: 'brk1-tp', type: 'TAKE_PROFIT_LIMIT', side: 'SELL', quantity: '0.00999', stopPrice: '61850', price: '61850', status: 'NEW', ocoGroup: 'brk1' },
        { clientOrderId: 'brk1-sl', type: 'STOP_LOSS', side: 'SELL', quantity: '0.00999', stopPrice: '61700', status: 'NEW', ocoGroup: 'brk1' },
      ],
    });
    const balances = async () => (await app.inject({ url: '/api/account/balances', headers: as(trader.apiKey) })).json().balances;
    expect(await balances()).toEqual({ BTC: { free: '0', locked: '0.00999' }, USDT: { free: '381.72', locked: '0' } });

    await service.feedUntil(1723161330000);
    expect(await group()).toMatchObject({
      listOrderStatus: 'ALL_DONE',
      orders: [{ status: 'FILLED' }, { clientOrderId: 'brk1-tp', status: 'FILLED', executedQty: '0.00999', cumulativeQuoteQty: '617.8815' }, { clientOrderId: 'brk1-sl', status: 'CANCELED', executedQty: '0' }],
    });
    // Sold 0.00999 at 61,850.00 = 617.8815, less the 0.1 % maker fee 0.6178815: 1000 − 618.28 + 617.2636185.
    expect(await balances()).toEqual({ BTC: { free: '0', locked: '0' }, USDT: { free: '998.9836185', locked: '0' } });
    const fills = (await app.inject({ url: '/api/account/fills?symbol=BTCUSDT', headers: as(trader.apiKey) })).json().items as Array<{ price: string; size: string; fee: string }>;
    // The take-profit rests at 61,850.00 and fills there in parts as the tape trades through it.
    const sum = (xs: readonly string[]) => formatFixed(xs.reduce((total, x) => total + parseFixed(x), 0n));
    const exits = fills.filter((f) => f.price !== '61828');
    expect(fills.filter((f) => f.price === '61828').map((f) => [f.size, f.fee])).toEqual([['0.01', '0.00001']]);
    expect(exits.every((f) => f.price === '61850')).toBe(true);
    expect([sum(exits.map((f) => f.size)), sum(exits.map((f) => f.fee))]).toEqual(['0.00999', '0.6178815']);
  });

  it('a bracket refused by the kernel answers why and leaves nothing', async () => {
    const trader = await open('refused', { USDT: '1000' });
    const res = await app.inject({
      method: 'POST', url: '/api/orders', headers: as(trader.apiKey),
      payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '60000.00', takeProfit: { stopPrice: '59000.00' }, stopLoss: { stopPrice: '61000.00' } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('takeProfit.stopPrice must be above stopLoss.stopPrice for a BUY entry');
    expect((await app.inject({ url: '/api/orders/open', headers: as(trader.apiKey) })).json().items).toEqual([]);
  });

  it('over the WebSocket, order events name their group, and a group is cancelled as one: the entry, so no exit follows', async () => {
    const trader = await open('ws-group', { USDT: '1000' });
    const ws = await app.injectWS('/ws');
    const socket = listen(ws);
    ws.send(JSON.stringify({ op: 'auth', apiKey: trader.apiKey }));
    await socket.next((m) => m.op === 'auth');
    ws.send(JSON.stringify({ op: 'subscribe', channels: ['account'] }));
    await socket.next((m) => m.op === 'subscribe');
    // A buy resting far below the market (the tape stays above 61,700): nothing fills.
    const res = await app.inject({
      method: 'POST', url: '/api/orders', headers: as(trader.apiKey),
      payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '61000.00', clientOrderId: 'ws1', takeProfit: { stopPrice: '62000.00' }, stopLoss: { stopPrice: '60000.00' } },
    });
    expect(res.statusCode).toBe(201);
    const created = await socket.next((m) => (m.event as { type?: string } | undefined)?.type === 'ORDER_NEW');
    expect(created.event).toMatchObject({ clientOrderId: 'ws1', ocoGroup: 'ws1', takeProfit: { stopPrice: '62000' }, stopLoss: { stopPrice: '60000' } });

    ws.send(JSON.stringify({ op: 'cancelGroup', group: 'ws1' }));
    const answer = await socket.next((m) => m.op === 'cancelGroup');
    expect(answer).toMatchObject({ ok: true, ocoGroup: 'ws1', contingencyType: 'BRACKET', listOrderStatus: 'ALL_DONE', orders: [{ clientOrderId: 'ws1', status: 'CANCELED' }] });
    expect(await socket.next((m) => (m.event as { type?: string } | undefined)?.type === 'ORDER_CANCELED')).toMatchObject({ event: { clientOrderId: 'ws1', ocoGroup: 'ws1' } });
    expect((await app.inject({ url: '/api/account/balances', headers: as(trader.apiKey) })).json().balances).toEqual({ USDT: { free: '1000', locked: '0' } });

    ws.send(JSON.stringify({ op: 'cancelGroup', group: 'ws1' }));
    expect(await socket.next((m) => m.op === 'error')).toMatchObject({ code: 'ORDER_NOT_OPEN' });
    ws.send(JSON.stringify({ op: 'cancelGroup', group: 'nope' }));
    expect(await socket.next((m) => m.op === 'error' && m.code === 'UNKNOWN_ORDER')).toMatchObject({ message: 'no order group nope' });
    ws.terminate();
  });

  it('an OCO over the WebSocket: its legs carry the group, and cancelGroup ends both', async () => {
    const trader = await open('ws-oco', { BTC: '0.02' });
    const ws = await app.injectWS('/ws');
    const socket = listen(ws);
    ws.send(JSON.stringify({ op: 'auth', apiKey: trader.apiKey }));
    await socket.next((m) => m.op === 'auth');
    ws.send(JSON.stringify({ op: 'subscribe', channels: ['account'] }));
    await socket.next((m) => m.op === 'subscribe');
    const res = await app.inject({ method: 'POST', url: '/api/orders/oco', headers: as(trader.apiKey), payload: { symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', takeProfit: { stopPrice: '65000.00' }, stopLoss: { stopPrice: '60000.00' }, listClientOrderId: 'wsoco' } });
    expect(res.statusCode).toBe(201);
    await socket.next((m) => (m.event as { clientOrderId?: string } | undefined)?.clientOrderId === 'wsoco-sl');
    const news = socket.messages.filter((m) => (m.event as { type?: string } | undefined)?.type === 'ORDER_NEW').map((m) => m.event);
    expect(news).toMatchObject([{ clientOrderId: 'wsoco-tp', ocoGroup: 'wsoco' }, { clientOrderId: 'wsoco-sl', ocoGroup: 'wsoco' }]);
    ws.send(JSON.stringify({ op: 'cancelGroup', group: 'wsoco' }));
    expect(await socket.next((m) => m.op === 'cancelGroup')).toMatchObject({ ok: true, contingencyType: 'OCO', listOrderStatus: 'ALL_DONE', orders: [{ status: 'CANCELED' }, { status: 'CANCELED' }] });
    expect((await app.inject({ url: '/api/account/balances', headers: as(trader.apiKey) })).json().balances).toEqual({ BTC: { free: '0.02', locked: '0' } });
    ws.terminate();
  });
});
