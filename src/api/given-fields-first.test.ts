/**
 * A body with a wrong field and a missing one is answered naming the wrong field the caller gave,
 * with what it takes, on every native route that takes a body (given-fields-first.ts): Ajv, stopping
 * at its first failure, named the missing field and never the given one. A body missing a field and
 * otherwise right is still answered `<field> is required`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { givenFieldsFirst } from './given-fields-first.js';
import { CreateAccountBody } from './schemas.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
// The schemas' words (schemas.ts, oco-routes.ts), written out here as a caller reads them.
const DECIMAL_WORDS = 'a positive decimal string such as "0.01" (digits with an optional fraction; no sign, exponent or spaces)';
const KEY_WORDS = "the venue account's API key: 1 to 256 printable ASCII characters without spaces";

describe('a wrong field is named before a missing one', () => {
  let service: TestService;
  let account: { id: string; apiKey: string };

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000, webhooks: {} });
    account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'v', balances: { USDT: '1000' } } })).json();
  });
  afterAll(async () => {
    await service.app.close();
    await service.close();
  });

  const send = (method: 'POST' | 'PUT', url: string, key: 'admin' | 'account', payload: unknown) =>
    service.app.inject({ method, url: url.replace(':id', account.id), headers: key === 'admin' ? admin : { authorization: `Bearer ${account.apiKey}` }, payload: payload as Record<string, unknown> });

  it.each<[string, 'POST' | 'PUT', string, 'admin' | 'account', unknown, string]>([
    ['an account type that does not exist, balances left out', 'POST', '/api/accounts', 'admin', { name: 'x', type: 'margin' }, 'body/type must be one of spot, futures'],
    ['an account type that does not exist, name left out', 'POST', '/api/accounts', 'admin', { type: 'margin', balances: { USDT: '1' } }, 'body/type must be one of spot, futures'],
    ['an unknown field, balances left out', 'POST', '/api/accounts', 'admin', { name: 'x', colour: 'red' }, 'body has an unknown field "colour"'],
    ['an exchange key with a space, its secret left out', 'POST', '/api/accounts', 'admin', { name: 'x', balances: { USDT: '1' }, exchangeCredentials: { apiKey: 'a b' } }, `body/exchangeCredentials/apiKey must be ${KEY_WORDS}`],
    ['an empty name, the document left out', 'POST', '/api/accounts/import', 'admin', { name: '' }, 'body/name must NOT have fewer than 1 characters'],
    ['an exchange key with a space, its secret left out', 'PUT', '/api/accounts/:id/exchange-credentials', 'admin', { apiKey: 'a b' }, `body/apiKey must be ${KEY_WORDS}`],
    ['a side that does not exist, type left out', 'POST', '/api/orders', 'account', { symbol: 'BTCUSDT', side: 'HOLD', quantity: '1' }, 'body/side must be one of BUY, SELL'],
    ['a negative quantity, symbol left out', 'POST', '/api/orders', 'account', { side: 'BUY', type: 'LIMIT', quantity: '-1', price: '1' }, `body/quantity must be ${DECIMAL_WORDS}`],
    ['a negative bracket price, its stop price left out', 'POST', '/api/orders', 'account', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '1', price: '1', takeProfit: { price: '-1' } }, `body/takeProfit/price must be ${DECIMAL_WORDS}`],
    ['a side that does not exist, both legs left out', 'POST', '/api/orders/oco', 'account', { symbol: 'BTCUSDT', side: 'HOLD', quantity: '1' }, 'body/side must be one of BUY, SELL'],
    ['a negative quantity, the stop-loss leg left out', 'POST', '/api/orders/oco', 'account', { symbol: 'BTCUSDT', side: 'SELL', quantity: '-1', takeProfit: { stopPrice: '1' } }, `body/quantity must be ${DECIMAL_WORDS}`],
    ['a leverage of 0, symbol left out', 'POST', '/api/account/leverage', 'account', { leverage: 0 }, 'body/leverage must be >= 1'],
    ['an unknown field, events left out', 'POST', '/api/webhooks', 'account', { url: 'https://example.com/hook', colour: 1 }, 'body has an unknown field "colour"'],
  ])('%s (%s %s)', async (_case, method, url, key, payload, message) => {
    const res = await send(method, url, key, payload);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 'INVALID_REQUEST', message });
  });

  it.each<[string, 'admin' | 'account', unknown, string]>([
    ['/api/accounts', 'admin', { name: 'x', type: 'futures' }, 'body/balances is required'],
    ['/api/orders', 'account', { symbol: 'BTCUSDT', side: 'BUY', quantity: '1' }, 'body/type is required'],
    ['/api/orders/oco', 'account', { symbol: 'BTCUSDT', side: 'SELL', quantity: '1', takeProfit: { stopPrice: '1' } }, 'body/stopLoss is required'],
    ['/api/webhooks', 'account', { events: ['ORDER_FILLED'] }, 'body/url is required'],
  ])('still names a missing field when the given ones are right (%s)', async (url, key, payload, message) => {
    const res = await send('POST', url, key, payload);
    expect(res.json()).toEqual({ code: 'INVALID_REQUEST', message });
  });

  it('leaves the OpenAPI document listing the required fields, and the shared schema as it was', async () => {
    const docs = (await service.app.inject({ url: '/docs/json' })).json() as { paths: Record<string, { post?: { requestBody?: { content: Record<string, { schema: { required?: string[] } }> } } }> };
    expect(docs.paths['/api/accounts']?.post?.requestBody?.content['application/json']?.schema.required).toEqual(['name', 'balances']);
    const before = JSON.stringify(CreateAccountBody);
    givenFieldsFirst(CreateAccountBody);
    expect(JSON.stringify(CreateAccountBody)).toBe(before);
  });
});
