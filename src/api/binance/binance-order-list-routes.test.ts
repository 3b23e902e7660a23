/**
 * Binance's OCO order lists through ccxt's own `binance` class, unmodified (its API URLs pointed
 * here; ccxt has no unified OCO, so its signed implicit methods `privatePostOrderListOco` and kin,
 * as a ccxt bot calls them), on the bundled BTCUSDT tape. At 23:55:00 UTC the last trade is
 * 61,828.00; prints run through 61,850.00 from 23:55:10.009 on, and until 23:55:30 the tape stays
 * between 61,825.37 and 61,860.80.
 */
import ccxt, { type Exchange } from 'ccxt';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binanceSpotClient as binanceClient } from '../../test-kit/exchange-clients.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { buildServer } from '../server.js';
import { registerBinanceApi } from './binance-api.js';

const START = 1723161300000;

type Row = Record<string, unknown>;
const infoOf = (o: { info: unknown }) => o.info as Row;

describe("Binance's OCO order lists through ccxt", () => {
  let service: TestService;
  let app: FastifyInstance;
  let binance: Exchange;
  let base: string;
  const balances = async (): Promise<Record<string, { free: string; locked: string }>> => {
    const raw = (await binance.privateGetAccount()) as { balances: { asset: string; free: string; locked: string }[] };
    return Object.fromEntries(raw.balances.map((b) => [b.asset, { free: b.free, locked: b.locked }]));
  };

  beforeAll(async () => {
    service = await startTestService({ until: START });
    app = await buildServer(service.deps, { plugins: [registerBinanceApi] });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    const account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'oco', balances: { USDT: '10000', BTC: '1' } } })).json() as { apiKey: string; apiSecret: string };
    binance = binanceClient(base, account.apiKey, account.apiSecret);
    await binance.loadMarkets();
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('a SELL OCO (LIMIT_MAKER above at 61,850, stop-limit below at 61,700): the limit fills on the tape, the stop is cancelled, the list is done', async () => {
    const list = (await binance.privatePostOrderListOco({
      symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', listClientOrderId: 'exit1',
      aboveType: 'LIMIT_MAKER', abovePrice: '61850.00', aboveClientOrderId: 'exit1-above',
      belowType: 'STOP_LOSS_LIMIT', belowStopPrice: '61700.00', belowPrice: '61690.00', belowTimeInForce: 'GTC', belowClientOrderId: 'exit1-below',
    })) as Row & { orders: Row[]; orderReports: Row[] };
    expect(list).toMatchObject({ contingencyType: 'OCO', listStatusType: 'EXEC_STARTED', listOrderStatus: 'EXECUTING', listClientOrderId: 'exit1', symbol: 'BTCUSDT' });
    expect(list.orders.map((o) => o.clientOrderId)).toEqual(['exit1-below', 'exit1-above']);
    expect(list.orderReports).toMatchObject([
      { clientOrderId: 'exit1-below', type: 'STOP_LOSS_LIMIT', side: 'SELL', price: '61690', stopPrice: '61700', origQty: '0.01', status: 'NEW', orderListId: list.orderListId },
      { clientOrderId: 'exit1-above', type: 'LIMIT_MAKER', side: 'SELL', price: '61850', origQty: '0.01', status: 'NEW', orderListId: list.orderListId },
    ]);
    // One reservation for the list, as Binance locks an OCO's quantity once.
    expect((await balances()).BTC).toEqual({ free: '0.99', locked: '0.01' });
    expect(((await binance.privateGetOpenOrderList()) as Row[]).map((l) => l.listClientOrderId)).toEqual(['exit1']);

    await service.feedUntil(START + 30_000);
    const done = (await binance.privateGetOrderList({ orderListId: list.orderListId })) as Row;
    expect(done).toMatchObject({ orderListId: list.orderListId, listStatusType: 'ALL_DONE', listOrderStatus: 'ALL_DONE', listClientOrderId: 'exit1' });
    const above = await binance.fetchOrder(String((list.orders[1] as Row).orderId), 'BTC/USDT');
    const below = await binance.fetchOrder(String((list.orders[0] as Row).orderId), 'BTC/USDT');
    expect(above).toMatchObject({ status: 'closed', filled: 0.01, average: 61850 });
    expect(below).toMatchObject({ status: 'canceled', filled: 0 });
    // Both legs name their list: its id is the id of its first order (the stop leg).
    expect(list.orderListId).toBe((list.orders[0] as Row).orderId);
    for (const leg of list.orders as Row[]) expect(await binance.privateGetOrder({ symbol: 'BTCUSDT', orderId: leg.orderId })).toMatchObject({ orderId: leg.orderId, orderListId: list.orderListId });
    const history = (await binance.privateGetAllOrders({ symbol: 'BTCUSDT' })) as Row[];
    expect(history.filter((o) => String(o.clientOrderId).startsWith('exit1-')).map((o) => [o.clientOrderId, o.orderListId])).toEqual([
      ['exit1-below', list.orderListId],
      ['exit1-above', list.orderListId],
    ]);
    // Binance's myTrades: "orderListId": -1 "unless OCO": the leg's fill names its list.
    const fills = (await binance.privateGetMyTrades({ symbol: 'BTCUSDT', orderId: (list.orders[1] as Row).orderId })) as Row[];
    expect(fills.length).toBeGreaterThan(0);
    for (const fill of fills) expect(fill).toMatchObject({ orderId: (list.orders[1] as Row).orderId, orderListId: list.orderListId });
    // Sold 0.01 at 61,850 as maker: 618.5 USDT less 0.1 % (0.6185): 10,000 + 617.8815.
    expect(await balances()).toMatchObject({ BTC: { free: '0.99', locked: '0' }, USDT: { free: '10617.8815', locked: '0' } });
    expect(await binance.privateGetOpenOrderList()).toEqual([]);
  });

  it('the legacy order/oco places a BUY list that one DELETE orderList cancels whole, unlocking what the legs shared', async () => {
    const list = (await binance.privatePostOrderOco({ symbol: 'BTCUSDT', side: 'BUY', quantity: '0.01', price: '61000.00', stopPrice: '62500.00', stopLimitPrice: '62510.00', stopLimitTimeInForce: 'GTC', listClientOrderId: 'entry1' })) as Row & { orderReports: Row[] };
    expect(list.orderReports).toMatchObject([
      { type: 'LIMIT_MAKER', side: 'BUY', price: '61000', status: 'NEW' },
      { type: 'STOP_LOSS_LIMIT', side: 'BUY', price: '62510', stopPrice: '62500', status: 'NEW' },
    ]);
    // The legs need 0.01 × 61,000 = 610 and 0.01 × 62,510 = 625.1 USDT (fees in BTC): one lock of 625.1.
    expect((await balances()).USDT).toEqual({ free: '9992.7815', locked: '625.1' });
    // As on Binance, the list's transactionTime is the time its legs were placed (then cancelled), on the
    // clock every order of this API reports (the exchange's), which GET order states for each leg.
    const legs = () => Promise.all(list.orderReports.map((r) => binance.privateGetOrder({ symbol: 'BTCUSDT', orderId: r.orderId }) as Promise<Row>));
    for (const leg of await legs()) expect(list.transactionTime).toBe(leg.time);
    const canceled = (await binance.privateDeleteOrderList({ symbol: 'BTCUSDT', listClientOrderId: 'entry1' })) as Row & { orderReports: Row[] };
    expect(canceled).toMatchObject({ listStatusType: 'ALL_DONE', listOrderStatus: 'ALL_DONE', listClientOrderId: 'entry1' });
    for (const leg of await legs()) expect(canceled.transactionTime).toBe(leg.updateTime);
    expect(canceled.orderReports.map((o) => o.status)).toEqual(['CANCELED', 'CANCELED']);
    // Binance's reports of a cancelled list are cancel answers: the leg's client id as origClientOrderId, the cancel's time as transactTime.
    const reported = await legs();
    expect(canceled.orderReports.map((o) => [o.orderId, o.origClientOrderId, o.transactTime])).toEqual(reported.map((leg) => [leg.orderId, leg.clientOrderId, leg.updateTime]));
    expect((await balances()).USDT).toEqual({ free: '10617.8815', locked: '0' });
    const all = (await binance.privateGetAllOrderList()) as Row[];
    expect(all.map((l) => [l.listClientOrderId, l.listOrderStatus])).toEqual([['exit1', 'ALL_DONE'], ['entry1', 'ALL_DONE']]);
  });

  it("answers Binance's errors for a list it cannot place or find", async () => {
    // Two stops: not an OCO.
    await expect(binance.privatePostOrderListOco({ symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', aboveType: 'STOP_LOSS', aboveStopPrice: '62000.00', belowType: 'STOP_LOSS', belowStopPrice: '61000.00' })).rejects.toThrow(/-1014/);
    await expect(binance.privatePostOrderListOco({ symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', belowType: 'STOP_LOSS', belowStopPrice: '61000.00' })).rejects.toThrow(/-1102.*aboveType/);
    // A stop the last trade already passed.
    await expect(binance.privatePostOrderListOco({ symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', aboveType: 'LIMIT_MAKER', abovePrice: '65000.00', belowType: 'STOP_LOSS', belowStopPrice: '65000.00' })).rejects.toThrow(ccxt.OrderImmediatelyFillable);
    expect((await balances()).BTC).toEqual({ free: '0.99', locked: '0' });
    await expect(binance.privateGetOrderList({ orderListId: 999999 })).rejects.toThrow(ccxt.OrderNotFound);
    await expect(binance.privateDeleteOrderList({ symbol: 'BTCUSDT', listClientOrderId: 'nope' })).rejects.toThrow(/-2011/);
    await expect(binance.privatePostOrderListOto({ symbol: 'BTCUSDT' })).rejects.toThrow(/-1020/);
  });

  it('a list refused at its second leg (a sixth open stop, over MAX_NUM_ALGO_ORDERS 5) leaves no order and not one unit locked', async () => {
    const account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'algo-cap', balances: { USDT: '10000', BTC: '1' } } })).json() as { id: string; apiKey: string; apiSecret: string };
    const client = binanceClient(base, account.apiKey, account.apiSecret);
    await client.loadMarkets();
    const accountBalances = async () => {
      const raw = (await client.privateGetAccount()) as { balances: { asset: string; free: string; locked: string }[] };
      return Object.fromEntries(raw.balances.map((b) => [b.asset, { free: b.free, locked: b.locked }]));
    };
    // Five SELL stops at 61,000 (below the last trade, 61,828): 0.05 BTC locked, the algo cap reached.
    for (let i = 0; i < 5; i += 1) await client.privatePostOrder({ symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', stopPrice: '61000.00', newClientOrderId: `stop${i}` });
    const before = await accountBalances();
    expect(before.BTC).toEqual({ free: '0.95', locked: '0.05' });
    expect(before.USDT).toEqual({ free: '10000', locked: '0' });
    // A BUY list: LIMIT_MAKER below the bid (placed first, as Binance lists it), STOP_LOSS above the ask (the sixth stop: refused).
    await expect(
      client.privatePostOrderListOco({ symbol: 'BTCUSDT', side: 'BUY', quantity: '0.01', listClientOrderId: 'capped', aboveType: 'STOP_LOSS', aboveStopPrice: '61930.00', belowType: 'LIMIT_MAKER', belowPrice: '61720.00', belowClientOrderId: 'capped-below' }),
    ).rejects.toThrow(/-2010/);
    const all = (await client.privateGetAllOrders({ symbol: 'BTCUSDT' })) as Row[];
    expect(all.map((o) => [o.clientOrderId, o.status])).toEqual([0, 1, 2, 3, 4].map((i) => [`stop${i}`, 'NEW']));
    expect(await accountBalances()).toEqual(before);
    expect((await client.privateGetAllOrderList()) as Row[]).toEqual([]);
    expect(service.deps.hub.kernel.orders(account.id).map((o) => o.clientOrderId)).toEqual([0, 1, 2, 3, 4].map((i) => `stop${i}`));
  });

  it('a cancel of open orders answers each list as one entry, as DELETE orderList does, and a cancel of one leg names its list and cancels it whole', async () => {
    const account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'list-cancel', balances: { USDT: '10000', BTC: '1' } } })).json() as { apiKey: string; apiSecret: string };
    const client = binanceClient(base, account.apiKey, account.apiSecret);
    await client.loadMarkets();
    // SELL lists far from the tape (61,825 to 61,861 here): LIMIT_MAKER above at 63,000, stop-limit below at 60,000 / 59,990.
    const place = async (name: string) =>
      (await client.privatePostOrderListOco({
        symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', listClientOrderId: name,
        aboveType: 'LIMIT_MAKER', abovePrice: '63000.00', aboveClientOrderId: `${name}-above`,
        belowType: 'STOP_LOSS_LIMIT', belowStopPrice: '60000.00', belowPrice: '59990.00', belowTimeInForce: 'GTC', belowClientOrderId: `${name}-below`,
      })) as Row & { orders: Row[] };
    const plain = (await client.privatePostOrder({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '50000.00' })) as Row;
    const first = await place('all1');
    const second = await place('all2');
    // DELETE openOrders (Binance's example answer): the plain order as a cancel report (orderListId -1), each list
    // as ONE entry with the nine fields of DELETE orderList's answer, its orders and their cancel reports.
    const canceled = (await client.privateDeleteOpenOrders({ symbol: 'BTCUSDT' })) as Row[];
    expect(canceled).toHaveLength(3);
    const report = canceled.find((e) => e.orderId === plain.orderId)!;
    expect(report).toMatchObject({ symbol: 'BTCUSDT', origClientOrderId: plain.clientOrderId, orderListId: -1, status: 'CANCELED', type: 'LIMIT', price: '50000', origQty: '0.01' });
    expect(report.contingencyType).toBeUndefined();
    const LIST_FIELDS = ['contingencyType', 'listClientOrderId', 'listOrderStatus', 'listStatusType', 'orderListId', 'orderReports', 'orders', 'symbol', 'transactionTime'];
    for (const list of [first, second]) {
      const name = list.listClientOrderId as string;
      const entry = canceled.find((e) => e.listClientOrderId === name) as Row & { orderReports: Row[] };
      expect(Object.keys(entry).sort()).toEqual(LIST_FIELDS);
      expect(entry).toMatchObject({ orderListId: list.orderListId, contingencyType: 'OCO', listStatusType: 'ALL_DONE', listOrderStatus: 'ALL_DONE', symbol: 'BTCUSDT', orders: list.orders });
      // The stop leg was placed first (it is the list's id), then the LIMIT_MAKER: each cancelled, naming its list.
      expect(entry.orderReports).toMatchObject([
        { symbol: 'BTCUSDT', orderId: list.orders[0]!.orderId, origClientOrderId: `${name}-below`, orderListId: list.orderListId, status: 'CANCELED', type: 'STOP_LOSS_LIMIT', side: 'SELL', price: '59990', stopPrice: '60000', origQty: '0.01' },
        { symbol: 'BTCUSDT', orderId: list.orders[1]!.orderId, origClientOrderId: `${name}-above`, orderListId: list.orderListId, status: 'CANCELED', type: 'LIMIT_MAKER', side: 'SELL', price: '63000', origQty: '0.01' },
      ]);
      // The list's transactionTime is its cancel, the time each report states (transactTime).
      for (const r of entry.orderReports) expect(r.transactTime).toBe(entry.transactionTime);
    }
    expect(await client.privateGetOpenOrderList()).toEqual([]);

    // ccxt's cancelAllOrders reads that answer without throwing: the plain order as a cancelled order.
    const again = (await client.privatePostOrder({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '50000.00' })) as Row;
    await place('all3');
    const parsed = await client.cancelAllOrders('BTC/USDT');
    expect(parsed.find((o) => o.id === String(again.orderId))).toMatchObject({ status: 'canceled', symbol: 'BTC/USDT', price: 50000, amount: 0.01 });
    // ccxt has no unified order list: the list's entry comes back as an order with no id, the list in its `info`.
    expect(parsed).toHaveLength(2);
    expect(parsed.filter((o) => o.id === undefined).map((o) => [infoOf(o).listClientOrderId, (infoOf(o).orderReports as Row[]).map((r) => r.status)])).toEqual([['all3', ['CANCELED', 'CANCELED']]]);
    expect(await client.fetchOpenOrders('BTC/USDT')).toEqual([]);

    // DELETE order on one leg: the answer names its list.
    const third = await place('one1');
    const leg = (await client.privateDeleteOrder({ symbol: 'BTCUSDT', orderId: third.orders[1]!.orderId })) as Row;
    expect(leg).toMatchObject({ orderId: third.orders[1]!.orderId, status: 'CANCELED', orderListId: third.orderListId });
    // And, as on Binance, the cancel of one leg cancels the whole list: the other leg too, and the 0.01 BTC they shared is free again.
    expect(await client.privateGetOrder({ symbol: 'BTCUSDT', orderId: third.orders[0]!.orderId })).toMatchObject({ status: 'CANCELED', orderListId: third.orderListId });
    expect(await client.privateGetOrderList({ orderListId: third.orderListId })).toMatchObject({ listStatusType: 'ALL_DONE', listOrderStatus: 'ALL_DONE' });
    expect(await client.privateGetOpenOrders({ symbol: 'BTCUSDT' })).toEqual([]);
    const raw = (await client.privateGetAccount()) as { balances: { asset: string; free: string; locked: string }[] };
    expect(raw.balances.find((b) => b.asset === 'BTC')).toMatchObject({ free: '1', locked: '0' });
  });
});
