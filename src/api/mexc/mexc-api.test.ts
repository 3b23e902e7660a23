/** The MEXC routes over raw HTTP (in-process): MEXC's exact shapes and error codes, signed by hand. */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../server.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerMexcApi } from './mexc-api.js';
import { mexcSignature } from './mexc-signature.js';

describe('the MEXC v3 routes (raw HTTP)', () => {
  let service: TestService;
  let app: FastifyInstance;
  let account: { id: string; apiKey: string; apiSecret: string };

  /** A request signed as MEXC's docs show: parameters in the query string, signature last. */
  const signed = (method: InjectOptions['method'], path: string, params: string, extra: { key?: string; secret?: string } = {}) => {
    const total = `${params}${params === '' ? '' : '&'}timestamp=${Date.now()}`;
    const signature = mexcSignature(extra.secret ?? account.apiSecret, total);
    return app.inject({ method, url: `${path}?${total}&signature=${signature}`, headers: { 'x-mexc-apikey': extra.key ?? account.apiKey } });
  };

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    app = await buildServer(service.deps, { plugins: [registerMexcApi] });
    await service.feedUntil(1723161330000);
    account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'raw', balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  it('answers ping, time, contract detail and exchangeInfo in MEXC shapes', async () => {
    expect((await app.inject({ url: '/api/v3/ping' })).json()).toEqual({});
    expect(Math.abs((await app.inject({ url: '/api/v3/time' })).json().serverTime - Date.now())).toBeLessThan(5_000);
    expect((await app.inject({ url: '/api/v1/contract/detail' })).json()).toEqual({ success: true, code: 0, data: [] });
    const info = (await app.inject({ url: '/api/v3/exchangeInfo?symbol=BTCUSDT' })).json();
    expect(info).toMatchObject({ timezone: 'CST', rateLimits: [], exchangeFilters: [] });
    expect(info.symbols).toEqual([
      expect.objectContaining({
        symbol: 'BTCUSDT', status: '1', baseAsset: 'BTC', quoteAsset: 'USDT', baseAssetPrecision: 5, quotePrecision: 2, quoteAssetPrecision: 2,
        baseSizePrecision: '0.00001', quoteAmountPrecision: '10', maxQuoteAmount: '2000000', makerCommission: '0.001', takerCommission: '0.001',
        orderTypes: ['LIMIT', 'MARKET', 'LIMIT_MAKER', 'IMMEDIATE_OR_CANCEL', 'FILL_OR_KILL'], filters: [], isSpotTradingAllowed: true, permissions: ['SPOT'],
      }),
    ]);
  });

  it('answers market data for unknown or missing symbols with MEXC codes', async () => {
    expect((await app.inject({ url: '/api/v3/depth?symbol=NOPEUSDT' })).json()).toEqual({ code: -1121, msg: 'Invalid symbol.' });
    expect((await app.inject({ url: '/api/v3/exchangeInfo?symbols=BTCUSDT,NOPE' })).json()).toEqual({ code: -1121, msg: 'Invalid symbol.' });
    const missing = await app.inject({ url: '/api/v3/depth' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({ code: 700004, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." });
    expect((await app.inject({ url: '/api/v3/klines?symbol=BTCUSDT&interval=2m' })).json()).toMatchObject({ code: 700004 });
    const tickers = (await app.inject({ url: '/api/v3/ticker/price' })).json();
    expect(tickers).toEqual([{ symbol: 'BTCUSDT', price: expect.stringMatching(/^\d+\.?\d*$/) }]);
    const book = (await app.inject({ url: '/api/v3/ticker/bookTicker?symbol=BTCUSDT' })).json();
    const depth = (await app.inject({ url: '/api/v3/depth?symbol=BTCUSDT&limit=1' })).json();
    expect(book).toEqual({ symbol: 'BTCUSDT', bidPrice: depth.bids[0][0], bidQty: depth.bids[0][1], askPrice: depth.asks[0][0], askQty: depth.asks[0][1] });
  });

  it('authenticates as MEXC does: header, key, signature, recvWindow', async () => {
    const noKey = await app.inject({ url: `/api/v3/account?timestamp=${Date.now()}&signature=x` });
    expect(noKey.statusCode).toBe(400);
    expect(noKey.json()).toEqual({ code: 400, msg: 'api key required' });
    expect((await signed('GET', '/api/v3/account', '', { key: 'pt_nope' })).json()).toEqual({ code: 10072, msg: 'Api key info invalid' });
    expect((await signed('GET', '/api/v3/account', '', { secret: 'wrong' })).json()).toEqual({ code: 700002, msg: 'Signature for this request is not valid.' });
    expect((await app.inject({ url: `/api/v3/account?timestamp=${Date.now()}`, headers: { 'x-mexc-apikey': account.apiKey } })).json()).toMatchObject({ code: 700004 });
    expect((await signed('GET', '/api/v3/account', 'recvWindow=70000')).json()).toMatchObject({ code: 700005 });
    const stale = `timestamp=${Date.now() - 10_000}`;
    const res = await app.inject({ url: `/api/v3/account?${stale}&signature=${mexcSignature(account.apiSecret, stale)}`, headers: { 'x-mexc-apikey': account.apiKey } });
    expect(res.json()).toEqual({ code: 700003, msg: 'Timestamp for this request is outside of the recvWindow.' });
    const ok = (await signed('GET', '/api/v3/account', 'recvWindow=60000')).json();
    expect(ok).toMatchObject({ makerCommission: 10, takerCommission: 10, canTrade: true, accountType: 'SPOT', balances: [{ asset: 'USDT', free: '10000', locked: '0' }], permissions: ['SPOT'] });
  });

  it('takes signed parameters in a form body too', async () => {
    const query = `symbol=BTCUSDT&timestamp=${Date.now()}`;
    const body = 'side=BUY&type=MARKET&quoteOrderQty=20';
    const res = await app.inject({
      method: 'POST', url: `/api/v3/order/test?${query}`, payload: `${body}&signature=${mexcSignature(account.apiSecret, query + body)}`,
      headers: { 'x-mexc-apikey': account.apiKey, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({});
  });

  it('order/test validates as a placement does (MEXC: "creates and validates a new order"), and places nothing', async () => {
    const test = async (query: string) => (await signed('POST', '/api/v3/order/test', `symbol=BTCUSDT&side=BUY&type=LIMIT&${query}`)).json();
    const open = async () => (await signed('GET', '/api/v3/openOrders', 'symbol=BTCUSDT')).json();
    const before = await open();
    // The bundled spec: tick 0.01, step 0.00001, minimum notional 10 USDT; MEXC's codes 30010, 10096, 30002.
    expect(await test('quantity=0.001&price=50000.001')).toMatchObject({ code: 30010 });
    expect(await test('quantity=0.000001&price=50000')).toMatchObject({ code: 10096 });
    expect(await test('quantity=0.0001&price=50000')).toMatchObject({ code: 30002 });
    expect(await test('quantity=0.001&price=50000')).toEqual({});
    expect(await open()).toEqual(before);
  });

  it('validates orders as MEXC does and answers a new order with its id and terms', async () => {
    expect((await signed('POST', '/api/v3/order', 'symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=0.001')).json()).toMatchObject({ code: 700004, msg: expect.stringContaining("'price'") });
    expect((await signed('POST', '/api/v3/order', 'symbol=BTCUSDT&side=BUY&type=STOP_LOSS&quantity=0.001')).json()).toMatchObject({ code: 700004 });
    expect((await signed('POST', '/api/v3/order', 'symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&quoteOrderQty=10')).json()).toMatchObject({ code: -1128 });
    expect((await signed('POST', '/api/v3/order', 'symbol=ETHUSDT&side=BUY&type=MARKET&quantity=0.01')).json()).toMatchObject({ code: 30014 });
    const ask = (await app.inject({ url: '/api/v3/depth?symbol=BTCUSDT&limit=1' })).json().asks[0][0];
    expect((await signed('POST', '/api/v3/order', `symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&quantity=0.001&price=${ask}`)).json()).toMatchObject({ code: 30010 });
    const placed = await signed('POST', '/api/v3/order', 'symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=0.001&price=50000.5&newClientOrderId=raw-1');
    expect(placed.statusCode).toBe(200);
    const body = placed.json();
    expect(body).toEqual({ symbol: 'BTCUSDT', orderId: expect.stringMatching(/^\d+$/), orderListId: -1, price: '50000.5', origQty: '0.001', type: 'LIMIT', side: 'BUY', transactTime: expect.any(Number) });
    const queried = (await signed('GET', '/api/v3/order', 'symbol=BTCUSDT&origClientOrderId=raw-1')).json();
    expect(queried).toMatchObject({ orderId: body.orderId, clientOrderId: 'raw-1', status: 'NEW', executedQty: '0', cummulativeQuoteQty: '0', timeInForce: null, type: 'LIMIT' });
    expect((await signed('GET', '/api/v3/order', 'symbol=BTCUSDT')).json()).toEqual({ code: 700004, msg: "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null" });
    expect((await signed('GET', '/api/v3/order', 'symbol=BTCUSDT&orderId=987654')).json()).toEqual({ code: -2013, msg: 'Order does not exist.' });
    const canceled = (await signed('DELETE', '/api/v3/order', `symbol=BTCUSDT&orderId=${body.orderId}`)).json();
    expect(canceled).toMatchObject({ orderId: body.orderId, origClientOrderId: 'raw-1', status: 'CANCELED', executedQty: '0' });
    expect((await signed('DELETE', '/api/v3/order', `symbol=BTCUSDT&orderId=${body.orderId}`)).json()).toEqual({ code: -2011, msg: 'Unknown order sent.' });
  });

  it('shows an order placed on the native API through the MEXC API', async () => {
    const native = (await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${account.apiKey}` }, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '50000', clientOrderId: 'native-1' } })).json();
    const open = (await signed('GET', '/api/v3/openOrders', 'symbol=BTCUSDT')).json();
    expect(open).toEqual([expect.objectContaining({ orderId: native.orderId, clientOrderId: 'native-1', status: 'NEW', price: '50000', origQty: '0.001' })]);
    expect((await signed('DELETE', '/api/v3/openOrders', '')).json()).toMatchObject({ code: 700004 });
    expect((await signed('DELETE', '/api/v3/openOrders', 'symbol=BTCUSDT')).json()).toEqual([expect.objectContaining({ orderId: native.orderId, status: 'CANCELED' })]);
  });

  it('lists the assets of the instruments in the capital config, deposits and withdrawals off', async () => {
    const coins = (await signed('GET', '/api/v3/capital/config/getall', '')).json();
    expect(coins.map((c: { coin: string }) => c.coin)).toEqual(['BTC', 'USDT']);
    expect(coins[0].networkList[0]).toMatchObject({ coin: 'BTC', network: 'BTC', netWork: 'BTC', depositEnable: false, withdrawEnable: false });
    expect((await signed('GET', '/api/v3/tradeFee', 'symbol=BTCUSDT')).json()).toMatchObject({ code: 0, data: { makerCommission: 0.001, takerCommission: 0.001 } });
  });
});
