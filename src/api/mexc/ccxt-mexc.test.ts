/**
 * ccxt's own `mexc` class, unmodified (only its API URLs pointed here), trades on papertrade's
 * MEXC-compatible API over real HTTP, against a real engine fed with the bundled recording.
 */
import ccxt, { type Exchange } from 'ccxt';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatFixed, parseFixed } from '../../core/money/fixed.js';
import { buildServer } from '../server.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { readMaybeGzipped } from '../../market-data/recording-reader.js';
import { registerMexcApi } from './mexc-api.js';
import { mexcClient } from '../../test-kit/exchange-clients.js';

const START = 1723161300000; // 2024-08-08T23:55:00Z, a minute boundary
const FED_UNTIL = START + 150_000;
const SYMBOL = 'BTC/USDT';

interface Account {
  id: string;
  apiKey: string;
  apiSecret: string;
}

const fixed = (v: unknown) => parseFixed(String(v));
const infoOf = (o: { info: unknown }) => o.info as Record<string, string>;

describe("ccxt's mexc class trades on papertrade's MEXC API", () => {
  let service: TestService;
  let app: FastifyInstance;
  let base: string;
  let account: Account;
  let mexc: Exchange;

  const balancesOf = async (): Promise<Record<string, { free: bigint; locked: bigint }>> => {
    const raw = (await mexc.fetchBalance()).info as { balances: { asset: string; free: string; locked: string }[] };
    return Object.fromEntries(raw.balances.map((b) => [b.asset, { free: parseFixed(b.free), locked: parseFixed(b.locked) }]));
  };
  const native = async (url: string) => (await app.inject({ url, headers: { authorization: `Bearer ${account.apiKey}` } })).json();

  beforeAll(async () => {
    service = await startTestService({ until: START - 1 });
    app = await buildServer(service.deps, { plugins: [registerMexcApi] });
    // The tape starts with the plugin: feed the next 2.5 minutes of the recording through it.
    await service.feedUntil(FED_UNTIL);
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    base = address;
    const created = await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'ccxt', balances: { USDT: '100000', BTC: '1' } } });
    account = created.json();
    mexc = mexcClient(base, account.apiKey, account.apiSecret);
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });

  it('loads the markets (exchangeInfo, capital config, contract detail) with MEXC precision and limits', async () => {
    const markets = await mexc.loadMarkets();
    const market = markets[SYMBOL]!;
    expect(market).toMatchObject({ id: 'BTCUSDT', base: 'BTC', quote: 'USDT', spot: true, active: true, maker: 0.001, taker: 0.001 });
    expect(market.precision).toMatchObject({ amount: 0.00001, price: 0.01 });
    expect(market.limits.amount?.min).toBe(0.00001);
    expect(market.limits.cost?.min).toBe(10);
    expect(Object.keys(mexc.currencies).sort()).toEqual(['BTC', 'USDT']);
  });

  it('reads the server time', async () => {
    const time = await mexc.fetchTime();
    expect(Math.abs(time! - Date.now())).toBeLessThan(5_000);
  });

  it("reads the same order book as the native depth route", async () => {
    const book = await mexc.fetchOrderBook(SYMBOL, 10);
    const depth = await native('/api/market/depth/BTCUSDT?limit=10');
    const asNumbers = (levels: [string, string][]) => levels.map(([p, q]) => [Number(p), Number(q)]);
    expect(book.bids).toEqual(asNumbers(depth.bids));
    expect(book.asks).toEqual(asNumbers(depth.asks));
    expect(book.bids).toHaveLength(10);
    expect(book.nonce).toBe(service.engine.kernel.bookStatus('BTCUSDT')!.updateId);
  });

  it('reads the ticker and the public trades from the replayed tape', async () => {
    const trades = service.recording.inputs.filter((i) => i.kind === 'trade' && i.time >= START && i.time <= FED_UNTIL);
    const last = trades.at(-1)!;
    if (last.kind !== 'trade') throw new Error('not a trade');
    const ticker = await mexc.fetchTicker(SYMBOL);
    const top = service.engine.kernel.depth('BTCUSDT', 1)!;
    expect(ticker.last).toBe(Number(last.price));
    expect(ticker.bid).toBe(Number(top.bids[0]![0]));
    expect(ticker.ask).toBe(Number(top.asks[0]![0]));
    const volume = trades.reduce((sum, t) => sum + (t.kind === 'trade' ? parseFixed(t.quantity) : 0n), 0n);
    expect(ticker.baseVolume).toBe(Number(formatFixed(volume)));

    const fetched = await mexc.fetchTrades(SYMBOL, undefined, 20);
    expect(fetched).toHaveLength(20);
    const tail = trades.slice(-20);
    fetched.forEach((t, i) => {
      const want = tail[i]!;
      if (want.kind !== 'trade') throw new Error('not a trade');
      expect(t).toMatchObject({ price: Number(want.price), amount: Number(want.quantity), timestamp: want.time, side: want.buyerMaker ? 'sell' : 'buy', symbol: SYMBOL });
    });
  });

  it('reads 1-minute candles that match the candles derived from the recording', async () => {
    const csv = readMaybeGzipped(BUNDLED_RECORDING, 'candles_1m_derived_from_trades.csv').trim().split('\n').slice(1).map((l) => l.split(','));
    const candles = await mexc.fetchOHLCV(SYMBOL, '1m', START, 2);
    expect(candles).toHaveLength(2);
    candles.forEach((c, i) => {
      const row = csv.find((r) => Number(r[0]) === START + i * 60_000)!;
      expect(c[0]).toBe(Number(row[0]));
      expect(c.slice(1, 6)).toEqual(row.slice(1, 6).map(Number));
    });
    const hourly = await mexc.fetchOHLCV(SYMBOL, '1h');
    expect(hourly).toHaveLength(1); // the tape spans 23:55–23:57:30, inside one hour
    expect(hourly[0]![0]).toBe(Date.UTC(2024, 7, 8, 23));
  });

  it('fetches the balances the account was opened with', async () => {
    const balance = await mexc.fetchBalance();
    expect(balance.USDT).toMatchObject({ free: 100000, used: 0, total: 100000 });
    expect(balance.BTC).toMatchObject({ free: 1, used: 0, total: 1 });
  });

  it('buys at market by quantity and by cost, and the balances change by exactly the fills', async () => {
    const before = await balancesOf();
    const byQty = await mexc.createOrder(SYMBOL, 'market', 'buy', 0.001, undefined, { clientOrderId: 'ccxt-market-1' });
    expect(byQty.id).toMatch(/^\d+$/);
    const filled = await mexc.fetchOrder(byQty.id!, SYMBOL);
    expect(filled).toMatchObject({ status: 'closed', filled: 0.001, amount: 0.001, type: 'market', side: 'buy', clientOrderId: 'ccxt-market-1' });
    const byCost = await mexc.createMarketBuyOrderWithCost(SYMBOL, 50);
    const filledByCost = await mexc.fetchOrder(byCost.id!, SYMBOL);
    expect(filledByCost.status).toBe('closed');
    expect(infoOf(filledByCost).origQuoteOrderQty).toBe('50');
    expect(filledByCost.cost!).toBeLessThanOrEqual(50);
    expect(filledByCost.cost!).toBeGreaterThan(49);

    const trades = await mexc.fetchMyTrades(SYMBOL);
    const ours = trades.filter((t) => t.order === byQty.id || t.order === byCost.id);
    const spent = ours.reduce((s, t) => s + fixed(infoOf(t).quoteQty), 0n);
    const bought = ours.reduce((s, t) => s + fixed(infoOf(t).qty), 0n);
    const fees = ours.reduce((s, t) => s + fixed(infoOf(t).commission), 0n);

    // The create answer by cost says what was bought, from the fills: the quantity executed and the
    // average price (half-up to the 0.01 tick), with the quote amount as given.
    const costFills = trades.filter((t) => t.order === byCost.id);
    const costSpent = costFills.reduce((s, t) => s + fixed(infoOf(t).quoteQty), 0n);
    const costBought = costFills.reduce((s, t) => s + fixed(infoOf(t).qty), 0n);
    const tick = 10n ** 16n;
    const averageOnTick = ((costSpent * 10n ** 18n * 2n) / costBought / tick + 1n) / 2n * tick;
    expect(infoOf(byCost)).toMatchObject({ quoteOrderQty: '50', origQty: formatFixed(costBought), price: formatFixed(averageOnTick) });
    expect(byCost.amount).toBe(Number(formatFixed(costBought)));
    expect(byCost.price).toBe(Number(formatFixed(averageOnTick)));
    expect(ours.every((t) => t.fee?.currency === 'BTC' && t.takerOrMaker === 'taker' && t.side === 'buy')).toBe(true);
    expect(spent).toBe(fixed(infoOf(filled).cummulativeQuoteQty) + fixed(infoOf(filledByCost).cummulativeQuoteQty));
    const after = await balancesOf();
    expect(after.USDT!.free).toBe(before.USDT!.free - spent);
    expect(after.BTC!.free).toBe(before.BTC!.free + bought - fees);
  });

  let resting: string;
  let restingMaker: string;

  it('rests a limit order and a post-only order below the market, locking the quote', async () => {
    const bid = Number(service.engine.kernel.depth('BTCUSDT', 1)!.bids[0]![0]);
    const before = await balancesOf();
    const limit = await mexc.createOrder(SYMBOL, 'limit', 'buy', 0.01, bid - 1000, { clientOrderId: 'ccxt-limit-1' });
    resting = limit.id!;
    const maker = await mexc.createOrder(SYMBOL, 'limit', 'buy', 0.002, bid - 500, { postOnly: true });
    restingMaker = maker.id!;
    expect(await mexc.fetchOrder(resting, SYMBOL)).toMatchObject({ status: 'open', type: 'limit', timeInForce: 'GTC', price: bid - 1000, amount: 0.01, filled: 0, clientOrderId: 'ccxt-limit-1' });
    // ccxt reads MEXC's LIMIT_MAKER as time in force POST_ONLY.
    const makerOrder = await mexc.fetchOrder(restingMaker, SYMBOL);
    expect(makerOrder).toMatchObject({ status: 'open', type: 'limit', timeInForce: 'POST_ONLY', price: bid - 500 });
    expect(infoOf(makerOrder).type).toBe('LIMIT_MAKER');
    const after = await balancesOf();
    const locked = parseFixed(String(bid - 1000)) / 100n + (parseFixed(String(bid - 500)) * 2n) / 1000n;
    expect(after.USDT!.locked - before.USDT!.locked).toBe(locked);
    expect(after.USDT!.free).toBe(before.USDT!.free - locked);
  });

  it('refuses a post-only order that would take with InvalidOrder', async () => {
    const ask = Number(service.engine.kernel.depth('BTCUSDT', 1)!.asks[0]![0]);
    await expect(mexc.createOrder(SYMBOL, 'limit', 'buy', 0.001, ask, { postOnly: true })).rejects.toThrow(ccxt.InvalidOrder);
  });

  it('fills IOC and FOK orders that can fill, and cancels those that cannot', async () => {
    const [ask] = service.engine.kernel.depth('BTCUSDT', 1)!.asks[0]!;
    const iocMiss = await mexc.createOrder(SYMBOL, 'limit', 'buy', 0.001, Number(ask) - 1000, { timeInForce: 'IOC' });
    expect(await mexc.fetchOrder(iocMiss.id!, SYMBOL)).toMatchObject({ status: 'canceled', filled: 0, timeInForce: 'IOC' });
    expect(infoOf(await mexc.fetchOrder(iocMiss.id!, SYMBOL))).toMatchObject({ status: 'CANCELED', type: 'IMMEDIATE_OR_CANCEL' });
    const iocHit = await mexc.createOrder(SYMBOL, 'limit', 'buy', 0.001, Number(ask), { timeInForce: 'IOC' });
    expect(await mexc.fetchOrder(iocHit.id!, SYMBOL)).toMatchObject({ status: 'closed', filled: 0.001 });

    // One step more than the best ask level holds, at that level's price: it cannot fill whole.
    const [ask2, askQty2] = service.engine.kernel.depth('BTCUSDT', 1)!.asks[0]!;
    const fokMiss = await mexc.createOrder(SYMBOL, 'limit', 'buy', Number(formatFixed(parseFixed(askQty2) + parseFixed('0.00001'))), Number(ask2), { timeInForce: 'FOK' });
    expect(await mexc.fetchOrder(fokMiss.id!, SYMBOL)).toMatchObject({ status: 'canceled', filled: 0, timeInForce: 'FOK' });
    // The same as IOC fills the level and cancels the one step left over.
    const iocPartial = await mexc.createOrder(SYMBOL, 'limit', 'buy', Number(formatFixed(parseFixed(askQty2) + parseFixed('0.00001'))), Number(ask2), { timeInForce: 'IOC' });
    const partial = await mexc.fetchOrder(iocPartial.id!, SYMBOL);
    // (It gets the level less what our earlier orders took there: the engine remembers its own liquidity.)
    expect(partial.status).toBe('canceled');
    expect(infoOf(partial).status).toBe('PARTIALLY_CANCELED');
    expect(partial.filled!).toBeGreaterThan(1);
    expect(partial.filled!).toBeLessThan(partial.amount!);
    const [bid] = service.engine.kernel.depth('BTCUSDT', 1)!.bids[0]!;
    const fokHit = await mexc.createOrder(SYMBOL, 'limit', 'sell', 0.0005, Number(bid), { timeInForce: 'FOK' });
    expect(infoOf(await mexc.fetchOrder(fokHit.id!, SYMBOL))).toMatchObject({ status: 'FILLED', type: 'FILL_OR_KILL', executedQty: '0.0005' });
  });

  it('lists open orders, all orders and the fills', async () => {
    const open = await mexc.fetchOpenOrders(SYMBOL);
    expect(open.map((o) => o.id).sort()).toEqual([resting, restingMaker].sort());
    expect((await mexc.fetchOpenOrders()).map((o) => o.id).sort()).toEqual([resting, restingMaker].sort());
    const all = await mexc.fetchOrders(SYMBOL);
    expect(all.map((o) => o.status)).toEqual(['closed', 'closed', 'open', 'open', 'canceled', 'closed', 'canceled', 'canceled', 'closed']);
    expect(all.map((o) => infoOf(o).status)).toEqual(['FILLED', 'FILLED', 'NEW', 'NEW', 'CANCELED', 'FILLED', 'CANCELED', 'PARTIALLY_CANCELED', 'FILLED']);
    const trades = await mexc.fetchMyTrades(SYMBOL);
    const filledIds = all.filter((o) => (o.filled ?? 0) > 0).map((o) => o.id);
    expect([...new Set(trades.map((t) => t.order))].sort()).toEqual(filledIds.sort());
  });

  it('shows an order placed through ccxt on the native API, and the MEXC calls in the audit log', async () => {
    const order = await native(`/api/orders/${resting}`);
    expect(order).toMatchObject({ orderId: resting, clientOrderId: 'ccxt-limit-1', status: 'NEW', quantity: '0.01', mode: 'paper' });
    const audit = await service.deps.db.selectFrom('audit_log').selectAll().where('accountId', '=', account.id).where('action', '=', 'order.place').orderBy('id').execute();
    expect(audit.length).toBeGreaterThanOrEqual(9);
    expect(JSON.parse(audit[0]!.details)).toMatchObject({ api: 'mexc-v3', result: { status: 'FILLED' } });
  });

  it('cancels one order, then all orders of a symbol, then all orders', async () => {
    const canceled = await mexc.cancelOrder(resting, SYMBOL);
    expect(canceled).toMatchObject({ id: resting, status: 'canceled' });
    expect((await native(`/api/orders/${resting}`)).status).toBe('CANCELED');
    await expect(mexc.cancelOrder(resting, SYMBOL)).rejects.toThrow(ccxt.BadRequest); // -2011 Unknown order sent.
    await expect(mexc.fetchOrder('999999', SYMBOL)).rejects.toThrow(/-2013/);

    const bySymbol = await mexc.cancelAllOrders(SYMBOL);
    expect(bySymbol.map((o) => [o.id, o.status])).toEqual([[restingMaker, 'canceled']]);
    const bid = Number(service.engine.kernel.depth('BTCUSDT', 1)!.bids[0]![0]);
    await mexc.createOrder(SYMBOL, 'limit', 'buy', 0.001, bid - 2000);
    expect(await mexc.fetchOpenOrders(SYMBOL)).toHaveLength(1);
    expect(await mexc.cancelAllOrders()).toEqual([]);
    expect(await mexc.fetchOpenOrders(SYMBOL)).toHaveLength(0);
    const balances = await balancesOf();
    expect(balances.USDT!.locked).toBe(0n);
  });

  it('maps refusals to the errors ccxt raises for MEXC', async () => {
    const bid = Number(service.engine.kernel.depth('BTCUSDT', 1)!.bids[0]![0]);
    await expect(mexc.createOrder(SYMBOL, 'limit', 'buy', 10, bid)).rejects.toThrow(ccxt.InsufficientFunds);
    await expect(mexc.createOrder(SYMBOL, 'limit', 'buy', 0.0001, bid - 1000)).rejects.toThrow(ccxt.InvalidOrder);
    const wrongSecret = mexcClient(base, account.apiKey, 'f'.repeat(64));
    await expect(wrongSecret.fetchBalance()).rejects.toThrow(ccxt.AuthenticationError);
    const unknownKey = mexcClient(base, 'pt_unknown', account.apiSecret);
    await expect(unknownKey.fetchBalance()).rejects.toThrow(/10072/);
    mexc.options.timeDifference = 70_000; // its clock 70 s behind ours: outside any recvWindow
    try {
      await expect(mexc.fetchBalance()).rejects.toThrow(ccxt.InvalidNonce);
    } finally {
      mexc.options.timeDifference = 0;
    }
  });
});
