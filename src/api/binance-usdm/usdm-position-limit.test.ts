import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { injectSigned } from '../../test-kit/signed-inject.js';
import { buildServer } from '../server.js';
import { registerBinanceUsdmApi } from './usdm-api.js';

/**
 * The USD-M replay at 1723161350000 (BTCUSDT near 61,765), an account with 10,000 USDT at 125x:
 * Binance's bracket 1 allows 125x only below 50,000 USDT of position notional, so by hand
 * 1 BTC (≈ 61,765) and 0.7 + 0.7 BTC at 61,800 (86,520) are past it, 0.7 alone (43,260) is not.
 */
describe('USD-M: the leverage bracket on the position, as Binance answers it (−2027)', () => {
  let service: TestService;
  let app: FastifyInstance;
  let key: { apiKey: string; apiSecret: string };
  const signed = (method: 'GET' | 'POST' | 'DELETE', path: string, params: Record<string, string>) => injectSigned(app, key, { method, url: `/binance/fapi${path}`, params });
  const MAX_POSITION = { code: -2027, msg: 'Exceeded the maximum allowable position at current leverage.' };

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161350000 });
    app = await buildServer(service.deps, { plugins: [registerBinanceUsdmApi] });
    key = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'm', type: 'futures', balances: { USDT: '10000' } } })).json();
    expect((await signed('POST', '/v1/leverage', { symbol: 'BTCUSDT', leverage: '125' })).json()).toMatchObject({ symbol: 'BTCUSDT', leverage: 125 });
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('a MARKET BUY of 1 BTC at 125x answers −2027 and opens nothing', async () => {
    const res = await signed('POST', '/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '1' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(MAX_POSITION);
    const positions = (await signed('GET', '/v2/positionRisk', { symbol: 'BTCUSDT' })).json() as { positionAmt: string }[];
    expect(positions.every((p) => Number(p.positionAmt) === 0)).toBe(true);
  });

  it('two BUY LIMITs of 0.7 at 61,800: the first rests, the second answers −2027', async () => {
    const first = await signed('POST', '/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: '61800', quantity: '0.7', timeInForce: 'GTC' });
    expect(first.statusCode, first.body).toBe(200);
    const second = await signed('POST', '/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: '61800', quantity: '0.7', timeInForce: 'GTC' });
    expect(second.json()).toEqual(MAX_POSITION);
    await service.feedUntil(1723161400000);
    const positions = (await signed('GET', '/v2/positionRisk', { symbol: 'BTCUSDT' })).json() as { positionAmt: string }[];
    expect(positions.reduce((sum, p) => sum + Math.abs(Number(p.positionAmt)), 0)).toBeLessThanOrEqual(0.7);
  });
});
