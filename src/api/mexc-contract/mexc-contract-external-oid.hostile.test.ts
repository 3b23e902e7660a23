/**
 * `order/external/{symbol}/{external_oid}` knows the orders `order/get/{order_id}` knows, no more: a
 * trigger order that has not placed its order is a MEXC plan order (listed by `planorder/list/orders`)
 * and not among MEXC's orders, so asked by its external id it is 2040 "order not exist", as by its id
 * (docs/adr/0068); once the trigger places it, both answer the order.
 *
 * Bundled USD-M recording, cross account at 10x, default taker fee 0.05%: the last price is 61,804.1
 * at 23:55:30, and the sell prints of 23:56:02.210 reach 61,750.0, where 3.115 BTC is bid
 * (ccxt-mexc-contract-plan.test.ts walks that book by hand). A native sell stop of 0.002 BTC at
 * 61,750 with client id `natstop` is, to MEXC, an open-short trigger order "≤ 61,750" of 20 contracts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { injectMexcContract } from '../../test-kit/mexc-contract-signed.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerMexcContractApi } from './mexc-contract-api.js';

const T0 = 1723161330000;
const SWEEP = 1723161362210;
type Keys = { id: string; apiKey: string; apiSecret: string };

describe('a trigger order asked by its external id is unknown to the order routes until it places its order', () => {
  let service: TestService;
  let account: Keys;
  let id: string;
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) =>
    (await injectMexcContract(service.app, account, method, path, body)).json() as { success: boolean; code: number; message?: string; data?: unknown };

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: T0, plugins: [registerMexcContractApi] });
    account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'external', type: 'futures', marginMode: 'cross', leverage: 10, balances: { USDT: '10000' } } })).json();
    const placed = await service.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${account.apiKey}` }, payload: { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.002', stopPrice: '61750', clientOrderId: 'natstop' } });
    expect(placed.statusCode).toBe(201);
    id = placed.json().orderId;
  });
  afterAll(async () => service?.close());

  it('waiting, it is a plan order: 2040 by its id and by its external id alike', async () => {
    expect(((await call('GET', 'planorder/list/orders')).data as unknown[])).toEqual([expect.objectContaining({ id, side: 3, vol: 20, triggerType: 2, state: 1 })]);
    expect(await call('GET', `order/get/${id}`)).toEqual({ success: false, code: 2040, message: 'order not exist' });
    expect(await call('GET', 'order/external/BTC_USDT/natstop')).toEqual({ success: false, code: 2040, message: 'order not exist' });
  });

  it('triggered, both answer the order it placed: 20 contracts sold at 61,750', async () => {
    await service.feedUntil(SWEEP);
    const byId = await call('GET', `order/get/${id}`);
    expect(byId).toMatchObject({ success: true, data: { orderId: id, externalOid: 'natstop', side: 3, state: 3, dealVol: 20, dealAvgPrice: 61750 } });
    expect(await call('GET', 'order/external/BTC_USDT/natstop')).toEqual(byId);
  });
});
