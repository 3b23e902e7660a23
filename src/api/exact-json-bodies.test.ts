/**
 * Prices and quantities sent as JSON numbers reach the engine as the decimals typed (exact-json.ts,
 * docs/adr/0050), in-process over the real engine. The native routes trade a BTCUSDT with finer
 * steps than Binance's (price 0.0001, size 0.00000001, no price band) so that an 18-digit size is
 * valid; every expected order and reservation is written out by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instrument } from '../core/instruments/instrument.js';
import { SCALE } from '../core/money/fixed.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { registerMexcContractApi } from './mexc-contract/mexc-contract-api.js';
import { contractSignature } from './mexc-contract/mexc-contract-signature.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };

/** Binance's BTCUSDT with finer steps: tick 0.0001, step 0.00000001, up to 100,000,000,000 BTC at up to 10^15 USDT. */
function finer(recorded: Instrument): Instrument {
  const { priceBand: _band, maxMarketQty: _market, ...rest } = recorded;
  return { ...rest, tickSize: SCALE / 10_000n, stepSize: SCALE / 100_000_000n, minQty: SCALE / 100_000_000n, maxQty: 100_000_000_000n * SCALE, maxPrice: 10n ** 15n * SCALE, source: `${recorded.source}, steps made finer for tests` };
}

describe('native order bodies with JSON numbers', () => {
  let service: TestService;
  let key: string;
  const headers = () => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });
  const place = (text: string) => service.app.inject({ method: 'POST', url: '/api/orders', headers: headers(), payload: text });
  const balances = async () => (await service.app.inject({ url: '/api/account/balances', headers: headers() })).json().balances as Record<string, { free: string; locked: string }>;
  const openOrders = async () => (await service.app.inject({ url: '/api/orders/open', headers: headers() })).json().items as unknown[];
  const cancel = async (orderId: string) => expect((await service.app.inject({ method: 'DELETE', url: `/api/orders/${orderId}`, headers: headers() })).json()).toMatchObject({ status: 'CANCELED' });

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000, instrument: finer });
    const created = await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: '{"name":"n","balances":{"USDT":"100000000000000","BTC":"2000000000"}}' });
    key = created.json().apiKey;
  });
  afterAll(async () => service.close());

  it('places a buy of an 18-digit JSON number quantity exactly as typed, and reserves its cost to the last digit', async () => {
    const placed = await place('{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","quantity":1234567890.12345678,"price":50000}');
    expect(placed.statusCode, placed.body).toBe(201);
    const orderId = placed.json().orderId as string;
    expect((await service.app.inject({ url: `/api/orders/${orderId}`, headers: headers() })).json()).toMatchObject({ status: 'NEW', quantity: '1234567890.12345678', price: '50000' });
    // 1234567890.12345678 × 50000 = 61728394506172.839; 100000000000000 − 61728394506172.839 = 38271605493827.161
    expect((await balances()).USDT).toEqual({ free: '38271605493827.161', locked: '61728394506172.839' });
    await cancel(orderId);
  });

  it('places a sell of 1e-7 at an 18-digit JSON number price: the size written out as 0.0000001, the price as typed', async () => {
    const placed = await place('{"symbol":"BTCUSDT","side":"SELL","type":"LIMIT","quantity":1e-7,"price":12345678901234.5678}');
    expect(placed.statusCode, placed.body).toBe(201);
    const orderId = placed.json().orderId as string;
    expect((await service.app.inject({ url: `/api/orders/${orderId}`, headers: headers() })).json()).toMatchObject({ quantity: '0.0000001', price: '12345678901234.5678' });
    expect((await balances()).BTC).toEqual({ free: '1999999999.9999999', locked: '0.0000001' });
    await cancel(orderId);
  });

  it('takes exponent forms as their exact plain decimals', async () => {
    const placed = await place('{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","quantity":123456789012345678e-8,"price":5E4}');
    expect(placed.statusCode, placed.body).toBe(201);
    expect(placed.json()).toMatchObject({ quantity: '1234567890.12345678', price: '50000' });
    expect((await balances()).USDT).toEqual({ free: '38271605493827.161', locked: '61728394506172.839' });
    await cancel(placed.json().orderId);
  });

  it('refuses an exponent out of range, a negative and a huge number as a string of the same digits would be, and changes nothing', async () => {
    const before = await balances();
    const outOfRange = await place('{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","quantity":1e400,"price":50000}');
    expect([outOfRange.statusCode, outOfRange.json()]).toEqual([400, { code: 'INVALID_REQUEST', message: 'the JSON number 1e400 is out of range: exponents from -100 to 100 are written out; send the plain decimal, as a string' }]);
    const negative = await place('{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","quantity":-1234567890.12345678,"price":50000}');
    expect([negative.statusCode, negative.json().message]).toEqual([400, expect.stringMatching(/^body\/quantity must be a positive decimal string/)]);
    const huge = `1${'0'.repeat(30)}`;
    const asNumber = await place(`{"symbol":"BTCUSDT","side":"SELL","type":"LIMIT","quantity":${huge},"price":50000}`);
    const asString = await place(`{"symbol":"BTCUSDT","side":"SELL","type":"LIMIT","quantity":"${huge}","price":"50000"}`);
    expect(asString.statusCode).toBe(400);
    expect([asNumber.statusCode, asNumber.json()]).toEqual([asString.statusCode, asString.json()]);
    expect(await balances()).toEqual(before);
    expect(await openOrders()).toEqual([]);
  });

  it('reads numbers nested in an OCO body as typed: both legs, and one reservation of the whole quantity', async () => {
    const placed = await service.app.inject({ method: 'POST', url: '/api/orders/oco', headers: headers(), payload: '{"symbol":"BTCUSDT","side":"SELL","quantity":1234567890.12345678,"takeProfit":{"stopPrice":12345678901234.5678},"stopLoss":{"stopPrice":1.2345678e4}}' });
    expect(placed.statusCode, placed.body).toBe(201);
    const legs = (await openOrders()) as Array<{ orderId: string; type: string; quantity: string; stopPrice: string }>;
    expect(legs.map((o) => [o.type, o.quantity, o.stopPrice]).sort()).toEqual([
      ['STOP_LOSS', '1234567890.12345678', '12345.678'],
      ['TAKE_PROFIT', '1234567890.12345678', '12345678901234.5678'],
    ]);
    // 2000000000 − 1234567890.12345678 = 765432109.87654322
    expect((await balances()).BTC).toEqual({ free: '765432109.87654322', locked: '1234567890.12345678' });
    for (const leg of legs) await service.app.inject({ method: 'DELETE', url: `/api/orders/${leg.orderId}`, headers: headers() });
    expect(await openOrders()).toEqual([]);
  });

  it('reads a body that opens with a byte-order mark as Fastify does, its numbers exact', async () => {
    const placed = await place('\uFEFF{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","quantity":1234567890.12345678,"price":50000}');
    expect(placed.statusCode, placed.body).toBe(201);
    expect(placed.json()).toMatchObject({ quantity: '1234567890.12345678' });
    await cancel(placed.json().orderId);
  });

  it('keeps the last of a duplicated key, exact whichever it is', async () => {
    const placed = await place('{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","quantity":0.5,"price":50000,"quantity":1234567890.12345678}');
    expect(placed.json()).toMatchObject({ quantity: '1234567890.12345678' });
    await cancel(placed.json().orderId);
    const other = await place('{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","quantity":1234567890.12345678,"price":50000,"quantity":0.5}');
    expect(other.json()).toMatchObject({ quantity: '0.5' });
    await cancel(other.json().orderId);
  });

  it('reads a negative fee rate as typed when creating an account, and integers such as leverage as before', async () => {
    // JSON.parse reads -0.009999999999999999 as -0.009999999999999998.
    const created = await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: '{"name":"f","balances":{"USDT":1e4},"fees":{"maker":-0.009999999999999999,"taker":0.01}}' });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().balances).toEqual({ USDT: { free: '10000', locked: '0' } });
    const account = service.engine.kernel.account(created.json().id);
    expect(account?.fees).toMatchObject({ maker: -9_999_999_999_999_999n, taker: 10_000_000_000_000_000n });
    const leverage = await service.app.inject({ method: 'POST', url: '/api/account/leverage', headers: headers(), payload: '{"symbol":"BTCUSDT","leverage":5}' });
    expect(leverage.json()).not.toMatchObject({ message: expect.stringMatching(/leverage must/) });
  });
});

describe('MEXC contract bodies with JSON numbers', () => {
  let service: TestService;
  let account: { id: string; apiKey: string; apiSecret: string };
  const post = async (path: string, body: string) => {
    const time = String(Date.now());
    const headers = { apikey: account.apiKey, 'request-time': time, signature: contractSignature(account.apiSecret, account.apiKey, time, body), 'content-type': 'application/json' };
    return (await service.app.inject({ method: 'POST', url: `/api/v1/private/${path}`, headers, payload: body })).json() as { success: boolean; code: number; message?: string; data?: unknown };
  };
  const open = async () => (await service.app.inject({ url: '/api/orders/open', headers: { authorization: `Bearer ${account.apiKey}` } })).json().items as Array<{ orderId: string; quantity: string; price: string }>;

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000, plugins: [registerMexcContractApi] });
    account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'c', type: 'futures', balances: { USDT: '100000' } } })).json();
  });
  afterAll(async () => service.close());

  it('refuses a price or size that JSON.parse would round onto the grid, rather than placing another order, and an exponent out of range', async () => {
    // Tick 0.1, 10 contracts a step: JSON.parse reads both as 60000 and 20, a valid, different order.
    expect(await post('order/create', '{"symbol":"BTC_USDT","side":1,"type":1,"openType":1,"vol":20,"price":60000.000000000000001}')).toEqual({ success: false, code: 2015, message: 'Price or quantity accuracy error (price 60000.000000000000001 is not a multiple of priceUnit 0.1)' });
    expect(await post('order/create', '{"symbol":"BTC_USDT","side":1,"type":1,"openType":1,"vol":20.0000000000000001,"price":60000}')).toEqual({ success: false, code: 600, message: 'Param error! vol 20.0000000000000001 is not a whole number of 0.0001 BTC contracts to 18 decimals' });
    expect(await post('order/create', '{"symbol":"BTC_USDT","side":1,"type":1,"openType":1,"vol":1e400,"price":60000}')).toEqual({ success: false, code: 600, message: 'Param error! the JSON number 1e400 is out of range: exponents from -100 to 100 are written out; send the plain decimal, as a string' });
    expect(await open()).toEqual([]);
  });

  it('places sizes and prices in exponent form as their plain decimals (2E1 contracts of 0.0001 BTC at 6e4)', async () => {
    const placed = await post('order/create', '{"symbol":"BTC_USDT","side":1,"type":1,"openType":1,"vol":2E1,"price":6e4,"leverage":1}');
    expect(placed).toMatchObject({ success: true });
    expect(await open()).toEqual([expect.objectContaining({ orderId: (placed.data as { orderId: string }).orderId, quantity: '0.002', price: '60000' })]);
  });

  it('reads the order ids of a cancel array as written: a number id cancels, an id beyond 2^53 is that id, not its double', async () => {
    const [order] = await open();
    // 9007199254740993 = 2^53 + 1: JSON.parse reads 9007199254740992, no safe integer, and the whole request was refused.
    const answer = await post('order/cancel', `[${order!.orderId},9007199254740993]`);
    expect(answer).toMatchObject({ success: true, data: [{ orderId: order!.orderId, errorCode: 0 }, { orderId: '9007199254740993', errorCode: expect.any(Number) }] });
    expect((answer.data as Array<{ errorCode: number }>)[1]!.errorCode).not.toBe(0);
    expect(await open()).toEqual([]);
  });
});
