import ccxt from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerMexcContractApi } from './mexc-contract-api.js';

// The USD-M examples through the MEXC contract API on the USD-M recording at 1723161400000
// (mark 61,725.1; the perpetual carries Binance USD-M's rules, docs/adr/0031): a limit outside
// 0.85×–1.15× the mark and the 201st open order, in MEXC's envelope with HTTP 200 and the codes of
// MEXC's futures API error table (2007 "Order price error" for a buy below the band, 2036 "The orders
// more than the limit, please contact customer service"; docs/adr/0052). BTC_USDT counts 0.0001 BTC per contract.
const T = 1723161400000;

describe('exchange rules through the MEXC contract API (in-process, real engine and recording)', () => {
  let service: TestService;
  let account: { apiKey: string; apiSecret: string };

  /** A request signed by ccxt's `mexc.sign` (contract branch). */
  const submit = async (params: Record<string, unknown>) => {
    const exchange = new ccxt.mexc({ apiKey: account.apiKey, secret: account.apiSecret });
    exchange.urls.api.contract = { public: '/api/v1/contract', private: '/api/v1/private' };
    const body = { symbol: 'BTC_USDT', openType: 1, leverage: 10, ...params };
    const request = exchange.sign('order/submit', ['contract', 'private'] as unknown as string, 'POST', body) as { url: string; body?: string; headers: Record<string, string> };
    const reply = await service.app.inject({ method: 'POST', url: request.url, headers: request.headers, ...(request.body !== undefined ? { payload: request.body } : {}) });
    return { status: reply.statusCode, body: reply.json() as Record<string, unknown> };
  };

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: T, plugins: [registerMexcContractApi] });
    account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'c', type: 'futures', leverage: 10, balances: { USDT: '100000' } } })).json();
  });
  afterAll(async () => service?.close());

  it('a limit open-long of 100 contracts (0.01 BTC) at 40000 answers 2007; at 53000 it rests', async () => {
    const refused = await submit({ side: 1, type: 1, vol: 100, price: 40000 });
    expect(refused).toEqual({ status: 200, body: { success: false, code: 2007, message: 'Order price error (BUY price 40000 outside 0.85×–1.15× the mark price 61725.1)' } });
    expect((await submit({ side: 1, type: 1, vol: 100, price: 53000 })).body).toMatchObject({ success: true, code: 0 });
  });

  it('the 201st open order on the contract answers 2036 "The orders more than the limit"', async () => {
    for (let i = 1; i < 200; i += 1) expect((await submit({ side: 1, type: 1, vol: 20, price: 60000 - i })).body).toMatchObject({ success: true });
    expect(await submit({ side: 1, type: 1, vol: 20, price: 59000 })).toEqual({ status: 200, body: { success: false, code: 2036, message: 'The orders more than the limit, please contact customer service (at most 200 open orders on BTC_USDT)' } });
  });
});
