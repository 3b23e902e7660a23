/**
 * What MEXC contract trigger orders (`planorder/*`) leave behind on an isolated-margin account, on the
 * bundled USD-M recording: the last price is 61,804.1 at 23:55:30 (best ask 61,804.1), and the sell
 * prints of 23:56:02.210 reach 61,750.0, where 3.115 BTC is bid (ccxt-mexc-contract-plan.test.ts
 * walks that book by hand). Fees are the account's default taker rate, 0.05% of the value.
 *
 * Three trigger orders wait for "≤ 61,750" in the order placed: A closes the long (side 4), B closes
 * it too, C opens a short (side 3). A closes the long, so B finds nothing to close when it triggers:
 * MEXC's list states an order the trigger could not place as 5, "execution failed", without the
 * `orderId` it answers only "when execution succeeds" (MEXC futures API, "Get Plan Order List").
 * The list's `side` parameter (same page: 1 open long, 2 close short, 3 open short, 4 close long)
 * narrows it to one side. A contract WebSocket logged in hears B pushed as it is listed, 5, and no
 * `push.personal.order` for the order it could not place.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { injectMexcContract, loggedInContractSocket } from '../../test-kit/mexc-contract-signed.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { until, type Frame } from '../../test-kit/ws-client.js';
import { registerMexcContractApi } from './mexc-contract-api.js';

const T0 = 1723161330000;
const SWEEP = 1723161362210;
type Keys = { id: string; apiKey: string; apiSecret: string };
type Entry = Record<string, unknown>;
const AT_61750 = { symbol: 'BTC_USDT', vol: 20, openType: 1, triggerPrice: 61750, triggerType: 2, executeCycle: 1, trend: 1, orderType: 5 };

describe('MEXC contract trigger orders: the list by side, an order the trigger could not place, the wallet to the last unit', () => {
  let service: TestService;
  let account: Keys;
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) =>
    (await injectMexcContract(service.app, account, method, path, body)).json() as { success: boolean; code: number; message?: string; data?: unknown };
  const list = async (query: Record<string, unknown> = {}) => (await call('GET', 'planorder/list/orders', { page_size: 100, ...query })).data as Entry[];
  const asset = async () => ((await call('GET', 'account/assets')).data as Entry[])[0]!;
  let a: string;
  let b: string;
  let c: string;

  let socket: { ws: { close(): void }; frames: Frame[] };
  const pushes = (channel: string) => socket.frames.filter((f) => f.channel === channel).map((f) => f.data as Entry);

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: T0, plugins: [registerMexcContractApi] });
    const base = await service.app.listen({ port: 0, host: '127.0.0.1' });
    account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'plans', type: 'futures', marginMode: 'isolated', leverage: 10, balances: { USDT: '10000' } } })).json();
    socket = await loggedInContractSocket(base, account);
  });
  afterAll(async () => {
    socket?.ws.close();
    await service?.close();
  });

  it('a long of 20 contracts, three trigger orders at ≤ 61,750; the list by side', async () => {
    expect(await call('POST', 'order/create', { symbol: 'BTC_USDT', side: 1, vol: 20, type: 5, openType: 1, leverage: 10 })).toMatchObject({ success: true });
    // 0.002 BTC at the ask, 61,804.1: value 123.6082, margin at 10x 12.36082, fee 0.0618041.
    expect(await asset()).toMatchObject({ positionMargin: 12.36082, frozenBalance: 0, availableBalance: 9987.5773759 });
    a = (await call('POST', 'planorder/place', { ...AT_61750, side: 4 })).data as string;
    b = (await call('POST', 'planorder/place', { ...AT_61750, side: 4 })).data as string;
    c = (await call('POST', 'planorder/place', { ...AT_61750, side: 3 })).data as string;
    // A and B are reduce-only; C sells 0.002 against the long of 0.002 (one-way positions): it would only close it, so
    // it holds nothing while the long stands (docs/adr/0074-open-order-margin-follows-the-position.md); once A has
    // closed the long, C opens and holds its margin then.
    expect(await asset()).toMatchObject({ frozenBalance: 0, availableBalance: 9987.5773759 });
    expect((await list({ side: 4 })).map((o) => o.id)).toEqual([b, a]);
    expect((await list({ side: '3' })).map((o) => o.id)).toEqual([c]);
    expect(await list({ side: 1, states: '1' })).toEqual([]);
    for (const side of ['0', '5', 'x', '1,3']) expect(await call('GET', 'planorder/list/orders', { side })).toMatchObject({ success: false, code: 600 });
  });

  it('a trigger order placed and cancelled leaves the wallet to the last unit as it was', async () => {
    const before = await asset();
    // Open long once ≥ 62,000, not reached: 0.002 × 62,000 = 124, margin 12.4 and fee 0.062 held (a buy on the long's
    // side opens all of it). 9,987.5773759 − 12.462 = 9,975.1153759.
    const d = (await call('POST', 'planorder/place', { ...AT_61750, side: 1, triggerPrice: 62000, triggerType: 1 })).data as string;
    expect(await asset()).toMatchObject({ frozenBalance: 12.462, availableBalance: 9975.1153759 });
    expect(await call('POST', 'planorder/cancel', [{ symbol: 'BTC_USDT', orderId: d }])).toEqual({ success: true, code: 0 });
    expect(await asset()).toEqual(before);
  });

  it('on the sweep A closes the long, B has nothing left to close (execution failed, 5), C opens the short; the wallet by hand', async () => {
    await service.feedUntil(SWEEP);
    const states = Object.fromEntries((await list()).map((o) => [o.id, [o.state, o.orderId]]));
    expect(states).toMatchObject({ [a]: [3, a], [b]: [5, undefined], [c]: [3, c] });
    expect((await list({ states: '5' })).map((o) => o.id)).toEqual([b]);
    // B failed for want of a position to close: MEXC's 2009 ("Position is not exists or closed."), as
    // order/create refuses a close side with none; the others carry no error.
    expect(Object.fromEntries((await list()).map((o) => [o.id, o.errorCode]))).toMatchObject({ [a]: 0, [b]: 2009, [c]: 0 });
    // A sells 0.002 at 61,750.0: loss (61,750 − 61,804.1) × 0.002 = −0.1082, fee 0.06175; C sells
    // 0.002 at 61,750.0: margin 12.35, fee 0.06175. Cash 9,987.5773759 + 12.36082 − 0.1082 − 0.06175
    // − 12.35 − 0.06175 = 9,987.3564959; nothing held for orders any more.
    expect(await asset()).toMatchObject({ positionMargin: 12.35, frozenBalance: 0, availableBalance: 9987.3564959, cashBalance: 9987.3564959 });
    const [position] = (await call('GET', 'position/open_positions')).data as Entry[];
    expect(position).toMatchObject({ positionType: 2, holdVol: 20, holdAvgPrice: 61750, im: 12.35, realised: -0.06175 });
    const deals = ((await call('GET', 'order/list/order_deals', { symbol: 'BTC_USDT' })).data as Entry[]).map((d) => [d.orderId, d.side, d.vol, d.price, d.fee, d.profit]);
    expect(deals).toEqual([
      [c, 3, 20, 61750, 0.06175, 0],
      [a, 4, 20, 61750, 0.06175, -0.1082],
      ['1', 1, 20, 61804.1, 0.0618041, 0],
    ]);
  });

  it('the orders list the orders A and C placed, not B, which placed none', async () => {
    const history = (await call('GET', 'order/list/history_orders', { symbol: 'BTC_USDT' })).data as Entry[];
    expect(history.map((o) => [o.orderId, o.side, o.state, o.dealVol])).toEqual([
      [c, 3, 3, 20],
      [a, 4, 3, 20],
      ['1', 1, 3, 20],
    ]);
  });

  it('the WebSocket pushes B at its trigger as the list states it, 5, and no order for it', async () => {
    // The long's own order, then A and C: each filled (3).
    await until(() => pushes('push.personal.order').filter((o) => o.state === 3).length === 3, 'the pushes of the filled orders');
    const atTrigger = pushes('push.personal.plan.order').filter((o) => o.updateTime === SWEEP);
    expect(atTrigger.map((o) => [o.id, o.state, o.orderId, o.errorCode])).toEqual([
      [a, 3, a, 0],
      [b, 5, undefined, 2009],
      [c, 3, c, 0],
    ]);
    expect([...new Set(pushes('push.personal.order').map((o) => o.orderId))]).toEqual(['1', a, c]);
  });

  it('eight days on, a trigger order of a 7-day cycle has ended (4) at its end, and the list without a window shows none of them', async () => {
    // Open long once ≥ 63,000: not reached; executeCycle 2 is 7 days.
    const e = (await call('POST', 'planorder/place', { ...AT_61750, side: 1, triggerPrice: 63000, triggerType: 1, executeCycle: 2 })).data as string;
    const later = SWEEP + 8 * 24 * 60 * 60 * 1000;
    await service.deps.hub.submit({ kind: 'mark', time: later, symbol: 'BTCUSDT', price: '61700' });
    // MEXC's default window is the last 7 days: A, B, C, D and E were created over 8 days ago.
    expect(await list()).toEqual([]);
    // A window asked for is kept as asked.
    expect(await list({ start_time: later - 3_600_000, end_time: later })).toEqual([]);
    const ended = (await list({ start_time: T0 - 1, end_time: SWEEP })).find((o) => o.id === e)!;
    // B, long closed and read from its record now, still tells why it failed.
    expect((await list({ start_time: T0 - 60_000, end_time: SWEEP, states: '5' })).map((o) => [o.id, o.errorCode])).toEqual([[b, 2009]]);
    // 7 days = 168 × 3,600,000 = 604,800,000 ms after its creation.
    expect(ended).toMatchObject({ state: 4, executeCycle: 168, updateTime: (ended.createTime as number) + 604_800_000 });
    expect(await asset()).toMatchObject({ frozenBalance: 0 });
  });
});
