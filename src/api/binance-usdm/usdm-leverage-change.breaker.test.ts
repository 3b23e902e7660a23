import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { injectSigned } from '../../test-kit/signed-inject.js';
import { buildServer } from '../server.js';
import { registerBinanceUsdmApi } from './usdm-api.js';

/**
 * Hostile leverage values on an account holding 1 BTC long (≈ 61,765 USDT: bracket 2, at most 100x),
 * through POST /fapi/v1/leverage. Binance answers -4028 "Leverage <x> is not valid" for a value that
 * is not a whole number from 1 to the symbol's maximum, -1102 for a missing one; every refusal,
 * with or without an order resting on the symbol, leaves the position, the balance and the journal
 * as they were.
 */
describe('USD-M leverage: hostile values with a position open change nothing', () => {
  let service: TestService;
  let app: FastifyInstance;
  const keys: Record<'cross' | 'isolated', { apiKey: string; apiSecret: string; id: string }> = {} as never;
  const signed = (mode: 'cross' | 'isolated', method: 'GET' | 'POST' | 'DELETE', path: string, params: Record<string, string>) => injectSigned(app, keys[mode], { method, url: `/binance/fapi${path}`, params });
  const state = async (mode: 'cross' | 'isolated') => ({
    risk: (await signed(mode, 'GET', '/v2/positionRisk', { symbol: 'BTCUSDT' })).json(),
    balance: (await signed(mode, 'GET', '/v2/balance', {})).json(),
    account: service.engine.kernel.exportAccount(keys[mode].id),
  });

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161350000 });
    app = await buildServer(service.deps, { plugins: [registerBinanceUsdmApi] });
    for (const marginMode of ['cross', 'isolated'] as const) {
      keys[marginMode] = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: marginMode, type: 'futures', marginMode, leverage: 10, balances: { USDT: '10000' } } })).json();
      const buy = await signed(marginMode, 'POST', '/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '1' });
      expect(buy.statusCode, buy.body).toBe(200);
    }
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  for (const mode of ['cross', 'isolated'] as const) {
    it(`${mode}: abc, 1.5, 0, -5, 126, 1e1, 0x10 answer -4028; none -1102; 101 -2027; nothing changes`, async () => {
      const before = await state(mode);
      expect(before.account).toContain('"defaultLeverage": 10');
      for (const text of ['abc', '1.5', '0', '-5', '126', '1e1', '0x10', ' 5', '99999']) {
        const r = await signed(mode, 'POST', '/v1/leverage', { symbol: 'BTCUSDT', leverage: text });
        expect(r.statusCode, text).toBe(400);
        expect(r.json(), text).toEqual({ code: -4028, msg: `Leverage ${text} is not valid` });
      }
      const missing = await signed(mode, 'POST', '/v1/leverage', { symbol: 'BTCUSDT' });
      expect(missing.json().code).toBe(-1102);
      expect((await signed(mode, 'POST', '/v1/leverage', { symbol: 'BTCUSDT', leverage: '101' })).json()).toEqual({ code: -2027, msg: 'Exceeded the maximum allowable position at current leverage.' });
      expect(await state(mode)).toEqual(before);
      service.engine.kernel.checkInvariants();
    });

    it(`${mode}: with an order resting on the symbol, a reduction the account cannot bear (${mode === 'cross' ? '-2028' : '-4161'}) changes nothing`, async () => {
      const placed = await signed(mode, 'POST', '/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.002', price: '60000' });
      expect(placed.statusCode, placed.body).toBe(200);
      const before = await state(mode);
      // Cross: 1 BTC at 2x asks ≈ 30,883 USDT of margin, more than the 10,000 wallet; isolated: no reduction with a position.
      const r = await signed(mode, 'POST', '/v1/leverage', { symbol: 'BTCUSDT', leverage: '2' });
      expect(r.statusCode).toBe(400);
      expect(r.json().code).toBe(mode === 'cross' ? -2028 : -4161);
      expect(await state(mode)).toEqual(before);
      await signed(mode, 'DELETE', '/v1/allOpenOrders', { symbol: 'BTCUSDT' });
    });
  }
});
