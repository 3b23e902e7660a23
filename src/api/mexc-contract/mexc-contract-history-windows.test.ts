/**
 * MEXC contract history windows: `order/list/history_orders` ("default return the last 7 days of
 * data without fill in") and `order/list/order_deals` ("the default is to push forward 7 days"), on
 * the exchange's clock (a replay's time on paper).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { injectMexcContract } from '../../test-kit/mexc-contract-signed.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerMexcContractApi } from './mexc-contract-api.js';

const DAY = 24 * 60 * 60 * 1000;

describe('MEXC contract history windows', () => {
  let service: TestService;
  let keys: { apiKey: string; apiSecret: string };
  const call = async (method: 'GET' | 'POST', path: string, body?: Record<string, unknown>) => (await injectMexcContract(service.app, keys, method, path, body)).json() as { success: boolean; data: { orderId: string; ts: number }[] & { orderId: string; ts: number } };

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000, plugins: [registerMexcContractApi] });
    keys = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'windows', type: 'futures', leverage: 10, balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => service?.close());

  it('history_orders and order_deals without start_time and end_time read the last 7 days only', async () => {
    const first = (await call('POST', 'order/create', { symbol: 'BTC_USDT', openType: 1, side: 1, type: 5, vol: 100, leverage: 10 })).data;
    // 8 days later on the exchange's clock, a second order.
    await service.deps.hub.submit({ kind: 'clock', time: first.ts + 8 * DAY });
    const second = (await call('POST', 'order/create', { symbol: 'BTC_USDT', openType: 1, side: 1, type: 5, vol: 100, leverage: 10 })).data;
    expect(second.ts).toBe(first.ts + 8 * DAY);

    const orderIds = (r: { data: { orderId: string }[] }) => r.data.map((o) => o.orderId);
    expect(orderIds(await call('GET', 'order/list/history_orders', { symbol: 'BTC_USDT', page_num: 1, page_size: 20 }))).toEqual([second.orderId]);
    expect(orderIds(await call('GET', 'order/list/order_deals', { symbol: 'BTC_USDT', page_num: 1, page_size: 20 }))).toEqual([second.orderId]);
    // A window given reaches back as far as it says (newest first).
    const both = { symbol: 'BTC_USDT', start_time: first.ts, end_time: second.ts, page_num: 1, page_size: 20 };
    expect(orderIds(await call('GET', 'order/list/history_orders', both))).toEqual([second.orderId, first.orderId]);
    expect(orderIds(await call('GET', 'order/list/order_deals', both))).toEqual([second.orderId, first.orderId]);
  });
});
