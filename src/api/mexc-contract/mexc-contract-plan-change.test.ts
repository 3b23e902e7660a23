/**
 * `POST /api/v1/private/planorder/change_price` (MEXC futures API, "Modify plan order": `symbol`,
 * `orderId`, `triggerPrice`, `price`, `orderType`, `triggerType`, `trend`) changes a waiting trigger
 * order. On paper the change is a replacement placed under a new id, answered as `data`, and the
 * original cancelled (state 2); the replacement keeps the original's side, `vol`, leverage and cycle
 * end, and holds its own margin only (docs/adr/0079-mexc-trigger-order-change.md). The order a
 * trigger places is created at the trigger: its `createTime` is that moment.
 *
 * Bundled USD-M recording, isolated account at 10x with 10,000 USDT: the last price is 61,804.1 at
 * 23:55:30, the sell prints of 23:56:02.210 reach 61,750.0, the first at or under 61,750 since, and none
 * in this window go under 61,691.3 (ccxt-mexc-contract-plan.test.ts): "≤ 61,600" is never reached, a
 * limit buy at 61,600 triggered there rests unfilled. Margin and fee held by a limit open long of 20
 * contracts (0.002 BTC) at P: 0.002 × P / 10 + 0.002 × P × 0.05%.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { injectMexcContract, loggedInContractSocket } from '../../test-kit/mexc-contract-signed.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { until, type Frame } from '../../test-kit/ws-client.js';
import { registerMexcContractApi } from './mexc-contract-api.js';

const T0 = 1723161330000;
const SWEEP = 1723161362210;
const HOUR = 3_600_000;
type Keys = { id: string; apiKey: string; apiSecret: string };
type Entry = Record<string, unknown>;
type Answer = { success: boolean; code: number; message?: string; data?: unknown };
const NOT_EXIST = { success: false, code: 2040, message: 'order not exist' };
/** Open long 20 contracts once ≤ 61,600, a limit at 61,500: 12.3 + 0.0615 = 12.3615 held. */
const WAITING = { symbol: 'BTC_USDT', side: 1, vol: 20, openType: 1, leverage: 10, price: 61500, triggerPrice: 61600, triggerType: 2, executeCycle: 1, trend: 1, orderType: 1 };

async function openAccount(service: TestService, name: string): Promise<Keys> {
  return (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name, type: 'futures', marginMode: 'isolated', leverage: 10, balances: { USDT: '10000' } } })).json();
}

describe('planorder/change_price replaces a waiting trigger order with the changed one', () => {
  let service: TestService;
  let account: Keys;
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) => (await injectMexcContract(service.app, account, method, path, body)).json() as Answer;
  const listed = async (id: string) => ((await call('GET', 'planorder/list/orders', { page_size: 100 })).data as Entry[]).find((o) => o.id === id);
  const asset = async () => ((await call('GET', 'account/assets')).data as Entry[])[0]!;
  let original: string;
  let changed: string;
  let changedAt: number;
  let socket: { ws: { close(): void }; frames: Frame[] };
  const pushes = (channel: string) => socket.frames.filter((f) => f.channel === channel).map((f) => f.data as Entry);

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: T0, plugins: [registerMexcContractApi] });
    const base = await service.app.listen({ port: 0, host: '127.0.0.1' });
    account = await openAccount(service, 'change');
    socket = await loggedInContractSocket(base, account);
  });
  afterAll(async () => {
    socket?.ws.close();
    await service?.close();
  });

  it('answers the new id; the original is cancelled (2) and the changed one waits with the new prices, holding its own margin only', async () => {
    original = (await call('POST', 'planorder/place', WAITING)).data as string;
    expect(await asset()).toMatchObject({ frozenBalance: 12.3615, availableBalance: 9987.6385 });
    // ≤ 61,750, a limit at 61,600: 0.002 × 61,600 / 10 = 12.32 and 0.002 × 61,600 × 0.05% = 0.0616, 12.3816.
    const answer = await call('POST', 'planorder/change_price', { symbol: 'BTC_USDT', orderId: original, triggerPrice: 61750, price: 61600, orderType: 1, triggerType: 2, trend: 1 });
    expect(answer).toMatchObject({ success: true, code: 0 });
    changed = answer.data as string;
    expect(changed).toMatch(/^[1-9][0-9]*$/);
    expect(changed).not.toBe(original);
    expect(await asset()).toMatchObject({ frozenBalance: 12.3816, availableBalance: 9987.6184 });
    expect(await listed(original)).toMatchObject({ state: 2, triggerPrice: 61600, price: 61500 });
    const entry = (await listed(changed))!;
    // Every field MEXC's list documents, the changed ones from the body, the others the original's.
    expect(entry).toEqual({
      id: changed,
      symbol: 'BTC_USDT',
      leverage: 10,
      side: 1,
      triggerPrice: 61750,
      price: 61600,
      vol: 20,
      openType: 1,
      triggerType: 2,
      state: 1,
      executeCycle: 24,
      trend: 1,
      orderType: 1,
      errorCode: 0,
      createTime: expect.any(Number),
      updateTime: entry.createTime,
    });
    changedAt = entry.createTime as number;
    expect(await call('GET', `order/get/${original}`)).toEqual(NOT_EXIST);
    // The pushes: the original placed (1), the replacement placed (1), the original cancelled (2); no order push before a trigger.
    await until(() => pushes('push.personal.plan.order').length >= 3, 'three plan-order pushes');
    expect(pushes('push.personal.plan.order').map((p) => [p.id, p.state, p.triggerPrice, p.price])).toEqual([
      [original, 1, 61600, 61500],
      [changed, 1, 61750, 61600],
      [original, 2, 61600, 61500],
    ]);
    expect(pushes('push.personal.plan.order')[1]).toEqual(entry);
    expect(pushes('push.personal.order')).toEqual([]);
  });

  it('the changed trigger fires on the sweep through 61,750: the order it places was created then, not when the trigger order was', async () => {
    await service.feedUntil(SWEEP);
    expect(await listed(changed)).toMatchObject({ state: 3, orderId: changed, createTime: changedAt, updateTime: SWEEP });
    expect(changedAt).toBeLessThan(SWEEP);
    const order = await call('GET', `order/get/${changed}`);
    expect(order).toMatchObject({ success: true, data: { orderId: changed, state: 2, price: 61600, vol: 20, dealVol: 0, orderType: 1, createTime: SWEEP, updateTime: SWEEP } });
    expect((await call('GET', 'order/list/open_orders')).data).toEqual([expect.objectContaining({ orderId: changed, createTime: SWEEP })]);
    // Pushed at the trigger: the plan order executed (3), and the order it placed, new (state 2), created then.
    await until(() => pushes('push.personal.order').length >= 1, 'the order push at the trigger');
    expect(pushes('push.personal.plan.order').at(-1)).toMatchObject({ id: changed, state: 3, orderId: changed, createTime: changedAt, updateTime: SWEEP });
    expect(pushes('push.personal.order')).toEqual([expect.objectContaining({ orderId: changed, state: 2, price: 61600, createTime: SWEEP, updateTime: SWEEP })]);
    // A triggered one is no longer a trigger order to change: 2041, nothing moves.
    expect(await call('POST', 'planorder/change_price', { symbol: 'BTC_USDT', orderId: changed, triggerPrice: 61000, price: 60900, orderType: 1, triggerType: 2, trend: 1 })).toMatchObject({ success: false, code: 2041 });
    expect(await asset()).toMatchObject({ frozenBalance: 12.3816, availableBalance: 9987.6184 });
    expect(await call('POST', 'order/cancel', [changed])).toMatchObject({ data: [{ orderId: changed, errorCode: 0 }] });
    expect(await asset()).toMatchObject({ frozenBalance: 0, availableBalance: 10000 });
  });
});

describe("a changed trigger order ends when the original's cycle would have", () => {
  let service: TestService;
  let account: Keys;
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) => (await injectMexcContract(service.app, account, method, path, body)).json() as Answer;
  const listed = async (id: string) =>
    ((await call('GET', 'planorder/list/orders', { page_size: 100, start_time: T0 - HOUR, end_time: T0 + 200 * HOUR })).data as Entry[]).find((o) => o.id === id)!;
  const asset = async () => ((await call('GET', 'account/assets')).data as Entry[])[0]!;
  const clockAt = (time: number) => service.deps.hub.submit({ kind: 'clock', time });

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: T0, plugins: [registerMexcContractApi] });
    account = await openAccount(service, 'change-cycle');
  });
  afterAll(async () => service?.close());

  it('changed an hour in, a 24-hour trigger order still ends 24 hours after its first creation; a market one holds at its trigger price', async () => {
    const original = (await call('POST', 'planorder/place', WAITING)).data as string;
    const createTime = (await listed(original)).createTime as number;
    await clockAt(createTime + HOUR);
    // Changed to a market open long once ≥ 62,000: 0.002 × 62,000 / 10 = 12.4 and its taker fee 0.002 × 62,000 × 0.05% = 0.062, 12.462.
    const changed = (await call('POST', 'planorder/change_price', { symbol: 'BTC_USDT', orderId: original, triggerPrice: 62000, orderType: 5, triggerType: 1, trend: 2 })).data as string;
    expect(await listed(changed)).toMatchObject({ state: 1, triggerPrice: 62000, price: 0, triggerType: 1, trend: 2, orderType: 5, executeCycle: 24, createTime: createTime + HOUR });
    expect(await asset()).toMatchObject({ frozenBalance: 12.462, availableBalance: 9987.538 });
    await clockAt(createTime + 24 * HOUR - 1);
    expect(await listed(changed)).toMatchObject({ state: 1 });
    await clockAt(createTime + 24 * HOUR);
    expect(await listed(changed)).toMatchObject({ state: 4, updateTime: createTime + 24 * HOUR });
    expect(await asset()).toMatchObject({ frozenBalance: 0, availableBalance: 10000 });
  });
});
