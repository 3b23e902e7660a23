import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulExact, parseFixed } from '../../core/money/fixed.js';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { injectSigned } from '../../test-kit/signed-inject.js';
import { buildServer } from '../server.js';
import { registerBinanceUsdmApi } from './usdm-api.js';

const START = 1723161300000;

describe("the Binance USD-M API's edge (in-process, real engine and recording)", () => {
  let service: TestService;
  let app: FastifyInstance;
  let futures: { apiKey: string; apiSecret: string };
  let spot: { apiKey: string; apiSecret: string };

  const open = async (payload: Record<string, unknown>) => (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload })).json();
  /** A request signed as Binance's docs show: HMAC-SHA256 of the query string with the account's secret. */
  const signed = (method: 'GET' | 'POST' | 'DELETE', path: string, params: Record<string, string>, key = futures) => injectSigned(app, key, { method, url: `/binance/fapi${path}`, params });

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: START });
    app = await buildServer(service.deps, { plugins: [registerBinanceUsdmApi] });
    futures = await open({ name: 'f', type: 'futures', leverage: 20, balances: { USDT: '50000' } });
    spot = await open({ name: 's', balances: { USDT: '50000' } });
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it("answers unknown paths, missing keys, wrong symbols and spot accounts in Binance's shape", async () => {
    const unknown = await app.inject({ url: '/binance/fapi/v1/nothing' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: -1020 });
    expect((await app.inject({ url: '/binance/fapi/v2/balance' })).json()).toMatchObject({ code: -2014 });
    expect((await app.inject({ url: '/binance/fapi/v1/depth?symbol=ETHBTC' })).json()).toEqual({ code: -1121, msg: 'Invalid symbol.' });
    const bySpot = await signed('GET', '/v2/balance', {}, spot);
    expect(bySpot.statusCode).toBe(401);
    expect(bySpot.json()).toMatchObject({ code: -2015 });
  });

  it('counts orders per 10 seconds and per minute in the headers USD-M sends', async () => {
    const placed = await signed('POST', '/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    expect(placed.statusCode).toBe(200);
    expect(placed.headers['x-mbx-order-count-10s']).toBe('1');
    expect(placed.headers['x-mbx-order-count-1m']).toBe('1');
    expect(placed.json()).toMatchObject({ symbol: 'BTCUSDT', status: 'FILLED', type: 'MARKET', origType: 'MARKET', positionSide: 'BOTH', executedQty: '0.01' });
  });

  it('answers a quantity or callbackRate finer than 18 decimals (the pattern admits 20) with -2010, not a 500', async () => {
    const tiny = '0.00000000000000000001';
    const huge = '99999999999999999999.99999999999999999999';
    for (const [path, params] of [
      ['/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: huge }],
      ['/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: tiny }],
      ['/v1/algoOrder', { algoType: 'CONDITIONAL', symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_MARKET', quantity: huge, triggerPrice: '50000' }],
      ['/v1/algoOrder', { algoType: 'CONDITIONAL', symbol: 'BTCUSDT', side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.01', callbackRate: '1.12345678901234567890' }],
    ] as const) {
      const res = await signed('POST', path, params);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json(), res.body).toMatchObject({ code: -2010, msg: expect.stringContaining('more than 18 decimal places') });
    }
  });

  it('reads positions, balance and account in v2 and v3 from the same figures', async () => {
    const [v2] = (await signed('GET', '/v2/positionRisk', { symbol: 'BTCUSDT' })).json();
    const [v3] = (await signed('GET', '/v3/positionRisk', { symbol: 'BTCUSDT' })).json();
    expect(v2).toMatchObject({ symbol: 'BTCUSDT', positionAmt: '0.01', leverage: '20', marginType: 'isolated', positionSide: 'BOTH' });
    expect(v3).toMatchObject({ symbol: 'BTCUSDT', positionAmt: v2.positionAmt, entryPrice: v2.entryPrice, unRealizedProfit: v2.unRealizedProfit, notional: v2.notional, isolatedWallet: v2.isolatedWallet });
    // 20× on 0.01 BTC: margin is a twentieth of the notional at entry; the v3 entry's is the position's margin.
    expect(parseFixed(v3.positionInitialMargin)).toBe(mulExact(parseFixed(v2.entryPrice), parseFixed('0.01')) / 20n);
    const [v2Balance] = (await signed('GET', '/v2/balance', {})).json();
    const [v3Balance] = (await signed('GET', '/v3/balance', {})).json();
    expect(v3Balance).toEqual(v2Balance);
    const account = (await signed('GET', '/v3/account', {})).json();
    expect(account.totalWalletBalance).toBe(v2Balance.balance);
    expect(account.positions).toHaveLength(1);
    expect((await signed('GET', '/v2/account', {})).json()).toMatchObject({ canTrade: true, totalWalletBalance: v2Balance.balance });
  });

  it('refuses a leverage reduction in isolated margin while the symbol has a position (-4161), and lists the brackets', async () => {
    expect((await signed('POST', '/v1/leverage', { symbol: 'BTCUSDT', leverage: '10' })).json()).toMatchObject({ code: -4161 });
    const [bracket] = (await signed('GET', '/v1/leverageBracket', { symbol: 'BTCUSDT' })).json();
    expect(bracket.brackets[0]).toEqual({ bracket: 1, initialLeverage: 125, notionalCap: 50000, notionalFloor: 0, maintMarginRatio: 0.004, cum: 0 });
  });
});
