/**
 * Request text holding U+0000 (NUL: a JSON `\u0000`, a query's `%00`) on every dialect's routes:
 * PostgreSQL's text columns refuse it, so before this check an account named with one answered 500
 * on PostgreSQL (the credential row failed to insert). Each such request answers 4xx naming the
 * field, nothing is created, and the service goes on serving the same account.
 * Oracle: the account list and the account's orders before and after, and the answers' own words.
 */
import type { InjectOptions } from 'light-my-request';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect, type TestDatabase } from '../test-kit/test-databases.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };

describeEachDialect((name) => `request text holding U+0000, on ${name}`, (dialect) => {
  let target: TestDatabase;
  let service: TestService;
  let key: string;
  beforeAll(async () => {
    target = dialect.create();
    service = await startTestService({ engine: { databaseUrl: target.url, database: target.options, snapshotIntervalMs: 0 } });
    key = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'nul', balances: { USDT: '100000' } } })).json<{ apiKey: string }>().apiKey;
  }, 60_000);
  afterAll(async () => {
    await service?.close();
    await target?.cleanup();
  });

  it('answers 400 naming the field, creates nothing, and the service goes on', async () => {
    const account = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const accounts = async () => (await service.app.inject({ url: '/api/accounts', headers: admin })).body;
    const orders = async () => (await service.app.inject({ url: '/api/orders', headers: account })).body;
    const [accountsBefore, ordersBefore] = [await accounts(), await orders()];
    // Field undefined: the schema refuses the request first, in its own words (still a 400).
    const refused: Array<[string, InjectOptions, string | undefined]> = [
      ['an account name', { method: 'POST', url: '/api/accounts', headers: admin, payload: JSON.stringify({ name: 'a\u0000b', balances: { USDT: '1' } }) }, 'body/name'],
      ['a balance asset (a key)', { method: 'POST', url: '/api/accounts', headers: admin, payload: JSON.stringify({ name: 'k', balances: { 'US\u0000DT': '1' } }) }, undefined],
      ['a client order id', { method: 'POST', url: '/api/orders', headers: account, payload: JSON.stringify({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: '50000', quantity: '0.001', clientOrderId: 'c\u0000' }) }, undefined],
      ['a query parameter', { method: 'GET', url: '/api/orders?symbol=BTC%00USDT', headers: account }, 'querystring/symbol'],
    ];
    for (const [what, request, field] of refused) {
      const res = await service.app.inject(request);
      expect(res.statusCode, `${what}: ${res.body}`).toBe(400);
      if (field !== undefined) expect(res.json<{ message: string }>().message, what).toBe(`${field} must not contain the character U+0000 (NUL)`);
    }
    // Binance's dialect answers in its own shape, 4xx with a negative code, never 500.
    const binance = await service.app.inject({ method: 'POST', url: `/api/v3/order?symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&price=50000&quantity=0.001&newClientOrderId=x%00y&timestamp=${Date.now()}`, headers: { 'x-mbx-apikey': key } });
    expect(binance.statusCode, binance.body).toBeGreaterThanOrEqual(400);
    expect(binance.statusCode, binance.body).toBeLessThan(500);

    expect(await accounts()).toBe(accountsBefore);
    expect(await orders()).toBe(ordersBefore);
    const placed = await service.app.inject({ method: 'POST', url: '/api/orders', headers: account, payload: JSON.stringify({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: '50000', quantity: '0.001', clientOrderId: 'after-nul' }) });
    expect(placed.statusCode, placed.body).toBe(201);
    expect((await service.app.inject({ url: '/health' })).statusCode).toBe(200);
  });
});
