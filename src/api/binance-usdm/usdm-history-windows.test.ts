/**
 * USD-M's history windows (Binance USD-M "Account Trade List", "All Orders", "Query All Algo
 * Orders"): endTime − startTime at most 7 days (-1127 beyond), and without startTime, endTime or a
 * first id, only the last 7 days of the exchange's clock.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { injectSigned } from '../../test-kit/signed-inject.js';
import { buildServer } from '../server.js';
import { registerBinanceUsdmApi } from './usdm-api.js';

const START = 1723161300000;
const DAY = 24 * 60 * 60 * 1000;

describe("USD-M's history windows", () => {
  let service: TestService;
  let app: FastifyInstance;
  let key: { apiKey: string; apiSecret: string };
  const signed = async (method: 'GET' | 'POST' | 'DELETE', path: string, params: Record<string, string>) => (await injectSigned(app, key, { method, url: `/binance/fapi${path}`, params })).json();
  const ids = (rows: { id?: number; orderId?: number; algoId?: number }[]) => rows.map((r) => r.id ?? r.algoId ?? r.orderId);

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: START });
    app = await buildServer(service.deps, { plugins: [registerBinanceUsdmApi] });
    key = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'w', type: 'futures', leverage: 10, balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  it('refuses a window longer than 7 days with -1127 and reads, without one, the last 7 days only', async () => {
    const first = await signed('POST', '/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    const firstAlgo = await signed('POST', '/v1/algoOrder', { algoType: 'CONDITIONAL', symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_MARKET', quantity: '0.01', triggerPrice: '50000', reduceOnly: 'true' });
    const placedAt = first.time as number;
    // Eight days later on the exchange's clock, a second trade.
    await service.deps.hub.submit({ kind: 'clock', time: placedAt + 8 * DAY });
    const second = await signed('POST', '/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    expect(second.time).toBe(placedAt + 8 * DAY);

    for (const path of ['/v1/userTrades', '/v1/allOrders', '/v1/allAlgoOrders']) {
      const tooWide = { symbol: 'BTCUSDT', startTime: String(placedAt), endTime: String(placedAt + 7 * DAY + 1) };
      expect(await signed('GET', path, tooWide)).toEqual({ code: -1127, msg: 'More than 168 hours between startTime and endTime.' });
    }
    // Within an explicit window of exactly 7 days, the first day's trade and orders are there.
    const firstWeek = { symbol: 'BTCUSDT', startTime: String(placedAt), endTime: String(placedAt + 7 * DAY) };
    expect(ids(await signed('GET', '/v1/userTrades', firstWeek))).toHaveLength(1);
    expect(ids(await signed('GET', '/v1/allOrders', firstWeek))).toEqual([first.orderId]);
    expect(ids(await signed('GET', '/v1/allAlgoOrders', firstWeek))).toEqual([firstAlgo.algoId]);
    // Without a window: "If startTime and endTime are both not sent, then the last 7 days' data will be returned."
    const recentTrades = await signed('GET', '/v1/userTrades', { symbol: 'BTCUSDT' });
    expect(recentTrades.map((t: { orderId: number }) => t.orderId)).toEqual([second.orderId]);
    expect(ids(await signed('GET', '/v1/allOrders', { symbol: 'BTCUSDT' }))).toEqual([second.orderId]);
    expect(await signed('GET', '/v1/allAlgoOrders', { symbol: 'BTCUSDT' })).toEqual([]);
    // A first id still pages from that id, whatever its age.
    expect(ids(await signed('GET', '/v1/allOrders', { symbol: 'BTCUSDT', orderId: String(first.orderId) }))).toEqual([first.orderId, second.orderId]);
  });

  it('no longer finds an order cancelled without a fill once 3 days have passed since it was placed, nor any order after 90 days', async () => {
    // Binance USD-M "All Orders" and "Query All Algo Orders": "These orders will not be found: order
    // status is CANCELED or EXPIRED AND order has NO filled trade AND created time + 3 days < current
    // time; order create time + 90 days < current time".
    const bid = Number(service.engine.kernel.depth('BTCUSDT', 1)!.bids[0]![0]);
    const resting = await signed('POST', '/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: String(bid - 1000) });
    const algo = await signed('POST', '/v1/algoOrder', { algoType: 'CONDITIONAL', symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_MARKET', quantity: '0.01', triggerPrice: '40000', reduceOnly: 'true' });
    const filled = await signed('POST', '/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    await injectSigned(app, key, { method: 'DELETE', url: '/binance/fapi/v1/order', params: { symbol: 'BTCUSDT', orderId: String(resting.orderId) } });
    await injectSigned(app, key, { method: 'DELETE', url: '/binance/fapi/v1/algoOrder', params: { algoId: String(algo.algoId) } });
    const placedAt = resting.time as number;
    const window = { symbol: 'BTCUSDT', startTime: String(placedAt), endTime: String(placedAt + 7 * DAY) };
    // This test's orders among those listed (the window also holds the previous test's last order).
    const ours = async (path: string) => ids(await signed('GET', path, window)).filter((id) => [resting.orderId, filled.orderId, algo.algoId].includes(id));
    await service.deps.hub.submit({ kind: 'clock', time: placedAt + 3 * DAY });
    expect(await ours('/v1/allOrders')).toEqual([resting.orderId, filled.orderId]);
    expect(await ours('/v1/allAlgoOrders')).toEqual([algo.algoId]);
    const query = async (orderId: number) => signed('GET', '/v1/order', { symbol: 'BTCUSDT', orderId: String(orderId) });
    expect(await query(resting.orderId)).toMatchObject({ orderId: resting.orderId, status: 'CANCELED' });
    await service.deps.hub.submit({ kind: 'clock', time: placedAt + 3 * DAY + 1 });
    expect(await ours('/v1/allOrders')).toEqual([filled.orderId]);
    expect(await ours('/v1/allAlgoOrders')).toEqual([]);
    // "Query Order" documents the same: the cancelled unfilled order is not found, the filled one is.
    expect(await query(resting.orderId)).toEqual({ code: -2013, msg: 'Order does not exist.' });
    expect(await query(filled.orderId)).toMatchObject({ orderId: filled.orderId, status: 'FILLED' });
    // 90 days on, not even the filled one (its trades stay in userTrades).
    await service.deps.hub.submit({ kind: 'clock', time: placedAt + 90 * DAY + 1 });
    expect(await signed('GET', '/v1/allOrders', window)).toEqual([]);
    expect(await query(filled.orderId)).toEqual({ code: -2013, msg: 'Order does not exist.' });
  });
});
