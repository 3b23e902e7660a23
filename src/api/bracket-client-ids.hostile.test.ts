/**
 * A bracket's exits take the client ids `<group>-tp` and `<group>-sl` (`-tp-2`, `-sl-2`, … for later
 * pairs; core/kernel/bracket-exits.ts) when its entry fills. An open order of the account holding
 * one of them had the exit refused as a duplicate at the fill: the entry answered 201 with its
 * takeProfit and stopLoss, filled, and left what it bought with no exit at all. Now a bracket is
 * refused (409 DUPLICATE_CLIENT_ORDER_ID) while an open order holds one of its first pair's ids, and
 * an order may not take an exit's id while the bracket's entry is open; the bracket's own exits
 * are placed as before.
 *
 * Bundled spot recording at 23:55:00: best ask 61,828 (0.45849 BTC), step 0.00001, taker 0.1% taken
 * from what a buy receives. Account: 10,000 USDT.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';

const BTC = { symbol: 'BTCUSDT' };
const BRACKET = { takeProfit: { stopPrice: '63000' }, stopLoss: { stopPrice: '60000' } };

describe('an open order cannot hold the client id of a bracket exit', () => {
  let service: TestService;
  let key: string;
  const req = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) => {
    const reply = await service.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload !== undefined ? { payload } : {}) });
    return { status: reply.statusCode, body: reply.json() };
  };
  const balances = async () => (await req('GET', '/api/account/balances')).body.balances;
  const limitBuy = (clientOrderId: string) => req('POST', '/api/orders', { ...BTC, side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '60000', clientOrderId });

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000 });
    key = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'brackets', balances: { USDT: '10000' } } })).json().apiKey;
  });
  afterAll(async () => service?.close());

  it('a bracket whose exit id an open order holds is refused, and nothing is bought', async () => {
    // 0.001 × 60,000 = 60 held by the limit buy "bx-tp".
    expect((await limitBuy('bx-tp')).status).toBe(201);
    const refused = await req('POST', '/api/orders', { ...BTC, side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'bx', ...BRACKET });
    expect(refused).toMatchObject({ status: 409, body: { code: 'DUPLICATE_CLIENT_ORDER_ID' } });
    expect(refused.body.message).toMatch(/bx-tp/);
    expect(await balances()).toEqual({ USDT: { free: '9940', locked: '60' } });
  });

  it('a bracket with free exit ids fills and places both exits', async () => {
    expect((await req('POST', '/api/orders', { ...BTC, side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'bz', ...BRACKET })).body).toMatchObject({ status: 'FILLED', cumulativeQuoteQty: '618.28' });
    const open = (await req('GET', '/api/orders/open')).body.items as { clientOrderId: string; quantity: string }[];
    // 0.01 bought less its fee of 0.00001: the exits sell 0.00999.
    expect(open.filter((o) => o.clientOrderId.startsWith('bz-')).map((o) => [o.clientOrderId, o.quantity])).toEqual([['bz-tp', '0.00999'], ['bz-sl', '0.00999']]);
    // USDT: 9,940 − 618.28; the exits share one reservation of the 0.00999 BTC, as on Binance.
    expect(await balances()).toEqual({ USDT: { free: '9321.72', locked: '60' }, BTC: { free: '0', locked: '0.00999' } });
  });

  it('while a bracket entry is open, its exit ids are refused to other orders; once it is cancelled they are free', async () => {
    expect((await req('POST', '/api/orders', { ...BTC, side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '60000', clientOrderId: 'by', ...BRACKET, stopLoss: { stopPrice: '59000' } })).status).toBe(201);
    for (const id of ['by-sl', 'by-tp', 'by-tp-2']) {
      expect(await limitBuy(id), id).toMatchObject({ status: 409, body: { code: 'DUPLICATE_CLIENT_ORDER_ID' } });
    }
    // The entry holds 60: 120 in all.
    expect((await balances()).USDT).toEqual({ free: '9261.72', locked: '120' });
    expect((await req('DELETE', '/api/orders/oco/by')).status).toBe(200);
    expect((await limitBuy('by-sl')).status).toBe(201);
    expect((await balances()).USDT).toEqual({ free: '9261.72', locked: '120' });
  });
});
