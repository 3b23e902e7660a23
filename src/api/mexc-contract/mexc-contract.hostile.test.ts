/**
 * The MEXC contract routes against a hostile client: every refusal in the contract API's own codes
 * (MEXC futures API, "Error code"), never a Spot v3 code, and a refused order places nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerMexcContractApi } from './mexc-contract-api.js';
import { contractSignature } from './mexc-contract-signature.js';
import { injectMexcContract } from '../../test-kit/mexc-contract-signed.js';

describe('the MEXC contract routes answer in contract codes', () => {
  let service: TestService;
  let account: { id: string; apiKey: string; apiSecret: string };
  /** A request signed by ccxt's own `mexc.sign` (contract branch). */
  const signed = async (path: string, method: 'GET' | 'POST', params: unknown) => {
    return (await injectMexcContract(service.app, account, method, path, params)).json();
  };

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000, plugins: [registerMexcContractApi] });
    account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'c', type: 'futures', balances: { USDT: '1000' } } })).json();
  });
  afterAll(async () => service.close());

  it('refuses an order for 0 contracts with 600 "Param error!", not MEXC Spot\'s 700004', async () => {
    const order = { symbol: 'BTC_USDT', side: 1, type: 1, openType: 1, vol: 0, price: 50000 };
    expect(await signed('order/create', 'POST', order)).toEqual({ success: false, code: 600, message: expect.stringMatching(/^Param error! .*quantity must be positive/) });
    expect(await signed('order/create', 'POST', { ...order, vol: '0.0' })).toMatchObject({ success: false, code: 600 });
    expect(service.engine.kernel.orders(account.id)).toHaveLength(0);
  });

  it('refuses change_leverage with a positionType or openType other than 1 or 2 with 600, changing nothing', async () => {
    const leverage = () => {
      const state = service.engine.kernel.account(account.id);
      return state?.kind === 'futures' ? state.leverageOf('BTCUSDT') : undefined;
    };
    const before = leverage();
    expect(before).not.toBe(5);
    const change = { symbol: 'BTC_USDT', leverage: 5, openType: 1, positionType: 1 };
    for (const wrong of [{ positionType: 3 }, { positionType: 0 }, { positionType: undefined }, { openType: 3 }, { openType: undefined }]) {
      const body = Object.fromEntries(Object.entries({ ...change, ...wrong }).filter(([, v]) => v !== undefined));
      expect(await signed('position/change_leverage', 'POST', body), JSON.stringify(wrong)).toEqual({ success: false, code: 600, message: expect.stringMatching(/^Param error! (openType|positionType) must be 1/) });
    }
    expect(leverage()).toBe(before);
    // MEXC's two position types are both taken.
    expect(await signed('position/change_leverage', 'POST', { ...change, positionType: 2 })).toMatchObject({ success: true });
    expect(leverage()).toBe(5);
  });

  it('takes integers written with a fraction of zeros (1.0, 2.00: JSON numbers that now arrive as their text) as the integers they are', async () => {
    const raw = async (path: string, body: string) => {
      const time = String(Date.now());
      const headers = { apikey: account.apiKey, 'request-time': time, signature: contractSignature(account.apiSecret, account.apiKey, time, body), 'content-type': 'application/json' };
      return (await service.app.inject({ method: 'POST', url: `/api/v1/private/${path}`, headers, payload: body })).json() as { success: boolean; code: number };
    };
    const leverage = () => {
      const state = service.engine.kernel.account(account.id);
      return state?.kind === 'futures' ? state.leverageOf('BTCUSDT') : undefined;
    };
    // Oracle: the same request with 1, 2 and 4, which change_leverage takes.
    expect(await raw('position/change_leverage', '{"symbol":"BTC_USDT","leverage":4.0,"openType":1.0,"positionType":2.00}')).toEqual({ success: true, code: 0 });
    expect(leverage()).toBe(4);
    expect(await raw('position/change_leverage', '{"symbol":"BTC_USDT","leverage":3,"openType":1.5,"positionType":1}')).toMatchObject({ success: false, code: 600 });
    expect(leverage()).toBe(4);
  });

  it('answers a JSON body of null, a number or text on every signed POST route with 600 "Param error!", not a 500', async () => {
    const raw = async (path: string, body: string) => {
      const time = String(Date.now());
      const headers = { apikey: account.apiKey, 'request-time': time, signature: contractSignature(account.apiSecret, account.apiKey, time, body), 'content-type': 'application/json' };
      const reply = await service.app.inject({ method: 'POST', url: `/api/v1/private/${path}`, headers, payload: body });
      return { status: reply.statusCode, body: reply.json() as { success: boolean; code: number } };
    };
    const paths = ['order/create', 'order/submit', 'order/cancel', 'order/cancel_all', 'stoporder/cancel', 'stoporder/cancel_all', 'position/change_leverage'];
    for (const path of paths) {
      for (const body of ['null', '7', '"BTC_USDT"', 'true']) {
        const answer = await raw(path, body);
        expect([path, body, answer.status, answer.body.success, answer.body.code]).toEqual([path, body, 200, false, 600]);
      }
    }
    // An order id nested 100,000 arrays deep (200 kB, under the body limit): refused by name, not a 500 from describing it.
    const deep = `[${'['.repeat(100_000)}${']'.repeat(100_000)}]`;
    for (const path of ['order/cancel', 'stoporder/cancel']) {
      const answer = await raw(path, deep);
      expect([path, answer.status, answer.body.success, answer.body.code]).toEqual([path, 200, false, 600]);
    }
    // A stop order's id in a list, a boolean or an object is refused by name, never read as its text.
    for (const id of ['["7"]', '[7]', 'true', '{"id":"7"}', 'null', '""']) {
      const answer = await raw('stoporder/cancel', `[{"stopPlanOrderId":${id}}]`);
      expect([id, answer.status, answer.body.success, answer.body.code]).toEqual([id, 200, false, 600]);
    }
    expect((await raw('stoporder/cancel', '[{"stopPlanOrderId":"7"}]')).body.code).toBe(2040);
  });

  it('stoporder/cancel checks every id before it cancels anything: one unknown id cancels nothing; known ones cancel every leg', async () => {
    const native = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
      service.app.inject({ method, url, headers: { authorization: `Bearer ${account.apiKey}` }, ...(payload !== undefined ? { payload } : {}) });
    const book = service.engine.kernel.depth('BTCUSDT', 1)!;
    // 2,000 USDT either side of the book, on the 0.1 tick.
    const takeProfit = (Math.ceil(Number(book.asks[0]![0]) + 2000) + 0.5).toFixed(1);
    const stopLoss = (Math.floor(Number(book.bids[0]![0]) - 2000) + 0.5).toFixed(1);
    for (const group of ['s1', 's2']) {
      const entry = await native('POST', '/api/orders', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.002', clientOrderId: group, takeProfit: { stopPrice: takeProfit }, stopLoss: { stopPrice: stopLoss } });
      expect(entry.statusCode, entry.body).toBe(201);
    }
    const exits = async () => ((await native('GET', '/api/orders/open')).json() as { items: { clientOrderId: string }[] }).items.map((o) => o.clientOrderId).sort();
    expect(await exits()).toEqual(['s1-sl', 's1-tp', 's2-sl', 's2-tp']);
    expect(await signed('stoporder/cancel', 'POST', [{ stopPlanOrderId: 's1' }, { stopPlanOrderId: 'nope' }])).toMatchObject({ success: false, code: 2040 });
    expect(await exits()).toEqual(['s1-sl', 's1-tp', 's2-sl', 's2-tp']);
    expect(await signed('stoporder/cancel', 'POST', [{ stopPlanOrderId: 's2' }, { stopPlanOrderId: 's1' }, { stopPlanOrderId: 's2' }])).toMatchObject({ success: true, code: 0 });
    expect(await exits()).toEqual([]);
  });
});
