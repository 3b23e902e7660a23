/**
 * The Binance USD-M routes against a hostile client: what Binance's futures error list
 * (https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code) refuses is
 * refused with that code, and a refused request changes nothing.
 */
import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { buildServer } from '../server.js';
import { registerBinanceUsdmApi } from './usdm-api.js';

describe('the Binance USD-M routes refuse what Binance refuses, changing nothing', () => {
  let service: TestService;
  let app: FastifyInstance;
  let futures: { id: string; apiKey: string; apiSecret: string };

  /** Everything in the query string, signed as sent (duplicates and all). */
  const signed = async (method: 'GET' | 'POST' | 'DELETE', path: string, query: string) => {
    const total = `${query}&timestamp=${Date.now()}`;
    const signature = createHmac('sha256', futures.apiSecret).update(total).digest('hex');
    const r = await app.inject({ method, url: `/binance/fapi${path}?${total}&signature=${signature}`, headers: { 'x-mbx-apikey': futures.apiKey } });
    return [r.statusCode, r.json()];
  };
  const leverage = () => {
    const state = service.engine.kernel.account(futures.id);
    return state?.kind === 'futures' ? state.leverageOf('BTCUSDT') : undefined;
  };

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000 });
    app = await buildServer(service.deps, { plugins: [registerBinanceUsdmApi] });
    futures = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'f', type: 'futures', leverage: 20, balances: { USDT: '1000' } } })).json();
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('refuses a leverage sent twice with -1101 instead of applying the last one', async () => {
    expect(await signed('POST', '/v1/leverage', 'symbol=BTCUSDT&leverage=5&leverage=125')).toEqual([400, { code: -1101, msg: 'Duplicate values for a parameter detected.' }]);
    expect(leverage()).toBe(20);
    expect(await signed('POST', '/v1/order', 'symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&quantity=0.1')).toEqual([400, { code: -1101, msg: 'Duplicate values for a parameter detected.' }]);
    expect(service.engine.kernel.orders(futures.id)).toHaveLength(0);
  });

  it('refuses a trailing stop with a callbackRate of 0 as an invalid callbackRate (-1130 INVALID_PARAMETER), in percent as USD-M counts it', async () => {
    expect(await signed('POST', '/v1/algoOrder', 'algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=TRAILING_STOP_MARKET&quantity=0.01&callbackRate=0')).toEqual([
      400,
      { code: -1130, msg: "Data sent for parameter 'callbackRate' is not valid." },
    ]);
    expect(await signed('POST', '/v1/algoOrder', 'algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=TRAILING_STOP_MARKET&quantity=0.01&callbackRate=0.00')).toEqual([
      400,
      { code: -1130, msg: "Data sent for parameter 'callbackRate' is not valid." },
    ]);
    expect(service.engine.kernel.orders(futures.id)).toHaveLength(0);
  });

  it('refuses a trailing stop with a callbackRate above 10 % with -1130, speaking of percent as the client sent it', async () => {
    expect(await signed('POST', '/v1/algoOrder', 'algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=TRAILING_STOP_MARKET&quantity=0.01&callbackRate=11')).toEqual([
      400,
      { code: -1130, msg: "Data sent for parameter 'callbackRate' is not valid: callbackRate 11 outside 0.1–10 (percent: 1 = 1 %)." },
    ]);
    expect(await signed('POST', '/v1/algoOrder', 'algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=TRAILING_STOP_MARKET&quantity=0.01&callbackRate=0.05')).toEqual([
      400,
      { code: -1130, msg: "Data sent for parameter 'callbackRate' is not valid: callbackRate 0.05 outside 0.1–10 (percent: 1 = 1 %)." },
    ]);
    expect(service.engine.kernel.orders(futures.id)).toHaveLength(0);
  });

  it('answers order, openOrders, allOrders and userTrades on a symbol it does not trade with -1121', async () => {
    const INVALID = [400, { code: -1121, msg: 'Invalid symbol.' }];
    expect(await signed('GET', '/v1/order', 'symbol=NOPEUSDT&orderId=1')).toEqual(INVALID);
    expect(await signed('GET', '/v1/openOrders', 'symbol=NOPEUSDT')).toEqual(INVALID);
    expect(await signed('GET', '/v1/allOrders', 'symbol=NOPEUSDT')).toEqual(INVALID);
    expect(await signed('GET', '/v1/userTrades', 'symbol=NOPEUSDT')).toEqual(INVALID);
  });
});
