/**
 * `planorder/change_price` refusals answer MEXC's code and change nothing: the original waits, the
 * wallet holds what it held, no order is added. Codes (MEXC futures API, "Error code"; 2040 and 2041 in
 * the words of its `order/cancel` answer): an unknown trigger order, another account's, or one on
 * another contract 2040 "order not exist"; one cancelled or already triggered 2041; a malformed field
 * 600 "Parameter error"; a trigger price of 0 or one already reached 3004 "Trigger price error"; an
 * execute price off the 0.1 grid 2015 "Price or quantity accuracy error"; `triggerType` 3 3002; `trend`
 * 4 3001; a contract not traded here 1001; a replacement the free margin cannot hold beside the original 2005 "Balance insufficient".
 *
 * Bundled USD-M recording at 23:55:30, last price 61,804.1 (a "≤ 61,900" is already reached); isolated
 * accounts at 10x. The waiting order: open long 20 contracts once ≤ 61,600, a limit at 61,500, holding
 * 0.002 × 61,500 / 10 + 0.002 × 61,500 × 0.05% = 12.3 + 0.0615 = 12.3615.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { injectMexcContract } from '../../test-kit/mexc-contract-signed.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerMexcContractApi } from './mexc-contract-api.js';

const T0 = 1723161330000;
type Keys = { id: string; apiKey: string; apiSecret: string };
type Entry = Record<string, unknown>;
type Answer = { success: boolean; code: number; message?: string; data?: unknown };
const WAITING = { symbol: 'BTC_USDT', side: 1, vol: 20, openType: 1, leverage: 10, price: 61500, triggerPrice: 61600, triggerType: 2, executeCycle: 1, trend: 1, orderType: 1 };
const CHANGE = { symbol: 'BTC_USDT', triggerPrice: 61700, price: 61550, orderType: 1, triggerType: 2, trend: 1 };

describe('planorder/change_price refusals change nothing', () => {
  let service: TestService;
  let alice: Keys;
  let bob: Keys;
  let poor: Keys;
  const call = async (who: Keys, method: 'GET' | 'POST', path: string, body?: unknown) => (await injectMexcContract(service.app, who, method, path, body)).json() as Answer;
  const plans = async (who: Keys) => (await call(who, 'GET', 'planorder/list/orders', { page_size: 100 })).data as Entry[];
  const asset = async (who: Keys) => ((await call(who, 'GET', 'account/assets')).data as Entry[])[0]!;
  const open = async (name: string, usdt: string): Promise<Keys> =>
    (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name, type: 'futures', marginMode: 'isolated', leverage: 10, balances: { USDT: usdt } } })).json();
  let waiting: string;
  let cancelled: string;

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: T0, plugins: [registerMexcContractApi] });
    alice = await open('alice', '10000');
    bob = await open('bob', '10000');
    // 20 USDT: 12.3615 held leaves 7.6385, short of the replacement's 12.37155 (below).
    poor = await open('poor', '20');
    waiting = (await call(alice, 'POST', 'planorder/place', WAITING)).data as string;
    cancelled = (await call(alice, 'POST', 'planorder/place', WAITING)).data as string;
    expect(await call(alice, 'POST', 'planorder/cancel', [{ symbol: 'BTC_USDT', orderId: cancelled }])).toEqual({ success: true, code: 0 });
  });
  afterAll(async () => service?.close());

  const refusals: [string, () => Keys, () => Record<string, unknown>, number][] = [
    ['an id never given', () => alice, () => ({ ...CHANGE, orderId: '987654321' }), 2040],
    ["another account's trigger order", () => bob, () => ({ ...CHANGE, orderId: waiting }), 2040],
    ['a cancelled trigger order', () => alice, () => ({ ...CHANGE, orderId: cancelled }), 2041],
    ['an orderId that is not a whole number', () => alice, () => ({ ...CHANGE, orderId: '12ab' }), 600],
    ['a malformed trigger price', () => alice, () => ({ ...CHANGE, orderId: waiting, triggerPrice: '61,700' }), 600],
    ['a negative trigger price', () => alice, () => ({ ...CHANGE, orderId: waiting, triggerPrice: -61700 }), 600],
    ['no trigger price', () => alice, () => ({ ...CHANGE, orderId: waiting, triggerPrice: undefined }), 600],
    ['a trigger price of 0', () => alice, () => ({ ...CHANGE, orderId: waiting, triggerPrice: 0 }), 3004],
    ['a trigger already reached (≤ 61,900 at 61,804.1)', () => alice, () => ({ ...CHANGE, orderId: waiting, triggerPrice: 61900 }), 3004],
    ['an execute price off the 0.1 grid', () => alice, () => ({ ...CHANGE, orderId: waiting, price: 61550.05 }), 2015],
    ['a limit without an execute price', () => alice, () => ({ ...CHANGE, orderId: waiting, price: undefined }), 600],
    ['triggerType 3', () => alice, () => ({ ...CHANGE, orderId: waiting, triggerType: 3 }), 3002],
    ['trend 4', () => alice, () => ({ ...CHANGE, orderId: waiting, trend: 4 }), 3001],
    ['orderType 2 (post only) on a trigger order', () => alice, () => ({ ...CHANGE, orderId: waiting, orderType: 2 }), 600],
    ['a contract not traded here', () => alice, () => ({ ...CHANGE, orderId: waiting, symbol: 'NOPE_USDT' }), 1001],
  ];

  for (const [name, who, body, code] of refusals) {
    it(`${name}: ${code}, the trigger order and the wallet unchanged`, async () => {
      const before = await plans(alice);
      expect(await call(who(), 'POST', 'planorder/change_price', body())).toMatchObject({ success: false, code });
      expect(await plans(alice)).toEqual(before);
      expect(before.find((o) => o.id === waiting)).toMatchObject({ state: 1, triggerPrice: 61600, price: 61500 });
      expect(await asset(alice)).toMatchObject({ frozenBalance: 12.3615, availableBalance: 9987.6385 });
      expect(await asset(bob)).toMatchObject({ frozenBalance: 0, availableBalance: 10000 });
    });
  }

  it('a body that is not an object, and an empty one: 600', async () => {
    expect(await call(alice, 'POST', 'planorder/change_price', [{ ...CHANGE, orderId: waiting }])).toMatchObject({ success: false, code: 600 });
    expect(await call(alice, 'POST', 'planorder/change_price', {})).toMatchObject({ success: false, code: 600 });
    expect(await asset(alice)).toMatchObject({ frozenBalance: 12.3615, availableBalance: 9987.6385 });
  });

  it('a replacement the free margin cannot hold beside the original: 2005, the original waits, nothing else held', async () => {
    const mine = (await call(poor, 'POST', 'planorder/place', WAITING)).data as string;
    expect(await asset(poor)).toMatchObject({ frozenBalance: 12.3615, availableBalance: 7.6385 });
    // At 61,550: 0.002 × 61,550 / 10 + 0.002 × 61,550 × 0.05% = 12.31 + 0.06155 = 12.37155, more than 7.6385.
    expect(await call(poor, 'POST', 'planorder/change_price', { ...CHANGE, orderId: mine })).toMatchObject({ success: false, code: 2005 });
    expect(await plans(poor)).toEqual([expect.objectContaining({ id: mine, state: 1, triggerPrice: 61600, price: 61500 })]);
    expect(await asset(poor)).toMatchObject({ frozenBalance: 12.3615, availableBalance: 7.6385 });
  });
});
