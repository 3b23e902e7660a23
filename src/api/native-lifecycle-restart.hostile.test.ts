/**
 * A new user's order lifecycle on a perpetual through the native API, the wallet checked to the last
 * unit at each step, then the service restarted on its database (from the journal alone, then from
 * a snapshot): every read answers as it did before, orders, order groups, fills, CSV exports,
 * positions, balances and metrics.
 *
 * Bundled USD-M recording at 23:55:30: best ask 61,804.1 (2.546 BTC), step 0.001, taker 0.05%;
 * isolated account at 10x with 10,000 USDT. The sell prints up to 23:56:02.210 reach 61,750.0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';

const T0 = 1723161330000;
const SWEEP = 1723161362210;
const BTC = { symbol: 'BTCUSDT' };

describe('a native order lifecycle reads the same after restarts', () => {
  let service: TestService;
  let key: string;
  const req = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) => {
    const reply = await service.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload !== undefined ? { payload } : {}) });
    return { status: reply.statusCode, body: String(reply.headers['content-type']).includes('json') ? reply.json() : reply.body };
  };
  const usdt = async () => ((await req('GET', '/api/account/balances')).body as { balances: { USDT: { free: string; locked: string } } }).balances.USDT;
  const reads = async (groups: readonly string[]) => ({
    open: await req('GET', '/api/orders/open'),
    history: await req('GET', '/api/orders?limit=500'),
    trades: await req('GET', '/api/trades?limit=500'),
    fills: await req('GET', '/api/account/fills?limit=500'),
    account: await req('GET', '/api/account'),
    positions: await req('GET', '/api/account/positions'),
    ordersCsv: await req('GET', '/api/orders.csv'),
    tradesCsv: await req('GET', '/api/trades.csv'),
    metrics: await req('GET', '/api/account/metrics'),
    groups: await Promise.all(groups.map((g) => req('GET', `/api/orders/oco/${g}`))),
  });

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: T0 });
    key = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'lifecycle', type: 'futures', marginMode: 'isolated', leverage: 10, balances: { USDT: '10000' } } })).json().apiKey;
  });
  afterAll(async () => service?.close());

  it('opens, protects, cancels a leg, closes and cancels all, each step to the last unit, and restarts twice unchanged', async () => {
    expect((await req('POST', '/api/orders', { ...BTC, side: 'BUY', type: 'MARKET', quantity: '0.01' })).body).toMatchObject({ status: 'FILLED', cumulativeQuoteQty: '618.041' });
    // 200 USDT buys 0.003 (185.4123); 0.004 would cost 247.2164.
    expect((await req('POST', '/api/orders', { ...BTC, side: 'BUY', type: 'MARKET', quoteOrderQty: '200' })).body).toMatchObject({ status: 'FILLED', quantity: '0.003', cumulativeQuoteQty: '185.4123' });
    // Margin (618.041 + 185.4123) / 10 = 80.34533; fees 803.4533 × 0.05% = 0.40172665; free 10,000 − 80.34533 − 0.40172665.
    expect(await usdt()).toEqual({ free: '9919.25294335', locked: '80.34533' });

    // Reduce-only exits hold nothing.
    expect((await req('POST', '/api/orders', { ...BTC, side: 'SELL', type: 'LIMIT', quantity: '0.005', price: '65000', reduceOnly: true })).status).toBe(201);
    expect((await req('POST', '/api/orders', { ...BTC, side: 'SELL', type: 'STOP_LOSS', quantity: '0.002', stopPrice: '61000', reduceOnly: true })).status).toBe(201);
    const exits = { ...BTC, side: 'SELL', quantity: '0.005', takeProfit: { stopPrice: '63000' }, stopLoss: { stopPrice: '61760' }, reduceOnly: true };
    const first = (await req('POST', '/api/orders/oco', exits)).body as { ocoGroup: string; orders: { orderId: string }[] };
    expect(await usdt()).toEqual({ free: '9919.25294335', locked: '80.34533' });
    // One leg cancelled cancels the list.
    expect((await req('DELETE', `/api/orders/${first.orders[0]!.orderId}`)).body).toMatchObject({ status: 'CANCELED' });
    expect((await req('GET', `/api/orders/oco/${first.ocoGroup}`)).body).toMatchObject({ listOrderStatus: 'ALL_DONE', orders: [{ status: 'CANCELED' }, { status: 'CANCELED' }] });
    const second = (await req('POST', '/api/orders/oco', exits)).body as { ocoGroup: string };
    // A limit buy of 0.003 at 61,000: margin 18.3 and fee 0.003 × 61,000 × 0.05% = 0.0915 held.
    expect((await req('POST', '/api/orders', { ...BTC, side: 'BUY', type: 'LIMIT', quantity: '0.003', price: '61000' })).status).toBe(201);
    expect(await usdt()).toEqual({ free: '9900.86144335', locked: '98.73683' });

    await service.feedUntil(SWEEP);
    expect((await req('GET', `/api/orders/oco/${second.ocoGroup}`)).body).toMatchObject({ listOrderStatus: 'ALL_DONE', orders: [{ status: 'CANCELED' }, { status: 'FILLED' }] });
    expect((await req('POST', '/api/positions/BTCUSDT/close', {})).status).toBe(200);
    expect((await req('GET', '/api/account/positions')).body).toEqual({ items: [] });
    // Only the limit buy holds anything now: 18.3915.
    expect((await usdt()).locked).toBe('18.3915');
    expect((await req('DELETE', '/api/orders?symbol=BTCUSDT')).body).toMatchObject({ items: [{ status: 'CANCELED' }, { status: 'CANCELED' }, { status: 'CANCELED' }] });
    const settled = await usdt();
    expect(settled.locked).toBe('0');
    expect((await req('GET', '/api/account')).body).toMatchObject({ equity: settled.free, marginUsed: '0' });

    const before = await reads([first.ocoGroup, second.ocoGroup]);
    service = await service.restart({ snapshot: false });
    expect(await reads([first.ocoGroup, second.ocoGroup])).toEqual(before);
    service = await service.restart();
    expect(await reads([first.ocoGroup, second.ocoGroup])).toEqual(before);
  });
});
