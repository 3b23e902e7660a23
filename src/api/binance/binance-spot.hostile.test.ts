/**
 * The Binance Spot routes against a hostile client: requests Binance refuses by its error list
 * (https://developers.binance.com/docs/binance-spot-api-docs/errors) are refused with that code,
 * and a refused request changes nothing.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { buildServer } from '../server.js';
import { registerBinanceApi } from './binance-api.js';
import { binanceSignature } from './binance-signature.js';

describe('the Binance Spot routes refuse what Binance refuses, changing nothing', () => {
  let service: TestService;
  let app: FastifyInstance;
  let account: { id: string; apiKey: string; apiSecret: string };
  const now = 1_764_500_000_000;

  /** Everything in the query string, signed as sent (duplicates and all). */
  const signed = (method: InjectOptions['method'], path: string, query: string) => {
    const total = `${query}&timestamp=${now}`;
    return app.inject({ method, url: `/binance${path}?${total}&signature=${binanceSignature(account.apiSecret, total)}`, headers: { 'x-mbx-apikey': account.apiKey } });
  };
  const answer = async (response: Promise<{ statusCode: number; json(): unknown }>) => {
    const r = await response;
    return [r.statusCode, r.json()];
  };

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    app = await buildServer({ ...service.deps, wallClock: () => now }, { plugins: [registerBinanceApi] });
    await service.feedUntil(1723161330000);
    account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'hostile', balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  it('refuses a fromId that is not a whole number as an id, not as a time', async () => {
    for (const path of ['/binance/api/v3/aggTrades?symbol=BTCUSDT&fromId=abc', '/binance/api/v3/aggTrades?symbol=BTCUSDT&fromId=99999999999999999999']) {
      expect(await answer(app.inject({ url: path })), path).toEqual([400, { code: -1100, msg: 'Illegal characters found in a parameter: fromId must be a whole number' }]);
    }
    expect(await answer(app.inject({ url: '/binance/api/v3/aggTrades?symbol=BTCUSDT&startTime=abc' }))).toEqual([400, { code: -1100, msg: 'Illegal characters found in a parameter: startTime must be Unix ms' }]);
  });

  it('refuses a parameter sent twice with -1101 instead of taking the last one, and places nothing', async () => {
    // Signed as sent, so the signature is valid: the second quantity (5 BTC) must not silently replace the first.
    const twice = await answer(signed('POST', '/api/v3/order', 'symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=50000.00&quantity=5'));
    expect(twice).toEqual([400, { code: -1101, msg: 'Duplicate values for a parameter detected.' }]);
    const symbols = await answer(signed('POST', '/api/v3/order', 'symbol=BTCUSDT&symbol=ETHUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=50000.00'));
    expect(symbols).toEqual([400, { code: -1101, msg: 'Duplicate values for a parameter detected.' }]);
    expect((await app.inject({ url: '/binance/api/v3/depth?symbol=BTCUSDT&symbol=BTCUSDT' })).json()).toEqual({ code: -1101, msg: 'Duplicate values for a parameter detected.' });
    expect(service.engine.kernel.orders(account.id)).toHaveLength(0);
    expect(await service.deps.execution.balances(account.id)).toMatchObject({ ok: true, value: { USDT: { free: '10000', locked: '0' } } });
  });

  it('takes a timestamp in microseconds and a recvWindow with three decimals, as Binance Spot documents, and still refuses a stale one', async () => {
    const raw = (params: string) => app.inject({ url: `/binance/api/v3/account?${params}&signature=${binanceSignature(account.apiSecret, params)}`, headers: { 'x-mbx-apikey': account.apiKey } });
    const codeOf = async (params: string) => {
      const r = await raw(params);
      return [r.statusCode, (r.json() as { code?: number }).code];
    };
    expect(await codeOf(`timestamp=${now * 1_000 + 123}`)).toEqual([200, undefined]);
    expect(await codeOf(`recvWindow=5000.5&timestamp=${now - 5_000}`)).toEqual([200, undefined]);
    // 5000.5 ms after the window opened: 0.5 ms too late, in µs.
    expect(await codeOf(`recvWindow=5000&timestamp=${(now - 5_000) * 1_000 - 500}`)).toEqual([400, -1021]);
    expect(await codeOf(`recvWindow=5000.1234&timestamp=${now}`)).toEqual([400, -1102]);
  });

  it('answers myTrades and cancel on a symbol it does not trade with -1121, not an empty list or an unknown order', async () => {
    expect(await answer(signed('GET', '/api/v3/myTrades', 'symbol=NOPEUSDT'))).toEqual([400, { code: -1121, msg: 'Invalid symbol.' }]);
    expect(await answer(signed('GET', '/api/v3/myTrades', 'symbol=BTCUSDT&orderId=abc'))).toEqual([
      400,
      { code: -1100, msg: "Illegal characters found in parameter 'orderId'; legal range is '^[0-9]{1,20}$'." },
    ]);
    const placed = (await signed('POST', '/api/v3/order', 'symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=50000.00')).json();
    expect(await answer(signed('DELETE', '/api/v3/order', `symbol=NOPEUSDT&orderId=${placed.orderId}`))).toEqual([400, { code: -1121, msg: 'Invalid symbol.' }]);
    expect(service.engine.kernel.order(String(placed.orderId))?.status).toBe('NEW');
  });

  it('answers an order query and allOrders on a symbol it does not trade with -1121, not -2013 or an empty list', async () => {
    expect(await answer(signed('GET', '/api/v3/order', 'symbol=NOPEUSDT&orderId=1'))).toEqual([400, { code: -1121, msg: 'Invalid symbol.' }]);
    expect(await answer(signed('GET', '/api/v3/allOrders', 'symbol=NOPEUSDT'))).toEqual([400, { code: -1121, msg: 'Invalid symbol.' }]);
  });

  it('refuses a selfTradePreventionMode outside its enum with -1100 and a strategyType below 1000000 with -1134, placing nothing', async () => {
    const before = service.engine.kernel.orders(account.id).length;
    const limit = 'symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=50000.00';
    expect(await answer(signed('POST', '/api/v3/order', `${limit}&selfTradePreventionMode=FOO`))).toEqual([
      400,
      { code: -1100, msg: "Illegal characters found in parameter 'selfTradePreventionMode'; legal range is 'NONE, EXPIRE_TAKER, EXPIRE_MAKER, EXPIRE_BOTH, DECREMENT'." },
    ]);
    expect(await answer(signed('POST', '/api/v3/order', `${limit}&strategyType=5`))).toEqual([400, { code: -1134, msg: '`strategyType` was less than 1000000.' }]);
    expect(await answer(signed('POST', '/api/v3/order', `${limit}&strategyType=abc`))).toMatchObject([400, { code: -1100 }]);
    expect(await answer(signed('POST', '/api/v3/order/test', `${limit}&strategyType=999999`))).toEqual([400, { code: -1134, msg: '`strategyType` was less than 1000000.' }]);
    expect(service.engine.kernel.orders(account.id)).toHaveLength(before);
    // Every value Binance lists is taken.
    for (const mode of ['NONE', 'EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH', 'DECREMENT']) {
      expect(await answer(signed('POST', '/api/v3/order/test', `${limit}&selfTradePreventionMode=${mode}&strategyType=1000000&strategyId=7`))).toEqual([200, {}]);
    }
  });
});
