/**
 * MEXC contract order routes against parameters a client gets wrong, on the bundled USD-M recording
 * at 23:55:30 (last price 61,804.1), isolated account at 10x, default taker fee 0.05%:
 *
 * - `order/list/history_orders` reads `states` (1 uninformed, 2 uncompleted, 3 completed, 4 cancelled,
 *   5 invalid; several separated by ",") and `side` (1 open long, 2 close short, 3 open short, 4 close
 *   long), MEXC futures API "Get all of the user's historical orders". A value outside those is a
 *   parameter error (600), as `planorder/list/orders` answers it, not an empty page that reads as "no
 *   orders".
 * - `order/cancel_all` with `"symbol": null` (what a client's None or nil sends) is a cancel of every
 *   contract's orders, as `planorder/cancel_all` reads it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { injectMexcContract } from '../../test-kit/mexc-contract-signed.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerMexcContractApi } from './mexc-contract-api.js';

const T0 = 1723161330000;
type Keys = { id: string; apiKey: string; apiSecret: string };
type Entry = Record<string, unknown>;

describe('MEXC contract order routes read their parameters as MEXC documents them', () => {
  let service: TestService;
  let account: Keys;
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) =>
    (await injectMexcContract(service.app, account, method, path, body)).json() as { success: boolean; code: number; message?: string; data?: unknown };
  const frozen = async () => ((await call('GET', 'account/assets')).data as Entry[])[0]!.frozenBalance;

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: T0, plugins: [registerMexcContractApi] });
    account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'params', type: 'futures', marginMode: 'isolated', leverage: 10, balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => service?.close());

  it('history_orders refuses states and sides MEXC does not have (600), and still filters by the ones it has', async () => {
    // A long of 20 contracts at market: one completed (3) order on side 1.
    const filled = ((await call('POST', 'order/create', { symbol: 'BTC_USDT', side: 1, vol: 20, type: 5, openType: 1 })).data as Entry).orderId;
    for (const states of ['abc', '0', '6', '1;2', '3,', '3,x']) {
      expect(await call('GET', 'order/list/history_orders', { states }), `states ${states}`).toMatchObject({ success: false, code: 600 });
    }
    for (const side of ['x', '0', '5', '1,3', '1.0']) {
      expect(await call('GET', 'order/list/history_orders', { side }), `side ${side}`).toMatchObject({ success: false, code: 600 });
    }
    const ids = async (query: Entry) => ((await call('GET', 'order/list/history_orders', query)).data as Entry[]).map((o) => o.orderId);
    expect(await ids({ states: '3' })).toEqual([filled]);
    expect(await ids({ states: '2,4' })).toEqual([]);
    expect(await ids({ side: '1' })).toEqual([filled]);
    expect(await ids({ side: 3 })).toEqual([]);
  });

  it('cancel_all with a null symbol cancels the orders of every contract, and leaves a trigger order waiting', async () => {
    // A limit buy of 20 contracts at 60,000 rests under the ask; a trigger order opens a long once ≥ 62,000.
    const resting = ((await call('POST', 'order/create', { symbol: 'BTC_USDT', side: 1, vol: 20, type: 1, price: 60000, openType: 1 })).data as Entry).orderId as string;
    const trigger = (await call('POST', 'planorder/place', { symbol: 'BTC_USDT', side: 1, vol: 20, openType: 1, triggerPrice: 62000, triggerType: 1, executeCycle: 1, trend: 1, orderType: 5 })).data as string;
    expect(await call('POST', 'order/cancel_all', { symbol: null })).toEqual({ success: true, code: 0 });
    expect(await call('GET', `order/get/${resting}`)).toMatchObject({ success: true, data: { orderId: resting, state: 4 } });
    expect(service.engine.kernel.order(trigger)).toMatchObject({ status: 'NEW', triggered: false });
    // Only the trigger order holds anything: 0.002 × 62,000 / 10 = 12.4 of margin and 0.002 × 62,000 × 0.05% = 0.062 of fee.
    expect(await frozen()).toBe(12.462);
  });
});
