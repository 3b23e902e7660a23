/**
 * A value a request carried comes back bounded in a dialect's refusal, as the kernel's refusals echo
 * it (core/bounded-text.ts): a run of more than 100 non-space characters becomes its first 40 and its
 * length. Each value below is 100,000 characters or more, sent signed as each exchange signs (MEXC
 * Spot v3 and Binance USD-M: HMAC-SHA256 of the parameters; MEXC contract: of key, time and body); the
 * oracle is that rule applied by hand, and for a price, the native route's answer to the same price.
 */
import { createHmac } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerBinanceUsdmApi } from '../binance-usdm/usdm-api.js';
import { registerMexcContractApi } from '../mexc-contract/mexc-contract-api.js';
import { registerMexcApi } from '../mexc/mexc-api.js';
import { buildServer } from '../server.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const A = 'A'.repeat(100_000);
const HUGE = `1${'0'.repeat(100_000)}`;
/** The rule by hand: the first 40 characters of a run, then its length. */
const cut = (run: string) => `${run.slice(0, 40)}…(${run.length} characters)`;
type Keys = { id: string; apiKey: string; apiSecret: string };

describe('MEXC Spot v3 refusals echo a 100,000-character value bounded', () => {
  let service: TestService;
  let account: Keys;
  const signed = (method: 'GET' | 'POST', path: string, params: string): Promise<LightMyRequestResponse> => {
    const total = `${params}&timestamp=${Date.now()}`;
    const signature = createHmac('sha256', account.apiSecret).update(total).digest('hex');
    return service.app.inject({ method, url: `${path}?${total}&signature=${signature}`, headers: { 'x-mexc-apikey': account.apiKey } });
  };

  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000, plugins: [registerMexcApi] });
    account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'echo', balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => service?.close());

  it('side, type, a kline interval and a parameter name sent twice', async () => {
    const cases: Array<[Promise<LightMyRequestResponse>, string]> = [
      [signed('POST', '/api/v3/order', `symbol=BTCUSDT&side=${A}&type=LIMIT&quantity=0.001&price=50000`), `Invalid parameter: side ${cut(`${A}:`)} must be one of BUY, SELL`],
      [signed('POST', '/api/v3/order', `symbol=BTCUSDT&side=BUY&type=${A}&quantity=0.001&price=50000`), `Invalid parameter: type ${cut(`${A}:`)} must be one of`],
      [service.app.inject({ url: `/api/v3/klines?symbol=BTCUSDT&interval=${A}` }), `Invalid parameter: interval ${cut(`${A};`)} one of 1m,5m,15m,30m,60m,4h,1d,1W,1M`],
      [service.app.inject({ url: `/api/v3/depth?symbol=BTCUSDT&${A}=1&${A}=2` }), `Invalid parameter: ${cut(A)} was sent more than once`],
    ];
    for (const [answer, message] of cases) {
      const r = await answer;
      expect(r.statusCode).toBe(400);
      expect(r.body.length).toBeLessThan(400);
      expect((r.json() as { msg: string }).msg).toContain(message);
    }
    expect(service.engine.kernel.orders(account.id)).toHaveLength(0);
  });
});

describe('Binance USD-M and MEXC contract refusals echo a 100,000-character value bounded', () => {
  let service: TestService;
  let app: FastifyInstance;
  let account: Keys;
  const usdm = (method: 'POST', path: string, params: string): Promise<LightMyRequestResponse> => {
    // In a form body, as Binance takes it: the body limit (1 MiB) is far above 100,000 characters.
    const total = `${params}&timestamp=${Date.now()}`;
    const signature = createHmac('sha256', account.apiSecret).update(total).digest('hex');
    return app.inject({ method, url: `/binance/fapi${path}`, headers: { 'x-mbx-apikey': account.apiKey, 'content-type': 'application/x-www-form-urlencoded' }, payload: `${total}&signature=${signature}` });
  };
  const contract = (path: string, body: string): Promise<LightMyRequestResponse> => {
    const time = String(Date.now());
    const signature = createHmac('sha256', account.apiSecret).update(account.apiKey + time + body).digest('hex');
    return app.inject({ method: 'POST', url: `/api/v1/private/${path}`, headers: { apikey: account.apiKey, 'request-time': time, signature, 'content-type': 'application/json' }, payload: body });
  };

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161330000 });
    app = await buildServer(service.deps, { plugins: [registerMexcContractApi, registerBinanceUsdmApi] });
    account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'echo', type: 'futures', marginMode: 'isolated', leverage: 10, balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('USD-M: a leverage and a workingType', async () => {
    const cases: Array<[Promise<LightMyRequestResponse>, string]> = [
      [usdm('POST', '/v1/leverage', `symbol=BTCUSDT&leverage=${A}`), `Leverage ${cut(A)} is not valid`],
      [usdm('POST', '/v1/algoOrder', `algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&quantity=0.01&triggerPrice=50000.0&workingType=${A}`), `Invalid parameter working type: ${cut(A)}`],
    ];
    for (const [answer, message] of cases) {
      const r = await answer;
      expect(r.statusCode).toBe(400);
      expect(r.body.length).toBeLessThan(400);
      expect((r.json() as { msg: string }).msg).toBe(message);
    }
  });

  it('MEXC contract: a price and a vol as JSON numbers of 100,001 digits, and a kline interval', async () => {
    // The native route answers the same price: "… (price 1000000000000000000000000000000000000000…(100001 characters) is above the maximum 1000000)".
    const native = (await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${account.apiKey}` }, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: HUGE } })).json() as { message: string };
    expect(native.message).toContain(`price ${cut(HUGE)} is above the maximum 1000000`);
    const cases: Array<[Promise<LightMyRequestResponse>, string]> = [
      [contract('order/create', `{"symbol":"BTC_USDT","side":1,"vol":20,"type":1,"price":${HUGE},"openType":1}`), `Order price error (price ${cut(HUGE)} is above the maximum 1000000)`],
      [contract('order/create', `{"symbol":"BTC_USDT","side":1,"vol":${HUGE},"type":1,"price":60000,"openType":1}`), `(vol ${cut(HUGE)} is above`],
      [app.inject({ url: `/api/v1/contract/kline/BTC_USDT?interval=${A}` }), `Param error! interval ${cut(`${A};`)} one of`],
    ];
    for (const [answer, message] of cases) {
      const r = await answer;
      expect(r.body.length).toBeLessThan(400);
      expect((r.json() as { success: boolean; message: string }).message).toContain(message);
    }
    expect(service.engine.kernel.orders(account.id)).toHaveLength(0);
  });
});
