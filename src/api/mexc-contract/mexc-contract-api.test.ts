/**
 * The MEXC contract dialect's signing and envelope, with ccxt's own `mexc.sign` as the peer that
 * signs (its contract branch), and MEXC's documented codes as the expected answers.
 */
import { createHmac } from 'node:crypto';
import ccxt from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerMexcApi } from '../mexc/mexc-api.js';
import { buildServer } from '../server.js';
import { registerMexcContractApi } from './mexc-contract-api.js';
import { sortedQuery } from './mexc-contract-signature.js';

describe("the MEXC contract API's signing and envelope", () => {
  let service: TestService;
  let account: { apiKey: string; apiSecret: string };
  /** A request signed by ccxt's `mexc.sign` (contract branch), as its headers, URL and body. */
  const signed = (path: string, method: 'GET' | 'POST', params: unknown, secret = account.apiSecret) => {
    const exchange = new ccxt.mexc({ apiKey: account.apiKey, secret });
    exchange.urls.api.contract = { public: '/api/v1/contract', private: '/api/v1/private' };
    const request = exchange.sign(path, ['contract', 'private'] as unknown as string, method, params as Record<string, unknown>) as { url: string; body?: string; headers: Record<string, string> };
    return { url: request.url, headers: request.headers, ...(request.body !== undefined ? { payload: request.body } : {}) };
  };

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000, plugins: [registerMexcContractApi, registerMexcApi] });
    const created = await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'c', type: 'futures', balances: { USDT: '1000' } } });
    account = created.json();
  });
  afterAll(async () => service.close());

  it('accepts a GET signed over the sorted query and a POST signed over its JSON body', async () => {
    const get = signed('position/leverage', 'GET', { symbol: 'BTC_USDT' });
    const leverage = await service.app.inject({ method: 'GET', ...get });
    expect(leverage.json()).toMatchObject({ success: true, code: 0, data: [{ positionType: 1, leverage: 1, openType: 1 }, { positionType: 2, leverage: 1 }] });
    const post = signed('position/change_leverage', 'POST', { symbol: 'BTC_USDT', leverage: 5, openType: 1, positionType: 1 });
    expect((await service.app.inject({ method: 'POST', ...post })).json()).toEqual({ success: true, code: 0 });
    const state = service.engine.kernel.account(service.deps.credentials.byApiKey(account.apiKey)!.accountId);
    expect(state?.kind === 'futures' ? state.leverageOf('BTCUSDT') : undefined).toBe(5);
  });

  it('sorts the raw pairs by key and keeps their encoding', () => {
    expect(sortedQuery('symbol=BTC_USDT&page_size=20&a%20b=1')).toBe('a%20b=1&page_size=20&symbol=BTC_USDT');
    expect(sortedQuery('')).toBe('');
  });

  it('refuses a wrong secret (602), no or an unknown key (401), a stale Request-Time (513), a body that is not JSON (601)', async () => {
    const wrong = signed('account/assets', 'GET', {}, 'f'.repeat(64));
    expect((await service.app.inject({ method: 'GET', ...wrong })).json()).toMatchObject({ success: false, code: 602 });
    expect((await service.app.inject({ method: 'GET', url: '/api/v1/private/account/assets' })).json()).toMatchObject({ success: false, code: 401 });
    const good = signed('account/assets', 'GET', {});
    expect((await service.app.inject({ method: 'GET', url: good.url, headers: { ...good.headers, ApiKey: 'pt_unknown' } })).json()).toMatchObject({ success: false, code: 401 });
    // Signed 20 s ago (accessKey + Request-Time, no parameters): stale in the default 10-second
    // window, admitted in a 30-second Recv-Window (the signature covers the time, not the window).
    const old = String(Date.now() - 20_000);
    const stale = { ...good.headers, 'Request-Time': old, Signature: createHmac('sha256', account.apiSecret).update(`${account.apiKey}${old}`).digest('hex') };
    expect((await service.app.inject({ method: 'GET', url: good.url, headers: stale })).json()).toMatchObject({ success: false, code: 513 });
    expect((await service.app.inject({ method: 'GET', url: good.url, headers: { ...stale, 'Recv-Window': '30' } })).json()).toMatchObject({ success: true });
    expect((await service.app.inject({ method: 'GET', url: good.url, headers: { ...stale, 'Recv-Window': '61' } })).json()).toMatchObject({ success: false, code: 513 });
    const post = signed('order/cancel', 'POST', ['1']);
    const broken = await service.app.inject({ method: 'POST', url: post.url, headers: post.headers, payload: '[1' });
    expect(broken.json()).toMatchObject({ success: false, code: 602 }); // the signature covers the body as sent
    // Signed as MEXC's docs say (accessKey + Request-Time + body), but not JSON: 601.
    const time = String(Date.now());
    const signature = createHmac('sha256', account.apiSecret).update(`${account.apiKey}${time}[1`).digest('hex');
    const undecodable = await service.app.inject({ method: 'POST', url: post.url, headers: { ...post.headers, 'Request-Time': time, Signature: signature }, payload: '[1' });
    expect(undecodable.json()).toMatchObject({ success: false, code: 601 });
  });

  it('answers a cancel_all whose JSON body is not an object with 600, and cancels nothing', async () => {
    for (const text of ['null', '[]', '"BTC_USDT"', '7']) {
      const time = String(Date.now());
      const headers = { ApiKey: account.apiKey, 'Request-Time': time, Signature: createHmac('sha256', account.apiSecret).update(`${account.apiKey}${time}${text}`).digest('hex'), 'content-type': 'application/json' };
      const answer = await service.app.inject({ method: 'POST', url: '/api/v1/private/order/cancel_all', headers, payload: text });
      expect(answer.statusCode, text).toBeLessThan(500);
      expect(answer.json(), text).toMatchObject({ success: false, code: 600 });
    }
  });

  it('refuses orders and leverage of a spot account in words that say so (600)', async () => {
    const spot = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 's', balances: { USDT: '1000' } } })).json();
    const exchange = new ccxt.mexc({ apiKey: spot.apiKey, secret: spot.apiSecret });
    exchange.urls.api.contract = { public: '/api/v1/contract', private: '/api/v1/private' };
    for (const [path, params] of [['order/create', { symbol: 'BTC_USDT', vol: 10, side: 1, type: 5, openType: 2 }], ['position/change_leverage', { symbol: 'BTC_USDT', leverage: 5, openType: 2, positionType: 1 }]] as const) {
      const request = exchange.sign(path, ['contract', 'private'] as unknown as string, 'POST', params) as { url: string; body: string; headers: Record<string, string> };
      const answer = await service.app.inject({ method: 'POST', url: request.url, headers: request.headers, payload: request.body });
      expect(answer.json()).toEqual({ success: false, code: 600, message: expect.stringContaining('does not trade futures') });
    }
    const assets = signed('account/assets', 'GET', {});
    expect((await service.app.inject({ method: 'GET', ...assets })).json()).toMatchObject({ success: true });
  });

  it('answers unknown contracts 1001 and unknown paths in the contract envelope', async () => {
    expect((await service.app.inject({ url: '/api/v1/contract/depth/DOGE_USDT' })).json()).toMatchObject({ success: false, code: 1001 });
    const missing = await service.app.inject({ url: '/api/v1/private/nowhere' });
    expect([missing.statusCode, missing.json()]).toEqual([404, { success: false, code: 404, message: expect.stringContaining('no route') }]);
    const wrongMethod = await service.app.inject({ method: 'DELETE', url: '/api/v1/contract/ping' });
    expect(wrongMethod.json()).toMatchObject({ success: false, code: 405 });
  });

  it('lists the perpetual in contract detail, which the spot dialect leaves to it', async () => {
    const detail = (await service.app.inject({ url: '/api/v1/contract/detail' })).json();
    expect(detail.data).toEqual([expect.objectContaining({ symbol: 'BTC_USDT', contractSize: 0.0001, priceUnit: 0.1, volUnit: 10, minVol: 10, maxLeverage: 125, state: 0 })]);
    const app = await buildServer(service.deps, { plugins: [registerMexcApi] });
    expect((await app.inject({ url: '/api/v1/contract/detail' })).json()).toEqual({ success: true, code: 0, data: [] });
    await app.close();
    await expect(buildServer(service.deps, { plugins: [registerMexcApi, registerMexcContractApi] })).rejects.toThrow(/before the MEXC Spot v3 API/);
  });
});
