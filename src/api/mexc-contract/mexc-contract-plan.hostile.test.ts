/**
 * MEXC contract trigger orders (`planorder/*`) against malformed and hostile requests, signed as
 * ccxt's `mexc` signs them, on the bundled USD-M recording at 23:55:30 (last price 61,804.1). Each is
 * answered in MEXC's contract envelope with the code MEXC's futures API error table gives (600
 * "Parameter error", 3001 "Trigger price type error", 3002 "Trigger type error", 3003 "Executive
 * cycle error", 3004 "Trigger price error", 2040 "order not exist", 2041 "order state cannot be
 * cancelled") and changes nothing: no order placed or cancelled, the wallet as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { injectMexcContract } from '../../test-kit/mexc-contract-signed.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerMexcContractApi } from './mexc-contract-api.js';
import { contractSignature } from './mexc-contract-signature.js';

const T0 = 1723161330000;
type Keys = { id: string; apiKey: string; apiSecret: string };
/** A valid trigger order: open long at market once the latest price is ≥ 62,000 (not reached). */
const GOOD = { symbol: 'BTC_USDT', side: 1, vol: 20, openType: 2, triggerPrice: 62000, triggerType: 1, executeCycle: 1, trend: 1, orderType: 5 };

describe('MEXC contract trigger orders refuse what is malformed and change nothing', () => {
  let service: TestService;
  let account: Keys;
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const reply = await injectMexcContract(service.app, account, method, path, body);
    return reply.json() as { success: boolean; code: number; message?: string; data?: unknown };
  };
  const orders = () => service.engine.kernel.orders(account.id).map((o) => [o.id, o.status, o.triggered]);
  const wallet = () => service.engine.kernel.balances(account.id);

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: T0, plugins: [registerMexcContractApi] });
    account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'hostile', type: 'futures', marginMode: 'cross', leverage: 10, balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => service?.close());

  const PLACE_REFUSALS: readonly { name: string; body: unknown; code: number; message: RegExp }[] = [
    { name: 'an array body', body: [GOOD], code: 600, message: /the body must be a JSON object/ },
    { name: 'no symbol', body: { ...GOOD, symbol: undefined }, code: 600, message: /symbol is required/ },
    { name: 'an unknown contract', body: { ...GOOD, symbol: 'DOGE_USDT' }, code: 1001, message: /Contract does not exist/ },
    { name: 'no vol', body: { ...GOOD, vol: undefined }, code: 600, message: /vol is required/ },
    { name: 'a negative vol', body: { ...GOOD, vol: -20 }, code: 600, message: /vol must be a positive decimal/ },
    { name: 'a vol that is text', body: { ...GOOD, vol: 'twenty' }, code: 600, message: /vol must be a positive decimal/ },
    { name: 'side 0', body: { ...GOOD, side: 0 }, code: 600, message: /side must be 1/ },
    { name: 'the other margin mode', body: { ...GOOD, openType: 1 }, code: 2002, message: /this account trades cross margin/ },
    { name: 'no orderType', body: { ...GOOD, orderType: undefined }, code: 600, message: /orderType must be 1 \(limit\) or 5 \(market\)/ },
    { name: 'orderType 9', body: { ...GOOD, orderType: 9 }, code: 600, message: /orderType must be 1 \(limit\) or 5 \(market\)/ },
    { name: 'orderType 2 (post only)', body: { ...GOOD, orderType: 2, price: 62100 }, code: 600, message: /orderType 2 on a trigger order is not supported here/ },
    { name: 'a limit without a price', body: { ...GOOD, orderType: 1 }, code: 600, message: /price is required/ },
    { name: 'no triggerPrice', body: { ...GOOD, triggerPrice: undefined }, code: 600, message: /triggerPrice is required/ },
    { name: 'a triggerPrice that is text', body: { ...GOOD, triggerPrice: '62k' }, code: 600, message: /triggerPrice must be a positive decimal/ },
    { name: 'a negative triggerPrice', body: { ...GOOD, triggerPrice: -62000 }, code: 600, message: /triggerPrice must be a positive decimal/ },
    { name: 'triggerPrice 0', body: { ...GOOD, triggerPrice: 0 }, code: 3004, message: /Trigger price error: triggerPrice must be above 0/ },
    { name: 'triggerType 0', body: { ...GOOD, triggerType: 0 }, code: 3002, message: /Trigger type error/ },
    { name: 'no triggerType', body: { ...GOOD, triggerType: undefined }, code: 3002, message: /Trigger type error/ },
    { name: 'triggerType 1.5', body: { ...GOOD, triggerType: 1.5 }, code: 600, message: /triggerType must be an integer/ },
    // Whole numbers as text are digits only: Number() would read each of these as 1.
    { name: 'side " 1"', body: { ...GOOD, side: ' 1' }, code: 600, message: /side must be an integer/ },
    { name: 'trend "0x1"', body: { ...GOOD, trend: '0x1' }, code: 600, message: /trend must be an integer/ },
    { name: 'executeCycle "1e0"', body: { ...GOOD, executeCycle: '1e0' }, code: 600, message: /executeCycle must be an integer/ },
    { name: 'triggerType "1.0"', body: { ...GOOD, triggerType: '1.0' }, code: 600, message: /triggerType must be an integer/ },
    { name: 'executeCycle 3', body: { ...GOOD, executeCycle: 3 }, code: 3003, message: /Executive cycle error/ },
    { name: 'no trend', body: { ...GOOD, trend: undefined }, code: 600, message: /trend is required/ },
    { name: 'trend 3 (the index price)', body: { ...GOOD, trend: 3 }, code: 600, message: /trend 3 \(the index price\) is not supported here/ },
    { name: 'trend 7', body: { ...GOOD, trend: 7 }, code: 3001, message: /Trigger price type error/ },
    { name: 'an attached stop-loss', body: { ...GOOD, stopLossPrice: 60000 }, code: 600, message: /stopLossPrice on a trigger order is not supported here/ },
    // ≥ 61,000 while the last price is 61,804.1, ≤ 62,000 likewise: the trigger has been reached already.
    { name: 'a ≥ trigger already reached', body: { ...GOOD, triggerPrice: 61000 }, code: 3004, message: /latest price is already at or above 61000/ },
    { name: 'a ≤ trigger already reached', body: { ...GOOD, triggerType: 2 }, code: 3004, message: /latest price is already at or below 62000/ },
    { name: 'a ≤ sell trigger already reached', body: { ...GOOD, side: 3, triggerType: 2, triggerPrice: 62000 }, code: 3004, message: /latest price is already at or below 62000/ },
    // MEXC's error table: 2007 "Order price error", 2015 "Price or quantity accuracy error". The
    // contract's price range is 556.8 to 1,000,000 and its priceUnit 0.1 (mexc-contract-refusals.test.ts).
    { name: 'a triggerPrice over the maximum price', body: { ...GOOD, triggerPrice: 1000000.1 }, code: 2007, message: /^Order price error \(stopPrice 1000000\.1 is above the maximum 1000000\)$/ },
    { name: 'a triggerPrice off the priceUnit grid', body: { ...GOOD, triggerPrice: 62000.05 }, code: 2015, message: /^Price or quantity accuracy error \(stopPrice: tick size is 0\.1\)$/ },
  ];

  it.each(PLACE_REFUSALS)('planorder/place with $name answers $code and places nothing', async ({ body, code, message }) => {
    const before = { orders: orders(), wallet: wallet() };
    const answer = await call('POST', 'planorder/place', body);
    expect(answer).toMatchObject({ success: false, code });
    expect(answer.message).toMatch(message);
    expect({ orders: orders(), wallet: wallet() }).toEqual(before);
  });

  it('a body that is not JSON answers 601 and places nothing', async () => {
    const body = '{"symbol":"BTC_USDT","vol":';
    const time = String(Date.now());
    const headers = { apikey: account.apiKey, 'request-time': time, signature: contractSignature(account.apiSecret, account.apiKey, time, body), 'content-type': 'application/json' };
    const reply = await service.app.inject({ method: 'POST', url: '/api/v1/private/planorder/place', headers, payload: body });
    expect(reply.json()).toEqual({ success: false, code: 601, message: 'Data decoding error' });
    expect(orders()).toEqual([]);
  });

  it('cancel refuses a malformed list, an unknown or foreign id, and cancels nothing when one entry is wrong; a cancelled one cannot be cancelled again', async () => {
    const placed = await call('POST', 'planorder/place', GOOD);
    expect(placed).toMatchObject({ success: true, code: 0 });
    const id = placed.data as string;
    const waiting = orders();
    expect(waiting).toEqual([[id, 'NEW', false]]);
    const refusals: [unknown, number, RegExp][] = [
      [{ symbol: 'BTC_USDT', orderId: id }, 600, /the body must be an array/],
      [[], 600, /the body must be an array/],
      // ccxt's cancelOrder with the planorder method sends bare ids; MEXC's documented entry is {symbol, orderId}.
      [[id], 600, /entry 1 must be/],
      [[{ symbol: 'BTC_USDT', orderId: 'abc' }], 600, /orderId must be a whole number/],
      [[{ symbol: 'BTC_USDT', orderId: { id } }], 600, /orderId must be a whole number/],
      [[{ orderId: id }], 600, /symbol is required/],
      [[{ symbol: 'BTC_USDT', orderId: '999999' }], 2040, /order not exist/],
      [[{ symbol: 'BTC_USDT', orderId: id }, { symbol: 'BTC_USDT', orderId: '999999' }], 2040, /order not exist/],
      [Array.from({ length: 51 }, () => ({ symbol: 'BTC_USDT', orderId: id })), 600, /1 to 50/],
    ];
    for (const [body, code, message] of refusals) {
      const answer = await call('POST', 'planorder/cancel', body);
      expect(answer).toMatchObject({ success: false, code });
      expect(answer.message).toMatch(message);
      expect(orders()).toEqual(waiting);
    }
    // Another account's trigger order is unknown to this one.
    const other = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'other', type: 'futures', marginMode: 'cross', leverage: 10, balances: { USDT: '10000' } } })).json() as Keys;
    expect((await injectMexcContract(service.app, other, 'POST', 'planorder/cancel', [{ symbol: 'BTC_USDT', orderId: id }])).json()).toMatchObject({ success: false, code: 2040 });
    expect(orders()).toEqual(waiting);

    expect(await call('POST', 'planorder/cancel', [{ symbol: 'BTC_USDT', orderId: Number(id) }])).toEqual({ success: true, code: 0 });
    expect(orders()).toEqual([[id, 'CANCELED', false]]);
    // Cancelled already: its state cannot be cancelled.
    expect(await call('POST', 'planorder/cancel', [{ symbol: 'BTC_USDT', orderId: id }])).toMatchObject({ success: false, code: 2041, message: 'order state cannot be cancelled' });
    const [listed] = (await call('GET', 'planorder/list/orders', { symbol: 'BTC_USDT' })).data as Record<string, unknown>[];
    expect(listed).toMatchObject({ id, state: 2 });
  });

  it('cancel with the same order listed twice cancels it once and answers success', async () => {
    const id = (await call('POST', 'planorder/place', GOOD)).data as string;
    const before = wallet();
    // The same order as text and as a number: one order, cancelled once.
    expect(await call('POST', 'planorder/cancel', [{ symbol: 'BTC_USDT', orderId: id }, { symbol: 'BTC_USDT', orderId: Number(id) }])).toEqual({ success: true, code: 0 });
    expect(orders().find(([o]) => o === id)).toEqual([id, 'CANCELED', false]);
    // Its margin is released: 20 contracts of 0.0001 BTC at 62,000 at 10x is 12.4 USDT, and its fee 0.05% of 124 is 0.062.
    const usdt = (w: ReturnType<typeof wallet>) => (w as Record<string, { free: string; locked: string }>).USDT!;
    expect([usdt(before).locked, usdt(wallet()).locked]).toEqual(['12.462', '0']);
  });

  it('a trigger order past the cap of waiting conditional orders answers 2016 naming trigger orders, and places nothing', async () => {
    // The bundled BTCUSDT perpetual allows 10 (Binance USD-M's MAX_NUM_ALGO_ORDERS); a waiting trigger order is one of them.
    for (let i = 0; i < 10; i++) expect(await call('POST', 'planorder/place', GOOD)).toMatchObject({ success: true });
    const before = { orders: orders(), wallet: wallet() };
    const answer = await call('POST', 'planorder/place', GOOD);
    expect(answer).toMatchObject({ success: false, code: 2016 });
    expect(answer.message).toBe('Trigger volume over the maximum (at most 10 waiting trigger orders and take-profit and stop-loss exits on BTC_USDT)');
    expect({ orders: orders(), wallet: wallet() }).toEqual(before);
    expect(await call('POST', 'planorder/cancel_all', {})).toEqual({ success: true, code: 0 });
  });

  it('list and cancel_all refuse malformed parameters', async () => {
    for (const states of ['0', '6', '1,x', '1;2']) expect(await call('GET', 'planorder/list/orders', { states })).toMatchObject({ success: false, code: 600 });
    expect(await call('GET', 'planorder/list/orders', { page_size: '-1' })).toMatchObject({ success: false, code: 600 });
    expect(await call('GET', 'planorder/list/orders', { symbol: 'DOGE_USDT' })).toMatchObject({ success: false, code: 1001 });
    expect(await call('POST', 'planorder/cancel_all', ['BTC_USDT'])).toMatchObject({ success: false, code: 600 });
    expect(await call('POST', 'planorder/cancel_all', { symbol: 'DOGE_USDT' })).toMatchObject({ success: false, code: 1001 });
    expect(await call('POST', 'planorder/cancel_all', { symbol: 5 })).toMatchObject({ success: false, code: 600 });
    // A null symbol is no symbol: every contract's waiting trigger orders.
    const id = (await call('POST', 'planorder/place', GOOD)).data as string;
    expect(await call('POST', 'planorder/cancel_all', { symbol: null })).toEqual({ success: true, code: 0 });
    expect(orders().find(([o]) => o === id)).toEqual([id, 'CANCELED', false]);
  });
});
