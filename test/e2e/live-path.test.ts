/**
 * The live code path end to end, without the internet: instance B is "the exchange" (papertrade's
 * MEXC-compatible API over real HTTP); instance A trades through its LiveExecutionService, a real
 * authenticated ccxt `mexc` client built by `createExchangeClient` with EXCHANGE_URLS pointing at B.
 * What A places, queries and cancels shows up in B's own native API.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerMexcApi } from '../../src/api/mexc/index.js';
import { buildServer } from '../../src/api/server.js';
import type { ServiceDeps } from '../../src/api/service-deps.js';
import { createExchangeClient, LiveExecutionService } from '../../src/execution/index.js';
import { formatFixed, parseFixed } from '../../src/core/money/fixed.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../src/test-kit/service-kit.js';

const START = 1723161300000;

describe('the live execution service against a second papertrade instance (MEXC API)', () => {
  let exchangeB: TestService;
  let appB: FastifyInstance;
  let venueAccount: { id: string; apiKey: string; apiSecret: string };
  let instanceA: TestService;
  let appA: FastifyInstance;
  let live: LiveExecutionService;
  let traderKey: string;

  const nativeB = async (url: string) => (await appB.inject({ url, headers: { authorization: `Bearer ${venueAccount.apiKey}` } })).json();

  beforeAll(async () => {
    exchangeB = await startTestService({ until: START });
    appB = await buildServer(exchangeB.deps, { plugins: [registerMexcApi] });
    const base = await appB.listen({ port: 0, host: '127.0.0.1' });
    venueAccount = (await appB.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'venue', balances: { USDT: '50000', BTC: '0.5' } } })).json();

    const exchange = createExchangeClient(
      {
        exchange: 'mexc',
        exchangeOptions: { enableRateLimit: false },
        exchangeUrls: { api: { spot: { public: base, private: base }, contract: { public: `${base}/api/v1/contract`, private: `${base}/api/v1/private` } } },
        exchangeApiKey: venueAccount.apiKey,
        exchangeApiSecret: venueAccount.apiSecret,
      },
      { authenticated: true },
    );
    live = new LiveExecutionService(exchange, { readRetries: 0 });
    instanceA = await startTestService({ until: START });
    const depsA: ServiceDeps = { ...instanceA.deps, execution: live, mode: { mode: 'live', liveRefusedBecause: [] } };
    appA = await buildServer(depsA);
    traderKey = (await appA.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'trader', balances: { USDT: '1' } } })).json().apiKey;
  });
  afterAll(async () => {
    await appA?.close();
    await instanceA?.close();
    await appB?.close();
    await exchangeB?.close();
  });

  it("places, queries and cancels a limit order through A's facade; B's native API shows each step", async () => {
    const bid = Number(exchangeB.engine.kernel.depth('BTCUSDT', 1)!.bids[0]![0]);
    const price = (bid - 1500).toFixed(2);
    const placed = await live.placeOrder('trader', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price, clientOrderId: 'live-path-1' });
    if (!placed.ok) throw new Error(JSON.stringify(placed.error));
    expect(placed.value).toMatchObject({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', status: 'NEW', quantity: '0.01', price, clientOrderId: 'live-path-1', mode: 'live' });
    const id = placed.value.orderId;
    expect(await nativeB(`/api/orders/${id}`)).toMatchObject({ orderId: id, clientOrderId: 'live-path-1', status: 'NEW', quantity: '0.01', mode: 'paper' });
    const locked = parseFixed(price) / 100n;
    expect((await nativeB('/api/account/balances')).balances.USDT).toEqual({ free: formatFixed(parseFixed('50000') - locked), locked: formatFixed(locked) });

    const queried = await live.getOrder('trader', { orderId: id, symbol: 'BTCUSDT' });
    expect(queried).toMatchObject({ ok: true, value: { orderId: id, status: 'NEW', executedQty: '0' } });
    const byClientId = await live.getOrder('trader', { clientOrderId: 'live-path-1', symbol: 'BTCUSDT' });
    expect(byClientId).toMatchObject({ ok: true, value: { orderId: id } });
    expect(await live.openOrders('trader', 'BTCUSDT')).toMatchObject({ ok: true, value: [{ orderId: id }] });

    const canceled = await live.cancelOrder('trader', { orderId: id, symbol: 'BTCUSDT' });
    expect(canceled).toMatchObject({ ok: true, value: { orderId: id, status: 'CANCELED' } });
    expect(await nativeB(`/api/orders/${id}`)).toMatchObject({ orderId: id, status: 'CANCELED' });
    expect((await nativeB('/api/account/balances')).balances.USDT).toEqual({ free: '50000', locked: '0' });
  });

  it("trades through A's native HTTP API in live mode: a market order fills on B", async () => {
    const res = await appA.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${traderKey}` }, payload: { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.002' } });
    expect(res.statusCode).toBe(201);
    const order = res.json();
    expect(order).toMatchObject({ status: 'FILLED', executedQty: '0.002', mode: 'live' });
    expect(await nativeB(`/api/orders/${order.orderId}`)).toMatchObject({ status: 'FILLED', executedQty: '0.002', side: 'SELL', type: 'MARKET' });
    const balancesA = (await appA.inject({ url: '/api/account/balances', headers: { authorization: `Bearer ${traderKey}` } })).json().balances;
    expect(balancesA.BTC).toEqual({ free: '0.498', locked: '0' });
    expect(balancesA).toEqual((await nativeB('/api/account/balances')).balances);
    const audit = await instanceA.deps.db.selectFrom('audit_log').selectAll().where('action', '=', 'order.place').execute();
    expect(audit.map((a) => a.mode)).toContain('live');
  });

  it("maps B's refusals to A's codes: insufficient balance, minimum, unknown order", async () => {
    const bid = Number(exchangeB.engine.kernel.depth('BTCUSDT', 1)!.bids[0]![0]);
    expect(await live.placeOrder('trader', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '5', price: bid.toFixed(2) })).toMatchObject({ ok: false, error: { code: 'INSUFFICIENT_BALANCE', mexcCode: 10101 } });
    expect(await live.placeOrder('trader', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.0001', price: (bid - 1000).toFixed(2) })).toMatchObject({ ok: false, error: { code: 'INVALID_ORDER', mexcCode: 30002 } });
    expect(await live.cancelOrder('trader', { orderId: '424242', symbol: 'BTCUSDT' })).toMatchObject({ ok: false, error: { mexcCode: -2011 } });
    expect((await nativeB('/api/orders/open')).items).toEqual([]);
  });
});
