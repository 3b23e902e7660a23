/**
 * Binance's spot API (/api/v3) trades spot pairs only: on a server replaying a USD-M perpetual, a
 * futures account's key sent to the spot order routes is refused with -1121 "Invalid symbol." (as
 * binance.com answers for a symbol it does not list under /api/v3/exchangeInfo), and nothing changes.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { injectSigned } from '../../test-kit/signed-inject.js';
import { buildServer } from '../server.js';
import { registerBinanceApi } from './binance-api.js';

const START = 1723161300000;

describe('the Binance spot API on a perpetual', () => {
  let service: TestService;
  let app: FastifyInstance;
  let futures: { apiKey: string; apiSecret: string };

  const signed = (method: 'GET' | 'POST' | 'DELETE', path: string, params: Record<string, string>) => injectSigned(app, futures, { method, url: `/binance/api/v3${path}`, params });
  const balances = async () => (await app.inject({ url: '/api/account/balances', headers: { authorization: `Bearer ${futures.apiKey}` } })).json();
  const positions = async () => (await app.inject({ url: '/api/positions', headers: { authorization: `Bearer ${futures.apiKey}` } })).body;

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: START });
    app = await buildServer(service.deps, { plugins: [registerBinanceApi] });
    futures = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'f', type: 'futures', balances: { USDT: '50000' } } })).json();
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('refuses every spot order route for the perpetual BTCUSDT with -1121 and leaves the account as it was', async () => {
    const before = [await balances(), await positions()];
    const refusals = [
      await signed('POST', '/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' }),
      await signed('POST', '/order/test', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' }),
      await signed('POST', '/orderList/oco', { symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', aboveType: 'LIMIT_MAKER', abovePrice: '70000', belowType: 'STOP_LOSS', belowStopPrice: '50000' }),
      await signed('GET', '/openOrders', { symbol: 'BTCUSDT' }),
      await signed('DELETE', '/openOrders', { symbol: 'BTCUSDT' }),
      await signed('GET', '/account/commission', { symbol: 'BTCUSDT' }),
    ];
    for (const res of refusals) {
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toEqual({ code: -1121, msg: 'Invalid symbol.' });
    }
    expect([await balances(), await positions()]).toEqual(before);
  });
});
