/**
 * What a caller reads when a request is refused: one message per bad field, naming the field and
 * what it takes (the list of values, the decimal format in words), and the key checked before the
 * body, on the native routes and in the MEXC and Binance dialects.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { registerBinanceApi } from './binance/binance-api.js';
import { binanceSignature } from './binance/binance-signature.js';
import { registerMexcApi } from './mexc/mexc-api.js';
import { mexcSignature } from './mexc/mexc-signature.js';
import { buildServer } from './server.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const DECIMAL_WORDS = 'a positive decimal string such as "0.01" (digits with an optional fraction; no sign, exponent or spaces)';
const ORDER_TYPES = 'MARKET, LIMIT, LIMIT_MAKER, IMMEDIATE_OR_CANCEL, FILL_OR_KILL, STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT, TRAILING_STOP_MARKET';

describe('validation messages and the key before the body', () => {
  let service: TestService;
  let app: FastifyInstance;
  let account: { id: string; apiKey: string; apiSecret: string };
  const inject = (options: InjectOptions) => app.inject(options);
  const bearer = () => ({ authorization: `Bearer ${account.apiKey}` });

  const mexc = (params: string, key = account.apiKey) => {
    const total = `${params}&timestamp=${Date.now()}`;
    return inject({ method: 'POST', url: `/api/v3/order?${total}&signature=${mexcSignature(account.apiSecret, total)}`, headers: { 'x-mexc-apikey': key } });
  };
  const binance = (params: string, key = account.apiKey) => {
    const total = `${params}&timestamp=${Date.now()}`;
    return inject({ method: 'POST', url: `/binance/api/v3/order?${total}&signature=${binanceSignature(account.apiSecret, total)}`, headers: { 'x-mbx-apikey': key } });
  };

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    app = await buildServer(service.deps, { plugins: [registerMexcApi, registerBinanceApi] });
    account = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'v', balances: { USDT: '1000' } } })).json();
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  const order = { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '50000' };

  it.each([
    ['an order type that does not exist', { ...order, type: 'STOP' }, `body/type must be one of ${ORDER_TYPES}`],
    ['a side that does not exist', { ...order, side: 'HOLD' }, 'body/side must be one of BUY, SELL'],
    ['an unknown field', { ...order, colour: 'red' }, 'body has an unknown field "colour"'],
    ['a negative quantity', { ...order, quantity: '-1' }, `body/quantity must be ${DECIMAL_WORDS}`],
    ['a price with an exponent', { ...order, price: '5e4' }, `body/price must be ${DECIMAL_WORDS}`],
    ['a stop price with a space', { ...order, type: 'STOP_LOSS', stopPrice: ' 1' }, `body/stopPrice must be ${DECIMAL_WORDS}`],
    ['a missing type', { symbol: 'BTCUSDT', side: 'BUY', quantity: '0.01' }, 'body/type is required'],
    ['a reduce-only flag that is not a boolean', { ...order, reduceOnly: 'perhaps' }, 'body/reduceOnly must be a boolean (true or false)'],
    ['a client order id with a space', { ...order, clientOrderId: 'my order' }, 'body/clientOrderId must be up to 64 letters, digits and the signs _ . : -'],
    [
      'a negative slippage cap',
      { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', maxSlippage: '-0.1' },
      'body/maxSlippage must be a fraction from 0 to below 1 as a decimal string such as "0.005" (0.5 %): the slippage cap of an order that executes at the market, a fraction of the best opposite price when it executes; the rest expires (SLIPPAGE_CAP)',
    ],
  ])('refuses %s on POST /api/orders with one message naming the field', async (_case, payload, message) => {
    const res = await inject({ method: 'POST', url: '/api/orders', headers: bearer(), payload });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 'INVALID_REQUEST', message });
  });

  it.each([
    ['an account type that does not exist', { name: 'x', type: 'margin', balances: { USDT: '1' } }, 'body/type must be one of spot, futures'],
    ['a margin mode that does not exist', { name: 'x', balances: { USDT: '1' }, marginMode: 'portfolio' }, 'body/marginMode must be one of isolated, cross'],
    ['an unknown field', { name: 'x', balances: { USDT: '1' }, colour: 'red' }, 'body has an unknown field "colour"'],
    ['an asset code in lower case', { name: 'x', balances: { usdt: '1' } }, 'body/balances has an unknown field "usdt"'],
    ['a negative balance', { name: 'x', balances: { USDT: '-5' } }, 'body/balances/USDT must be a non-negative decimal string such as "10000" or "0.5" (at most 20 integer digits and 18 decimals)'],
    ['a missing name', { balances: { USDT: '1' } }, 'body/name is required'],
  ])('refuses %s on POST /api/accounts with one message naming the field', async (_case, payload, message) => {
    const res = await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 'INVALID_REQUEST', message });
  });

  it('refuses a leverage that is not an integer saying so', async () => {
    const res = await inject({ method: 'POST', url: '/api/account/leverage', headers: bearer(), payload: { symbol: 'BTCUSDT', leverage: 2.5 } });
    expect(res.json()).toEqual({ code: 'INVALID_REQUEST', message: 'body/leverage must be an integer' });
  });

  it('refuses a list where a JSON body takes one value, naming the field; a number still reads as its text', async () => {
    const order = { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '50000.00' };
    for (const [field, value] of [['symbol', ['BTCUSDT']], ['quantity', ['0.001']], ['price', ['50000.00']]] as const) {
      const res = await inject({ method: 'POST', url: '/api/orders', headers: bearer(), payload: { ...order, [field]: value } });
      expect([res.statusCode, res.json()], field).toEqual([400, { code: 'INVALID_REQUEST', message: `body/${field} must be a string` }]);
    }
    const leverage = await inject({ method: 'POST', url: '/api/account/leverage', headers: bearer(), payload: { symbol: 'BTCUSDT', leverage: [7] } });
    expect([leverage.statusCode, leverage.json()]).toEqual([400, { code: 'INVALID_REQUEST', message: 'body/leverage must be an integer' }]);
    const balances = await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: ['listed'], balances: { USDT: '1' } } });
    expect([balances.statusCode, balances.json()]).toEqual([400, { code: 'INVALID_REQUEST', message: 'body/name must be a string' }]);
    // ADR 0050: a JSON number for a decimal field is its text.
    const numbers = await inject({ method: 'POST', url: '/api/orders', headers: { ...bearer(), 'content-type': 'application/json' }, payload: '{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","quantity":0.001,"price":50000.00}' });
    expect([numbers.statusCode, numbers.json().quantity, numbers.json().price]).toEqual([201, '0.001', '50000']);
  });

  it('refuses true, false or null where the field takes none of them, naming the field; a boolean field takes its own', async () => {
    const order = { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '50000.00' };
    const cases: Array<[string, string, Record<string, unknown>, string]> = [
      ['/api/account/leverage', 'leverage true', { symbol: 'BTCUSDT', leverage: true }, 'body/leverage must be an integer'],
      ['/api/account/leverage', 'leverage null', { symbol: 'BTCUSDT', leverage: null }, 'body/leverage must be an integer'],
      ['/api/orders', 'symbol null', { ...order, symbol: null }, 'body/symbol must be a string'],
      ['/api/orders', 'quantity false', { ...order, quantity: false }, 'body/quantity must be a string'],
      ['/api/orders', 'reduceOnly null', { ...order, reduceOnly: null }, 'body/reduceOnly must be a boolean (true or false)'],
      ['/api/orders', 'takeProfit stop price true', { ...order, ocoGroup: 'g', takeProfit: { stopPrice: true } }, 'body/takeProfit/stopPrice must be a string'],
    ];
    for (const [url, name, payload, message] of cases) {
      const res = await inject({ method: 'POST', url, headers: bearer(), payload });
      expect([name, res.statusCode, res.json()]).toEqual([name, 400, { code: 'INVALID_REQUEST', message }]);
    }
    const named = await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: true, balances: { USDT: '1' } } });
    expect(named.json()).toEqual({ code: 'INVALID_REQUEST', message: 'body/name must be a string' });
    const balance = await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'n', balances: { USDT: null } } });
    expect(balance.json()).toEqual({ code: 'INVALID_REQUEST', message: 'body/balances/USDT must be a string' });
    // What the API has always taken still goes: a boolean for a boolean, a number for a decimal, a text for an integer.
    const placed = await inject({ method: 'POST', url: '/api/orders', headers: bearer(), payload: { ...order, quantity: 0.001, reduceOnly: false } });
    expect(placed.statusCode).toBe(201);
    const leverage = await inject({ method: 'POST', url: '/api/account/leverage', headers: bearer(), payload: { symbol: 'BTCUSDT', leverage: '1' } });
    expect(leverage.json()).not.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('answers 401 to a missing or wrong key whatever the body, before reading it', async () => {
    const bad = { ...order, type: 'STOP', colour: 'red' };
    for (const headers of [{}, { authorization: 'Bearer pt_nope' }, admin]) {
      const res = await inject({ method: 'POST', url: '/api/orders', headers, payload: bad });
      expect(res.statusCode, JSON.stringify(headers)).toBe(401);
      expect(res.json().code).toBe('UNAUTHORIZED');
    }
    // Not even JSON: the key is refused first.
    const notJson = await inject({ method: 'POST', url: '/api/orders', headers: { 'content-type': 'application/json' }, payload: '{"type":' });
    expect(notJson.statusCode).toBe(401);
    expect((await inject({ method: 'POST', url: '/api/account/leverage', payload: { symbol: 'BTCUSDT', leverage: 'x' } })).statusCode).toBe(401);
    expect((await inject({ method: 'GET', url: '/api/orders/1?symbol=', headers: { authorization: 'Bearer pt_nope' } })).statusCode).toBe(401);
    for (const url of ['/api/orders?limit=0', '/api/trades?offset=-1', '/api/account/equity?limit=lots', '/api/account/fills?limit=0', '/api/admin/quarantine?limit=lots']) {
      expect((await inject({ url, headers: { authorization: 'Bearer pt_nope' } })).statusCode, url).toBe(401);
    }
    // The admin routes: an account's key is not the admin key, whatever the body.
    const accountKeyOnAdmin = await inject({ method: 'POST', url: '/api/accounts', headers: bearer(), payload: { name: 'x', type: 'margin' } });
    expect(accountKeyOnAdmin.statusCode).toBe(401);
    expect((await inject({ method: 'POST', url: `/api/accounts/${account.id}/reset`, payload: { balances: { USDT: '-1' } } })).statusCode).toBe(401);
  });

  it('answers MEXC\'s key code before its parameter codes, and names the field and the allowed values', async () => {
    const wrongKey = await mexc('symbol=BTCUSDT&side=BUY&type=STOP&quantity=-1', 'mx0nope');
    expect(wrongKey.json()).toEqual({ code: 10072, msg: 'Api key info invalid' });
    const badType = await mexc('symbol=BTCUSDT&side=BUY&type=STOP&quantity=1&price=1');
    expect(badType.statusCode).toBe(400);
    expect(badType.json()).toEqual({ code: 700004, msg: 'Invalid parameter: type STOP: must be one of LIMIT, MARKET, LIMIT_MAKER, IMMEDIATE_OR_CANCEL, FILL_OR_KILL' });
    expect((await mexc('symbol=BTCUSDT&side=HOLD&type=LIMIT&quantity=1&price=1')).json()).toEqual({ code: 700004, msg: 'Invalid parameter: side HOLD: must be one of BUY, SELL' });
    expect((await mexc('symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=-1&price=1')).json()).toEqual({ code: 700004, msg: `Invalid parameter: quantity must be ${DECIMAL_WORDS}` });
  });

  it('answers Binance\'s 401 for a wrong key before any parameter check', async () => {
    const res = await binance('symbol=BTCUSDT&side=BUY&type=STOP&quantity=-1', 'nope');
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' });
    expect((await binance('symbol=BTCUSDT&side=BUY&type=STOP&quantity=1')).json()).toEqual({ code: -1116, msg: 'Invalid orderType.' });
  });

  it.each([
    ['/api/account/equity?from=1723161300000', 'from'],
    ['/api/orders?limit=10&status=FILLED', 'status'],
    ['/api/trades?symbol=BTCUSDT&startTime=1723161300000', 'startTime'],
    ['/api/account/fills?since=2024-08-08', 'since'],
  ])('refuses a history parameter it does not read (%s) instead of answering the whole history', async (url, field) => {
    const res = await inject({ method: 'GET', url, headers: bearer() });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 'INVALID_REQUEST', message: `querystring has an unknown field "${field}"` });
  });

  it('still reads limit, offset and symbol on the history routes', async () => {
    for (const url of ['/api/account/equity?limit=5&offset=0', '/api/orders?limit=10&offset=0&symbol=BTCUSDT', '/api/trades?limit=10&symbol=BTCUSDT', '/api/account/fills?limit=10&offset=0&symbol=BTCUSDT', '/api/orders']) {
      expect((await inject({ method: 'GET', url, headers: bearer() })).statusCode, url).toBe(200);
    }
  });
});
