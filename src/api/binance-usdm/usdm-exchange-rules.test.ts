import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { injectSigned } from '../../test-kit/signed-inject.js';
import { buildServer } from '../server.js';
import { registerBinanceUsdmApi } from './usdm-api.js';

// The USD-M examples through the Binance USD-M API, on the recording of 2024-08-08 at
// 1723161400000 (last trade about 61,700; mark 61,725.1), answered as Binance's USDⓈ-M error list
// words them: -4024 for a limit under 0.85 × the mark, -2021 for a stop already reached, -4164 for a
// notional under 100 USDT unless reduce-only, and callbackRate in percent (0.1–10).
const T = 1723161400000;

describe('USD-M exchange rules through the Binance USD-M API (in-process, real engine and recording)', () => {
  let service: TestService;
  let app: FastifyInstance;
  let key: { apiKey: string; apiSecret: string };

  const signed = (method: 'POST' | 'DELETE', path: string, params: Record<string, string>) => injectSigned(app, key, { method, url: `/binance/fapi${path}`, params });
  const order = async (params: Record<string, string>) => (await signed('POST', '/v1/order', { symbol: 'BTCUSDT', ...params })).json();
  const algo = async (params: Record<string, string>) => (await signed('POST', '/v1/algoOrder', { algoType: 'CONDITIONAL', symbol: 'BTCUSDT', ...params })).json();

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: T });
    app = await buildServer(service.deps, { plugins: [registerBinanceUsdmApi] });
    key = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'f', type: 'futures', leverage: 10, balances: { USDT: '20000' } } })).json();
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it("a LIMIT BUY 0.01 at 40000 is refused with -4024 and the floor 0.85 × the mark; at 53000 it rests", async () => {
    expect(await order({ side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '40000' })).toEqual({ code: -4024, msg: "Limit price can't be lower than 52466.335." });
    expect(await order({ side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '53000' })).toMatchObject({ status: 'NEW' });
    // 1.15 × 61,725.1 = 70,983.865: a SELL above it is -4016.
    expect(await order({ side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '71000' })).toEqual({ code: -4016, msg: "Limit price can't be higher than 70983.865." });
    await signed('DELETE', '/v1/allOpenOrders', { symbol: 'BTCUSDT' });
  });

  it('on a long, a reduce-only SELL STOP_MARKET at 62000 is refused with -2021; at 61000 it waits', async () => {
    expect(await order({ side: 'BUY', type: 'MARKET', quantity: '0.002' })).toMatchObject({ status: 'FILLED' });
    expect(await algo({ side: 'SELL', type: 'STOP_MARKET', quantity: '0.002', triggerPrice: '62000', reduceOnly: 'true' })).toEqual({ code: -2021, msg: 'Order would immediately trigger.' });
    expect(await algo({ side: 'SELL', type: 'STOP_MARKET', quantity: '0.002', triggerPrice: '61000', reduceOnly: 'true' })).toMatchObject({ algoStatus: 'NEW' });
  });

  it('a reduce-only LIMIT and TAKE_PROFIT of 0.001 (about 62 USDT) are accepted; without reduce-only the LIMIT is -4164', async () => {
    expect(await order({ side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '62000' })).toEqual({ code: -4164, msg: "Order's notional must be no smaller than 100 (unless you choose reduce only)." });
    expect(await order({ side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '62000', reduceOnly: 'true' })).toMatchObject({ status: 'NEW', reduceOnly: true });
    expect(await algo({ side: 'SELL', type: 'TAKE_PROFIT', timeInForce: 'GTC', quantity: '0.001', price: '62500', triggerPrice: '62500', reduceOnly: 'true' })).toMatchObject({ algoStatus: 'NEW' });
  });

  it('callbackRate is in percent: 0.01 (0.01 %) and 11 are refused, 0.1 and 10 accepted', async () => {
    const trail = (callbackRate: string) => algo({ side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.002', callbackRate, reduceOnly: 'true' });
    expect(await trail('0.01')).toEqual({ code: -1130, msg: "Data sent for parameter 'callbackRate' is not valid: callbackRate 0.01 outside 0.1–10 (percent: 1 = 1 %)." });
    expect(await trail('11')).toEqual({ code: -1130, msg: "Data sent for parameter 'callbackRate' is not valid: callbackRate 11 outside 0.1–10 (percent: 1 = 1 %)." });
    expect(await trail('0.1')).toMatchObject({ algoStatus: 'NEW', callbackRate: '0.1' });
    expect(await trail('10')).toMatchObject({ algoStatus: 'NEW', callbackRate: '10' });
  });
});
