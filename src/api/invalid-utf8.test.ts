/**
 * A request body whose bytes are not UTF-8, or a query whose percent-escapes are not, is refused in
 * the path's dialect and changes nothing; it is never read with U+FFFD in place of the bytes, as text
 * decoding does by default (which put an account name the client never sent into its records, and
 * answered a filter on a symbol nobody asked for). The bytes: 0xFF
 * (never in UTF-8), a lone continuation byte 0x80, a truncated two-byte sequence 0xC3, and the
 * overlong encoding of "/" 0xC0 0xAF (RFC 3629 §3 forbids them all).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { registerBinanceApi } from './binance/binance-api.js';
import { registerMexcApi } from './mexc/mexc-api.js';
import { registerMexcContractApi } from './mexc-contract/mexc-contract-api.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const BAD_BYTES = [[0xff], [0x80], [0xc3], [0xc0, 0xaf]];
/** `text` with `bytes` in place of the one "#" in it. */
const withBytes = (text: string, bytes: number[]) => {
  const [before, after] = text.split('#') as [string, string];
  return Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]);
};

describe('bodies that are not UTF-8, on the spot tape', () => {
  let service: TestService;
  let key: string;
  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000, plugins: [registerMexcApi, registerBinanceApi] });
    key = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'utf8', balances: { USDT: '10000' } } })).json<{ apiKey: string }>().apiKey;
  }, 60_000);
  afterAll(async () => service.close());

  const openOrders = async () => (await service.app.inject({ url: '/api/orders/open', headers: { authorization: `Bearer ${key}` } })).json<{ items: unknown[] }>().items;

  it.each(BAD_BYTES)('native JSON (%#): 400 INVALID_REQUEST, no order and no account', async (...bytes) => {
    const order = await service.app.inject({
      method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: withBytes('{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","quantity":"0.001","price":"50000","clientOrderId":"a#b"}', bytes),
    });
    expect(order.statusCode, order.body).toBe(400);
    expect(order.json()).toEqual({ code: 'INVALID_REQUEST', message: 'the body is not valid UTF-8' });
    expect(await openOrders()).toEqual([]);
    const before = (await service.app.inject({ url: '/api/accounts', headers: admin })).json<{ items: unknown[] }>().items.length;
    const account = await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { ...admin, 'content-type': 'application/json' }, payload: withBytes('{"name":"x#y","balances":{"USDT":"1"}}', bytes) });
    expect(account.statusCode, account.body).toBe(400);
    expect((await service.app.inject({ url: '/api/accounts', headers: admin })).json<{ items: unknown[] }>().items.length).toBe(before);
  });

  it.each(BAD_BYTES)('Binance Spot form body (%#): 400 in Binance\'s shape', async (...bytes) => {
    const res = await service.app.inject({ method: 'POST', url: '/binance/api/v3/order', headers: { 'x-mbx-apikey': key, 'content-type': 'application/x-www-form-urlencoded' }, payload: withBytes('symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=a#b', bytes) });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ msg: expect.stringContaining('not valid UTF-8') });
    expect(await openOrders()).toEqual([]);
  });

  it.each(BAD_BYTES)('MEXC Spot form body (%#): 400 {code: 700004}', async (...bytes) => {
    const res = await service.app.inject({ method: 'POST', url: '/api/v3/order', headers: { 'x-mexc-apikey': key, 'content-type': 'application/x-www-form-urlencoded' }, payload: withBytes('symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=a#b', bytes) });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toEqual({ code: 700004, msg: 'the body is not valid UTF-8' });
  });

  it('a query whose escapes are not UTF-8, in each dialect: 400, where before it read as U+FFFD and answered', async () => {
    const native = await service.app.inject({ url: '/api/orders?symbol=BTC%FFUSDT', headers: { authorization: `Bearer ${key}` } });
    expect(native.statusCode, native.body).toBe(400);
    expect(native.json()).toEqual({ code: 'BAD_URL', message: 'the query string is not valid UTF-8: a percent-escape does not decode' });
    const binance = await service.app.inject({ url: '/binance/api/v3/depth?symbol=BTC%C0%AFUSDT' });
    expect(binance.statusCode, binance.body).toBe(400);
    expect(binance.json()).toMatchObject({ msg: expect.stringContaining('not valid UTF-8') });
    const mexc = await service.app.inject({ url: '/api/v3/depth?symbol=BTC%80USDT' });
    expect(mexc.statusCode, mexc.body).toBe(400);
    expect(mexc.json()).toEqual({ code: 700004, msg: 'the query string is not valid UTF-8: a percent-escape does not decode' });
    // The documentation's routes answer in the native shape too (they were added before the error handler was set).
    const docs = await service.app.inject({ url: '/docs/json?from=%E0%A4' });
    expect(docs.statusCode, docs.body).toBe(400);
    expect(docs.json()).toEqual({ code: 'BAD_URL', message: 'the query string is not valid UTF-8: a percent-escape does not decode' });
    // Escapes of real characters still decode, and reach the route.
    const valid = await service.app.inject({ url: '/api/orders?symbol=BTC%C3%A9USDT', headers: { authorization: `Bearer ${key}` } });
    expect(valid.statusCode, valid.body).toBe(200);
  });

  it('a form body whose escapes are not UTF-8 (a%FFb, a%C3%%A9b): 400 in each dialect, as its query would be', async () => {
    for (const id of ['a%FFb', 'a%C3%%A9b', 'a%C0%AFb']) {
      const form = `symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=${id}`;
      const binance = await service.app.inject({ method: 'POST', url: '/binance/api/v3/order', headers: { 'x-mbx-apikey': key, 'content-type': 'application/x-www-form-urlencoded' }, payload: form });
      expect(binance.statusCode, binance.body).toBe(400);
      expect(binance.json()).toMatchObject({ msg: expect.stringContaining('the body is not valid UTF-8: a percent-escape does not decode') });
      const mexc = await service.app.inject({ method: 'POST', url: '/api/v3/order', headers: { 'x-mexc-apikey': key, 'content-type': 'application/x-www-form-urlencoded' }, payload: form });
      expect(mexc.statusCode, mexc.body).toBe(400);
      expect(mexc.json()).toEqual({ code: 700004, msg: 'the body is not valid UTF-8: a percent-escape does not decode' });
    }
    expect(await openOrders()).toEqual([]);
  });

  it('a body in valid UTF-8 with characters beyond ASCII still goes through', async () => {
    const res = await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { ...admin, 'content-type': 'application/json' }, payload: Buffer.from('{"name":"Zürich €","balances":{"USDT":"1"}}') });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ name: 'Zürich €' });
  });
});

describe('bodies that are not UTF-8, on the USD-M tape', () => {
  let service: TestService;
  let key: string;
  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000, plugins: [registerMexcContractApi] });
    key = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'utf8-futures', type: 'futures', balances: { USDT: '10000' } } })).json<{ apiKey: string }>().apiKey;
  }, 60_000);
  afterAll(async () => service.close());

  it.each(BAD_BYTES)('MEXC contract JSON body (%#): refused in MEXC\'s contract shape', async (...bytes) => {
    const res = await service.app.inject({ method: 'POST', url: '/api/v1/private/order/submit', headers: { apikey: key, 'request-time': String(Date.now()), signature: '00', 'content-type': 'application/json' }, payload: withBytes('{"symbol":"BTC_USDT","price":"50000","vol":"1","side":1,"type":1,"openType":1,"leverage":10,"externalOid":"a#b"}', bytes) });
    expect(res.body).toContain('not valid UTF-8');
    expect(res.json()).toMatchObject({ success: false });
  });
});
