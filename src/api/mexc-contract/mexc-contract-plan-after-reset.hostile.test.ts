/**
 * After a reset an account's histories start where the new account does (docs/adr/0070): a trigger
 * order of the account before the reset is not the new account's. The kernel still held the earlier
 * trigger order (cancelled by the reset), and `planorder/list/orders` listed it as the new account's
 * (state 2) while every other history answered nothing; `planorder/cancel` found it too and answered
 * 2041 ("order state cannot be cancelled") where an unknown order is 2040. Likewise
 * `position/list/history_positions` listed the earlier account's position, closed by the reset, as
 * the new account's.
 *
 * Bundled USD-M recording at 23:55:30 (last price 61,804.1), isolated account at 10x with 1,000 USDT.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { injectMexcContract } from '../../test-kit/mexc-contract-signed.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerMexcContractApi } from './mexc-contract-api.js';

const T0 = 1723161330000;
type Keys = { id: string; apiKey: string; apiSecret: string };

describe('a reset leaves no trigger order of the earlier account in the new one', () => {
  let service: TestService;
  let account: Keys;
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) =>
    (await injectMexcContract(service.app, account, method, path, body)).json() as { success: boolean; code: number; message?: string; data?: unknown };

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: T0, plugins: [registerMexcContractApi] });
    account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'reset', type: 'futures', marginMode: 'isolated', leverage: 10, balances: { USDT: '1000' } } })).json();
  });
  afterAll(async () => service?.close());

  it('the list is empty and the old id unknown; a trigger order placed after the reset is listed alone', async () => {
    const old = (await call('POST', 'planorder/place', { symbol: 'BTC_USDT', side: 1, vol: 20, openType: 1, triggerPrice: 62000, triggerType: 1, executeCycle: 1, trend: 1, orderType: 5 })).data as string;
    expect((await service.app.inject({ method: 'POST', url: `/api/accounts/${account.id}/reset`, headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: {} })).statusCode).toBe(200);
    expect(await call('GET', 'planorder/list/orders')).toEqual({ success: true, code: 0, data: [] });
    expect(await call('GET', 'planorder/list/orders', { states: '2' })).toEqual({ success: true, code: 0, data: [] });
    expect(await call('POST', 'planorder/cancel', [{ symbol: 'BTC_USDT', orderId: old }])).toMatchObject({ success: false, code: 2040 });
    const fresh = (await call('POST', 'planorder/place', { symbol: 'BTC_USDT', side: 1, vol: 20, openType: 1, triggerPrice: 62000, triggerType: 1, executeCycle: 1, trend: 1, orderType: 5 })).data as string;
    expect(((await call('GET', 'planorder/list/orders')).data as { id: string; state: number }[]).map((o) => [o.id, o.state])).toEqual([[fresh, 1]]);
  });

  it('a position the reset closed is not in the position history of the new account', async () => {
    // A long of 20 contracts at the ask, 61,804.1; listed as open, then gone with the reset.
    expect(await call('POST', 'order/create', { symbol: 'BTC_USDT', side: 1, vol: 20, type: 5, openType: 1 })).toMatchObject({ success: true });
    expect((await call('GET', 'position/open_positions')).data).toEqual([expect.objectContaining({ holdVol: 20, holdAvgPrice: 61804.1 })]);
    expect((await service.app.inject({ method: 'POST', url: `/api/accounts/${account.id}/reset`, headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: {} })).statusCode).toBe(200);
    expect((await call('GET', 'position/open_positions')).data).toEqual([]);
    expect(await call('GET', 'position/list/history_positions')).toEqual({ success: true, code: 0, data: [] });
  });
});
