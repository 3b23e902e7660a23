/**
 * A MEXC contract trigger order's `updateTime` (`planorder/list/orders`, MEXC futures API "Gets the
 * trigger order list") is the time of its last change of state, and its trigger is one: from
 * untriggered (1) to executed (3). A trigger order whose limit order rests after the trigger, with
 * nothing filled, changed at the trigger and not since; the list stated it executed with the
 * `updateTime` of its creation.
 *
 * Bundled USD-M recording, cross account at 10x: the last price is 61,804.1 at 23:55:30, and the sell
 * prints of 23:56:02.210 reach 61,750.0 (ccxt-mexc-contract-plan.test.ts walks that book by hand), the
 * first print at or under 61,750 since. An open short "≤ 61,750" as a limit at 61,900 triggers on that
 * print and rests above the market, unfilled, holding 0.002 × 61,900 / 10 = 12.38 of margin and
 * 0.002 × 61,900 × 0.05% = 0.0619 of fee: 12.4419.
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

describe('a trigger order states the time of its trigger as its updateTime', () => {
  let service: TestService;
  let account: Keys;
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) =>
    (await injectMexcContract(service.app, account, method, path, body)).json() as { success: boolean; code: number; message?: string; data?: unknown };
  const listed = async (id: string) => ((await call('GET', 'planorder/list/orders')).data as Entry[]).find((o) => o.id === id)!;

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: T0, plugins: [registerMexcContractApi] });
    account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'update-time', type: 'futures', marginMode: 'cross', leverage: 10, balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => service?.close());

  it('a limit placed by the trigger and resting unfilled: state 3 since the trigger, also after a restart', async () => {
    const placed = await call('POST', 'planorder/place', { symbol: 'BTC_USDT', side: 3, vol: 20, openType: 2, triggerPrice: 61750, triggerType: 2, executeCycle: 1, trend: 1, orderType: 1, price: 61900 });
    const id = placed.data as string;
    const waiting = await listed(id);
    expect(waiting).toMatchObject({ state: 1, updateTime: waiting.createTime });
    await service.feedUntil(SWEEP);
    const open = (await call('GET', 'order/list/open_orders')).data as Entry[];
    expect(open).toEqual([expect.objectContaining({ orderId: id, price: 61900, dealVol: 0, state: 2, orderMargin: 12.4419 })]);
    expect(await listed(id)).toMatchObject({ state: 3, orderId: id, createTime: waiting.createTime, updateTime: SWEEP });
    service = await service.restart({ snapshot: false });
    expect(await listed(id)).toMatchObject({ state: 3, orderId: id, createTime: waiting.createTime, updateTime: SWEEP });
  });
});
