/**
 * The MEXC Spot v3 order route against a client that sends a parameter twice. Reading the last of
 * the two turned `quantity=0.001&…&quantity=5` into an order for 5 BTC; the route must refuse the
 * request with MEXC's 700004 naming the parameter and change nothing, after the key check as every
 * other parameter check. A name in both the query and the form body stays allowed: the query wins.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { buildServer } from '../server.js';
import { registerMexcApi } from './mexc-api.js';
import { mexcSignature } from './mexc-signature.js';

describe('the MEXC v3 order route refuses a parameter sent twice', () => {
  let service: TestService;
  let app: FastifyInstance;
  let account: { id: string; apiKey: string; apiSecret: string };

  const post = async (query: string, body = '', key?: string) => {
    const total = `${query}&timestamp=${Date.now()}`;
    const signature = mexcSignature(account.apiSecret, `${total}${body}`);
    const r = await app.inject({
      method: 'POST',
      url: `/api/v3/order?${total}&signature=${signature}`,
      headers: { 'x-mexc-apikey': key ?? account.apiKey, ...(body === '' ? {} : { 'content-type': 'application/x-www-form-urlencoded' }) },
      payload: body === '' ? undefined : body,
    });
    return { status: r.statusCode, body: r.json() as Record<string, unknown> };
  };
  const usdt = async () => (await app.inject({ method: 'GET', url: '/api/account/balances', headers: { authorization: `Bearer ${account.apiKey}` } })).json().balances.USDT;
  const orders = () => service.engine.kernel.openOrders(account.id).length;

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    app = await buildServer(service.deps, { plugins: [registerMexcApi] });
    await service.feedUntil(1723161330000);
    account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'twice', balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  it('answers 700004 for quantity twice in the query string and places nothing', async () => {
    const before = await usdt();
    expect(before).toEqual({ free: '10000', locked: '0' });
    const r = await post('symbol=BTCUSDT&side=BUY&type=LIMIT&price=50000&quantity=0.001&quantity=0.002');
    expect(r.status).toBe(400);
    expect(r.body.code).toBe(700004);
    expect(String(r.body.msg)).toContain('quantity');
    expect(orders()).toBe(0);
    expect(await usdt()).toEqual(before);
  });

  it('answers 700004 for side twice in the form body and places nothing', async () => {
    const r = await post('symbol=BTCUSDT', 'side=BUY&side=SELL&type=LIMIT&price=50000&quantity=0.001');
    expect(r.status).toBe(400);
    expect(r.body.code).toBe(700004);
    expect(String(r.body.msg)).toContain('side');
    expect(orders()).toBe(0);
  });

  it('checks the key before the duplicate: a wrong key answers 10072', async () => {
    const r = await post('symbol=BTCUSDT&side=BUY&type=LIMIT&price=50000&quantity=0.001&quantity=0.002', '', 'not-a-key');
    expect(r.body.code).toBe(10072);
  });

  it('still takes a name given once in the query and once in the body, the query winning', async () => {
    const r = await post('symbol=BTCUSDT&side=BUY&type=LIMIT&price=50000&quantity=0.001', 'quantity=0.002');
    expect(r.status).toBe(200);
    expect(r.body.origQty).toBe('0.001');
    expect(orders()).toBe(1);
  });
});
