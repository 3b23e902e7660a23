/**
 * ccxt's own `binance` class, unmodified (only its API URLs pointed here), trades on papertrade's
 * Binance-compatible API over real HTTP, against a real engine fed with the bundled recording; and a
 * market buy through this API fills exactly as the same order through the native API of a twin
 * service fed the same market.
 */
import ccxt, { type Exchange } from 'ccxt';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FillEvent } from '../../core/kernel/events.js';
import { formatFixed, mulExact, parseFixed } from '../../core/money/fixed.js';
import { readMaybeGzipped } from '../../market-data/recording-reader.js';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { buildServer } from '../server.js';
import { registerBinanceApi } from './binance-api.js';

const START = 1723161300000; // 2024-08-08T23:55:00Z, a minute boundary
const FED_UNTIL = START + 150_000;
const SYMBOL = 'BTC/USDT';

interface Account {
  id: string;
  apiKey: string;
  apiSecret: string;
}

/** The two lines a ccxt bot changes (README "Binance Spot API"): every Binance host becomes papertrade's `/binance`. */
function binanceClient(base: string, apiKey: string, secret: string): Exchange {
  const exchange = new ccxt.binance({ apiKey, secret, enableRateLimit: false, options: { fetchMarkets: { types: ['spot'] } } });
  const api = exchange.urls.api as Record<string, string>;
  for (const [name, url] of Object.entries(api)) api[name] = url.replace(/^https:\/\/[a-z]+\.binance\.com/, `${base}/binance`);
  return exchange;
}

const fixed = (v: unknown) => parseFixed(String(v));
const infoOf = (o: { info: unknown }) => o.info as Record<string, unknown>;
const openAccount = async (app: FastifyInstance): Promise<Account> =>
  (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'ccxt', balances: { USDT: '400000', BTC: '1' } } })).json();

describe("ccxt's binance class trades on papertrade's Binance Spot API", () => {
  let service: TestService;
  let twin: TestService;
  let app: FastifyInstance;
  let base: string;
  let account: Account;
  let binance: Exchange;

  const balancesOf = async (): Promise<Record<string, { free: bigint; locked: bigint }>> => {
    const raw = (await binance.fetchBalance()).info as { balances: { asset: string; free: string; locked: string }[] };
    return Object.fromEntries(raw.balances.map((b) => [b.asset, { free: parseFixed(b.free), locked: parseFixed(b.locked) }]));
  };
  const native = async (url: string) => (await app.inject({ url, headers: { authorization: `Bearer ${account.apiKey}` } })).json();
  const top = () => service.engine.kernel.depth('BTCUSDT', 1)!;
  const top5 = () => service.engine.kernel.depth('BTCUSDT', 5)!.asks;

  beforeAll(async () => {
    [service, twin] = await Promise.all([startTestService({ until: START - 1 }), startTestService({ until: START - 1 })]);
    app = await buildServer(service.deps, { plugins: [registerBinanceApi] });
    // The tape starts with the plugin: feed the next 2.5 minutes of the recording through it.
    await service.feedUntil(FED_UNTIL);
    await twin.feedUntil(FED_UNTIL);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    account = await openAccount(app);
    binance = binanceClient(base, account.apiKey, account.apiSecret);
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
    await twin?.close();
  });

  it('loads the markets from exchangeInfo with the instrument\'s precision and limits', async () => {
    const markets = await binance.loadMarkets();
    const market = markets[SYMBOL]!;
    const instrument = service.engine.kernel.instrument('BTCUSDT')!;
    expect(market).toMatchObject({ id: 'BTCUSDT', base: 'BTC', quote: 'USDT', spot: true, active: true, maker: 0.001, taker: 0.001 });
    expect(market.precision).toMatchObject({ amount: Number(formatFixed(instrument.stepSize)), price: Number(formatFixed(instrument.tickSize)) });
    expect(market.limits.amount).toMatchObject({ min: Number(formatFixed(instrument.minQty)), max: Number(formatFixed(instrument.maxQty)) });
    expect(market.limits.cost?.min).toBe(Number(formatFixed(instrument.minNotional)));
    expect(market.limits.price?.min).toBe(Number(formatFixed(instrument.tickSize)));
    expect(market.limits.market?.max).toBe(Number(formatFixed(instrument.maxMarketQty ?? instrument.maxQty)));
    const filters = (market.info as { filters: { filterType: string; [k: string]: unknown }[] }).filters;
    if (instrument.maxNumOrders !== undefined) expect(filters.find((f) => f.filterType === 'MAX_NUM_ORDERS')?.maxNumOrders).toBe(instrument.maxNumOrders);
    // (ccxt adds BNFCR, Binance's futures credit, by itself.)
    expect(binance.currencies.BTC?.info).toMatchObject({ coin: 'BTC', trading: true });
    expect(binance.currencies.USDT?.info).toMatchObject({ coin: 'USDT', trading: true });
  });

  it('buys at market exactly as the native API does on a twin fed the same market, at the book\'s VWAP', async () => {
    // Both engines stand at the same moment with the same book: walk its asks by hand.
    const quantity = parseFixed('1.9');
    const asks = service.engine.kernel.depth('BTCUSDT', 50)!.asks;
    expect(twin.engine.kernel.depth('BTCUSDT', 50)!.asks).toEqual(asks);
    const expected: { price: string; qty: string }[] = [];
    let left = quantity;
    for (const [price, size] of asks) {
      if (left === 0n) break;
      const take = parseFixed(size) < left ? parseFixed(size) : left;
      expected.push({ price, qty: formatFixed(take) });
      left -= take;
    }
    expect(left).toBe(0n);
    expect(expected.length).toBeGreaterThan(2); // the order walks three levels
    const cost = expected.reduce((s, f) => s + mulExact(parseFixed(f.price), parseFixed(f.qty)), 0n);
    // 0.1 % taker fee in the asset received, rounded up to 8 decimals once over the order.
    const feeExact = quantity / 1000n;
    const fee = feeExact % 10n ** 10n === 0n ? feeExact : feeExact - (feeExact % 10n ** 10n) + 10n ** 10n;

    const order = await binance.createOrder(SYMBOL, 'market', 'buy', 1.9);
    const full = infoOf(order) as { status: string; executedQty: string; cummulativeQuoteQty: string; fills: { price: string; qty: string; commission: string; commissionAsset: string }[] };
    expect(full.status).toBe('FILLED');
    expect(full.fills.map((f) => ({ price: f.price, qty: f.qty }))).toEqual(expected);
    expect(fixed(full.cummulativeQuoteQty)).toBe(cost);
    expect(full.fills.every((f) => f.commissionAsset === 'BTC')).toBe(true);
    expect(full.fills.reduce((s, f) => s + fixed(f.commission), 0n)).toBe(fee);

    const twinAccount = await openAccount(twin.app);
    const twinFills: FillEvent[] = [];
    const stop = twin.deps.hub.subscribe((events) => {
      for (const e of events) if (e.type === 'FILL') twinFills.push(e);
    });
    const placed = await twin.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${twinAccount.apiKey}` }, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '1.9' } });
    stop();
    expect(placed.statusCode).toBe(201);
    expect(placed.json()).toMatchObject({ status: 'FILLED', executedQty: full.executedQty, cumulativeQuoteQty: full.cummulativeQuoteQty });
    expect(twinFills.map((f) => ({ price: f.price, qty: f.quantity, commission: f.fee, commissionAsset: f.feeAsset }))).toEqual(full.fills.map(({ price, qty, commission, commissionAsset }) => ({ price, qty, commission, commissionAsset })));
  });

  it('reads the server time', async () => {
    const time = await binance.fetchTime();
    expect(Math.abs(time! - Date.now())).toBeLessThan(5_000);
  });

  it('reads the same order book as the native depth route, and sends the weight header', async () => {
    const book = await binance.fetchOrderBook(SYMBOL, 10);
    const depth = await native('/api/market/depth/BTCUSDT?limit=10');
    const asNumbers = (levels: [string, string][]) => levels.map(([p, q]) => [Number(p), Number(q)]);
    expect(book.bids).toEqual(asNumbers(depth.bids));
    expect(book.asks).toEqual(asNumbers(depth.asks));
    expect(book.bids).toHaveLength(10);
    expect(book.nonce).toBe(service.engine.kernel.bookStatus('BTCUSDT')!.updateId);
    const first = await fetch(`${base}/binance/api/v3/depth?symbol=BTCUSDT&limit=10`);
    const second = await fetch(`${base}/binance/api/v3/depth?symbol=BTCUSDT&limit=1000`);
    // Depth at limit 10 weighs 5, at 1000 50: the used weight of this minute grows by exactly that.
    expect(Number(second.headers.get('x-mbx-used-weight-1m')) - Number(first.headers.get('x-mbx-used-weight-1m'))).toBe(50);
  });

  it('reads the ticker and the public trades from the replayed tape', async () => {
    const trades = service.recording.inputs.filter((i) => i.kind === 'trade' && i.time >= START && i.time <= FED_UNTIL);
    const last = trades.at(-1)!;
    if (last.kind !== 'trade') throw new Error('not a trade');
    const ticker = await binance.fetchTicker(SYMBOL);
    expect(ticker.last).toBe(Number(last.price));
    expect(ticker.bid).toBe(Number(top().bids[0]![0]));
    expect(ticker.ask).toBe(Number(top().asks[0]![0]));
    const volume = trades.reduce((sum, t) => sum + (t.kind === 'trade' ? parseFixed(t.quantity) : 0n), 0n);
    expect(ticker.baseVolume).toBe(Number(formatFixed(volume)));
    // The tape began with the plugin, at START: no trade before the window is known, so the previous close is the window's first.
    const first = trades[0]!;
    if (first.kind !== 'trade') throw new Error('not a trade');
    expect(ticker.previousClose).toBe(Number(first.price));
    expect(ticker.open).toBe(Number(first.price));
    // ccxt stamps the ticker with closeTime; the window Binance reports opens 24 hours before it.
    expect(Number(infoOf(ticker).openTime)).toBe(ticker.timestamp! - 86_400_000);

    const tickers = await binance.fetchTickers([SYMBOL]);
    expect(Object.keys(tickers)).toEqual([SYMBOL]);
    expect(tickers[SYMBOL]).toMatchObject({ last: ticker.last, bid: ticker.bid, ask: ticker.ask, baseVolume: ticker.baseVolume, open: ticker.open, timestamp: ticker.timestamp });

    const fetched = await binance.fetchTrades(SYMBOL, undefined, 20);
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
    const candles = await binance.fetchOHLCV(SYMBOL, '1m', START, 2);
    expect(candles).toHaveLength(2);
    candles.forEach((c, i) => {
      const row = csv.find((r) => Number(r[0]) === START + i * 60_000)!;
      expect(c[0]).toBe(Number(row[0]));
      expect(c.slice(1, 6)).toEqual(row.slice(1, 6).map(Number));
    });
    const hourly = await binance.fetchOHLCV(SYMBOL, '1h');
    expect(hourly).toHaveLength(1); // the tape spans 23:55–23:57:30, inside one hour
    expect(hourly[0]![0]).toBe(Date.UTC(2024, 7, 8, 23));
  });

  it('fetches the balances the account holds after its first buy', async () => {
    const balance = await binance.fetchBalance();
    const trades = await binance.fetchMyTrades(SYMBOL);
    const spent = trades.reduce((s, t) => s + fixed(infoOf(t).quoteQty), 0n);
    const bought = trades.reduce((s, t) => s + fixed(infoOf(t).qty) - fixed(infoOf(t).commission), 0n);
    expect(balance.USDT).toMatchObject({ used: 0, total: Number(formatFixed(parseFixed('400000') - spent)) });
    expect(balance.BTC).toMatchObject({ used: 0, total: Number(formatFixed(parseFixed('1') + bought)) });
  });

  it('buys by cost and sells by quantity at market, the balances changing by exactly the fills', async () => {
    const before = await balancesOf();
    const byCost = await binance.createMarketBuyOrderWithCost(SYMBOL, 50);
    const sell = await binance.createOrder(SYMBOL, 'market', 'sell', 0.001, undefined, { clientOrderId: 'ccxt-market-sell' });
    const filledByCost = await binance.fetchOrder(byCost.id!, SYMBOL);
    expect(filledByCost.status).toBe('closed');
    expect(infoOf(filledByCost).origQuoteOrderQty).toBe('50');
    expect(filledByCost.cost!).toBeLessThanOrEqual(50);
    expect(filledByCost.cost!).toBeGreaterThan(49);
    expect(await binance.fetchOrder(sell.id!, SYMBOL)).toMatchObject({ status: 'closed', filled: 0.001, side: 'sell', type: 'market', clientOrderId: 'ccxt-market-sell' });
    const ours = (await binance.fetchMyTrades(SYMBOL)).filter((t) => t.order === byCost.id || t.order === sell.id);
    const delta = (side: string, pick: (t: Record<string, unknown>) => bigint) => ours.filter((t) => t.side === side).reduce((s, t) => s + pick(infoOf(t)), 0n);
    const after = await balancesOf();
    // Buys pay their fee in BTC, sells in USDT (the asset each receives).
    expect(after.USDT!.free).toBe(before.USDT!.free - delta('buy', (i) => fixed(i.quoteQty)) + delta('sell', (i) => fixed(i.quoteQty) - fixed(i.commission)));
    expect(after.BTC!.free).toBe(before.BTC!.free + delta('buy', (i) => fixed(i.qty) - fixed(i.commission)) - delta('sell', (i) => fixed(i.qty)));
  });

  let resting: string;
  let restingMaker: string;
  let stops: string[] = [];

  it('rests a limit order, a post-only order and the four stop types, locking what each reserves', async () => {
    const bid = Number(top().bids[0]![0]);
    const ask = Number(top().asks[0]![0]);
    const before = await balancesOf();
    resting = (await binance.createOrder(SYMBOL, 'limit', 'buy', 0.01, bid - 1000, { clientOrderId: 'ccxt-limit-1' })).id!;
    restingMaker = (await binance.createOrder(SYMBOL, 'limit', 'buy', 0.002, bid - 500, { postOnly: true })).id!;
    expect(await binance.fetchOrder(resting, SYMBOL)).toMatchObject({ status: 'open', type: 'limit', timeInForce: 'GTC', price: bid - 1000, amount: 0.01, filled: 0, clientOrderId: 'ccxt-limit-1' });
    const maker = await binance.fetchOrder(restingMaker, SYMBOL);
    expect(maker).toMatchObject({ status: 'open', postOnly: true, price: bid - 500 });
    expect(infoOf(maker).type).toBe('LIMIT_MAKER');
    const after = await balancesOf();
    const locked = parseFixed(String(bid - 1000)) / 100n + (parseFixed(String(bid - 500)) * 2n) / 1000n;
    expect(after.USDT!.locked - before.USDT!.locked).toBe(locked);

    const stopLoss = await binance.createOrder(SYMBOL, 'market', 'sell', 0.001, undefined, { stopLossPrice: bid - 2000 });
    const stopLimit = await binance.createOrder(SYMBOL, 'limit', 'sell', 0.001, bid - 2100, { stopLossPrice: bid - 2000 });
    const takeProfit = await binance.createOrder(SYMBOL, 'market', 'sell', 0.001, undefined, { takeProfitPrice: ask + 2000 });
    const takeLimit = await binance.createOrder(SYMBOL, 'limit', 'sell', 0.001, ask + 2100, { takeProfitPrice: ask + 2000 });
    const trailing = await binance.createOrder(SYMBOL, 'market', 'sell', 0.001, undefined, { trailingPercent: 1.5, stopLossOrTakeProfit: 'stopLoss' });
    stops = [stopLoss.id!, stopLimit.id!, takeProfit.id!, takeLimit.id!, trailing.id!];
    const fetched = await Promise.all(stops.map((id) => binance.fetchOrder(id, SYMBOL)));
    expect(fetched.map((o) => infoOf(o).type)).toEqual(['STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT', 'STOP_LOSS']);
    expect(fetched.map((o) => o.status)).toEqual(['open', 'open', 'open', 'open', 'open']);
    expect(fetched.map((o) => o.triggerPrice)).toEqual([bid - 2000, bid - 2000, ask + 2000, ask + 2000, undefined]);
    expect(fetched.map((o) => infoOf(o).isWorking)).toEqual([false, false, false, false, false]);
    // 1.5 % is 150 BIPS, papertrade's callback rate 0.015.
    expect(infoOf(fetched[4]!).trailingDelta).toBe(150);
    expect(service.engine.kernel.order(trailing.id!)!.callbackRate).toBe(parseFixed('0.015'));
  });

  it('refuses a post-only order that would take', async () => {
    await expect(binance.createOrder(SYMBOL, 'limit', 'buy', 0.001, Number(top().asks[0]![0]), { postOnly: true })).rejects.toThrow(ccxt.OrderImmediatelyFillable);
  });

  it('fills IOC and FOK orders that can fill, and expires those that cannot', async () => {
    // The first buy took the best levels: the engine remembers that liquidity as gone until the book
    // changes, so prices here reach past it, into levels the book still has.
    const asks = top5();
    const iocMiss = await binance.createOrder(SYMBOL, 'limit', 'buy', 0.001, Number(asks[0]![0]) - 1000, { timeInForce: 'IOC' });
    expect(iocMiss).toMatchObject({ status: 'expired', filled: 0, timeInForce: 'IOC' });
    const iocHit = await binance.createOrder(SYMBOL, 'limit', 'buy', 0.001, Number(asks[4]![0]), { timeInForce: 'IOC' });
    expect(iocHit).toMatchObject({ status: 'closed', filled: 0.001 });
    expect(iocHit.trades).toHaveLength(1);
    // More than every level up to the third holds, priced at the third: it cannot fill whole.
    const visible = asks.slice(0, 3).reduce((s, [, q]) => s + parseFixed(q), 0n);
    const tooMuch = Number(formatFixed(visible + parseFixed('0.01')));
    const fokMiss = await binance.createOrder(SYMBOL, 'limit', 'buy', tooMuch, Number(asks[2]![0]), { timeInForce: 'FOK' });
    expect(fokMiss).toMatchObject({ status: 'expired', filled: 0, timeInForce: 'FOK' });
    const iocPartial = await binance.createOrder(SYMBOL, 'limit', 'buy', tooMuch, Number(asks[2]![0]), { timeInForce: 'IOC' });
    // Binance reports an IOC's unfilled rest as EXPIRED, with what it executed.
    expect(infoOf(iocPartial).status).toBe('EXPIRED');
    expect(iocPartial.filled!).toBeGreaterThan(0);
    expect(iocPartial.filled!).toBeLessThan(iocPartial.amount!);
  });

  it('lists open orders, all orders and the fills', async () => {
    const open = await binance.fetchOpenOrders(SYMBOL);
    expect(open.map((o) => o.id).sort()).toEqual([resting, restingMaker, ...stops].sort());
    const all = await binance.fetchOrders(SYMBOL);
    const statuses = all.map((o) => infoOf(o).status);
    expect(statuses.filter((s) => s === 'NEW')).toHaveLength(7);
    expect(statuses.filter((s) => s === 'FILLED')).toHaveLength(4);
    expect(statuses.filter((s) => s === 'EXPIRED')).toHaveLength(3);
    const trades = await binance.fetchMyTrades(SYMBOL);
    const filledIds = all.filter((o) => (o.filled ?? 0) > 0).map((o) => o.id);
    expect([...new Set(trades.map((t) => t.order))].sort()).toEqual(filledIds.sort());
    const one = await binance.fetchMyTrades(SYMBOL, undefined, undefined, { orderId: filledIds[0] });
    expect(one.every((t) => t.order === filledIds[0])).toBe(true);
  });

  it('shows an order placed through ccxt on the native API, and the Binance calls in the audit log', async () => {
    expect(await native(`/api/orders/${resting}`)).toMatchObject({ orderId: resting, clientOrderId: 'ccxt-limit-1', status: 'NEW', quantity: '0.01', mode: 'paper' });
    const audit = await service.deps.db.selectFrom('audit_log').selectAll().where('accountId', '=', account.id).where('action', '=', 'order.place').orderBy('id').execute();
    expect(JSON.parse(audit[0]!.details)).toMatchObject({ api: 'binance-spot-v3', result: { status: 'FILLED' } });
  });

  it('cancels one order, then all orders of the symbol', async () => {
    const canceled = await binance.cancelOrder(resting, SYMBOL);
    expect(canceled).toMatchObject({ id: resting, status: 'canceled' });
    expect((await native(`/api/orders/${resting}`)).status).toBe('CANCELED');
    await expect(binance.cancelOrder(resting, SYMBOL)).rejects.toThrow(ccxt.OrderNotFound); // -2011 Unknown order sent.
    await expect(binance.fetchOrder('999999', SYMBOL)).rejects.toThrow(ccxt.OrderNotFound); // -2013
    const rest = await binance.cancelAllOrders(SYMBOL);
    expect(rest.map((o) => o.id).sort()).toEqual([restingMaker, ...stops].sort());
    expect(await binance.fetchOpenOrders(SYMBOL)).toHaveLength(0);
    const balances = await balancesOf();
    expect(balances.USDT!.locked).toBe(0n);
    expect(balances.BTC!.locked).toBe(0n);
  });

  it('refuses a stop that would trigger at once, and triggers one when the tape reaches it: working from then on, filled at market', async () => {
    const trades = service.recording.inputs.filter((i) => i.kind === 'trade');
    const last = trades.filter((t) => t.time <= FED_UNTIL).at(-1)!;
    // The first later trade below the last price: a sell stop there triggers on it.
    const lower = trades.find((t) => t.time > FED_UNTIL && t.kind === 'trade' && last.kind === 'trade' && parseFixed(t.price) < parseFixed(last.price))!;
    if (last.kind !== 'trade' || lower.kind !== 'trade') throw new Error('not a trade');
    await expect(binance.createOrder(SYMBOL, 'market', 'sell', 0.001, undefined, { stopLossPrice: Number(last.price) + 100 })).rejects.toThrow(ccxt.OrderImmediatelyFillable);
    const stop = await binance.createOrder(SYMBOL, 'market', 'sell', 0.001, undefined, { stopLossPrice: Number(lower.price) });
    const waiting = infoOf(await binance.fetchOrder(stop.id!, SYMBOL));
    expect(waiting).toMatchObject({ status: 'NEW', isWorking: false, workingTime: -1 });
    expect(fixed(waiting.stopPrice)).toBe(parseFixed(lower.price));
    await service.feedUntil(lower.time);
    const filled = await binance.fetchOrder(stop.id!, SYMBOL);
    expect(filled).toMatchObject({ status: 'closed', filled: 0.001, side: 'sell' });
    // Working from the print that triggered it (Binance: workingTime, "when the order started being on the book").
    expect(infoOf(filled)).toMatchObject({ type: 'STOP_LOSS', status: 'FILLED', isWorking: true, workingTime: lower.time });
    expect(infoOf(filled).time).toBeLessThan(lower.time);
    const fills = await binance.fetchMyTrades(SYMBOL, undefined, undefined, { orderId: stop.id });
    expect(fills.reduce((s, t) => s + fixed(infoOf(t).qty), 0n)).toBe(parseFixed('0.001'));
    expect(fills.every((t) => t.takerOrMaker === 'taker' && t.fee?.currency === 'USDT')).toBe(true);
  });

  it('answers OTO lists as not supported (OCO lists: binance-order-list-routes.test.ts)', async () => {
    await expect(binance.privatePostOrderListOto({ symbol: 'BTCUSDT', workingType: 'LIMIT', workingSide: 'BUY', workingPrice: '40000', workingQuantity: '0.001', pendingType: 'LIMIT_MAKER', pendingSide: 'SELL', pendingQuantity: '0.001', pendingPrice: '90000' })).rejects.toThrow(/-1020/);
  });

  it('maps refusals to the errors ccxt raises for Binance', async () => {
    const bid = Number(top().bids[0]![0]);
    await expect(binance.createOrder(SYMBOL, 'limit', 'buy', 10, bid)).rejects.toThrow(ccxt.InsufficientFunds);
    await expect(binance.createOrder(SYMBOL, 'limit', 'buy', 0.000001, bid - 1000)).rejects.toThrow(ccxt.InvalidOrder); // below LOT_SIZE minQty
    const wrongSecret = binanceClient(base, account.apiKey, 'f'.repeat(64));
    await expect(wrongSecret.fetchBalance()).rejects.toThrow(ccxt.AuthenticationError);
    const unknownKey = binanceClient(base, 'pt_unknown', account.apiSecret);
    await expect(unknownKey.fetchBalance()).rejects.toThrow(ccxt.AuthenticationError);
    binance.options.timeDifference = 70_000; // its clock 70 s behind ours: outside any recvWindow
    try {
      await expect(binance.fetchBalance()).rejects.toThrow(ccxt.InvalidNonce);
    } finally {
      binance.options.timeDifference = 0;
    }
  });
});
