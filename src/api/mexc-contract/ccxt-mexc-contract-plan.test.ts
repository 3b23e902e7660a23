/**
 * MEXC contract trigger orders (`planorder/*`) through ccxt's own `mexc` class, unmodified (only its
 * API URLs pointed here), over real HTTP, on the bundled Binance USD-M recording: the last price is
 * 61,804.1 at 23:55:30 and falls through 61,750 at 23:56:02.210, in a sweep of sell prints
 * (61,751.4 … 61,750.0) in one millisecond; it stays under 61,810 for the next two minutes.
 *
 * ccxt sends a swap order with `triggerPrice` to `planorder/place` (`triggerType` 1, `executeCycle`
 * 1, `trend` 1, `orderType` 1 unless its params say otherwise), reads `data` as an object for the
 * id (MEXC answers the id itself, so ccxt's order has none), lists trigger orders with
 * `fetchOrders(…, { method: 'contractPrivateGetPlanorderListOrders' })` and cancels them with
 * `cancelAllOrders(…, { method: 'contractPrivatePostPlanorderCancelAll' })`. Expected prices come
 * from the recording and the book the engine holds, walked by hand. A socket logged in on MEXC's
 * contract WebSocket hears each step: `push.personal.plan.order` while it is a trigger order, then
 * `push.personal.order` for the order it placed.
 */
import type { Exchange } from 'ccxt';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FillEvent, KernelEvent } from '../../core/kernel/events.js';
import { parseFixed } from '../../core/money/fixed.js';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { mexcClient } from '../../test-kit/exchange-clients.js';
import { loggedInContractSocket } from '../../test-kit/mexc-contract-signed.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { until, type Frame } from '../../test-kit/ws-client.js';
import { buildServer } from '../server.js';
import { registerMexcApi } from '../mexc/mexc-api.js';
import { registerMexcContractApi } from './mexc-contract-api.js';

const T0 = 1723161330000; // 23:55:30, last price 61,804.1
const SWEEP = 1723161362210; // the sell prints that reach 61,750.0
const SYMBOL = 'BTC/USDT:USDT';
type Info = Record<string, unknown>;

describe("ccxt's mexc class places, lists, fires and cancels MEXC contract trigger orders", () => {
  let service: TestService;
  let app: FastifyInstance;
  let account: { id: string; apiKey: string; apiSecret: string };
  let mexc: Exchange;
  let socket: { ws: { close(): void }; frames: Frame[] };
  const pushes = (channel: string) => socket.frames.filter((f) => f.channel === channel).map((f) => f.data as Info);
  const planList = async (params: Record<string, unknown> = {}) => (await mexc.fetchOrders(SYMBOL, undefined, undefined, { method: 'contractPrivateGetPlanorderListOrders', ...params })).map((o) => o.info as Info);

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: T0 });
    app = await buildServer(service.deps, { plugins: [registerMexcContractApi, registerMexcApi] });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'plans', type: 'futures', marginMode: 'cross', leverage: 10, balances: { USDT: '10000' } } })).json();
    mexc = mexcClient(base, account.apiKey, account.apiSecret);
    await mexc.loadMarkets();
    socket = await loggedInContractSocket(base, account);
  });
  afterAll(async () => {
    socket?.ws.close();
    await app?.close();
    await service?.close();
  });

  it('the recording is where these tests stand: last 61,804.1, the first print at or under 61,750 in the sweep', () => {
    const trades = service.recording.inputs.filter((i) => i.kind === 'trade');
    const last = trades.filter((t) => t.time <= T0).at(-1)!;
    expect(last.kind === 'trade' && last.price).toBe('61804.10');
    const first = trades.find((t) => t.time > T0 && t.kind === 'trade' && parseFixed(t.price) <= parseFixed('61750'))!;
    expect(first).toMatchObject({ time: SWEEP, price: '61750.00' });
    expect(trades.filter((t) => t.time > T0 && t.time <= T0 + 120_000).every((t) => t.kind === 'trade' && parseFixed(t.price) < parseFixed('61810'))).toBe(true);
  });

  let sellStop: Info;
  let buyAbove: Info;

  it('places trigger orders: ccxt gets no id (MEXC answers the id alone), the list shows them untriggered', async () => {
    // Open short (side 3) at market once the latest price is ≤ 61,750.
    const placed = await mexc.createOrder(SYMBOL, 'market', 'sell', 20, undefined, { triggerPrice: 61750, triggerType: 2, orderType: 5 });
    expect(placed.id).toBeUndefined();
    // Open long (side 1) with a limit at 61,900 once the fair price is ≥ 61,850: waits, the price stays under 61,810.
    await mexc.createOrder(SYMBOL, 'limit', 'buy', 30, 61900, { triggerPrice: 61850, trend: 2, executeCycle: 2 });
    const list = await planList({ states: '1' });
    expect(list).toHaveLength(2);
    [buyAbove, sellStop] = list as [Info, Info];
    expect(sellStop).toMatchObject({ symbol: 'BTC_USDT', side: 3, vol: 20, triggerPrice: 61750, triggerType: 2, trend: 1, orderType: 5, executeCycle: 24, state: 1, openType: 2, leverage: 10 });
    expect(sellStop).not.toHaveProperty('orderId');
    // MEXC's list states every field it documents, a market order's execute price as 0 (its example: "price":0.0).
    expect(sellStop).toHaveProperty('price', 0);
    expect(buyAbove).toMatchObject({ side: 1, vol: 30, price: 61900, triggerPrice: 61850, triggerType: 1, trend: 2, orderType: 1, executeCycle: 168, state: 1 });
    // Not orders yet: MEXC lists trigger orders apart.
    expect(await mexc.fetchOpenOrders(SYMBOL)).toEqual([]);
    await until(() => pushes('push.personal.plan.order').length === 2, 'two plan order pushes');
    expect(pushes('push.personal.plan.order')).toEqual([sellStop, buyAbove]);
    expect(pushes('push.personal.order')).toEqual([]);
  });

  it('refuses a trigger the price has already reached (3004), in the direction asked', async () => {
    // ≥ 61,750 while the last price is 61,804.1: already reached. Nothing is placed.
    const refused = mexc.createOrder(SYMBOL, 'market', 'buy', 20, undefined, { triggerPrice: 61750, triggerType: 1, orderType: 5 });
    await expect(refused).rejects.toThrow(/"code":3004,"message":"Trigger price error: the latest price is already at or above 61750/);
    expect(await planList({ states: '1' })).toHaveLength(2);
  });

  it('fires the ≤ 61,750 sell on the sweep: a market sell of 0.002 BTC on the bids the sweep left, listed as executed and then as an order', async () => {
    const events: KernelEvent[] = [];
    const stop = service.deps.hub.subscribe((batch) => events.push(...batch.filter((e) => 'account' in e && e.account === account.id)));
    await service.feedUntil(SWEEP - 1);
    const bids = service.engine.kernel.depth('BTCUSDT', 20)!.bids;
    await service.feedUntil(SWEEP);
    stop();
    const fills = events.filter((e): e is FillEvent => e.type === 'FILL');
    // By hand: the sweep's sell prints took every bid above 61,750.0 (a sell prints at 61,750.0 only
    // once nothing better is bid), and 0.002 of the 3.115 bid at 61,750.0. The order triggers on that
    // print and sells 0.002 BTC (20 contracts) into what is left there: all of it at 61,750.0.
    expect(bids.slice(0, 5)).toEqual([['61751.4', '0.06'], ['61751.1', '0.008'], ['61750.4', '0.004'], ['61750.1', '0.103'], ['61750', '3.115']]);
    expect(fills.map((f) => ({ orderId: f.orderId, side: f.side, price: f.price, quantity: f.quantity, at: f.at }))).toEqual([{ orderId: String(sellStop.id), side: 'SELL', price: '61750', quantity: '0.002', at: SWEEP }]);
    const [position] = await mexc.fetchPositions([SYMBOL]);
    expect(position).toMatchObject({ side: 'short', contracts: 20, entryPrice: 61750 });
    const executed = (await planList({ states: '3' }))[0]!;
    expect(executed).toMatchObject({ id: sellStop.id, orderId: sellStop.id, state: 3 });
    const order = await mexc.fetchOrder(String(sellStop.id), SYMBOL);
    expect(order.info as Info).toMatchObject({ orderId: sellStop.id, side: 3, orderType: 5, state: 3, dealVol: 20, dealAvgPrice: 61750 });
    expect((await mexc.fetchOrders(SYMBOL)).map((o) => o.id)).toContain(String(sellStop.id));
    // Pushed: the trigger order executed, then the order it placed, new and then filled.
    await until(() => pushes('push.personal.order').some((o) => o.state === 3), 'the filled order push');
    expect(pushes('push.personal.plan.order').slice(2)).toEqual([expect.objectContaining({ id: sellStop.id, state: 3, orderId: sellStop.id })]);
    expect(pushes('push.personal.order').map((o) => [o.orderId, o.side, o.orderType, o.state, o.dealVol])).toEqual([
      [sellStop.id, 3, 5, 2, 0],
      [sellStop.id, 3, 5, 3, 20],
    ]);
  });

  it('cancels the waiting trigger orders with planorder/cancel_all; the executed one stays executed', async () => {
    await mexc.cancelAllOrders(SYMBOL, { method: 'contractPrivatePostPlanorderCancelAll' });
    expect(await planList({ states: '1' })).toEqual([]);
    expect((await planList({ states: '2' })).map((o) => o.id)).toEqual([buyAbove.id]);
    expect((await planList({ states: '3' })).map((o) => o.id)).toEqual([sellStop.id]);
    await until(() => pushes('push.personal.plan.order').length === 4, 'the cancelled plan order push');
    expect(pushes('push.personal.plan.order')[3]).toMatchObject({ id: buyAbove.id, state: 2 });
  });

  it('a limit buy waiting for the price to fall to 61,720 rests at 61,600 once triggered: an open order, which order/cancel_all cancels', async () => {
    // ≤ 61,720 for a buy: it waits for the price to fall (the engine's take-profit buy).
    await mexc.createOrder(SYMBOL, 'limit', 'buy', 20, 61600, { triggerPrice: 61720, triggerType: 2 });
    const [waiting] = await planList({ states: '1' });
    expect(waiting).toMatchObject({ side: 1, triggerType: 2, triggerPrice: 61720, price: 61600, orderType: 1, state: 1 });
    // The first print at or under 61,720 after the sweep, from the recording; none under 61,691.3 in the window, so 61,600 never fills.
    const reach = service.recording.inputs.find((i) => i.kind === 'trade' && i.time > SWEEP && parseFixed(i.price) <= parseFixed('61720'))!;
    await service.feedUntil(reach.time - 1);
    expect(await planList({ states: '1' })).toHaveLength(1);
    await service.feedUntil(reach.time);
    expect((await planList({ states: '3' })).map((o) => [o.id, o.orderId]).sort()).toEqual([[sellStop.id, sellStop.id], [waiting!.id, waiting!.id]].sort());
    const [open] = await mexc.fetchOpenOrders(SYMBOL);
    expect(open).toMatchObject({ id: String(waiting!.id), status: 'open', price: 61600, amount: 20, filled: 0 });
    expect(open!.info as Info).toMatchObject({ orderType: 1, state: 2, side: 1 });
    // The plan routes no longer cancel it: it is an order now.
    await mexc.cancelAllOrders(SYMBOL, { method: 'contractPrivatePostPlanorderCancelAll' });
    expect(await mexc.fetchOpenOrders(SYMBOL)).toHaveLength(1);
    await mexc.cancelAllOrders(SYMBOL);
    expect(await mexc.fetchOpenOrders(SYMBOL)).toEqual([]);
    expect(await mexc.fetchOrder(String(waiting!.id), SYMBOL)).toMatchObject({ status: 'canceled' });
  });
});
