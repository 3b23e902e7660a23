import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { buildServer } from '../server.js';
import { registerMexcApi } from './mexc-api.js';
import { mexcSignature } from './mexc-signature.js';

// The spot examples through the MEXC Spot v3 API on the bundled BTCUSDT recording at
// 1723161400000 (5-minute average 61,812.19): MEXC's own codes and words, 30087 "Order price exceeds
// allowed range" for the band and 30029 "Cannot exceed the maximum order limit" for the cap (MEXC Spot
// v3 error codes, as ccxt's MEXC class lists them), HTTP 400 as MEXC answers them.
const T = 1723161400000;

describe('exchange rules through the MEXC Spot v3 API (in-process, real engine and recording)', () => {
  let service: TestService;
  let app: FastifyInstance;
  let account: { apiKey: string; apiSecret: string };

  const order = async (params: Record<string, string>) => {
    const total = `${new URLSearchParams({ symbol: 'BTCUSDT', ...params }).toString()}&timestamp=${Date.now()}`;
    const reply = await app.inject({ method: 'POST', url: `/api/v3/order?${total}&signature=${mexcSignature(account.apiSecret, total)}`, headers: { 'x-mexc-apikey': account.apiKey } });
    return { status: reply.statusCode, body: reply.json() as Record<string, unknown> };
  };

  beforeAll(async () => {
    service = await startTestService({ until: T });
    app = await buildServer(service.deps, { plugins: [registerMexcApi] });
    account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'mexc-rules', balances: { USDT: '100000', BTC: '10' } } })).json();
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('a LIMIT BUY 0.1 at 100, a SELL 0.001 at 500000 and a SELL 0.001 at 10000 answer 30087; the sell at 10000 does not fill', async () => {
    for (const [side, quantity, price] of [['BUY', '0.1', '100'], ['SELL', '0.001', '500000'], ['SELL', '0.001', '10000']] as const) {
      const { status, body } = await order({ side, type: 'LIMIT', quantity, price });
      expect(status).toBe(400);
      expect(body).toEqual({ code: 30087, msg: expect.stringMatching(/^Order price exceeds allowed range/) });
    }
    const query = `timestamp=${Date.now()}`;
    const signedAccount = await app.inject({ url: `/api/v3/account?${query}&signature=${mexcSignature(account.apiSecret, query)}`, headers: { 'x-mexc-apikey': account.apiKey } });
    const balances = (signedAccount.json() as { balances: { asset: string; free: string; locked: string }[] }).balances;
    expect(balances.find((b) => b.asset === 'BTC')).toMatchObject({ free: expect.stringMatching(/^10(\.0*)?$/), locked: expect.stringMatching(/^0(\.0*)?$/) });
  });

  it('the 201st resting order on the symbol answers 30029 "Cannot exceed the maximum order limit"', async () => {
    for (let i = 0; i < 200; i += 1) expect((await order({ side: 'BUY', type: 'LIMIT', quantity: '0.0002', price: `${60000 - i}` })).status).toBe(200);
    expect(await order({ side: 'BUY', type: 'LIMIT', quantity: '0.0002', price: '59000' })).toEqual({ status: 400, body: { code: 30029, msg: 'Cannot exceed the maximum order limit' } });
  });
});
