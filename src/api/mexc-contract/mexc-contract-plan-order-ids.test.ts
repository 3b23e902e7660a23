/**
 * MEXC keeps a trigger order among its plan orders until the trigger places the order: its order
 * routes (`order/get/{order_id}`, `order/cancel`, `order/deal_details/{order_id}`) do not know the
 * trigger order's id before then, and answer it as any id they do not know, 2040 "order not exist"
 * (the answer of `order/get` for an unknown id, and `order/cancel`'s per-order `errorCode`). Once
 * triggered, the order it placed works under that id (docs/adr/0068) and the order routes know it.
 *
 * On the bundled USD-M recording the last price is 61,804.1 at 23:55:30, and the sell prints of
 * 23:56:02.210 reach 61,750.0; none after them in this window go under 61,691.3
 * (ccxt-mexc-contract-plan.test.ts), so a limit buy at 61,600 triggered there rests unfilled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { injectMexcContract } from '../../test-kit/mexc-contract-signed.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerMexcContractApi } from './mexc-contract-api.js';

const T0 = 1723161330000;
const SWEEP = 1723161362210;
type Keys = { id: string; apiKey: string; apiSecret: string };
type Entry = Record<string, unknown>;
const NOT_EXIST = { success: false, code: 2040, message: 'order not exist' };

describe("MEXC contract order routes do not know a trigger order's id until it places its order", () => {
  let service: TestService;
  let account: Keys;
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) =>
    (await injectMexcContract(service.app, account, method, path, body)).json() as { success: boolean; code: number; message?: string; data?: unknown };
  const planState = async (id: string) => ((await call('GET', 'planorder/list/orders', { page_size: 100 })).data as Entry[]).find((o) => o.id === id)!.state;
  const asset = async () => ((await call('GET', 'account/assets')).data as Entry[])[0]!;
  let id: string;

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: T0, plugins: [registerMexcContractApi] });
    account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'ids', type: 'futures', marginMode: 'isolated', leverage: 10, balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => service?.close());

  it('a waiting trigger order: order/get and deal_details answer 2040 as for an id never given; order/cancel answers 2040 and leaves it waiting', async () => {
    // Open long once ≤ 61,750, a limit at 61,600: 0.002 × 61,600 / 10 = 12.32 of margin and
    // 0.002 × 61,600 × 0.05% = 0.0616 of fee held, 12.3816.
    id = (await call('POST', 'planorder/place', { symbol: 'BTC_USDT', side: 1, vol: 20, openType: 1, leverage: 10, price: 61600, triggerPrice: 61750, triggerType: 2, executeCycle: 1, trend: 1, orderType: 1 })).data as string;
    expect(await asset()).toMatchObject({ frozenBalance: 12.3816, availableBalance: 9987.6184 });
    expect(await call('GET', 'order/get/987654321')).toEqual(NOT_EXIST);
    expect(await call('GET', `order/get/${id}`)).toEqual(NOT_EXIST);
    expect(await call('GET', `order/deal_details/${id}`)).toEqual(NOT_EXIST);
    expect(await call('POST', 'order/cancel', [id, '987654321'])).toEqual({
      success: true,
      code: 0,
      data: [
        { orderId: id, errorCode: 2040, errorMsg: 'order not exist' },
        { orderId: '987654321', errorCode: 2040, errorMsg: 'order not exist' },
      ],
    });
    expect(await planState(id)).toBe(1);
    expect(await asset()).toMatchObject({ frozenBalance: 12.3816, availableBalance: 9987.6184 });
  });

  it('triggered on the sweep, the order it placed is known under the id: order/get answers it, order/cancel cancels it', async () => {
    await service.feedUntil(SWEEP);
    expect(await planState(id)).toBe(3);
    // MEXC order states: 2 uncompleted (resting), 4 cancelled.
    expect(await call('GET', `order/get/${id}`)).toMatchObject({ success: true, data: { orderId: id, state: 2, price: 61600, vol: 20, dealVol: 0, orderType: 1 } });
    expect(await call('GET', `order/deal_details/${id}`)).toEqual({ success: true, code: 0, data: [] });
    expect(await call('POST', 'order/cancel', [id])).toEqual({ success: true, code: 0, data: [{ orderId: id, errorCode: 0, errorMsg: 'success' }] });
    expect(await call('GET', `order/get/${id}`)).toMatchObject({ success: true, data: { orderId: id, state: 4 } });
    expect(await asset()).toMatchObject({ frozenBalance: 0, availableBalance: 10000 });
  });

  it('a trigger order cancelled before its trigger stays unknown to the order routes', async () => {
    // Open long once ≥ 63,000: not reached.
    const waiting = (await call('POST', 'planorder/place', { symbol: 'BTC_USDT', side: 1, vol: 20, openType: 1, leverage: 10, triggerPrice: 63000, triggerType: 1, executeCycle: 1, trend: 1, orderType: 5 })).data as string;
    expect(await call('POST', 'planorder/cancel', [{ symbol: 'BTC_USDT', orderId: waiting }])).toEqual({ success: true, code: 0 });
    expect(await planState(waiting)).toBe(2);
    expect(await call('GET', `order/get/${waiting}`)).toEqual(NOT_EXIST);
    expect(await call('POST', 'order/cancel', [waiting])).toMatchObject({ data: [{ orderId: waiting, errorCode: 2040 }] });
  });
});
