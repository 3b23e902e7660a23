/**
 * A restart of the whole service on the same database changes nothing a MEXC contract client can
 * read about its trigger orders (`planorder/*`): each one listed as before, whatever became of it
 * (waiting, cancelled, executed, execution failed), the orders and deals they placed, the wallet and
 * the position; and a trigger order still waiting keeps its cycle's end across the restart.
 *
 * Bundled USD-M recording, isolated account at 10x, default taker fee 0.05%: the last price is
 * 61,804.1 at 23:55:30 (best ask 61,804.1), and the sell prints of 23:56:02.210 reach 61,750.0, where
 * 3.115 BTC is bid (ccxt-mexc-contract-plan.test.ts walks that book by hand).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { injectMexcContract } from '../../test-kit/mexc-contract-signed.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerMexcContractApi } from './mexc-contract-api.js';

const T0 = 1723161330000;
const SWEEP = 1723161362210;
const HOUR = 3_600_000;
type Keys = { id: string; apiKey: string; apiSecret: string };
type Entry = Record<string, unknown>;
const AT_61750 = { symbol: 'BTC_USDT', vol: 20, openType: 1, triggerPrice: 61750, triggerType: 2, executeCycle: 1, trend: 1, orderType: 5 };

describe('a restart of the service changes nothing a MEXC contract client reads of its trigger orders', () => {
  let service: TestService;
  let account: Keys;
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) =>
    (await injectMexcContract(service.app, account, method, path, body)).json() as { success: boolean; code: number; message?: string; data?: unknown };
  const window = { page_size: 100, start_time: T0 - HOUR, end_time: T0 + 200 * HOUR };
  /** Everything the client can read, each answer whole. */
  const reads = async (ids: readonly string[]) => ({
    plans: await call('GET', 'planorder/list/orders', window),
    history: await call('GET', 'order/list/history_orders', window),
    open: await call('GET', 'order/list/open_orders'),
    deals: await call('GET', 'order/list/order_deals', { ...window, symbol: 'BTC_USDT' }),
    byId: await Promise.all(ids.map(async (id) => [await call('GET', `order/get/${id}`), await call('GET', `order/deal_details/${id}`)])),
    assets: await call('GET', 'account/assets'),
    positions: await call('GET', 'position/open_positions'),
  });
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: T0, plugins: [registerMexcContractApi] });
    account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'plans', type: 'futures', marginMode: 'isolated', leverage: 10, balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => service?.close());

  it('trigger orders executed, failed, cancelled and waiting read the same after a restart', async () => {
    expect(await call('POST', 'order/create', { symbol: 'BTC_USDT', side: 1, vol: 20, type: 5, openType: 1, leverage: 10 })).toMatchObject({ success: true });
    ids.closes = (await call('POST', 'planorder/place', { ...AT_61750, side: 4 })).data as string;
    ids.nothingLeft = (await call('POST', 'planorder/place', { ...AT_61750, side: 4 })).data as string;
    ids.opens = (await call('POST', 'planorder/place', { ...AT_61750, side: 3 })).data as string;
    ids.cancelled = (await call('POST', 'planorder/place', { ...AT_61750, side: 1, triggerPrice: 62000, triggerType: 1 })).data as string;
    expect(await call('POST', 'planorder/cancel', [{ symbol: 'BTC_USDT', orderId: ids.cancelled }])).toEqual({ success: true, code: 0 });
    ids.waiting = (await call('POST', 'planorder/place', { ...AT_61750, side: 1, triggerPrice: 63000, triggerType: 1 })).data as string;
    await service.feedUntil(SWEEP);
    const states = Object.fromEntries(((await call('GET', 'planorder/list/orders', window)).data as Entry[]).map((o) => [o.id, o.state]));
    expect(states).toEqual({ [ids.closes]: 3, [ids.nothingLeft]: 5, [ids.opens]: 3, [ids.cancelled]: 2, [ids.waiting]: 1 });

    const before = await reads(Object.values(ids));
    // Without a final snapshot: the restart replays the journal.
    service = await service.restart({ snapshot: false });
    expect(await reads(Object.values(ids))).toEqual(before);
  });

  it('the waiting one still ends 24 hours after its creation, and its margin comes back to the last unit', async () => {
    const waiting = ((await call('GET', 'planorder/list/orders', window)).data as Entry[]).find((o) => o.id === ids.waiting)!;
    const end = (waiting.createTime as number) + 24 * HOUR;
    const frozen = async () => (((await call('GET', 'account/assets')).data as Entry[])[0]!).frozenBalance;
    // Open long of 0.002 once ≥ 63,000, placed while the account was long: it held 0.002 × 63,000 / 10 = 12.6 of
    // margin and 0.002 × 63,000 × 0.05% = 0.063 of fee, 12.663. The sweep left a short of 0.002 (the executed
    // open short), which this buy would only close: it holds nothing since (docs/adr/0074-open-order-margin-follows-the-position.md).
    expect(await frozen()).toBe(0);
    await service.deps.hub.submit({ kind: 'clock', time: end - 1 });
    expect(((await call('GET', 'planorder/list/orders', window)).data as Entry[]).find((o) => o.id === ids.waiting)).toMatchObject({ state: 1 });
    await service.deps.hub.submit({ kind: 'clock', time: end });
    expect(((await call('GET', 'planorder/list/orders', window)).data as Entry[]).find((o) => o.id === ids.waiting)).toMatchObject({ state: 4, updateTime: end });
    expect(await frozen()).toBe(0);
    // And so after one more restart, from the snapshot saved as the service closes.
    const before = await reads(Object.values(ids));
    service = await service.restart();
    expect(await reads(Object.values(ids))).toEqual(before);
  });

  it('a trigger order whose cycle ends while the service is down ends at its own end at the first input after the restart', async () => {
    const frozen = async () => (((await call('GET', 'account/assets')).data as Entry[])[0]!).frozenBalance;
    // Open long of 0.004 against the short of 0.002: the 0.002 it opens beyond it holds 0.002 × 63,000 / 10 = 12.6
    // of margin and 0.002 × 63,000 × 0.05% = 0.063 of fee (docs/adr/0074-open-order-margin-follows-the-position.md).
    const id = (await call('POST', 'planorder/place', { ...AT_61750, side: 1, vol: 40, triggerPrice: 63000, triggerType: 1 })).data as string;
    expect(await frozen()).toBe(12.663);
    const placed = ((await call('GET', 'planorder/list/orders', window)).data as Entry[]).find((o) => o.id === id)!;
    const end = (placed.createTime as number) + 24 * HOUR;
    service = await service.restart();
    // The next input comes five hours after the end: the order ended at its end, not at that input.
    await service.deps.hub.submit({ kind: 'clock', time: end + 5 * HOUR });
    expect(((await call('GET', 'planorder/list/orders', { ...window, end_time: end + 6 * HOUR })).data as Entry[]).find((o) => o.id === id)).toMatchObject({ state: 4, updateTime: end });
    expect(await frozen()).toBe(0);
  });
});
