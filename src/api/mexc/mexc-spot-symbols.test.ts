/**
 * MEXC's spot API (/api/v3) trades spot pairs only: on a server replaying a USD-M perpetual, a
 * futures account's key on POST /api/v3/order is refused as an unknown symbol is (30014 "invalid
 * symbol"), and the account is left as it was; the perpetual trades on the contract API.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { buildServer } from '../server.js';
import { registerMexcApi } from './mexc-api.js';
import { mexcSignature } from './mexc-signature.js';

describe('the MEXC spot API on a perpetual', () => {
  let service: TestService;
  let app: FastifyInstance;
  let futures: { apiKey: string; apiSecret: string };

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000 });
    app = await buildServer(service.deps, { plugins: [registerMexcApi] });
    futures = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'f', type: 'futures', balances: { USDT: '50000' } } })).json();
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('refuses a market order for the perpetual BTCUSDT with 30014 and changes nothing', async () => {
    const read = async () => [(await app.inject({ url: '/api/account/balances', headers: { authorization: `Bearer ${futures.apiKey}` } })).body, (await app.inject({ url: '/api/positions', headers: { authorization: `Bearer ${futures.apiKey}` } })).body];
    const before = await read();
    const total = new URLSearchParams({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', timestamp: String(Date.now()) }).toString();
    const res = await app.inject({ method: 'POST', url: `/api/v3/order?${total}&signature=${mexcSignature(futures.apiSecret, total)}`, headers: { 'x-mexc-apikey': futures.apiKey } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toEqual({ code: 30014, msg: 'invalid symbol (BTCUSDT)' });
    expect(await read()).toEqual(before);
  });
});
