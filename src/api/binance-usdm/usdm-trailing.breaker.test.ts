import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { injectSigned } from '../../test-kit/signed-inject.js';
import { buildServer } from '../server.js';
import { registerBinanceUsdmApi } from './usdm-api.js';

const T = 1723161400000;

describe('USD-M trailing stops: hostile callbackRate and activationPrice change nothing', () => {
  let service: TestService;
  let app: FastifyInstance;
  let key: { apiKey: string; apiSecret: string; id: string };
  const signed = (method: 'POST' | 'GET' | 'DELETE', path: string, params: Record<string, string>) => injectSigned(app, key, { method, url: `/binance/fapi${path}`, params });
  const algo = async (params: Record<string, string>) => (await signed('POST', '/v1/algoOrder', { algoType: 'CONDITIONAL', symbol: 'BTCUSDT', side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.002', reduceOnly: 'true', ...params })).json();
  const state = () => service.engine.kernel.exportAccount(key.id);

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: T });
    app = await buildServer(service.deps, { plugins: [registerBinanceUsdmApi] });
    key = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'f', type: 'futures', leverage: 10, balances: { USDT: '20000' } } })).json();
    expect((await signed('POST', '/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.002' })).statusCode).toBe(200);
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  const illegal = (name: string) => ({ code: -1100, msg: `Illegal characters found in parameter '${name}'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.` });

  it('callbackRate: malformed -1100, out of 0.1–10 by one unit of the last decimal -1130; nothing placed or reserved', async () => {
    const before = state();
    for (const rate of ['abc', '-1', '1e1', 'NaN']) expect(await algo({ callbackRate: rate }), rate).toEqual(illegal('callbackRate'));
    for (const rate of ['0', '10.01', '0.09', '0.0999999', '10.0000001']) expect(await algo({ callbackRate: rate }), rate).toMatchObject({ code: -1130, msg: expect.stringMatching(/^Data sent for parameter 'callbackRate' is not valid/) });
    expect(state()).toBe(before);
  });

  it('activationPrice: at or below the mark -2021 for a SELL (61,700 and the mark 61,725.1 itself), one tick above accepted', async () => {
    const mark = service.engine.kernel.markPrice('BTCUSDT');
    expect(mark).toBe(61725100000000000000000n);
    const before = state();
    for (const price of ['abc', '-1', '1e5']) expect(await algo({ callbackRate: '1', activationPrice: price }), price).toEqual(illegal('activatePrice'));
    for (const price of ['61700', '61725.1']) expect(await algo({ callbackRate: '1', activationPrice: price }), price).toEqual({ code: -2021, msg: 'Order would immediately trigger.' });
    expect(state()).toBe(before);
    expect(await algo({ callbackRate: '1', activationPrice: '61725.2' })).toMatchObject({ algoStatus: 'NEW', orderType: 'TRAILING_STOP_MARKET' });
  });
});
