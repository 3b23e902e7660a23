/**
 * ccxt's own `binanceusdm` class, unmodified (only its API URLs pointed here), trades a futures
 * account on papertrade's Binance USD-M API over real HTTP, against a real engine fed with the
 * bundled USD-M recording; and a market buy through this API fills exactly as the same order through
 * the native API of a twin service fed the same market.
 */
import ccxt, { type Exchange } from 'ccxt';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FillEvent, KernelEvent } from '../../core/kernel/events.js';
import { formatFixed, mul, mulExact, parseFixed } from '../../core/money/fixed.js';
import { readMaybeGzipped } from '../../market-data/recording-reader.js';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerBinanceApi } from '../binance/binance-api.js';
import { buildServer } from '../server.js';
import { registerBinanceUsdmApi } from './usdm-api.js';

const START = 1723161300000; // 2024-08-08T23:55:00Z, a minute boundary
const FED_UNTIL = START + 150_000;
const SYMBOL = 'BTC/USDT:USDT';
const DEPOSIT = '100000';

interface Account {
  id: string;
  apiKey: string;
  apiSecret: string;
}

/** The two lines a ccxt bot changes (README "Binance USD-M futures API"): every Binance host becomes papertrade's `/binance`. */
function usdmClient(base: string, apiKey: string, secret: string): Exchange {
  const exchange = new ccxt.binanceusdm({ apiKey, secret, enableRateLimit: false });
  const api = exchange.urls.api as Record<string, string>;
  for (const [name, url] of Object.entries(api)) api[name] = url.replace(/^https:\/\/[a-z]+\.binance\.com/, `${base}/binance`);
  return exchange;
}

const fixed = (v: unknown) => parseFixed(String(v));
const infoOf = (o: { info: unknown }) => o.info as Record<string, unknown>;
const openFutures = async (app: FastifyInstance, leverage = 5): Promise<Account> =>
  (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'usdm', type: 'futures', leverage, balances: { USDT: DEPOSIT } } })).json();

/** What the book's asks give a market buy of `quantity`, walked by hand: the fills and their cost. */
function walk(asks: [string, string][], quantity: bigint): { fills: { price: string; qty: string }[]; cost: bigint } {
  const fills: { price: string; qty: string }[] = [];
  let left = quantity;
  let cost = 0n;
  for (const [price, size] of asks) {
    if (left === 0n) break;
    const take = parseFixed(size) < left ? parseFixed(size) : left;
    fills.push({ price, qty: formatFixed(take) });
    cost += mulExact(parseFixed(price), take);
    left -= take;
  }
  if (left !== 0n) throw new Error('the book is too thin for the test');
  return { fills, cost };
}

describe("ccxt's binanceusdm class trades on papertrade's Binance USD-M API", () => {
  let service: TestService;
  let twin: TestService;
  let app: FastifyInstance;
  let base: string;
  let account: Account;
  let usdm: Exchange;
  let boughtCost = 0n;
  let bought = 0n;

  const native = async (url: string) => (await app.inject({ url, headers: { authorization: `Bearer ${account.apiKey}` } })).json();
  const top = () => service.engine.kernel.depth('BTCUSDT', 1)!;
  const mark = () => service.engine.kernel.markPrice('BTCUSDT')!;

  beforeAll(async () => {
    [service, twin] = await Promise.all([startTestService({ recording: USDM_RECORDING, until: START - 1 }), startTestService({ recording: USDM_RECORDING, until: START - 1 })]);
    app = await buildServer(service.deps, { plugins: [registerBinanceApi, registerBinanceUsdmApi] });
    await service.feedUntil(FED_UNTIL);
    await twin.feedUntil(FED_UNTIL);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    account = await openFutures(app);
    usdm = usdmClient(base, account.apiKey, account.apiSecret);
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
    await twin?.close();
  });

  it("loads the perpetual from exchangeInfo with the instrument's precision and limits", async () => {
    const markets = await usdm.loadMarkets();
    const market = markets[SYMBOL]!;
    const instrument = service.engine.kernel.instrument('BTCUSDT')!;
    expect(market).toMatchObject({ id: 'BTCUSDT', base: 'BTC', quote: 'USDT', settle: 'USDT', swap: true, linear: true, contract: true, contractSize: 1, active: true });
    expect(market.precision).toMatchObject({ amount: Number(formatFixed(instrument.stepSize)), price: Number(formatFixed(instrument.tickSize)) });
    expect(market.limits.amount).toMatchObject({ min: Number(formatFixed(instrument.minQty)), max: Number(formatFixed(instrument.maxQty)) });
    expect(market.limits.market?.max).toBe(Number(formatFixed(instrument.maxMarketQty!)));
    expect(market.limits.cost?.min).toBe(Number(formatFixed(instrument.minNotional)));
    expect(market.limits.price).toMatchObject({ min: Number(formatFixed(instrument.minPrice!)), max: Number(formatFixed(instrument.maxPrice!)) });
    // Only the perpetual: the spot side of the service has no instrument here.
    expect(Object.keys(markets)).toEqual([SYMBOL]);
  });

  it('sets the leverage, then buys at market exactly as the native API does on a twin fed the same market', async () => {
    expect(await usdm.setLeverage(10, SYMBOL)).toMatchObject({ leverage: 10, symbol: 'BTCUSDT' });
    const asks = service.engine.kernel.depth('BTCUSDT', 50)!.asks;
    expect(twin.engine.kernel.depth('BTCUSDT', 50)!.asks).toEqual(asks);
    // The first two levels and one step of the third: the order walks three levels.
    const quantity = parseFixed(asks[0]![1]) + parseFixed(asks[1]![1]) + service.engine.kernel.instrument('BTCUSDT')!.stepSize;
    const amount = formatFixed(quantity);
    const expected = walk(asks, quantity);
    expect(expected.fills).toHaveLength(3);

    const events: KernelEvent[] = [];
    const stop = service.deps.hub.subscribe((batch) => events.push(...batch.filter((e) => 'account' in e && e.account === account.id)));
    const order = await usdm.createOrder(SYMBOL, 'market', 'buy', Number(amount));
    stop();
    const fills = events.filter((e): e is FillEvent => e.type === 'FILL');
    expect(infoOf(order)).toMatchObject({ status: 'FILLED', type: 'MARKET', positionSide: 'BOTH', executedQty: amount, reduceOnly: false });
    expect(fixed(infoOf(order).cumQuote)).toBe(expected.cost);
    expect(fills.map((f) => ({ price: f.price, qty: f.quantity }))).toEqual(expected.fills);
    // 0.05 % taker fee in USDT, rounded up to 8 decimals once over the order.
    const feeExact = (expected.cost * 5n) / 10_000n;
    const fee = feeExact % 10n ** 10n === 0n ? feeExact : feeExact - (feeExact % 10n ** 10n) + 10n ** 10n;
    expect(fills.reduce((s, f) => s + fixed(f.fee), 0n)).toBe(fee);
    boughtCost = expected.cost;
    bought = quantity;

    const twinAccount = await openFutures(twin.app);
    const twinHeaders = { authorization: `Bearer ${twinAccount.apiKey}` };
    await twin.app.inject({ method: 'POST', url: '/api/account/leverage', headers: twinHeaders, payload: { symbol: 'BTCUSDT', leverage: 10 } });
    const twinEvents: KernelEvent[] = [];
    const stopTwin = twin.deps.hub.subscribe((batch) => twinEvents.push(...batch.filter((e) => 'account' in e && e.account === twinAccount.id)));
    const placed = await twin.app.inject({ method: 'POST', url: '/api/orders', headers: twinHeaders, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: amount } });
    stopTwin();
    expect(placed.json()).toMatchObject({ status: 'FILLED', executedQty: amount, cumulativeQuoteQty: infoOf(order).cumQuote });
    // The same events, field for field, but for the names of the account, order and position.
    const same = (e: KernelEvent) => JSON.stringify(e, (key, value: unknown) => (['account', 'orderId', 'clientOrderId', 'positionId'].includes(key) ? undefined : value));
    expect(twinEvents.map(same)).toEqual(events.map(same));
    expect(events.map((e) => e.type)).toContain('POSITION_OPENED');
  });

  it('reads the same order book as the native depth route, and sends the weight header', async () => {
    const book = await usdm.fetchOrderBook(SYMBOL, 10);
    const depth = await native('/api/market/depth/BTCUSDT?limit=10');
    const asNumbers = (levels: [string, string][]) => levels.map(([p, q]) => [Number(p), Number(q)]);
    expect(book.bids).toEqual(asNumbers(depth.bids));
    expect(book.asks).toEqual(asNumbers(depth.asks));
    expect(book.nonce).toBe(service.engine.kernel.bookStatus('BTCUSDT')!.updateId);
    const first = await fetch(`${base}/binance/fapi/v1/depth?symbol=BTCUSDT&limit=10`);
    const second = await fetch(`${base}/binance/fapi/v1/depth?symbol=BTCUSDT&limit=1000`);
    // USD-M weighs depth 10 at 2 and 1000 at 20.
    expect(Number(second.headers.get('x-mbx-used-weight-1m')) - Number(first.headers.get('x-mbx-used-weight-1m'))).toBe(20);
  });

  it('reads the public trades, the ticker and 1-minute candles that match the recording', async () => {
    const trades = service.recording.inputs.filter((i) => i.kind === 'trade' && i.time >= START && i.time <= FED_UNTIL);
    const fetched = await usdm.fetchTrades(SYMBOL, undefined, 20);
    expect(fetched).toHaveLength(20);
    trades.slice(-20).forEach((want, i) => {
      if (want.kind !== 'trade') throw new Error('not a trade');
      expect(fetched[i]).toMatchObject({ price: Number(want.price), amount: Number(want.quantity), timestamp: want.time, side: want.buyerMaker ? 'sell' : 'buy' });
    });
    const ticker = await usdm.fetchTicker(SYMBOL);
    const last = trades.at(-1)!;
    if (last.kind !== 'trade') throw new Error('not a trade');
    expect(ticker.last).toBe(Number(last.price));
    // The rolling window's bounds, not the time of the first trade kept in it: closes now, opens at the
    // start of the minute 24 hours before (USD-M's example: closeTime 1591268346682, openTime 1591181940000).
    const info = ticker.info as { openTime: string | number; closeTime: string | number };
    const now = service.engine.kernel.now;
    expect(Number(info.closeTime)).toBe(now);
    expect(Number(info.openTime)).toBe(Math.floor((now - 86_400_000) / 60_000) * 60_000);

    const csv = readMaybeGzipped(USDM_RECORDING, 'candles_1m_derived_from_trades.csv').trim().split('\n').slice(1).map((l) => l.split(','));
    const candles = await usdm.fetchOHLCV(SYMBOL, '1m', START, 2);
    expect(candles).toHaveLength(2);
    candles.forEach((c, i) => {
      const row = csv.find((r) => Number(r[0]) === START + i * 60_000)!;
      expect(c[0]).toBe(Number(row[0]));
      expect(c.slice(1, 6)).toEqual(row.slice(1, 6).map(Number));
    });
  });

  it('reads the mark price and funding schedule from premiumIndex', async () => {
    const rate = await usdm.fetchFundingRate(SYMBOL);
    expect(rate.markPrice).toBe(Number(formatFixed(mark())));
    // Funding every 8 hours from 00:00 UTC: the next one after 23:57 is midnight.
    expect(rate.fundingTimestamp).toBe(Date.UTC(2024, 7, 9));
    expect(await usdm.fetchFundingRateHistory(SYMBOL)).toEqual([]);
  });

  it('shows the long position with the margin, entry and PnL of its fills, as the native API does', async () => {
    const [position] = await usdm.fetchPositions([SYMBOL]);
    const entry = (boughtCost * 10n ** 18n) / bought;
    expect(position).toMatchObject({ symbol: SYMBOL, side: 'long', contracts: Number(formatFixed(bought)), marginMode: 'isolated', hedged: false });
    const info = infoOf(position!);
    // USD-M prints a computed price at 8 decimals, rounded half-up (Position Information V2's example:
    // "liquidationPrice": "19731.45529116"); the native API keeps the engine's 18.
    const at8 = (scaled: bigint) => ((scaled + 5n * 10n ** 9n) / 10n ** 10n) * 10n ** 10n;
    expect(fixed(info.entryPrice)).toBe(((boughtCost * 10n ** 8n * 2n + bought) / (2n * bought)) * 10n ** 10n);
    expect(fixed(info.unRealizedProfit)).toBe(mul(mark() - entry, bought, 'half-up'));
    // Isolated at 10×: the position holds a tenth of its cost.
    expect(fixed(info.positionInitialMargin)).toBe(boughtCost / 10n);
    const nativePosition = (await native('/api/account/positions')).items[0];
    expect(fixed(info.liquidationPrice)).toBe(at8(fixed(nativePosition.liquidationPrice)));
    expect(fixed(info.entryPrice)).toBe(at8(fixed(nativePosition.entryPrice)));
  });

  it('fetches the balance: wallet = deposit − fees, the position margin in use', async () => {
    const trades = await usdm.fetchMyTrades(SYMBOL);
    const fees = trades.reduce((s, t) => s + fixed(infoOf(t).commission), 0n);
    const balance = await usdm.fetchBalance();
    const info = balance.info as Record<string, string>;
    expect(fixed(info.totalWalletBalance)).toBe(parseFixed(DEPOSIT) - fees);
    expect(fixed(info.totalPositionInitialMargin)).toBe(boughtCost / 10n);
    expect(balance.USDT).toMatchObject({ used: Number(formatFixed(boughtCost / 10n)) });
    const balances = (await native('/api/account/balances')).balances;
    expect(fixed(balances.USDT.free)).toBe(fixed(info.availableBalance));
  });

  it('charges a funding payment on the position, and lists it in fundingRate and premiumIndex', async () => {
    const before = (await usdm.fetchBalance()).info as Record<string, string>;
    const at = service.engine.kernel.now;
    await service.deps.hub.submit({ kind: 'funding', time: at, symbol: 'BTCUSDT', rate: '0.0001' });
    // A long pays |size| × mark × rate, rounded half-up to 8 decimals.
    const paid = mul(mul(bought, mark(), 'half-up'), parseFixed('0.0001'), 'half-up');
    const rounded = ((paid + 5n * 10n ** 9n) / 10n ** 10n) * 10n ** 10n;
    const after = (await usdm.fetchBalance()).info as Record<string, string>;
    expect(fixed(before.totalWalletBalance) - fixed(after.totalWalletBalance)).toBe(rounded);
    const history = await usdm.fetchFundingRateHistory(SYMBOL);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ symbol: SYMBOL, fundingRate: 0.0001, timestamp: at });
    expect(infoOf(history[0]!).markPrice).toBe(formatFixed(mark()));
    expect((await usdm.fetchFundingRate(SYMBOL)).fundingRate).toBe(0.0001);
    // ccxt's fetchFundingHistory reads GET /fapi/v1/income?incomeType=FUNDING_FEE: the payment, negative (paid).
    const payments = await usdm.fetchFundingHistory(SYMBOL);
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ symbol: SYMBOL, code: 'USDT', timestamp: at, amount: -Number(formatFixed(rounded)) });
    expect(infoOf(payments[0]!)).toMatchObject({ incomeType: 'FUNDING_FEE', income: `-${formatFixed(rounded, 8)}`, tradeId: '' });
  });

  let resting: string;
  let postOnly: string;
  let stops: string[] = [];

  it('rests a limit and a post-only order, and the five conditional types on the Algo Service (the stop market on the mark price)', async () => {
    const bid = Number(top().bids[0]![0]);
    const ask = Number(top().asks[0]![0]);
    resting = (await usdm.createOrder(SYMBOL, 'limit', 'buy', 0.01, bid - 500, { clientOrderId: 'usdm-limit-1' })).id!;
    postOnly = (await usdm.createOrder(SYMBOL, 'limit', 'buy', 0.005, bid - 300, { postOnly: true })).id!;
    expect(await usdm.fetchOrder(resting, SYMBOL)).toMatchObject({ status: 'open', type: 'limit', timeInForce: 'GTC', price: bid - 500, amount: 0.01, filled: 0, clientOrderId: 'usdm-limit-1' });
    expect(await usdm.fetchOrder(postOnly, SYMBOL)).toMatchObject({ status: 'open', postOnly: true, timeInForce: 'PO' });

    const stopMarket = await usdm.createOrder(SYMBOL, 'market', 'sell', 0.5, undefined, { stopLossPrice: bid - 1000, reduceOnly: true, workingType: 'MARK_PRICE' });
    const stopLimit = await usdm.createOrder(SYMBOL, 'limit', 'sell', 0.5, bid - 1100, { stopLossPrice: bid - 1000, reduceOnly: true });
    const takeMarket = await usdm.createOrder(SYMBOL, 'market', 'sell', 0.5, undefined, { takeProfitPrice: ask + 1000, reduceOnly: true });
    const takeLimit = await usdm.createOrder(SYMBOL, 'limit', 'sell', 0.5, ask + 1100, { takeProfitPrice: ask + 1000, reduceOnly: true });
    const trailing = await usdm.createOrder(SYMBOL, 'market', 'sell', 0.5, undefined, { trailingPercent: 1.5, reduceOnly: true });
    stops = [stopMarket.id!, stopLimit.id!, takeMarket.id!, takeLimit.id!, trailing.id!];
    const fetched = await Promise.all(stops.map((id) => usdm.fetchOrder(id, SYMBOL, { trigger: true })));
    expect(fetched.map((o) => infoOf(o).orderType)).toEqual(['STOP_MARKET', 'STOP', 'TAKE_PROFIT_MARKET', 'TAKE_PROFIT', 'TRAILING_STOP_MARKET']);
    expect(fetched.map((o) => o.status)).toEqual(['open', 'open', 'open', 'open', 'open']);
    expect(fetched.map((o) => o.triggerPrice)).toEqual([bid - 1000, bid - 1000, ask + 1000, ask + 1000, undefined]);
    expect(fetched.every((o) => o.reduceOnly === true)).toBe(true);
    // workingType as sent (Binance's default CONTRACT_PRICE where unsent), and the order papertrade holds watches the mark.
    expect(fetched.map((o) => infoOf(o).workingType)).toEqual(['MARK_PRICE', 'CONTRACT_PRICE', 'CONTRACT_PRICE', 'CONTRACT_PRICE', 'CONTRACT_PRICE']);
    expect(infoOf(stopMarket).workingType).toBe('MARK_PRICE');
    expect(service.engine.kernel.order(stopMarket.id!)!.triggerSource).toBe('mark');
    // 1.5 % on USD-M is callbackRate 1.5; papertrade's callback rate 0.015, and the order is the native API's too.
    expect(infoOf(fetched[4]!).callbackRate).toBe('1.5');
    expect(service.engine.kernel.order(trailing.id!)!.callbackRate).toBe(parseFixed('0.015'));
    expect(await native(`/api/orders/${stopMarket.id}`)).toMatchObject({ orderId: stopMarket.id, type: 'STOP_LOSS', status: 'NEW', triggerSource: 'mark' });
    // Waiting conditional orders are the Algo Service's: the order lists do not hold them yet.
    expect((await usdm.fetchOpenOrders(SYMBOL)).map((o) => o.id).sort()).toEqual([resting, postOnly].sort());
    expect((await usdm.fetchOpenOrders(SYMBOL, undefined, undefined, { trigger: true })).map((o) => o.id).sort()).toEqual([...stops].sort());
  });

  it('fills IOC orders that can fill and refuses a FOK order that cannot (-5021)', async () => {
    const asks = service.engine.kernel.depth('BTCUSDT', 5)!.asks;
    const ioc = await usdm.createOrder(SYMBOL, 'limit', 'buy', 0.01, Number(asks[4]![0]), { timeInForce: 'IOC' });
    expect(ioc).toMatchObject({ status: 'closed', filled: 0.01, timeInForce: 'IOC' });
    const visible = asks.slice(0, 2).reduce((s, [, q]) => s + parseFixed(q), 0n) + parseFixed('1');
    await expect(usdm.createOrder(SYMBOL, 'limit', 'buy', Number(formatFixed(visible)), Number(asks[1]![0]), { timeInForce: 'FOK' })).rejects.toThrow(/-5021/);
  });

  it('lists all orders and the fills, with the realized PnL of a reduce-only sell', async () => {
    const entryBefore: string = (await native('/api/account/positions')).items[0].entryPrice;
    const sell = await usdm.createOrder(SYMBOL, 'market', 'sell', 0.1, undefined, { reduceOnly: true });
    expect(sell).toMatchObject({ status: 'closed', reduceOnly: true });
    const trades = await usdm.fetchMyTrades(SYMBOL, undefined, undefined, { orderId: sell.id });
    const entry = entryBefore;
    // A long's close realizes (fill price − entry) × quantity on each fill.
    expect(trades.length).toBeGreaterThan(0);
    for (const t of trades) expect(fixed(infoOf(t).realizedPnl)).toBe(mul(fixed(infoOf(t).price) - fixed(entry), fixed(infoOf(t).qty), 'half-up'));
    const all = await usdm.fetchOrders(SYMBOL);
    const statuses = all.map((o) => infoOf(o).status);
    expect(statuses.filter((s) => s === 'FILLED')).toHaveLength(3); // the market buy, the IOC, the reduce-only sell
    expect(statuses.filter((s) => s === 'NEW')).toHaveLength(2);
    expect(statuses.filter((s) => s === 'EXPIRED')).toHaveLength(1); // the FOK
  });

  it('cancels one order and one conditional order, then all of each kind', async () => {
    expect(await usdm.cancelOrder(resting, SYMBOL)).toMatchObject({ id: resting, status: 'canceled' });
    expect((await native(`/api/orders/${resting}`)).status).toBe('CANCELED');
    await expect(usdm.cancelOrder(resting, SYMBOL)).rejects.toThrow(ccxt.OrderNotFound); // -2011
    await expect(usdm.fetchOrder('999999', SYMBOL)).rejects.toThrow(ccxt.OrderNotFound); // -2013
    await usdm.cancelOrder(stops[0]!, SYMBOL, { trigger: true });
    expect((await native(`/api/orders/${stops[0]}`)).status).toBe('CANCELED');
    await usdm.cancelAllOrders(SYMBOL);
    await usdm.cancelAllOrders(SYMBOL, { trigger: true });
    expect(await native('/api/orders/open')).toEqual({ items: [] });
  });

  it('maps refusals to the codes of Binance USD-M, and ccxt to its errors', async () => {
    // Unaffordable: 100 BTC at 10× needs about 620,000 USDT of margin.
    await expect(usdm.createOrder(SYMBOL, 'market', 'buy', 100)).rejects.toThrow(ccxt.InsufficientFunds);
    expect(await fetchSigned('POST', '/binance/fapi/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '100' })).toEqual({ status: 400, body: { code: -2019, msg: 'Account has insufficient balance for requested action.' } });
    // Too small: 0.001 BTC is about 62 USDT, below the 100 USDT minimum notional.
    const tooSmall = await fetchSigned('POST', '/binance/fapi/v1/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001' });
    expect(tooSmall).toEqual({ status: 400, body: { code: -4164, msg: "Order's notional must be no smaller than 100 (unless you choose reduce only)." } });
    // ccxt keys USD-M's own codes by Binance's host names: for Binance's answer it raises InvalidOrder.
    expect(() => usdm.handleErrors(400, '', 'https://fapi.binance.com/fapi/v1/order', 'POST', {}, JSON.stringify(tooSmall.body), tooSmall.body, {}, '')).toThrow(ccxt.InvalidOrder);
    await expect(usdm.createOrder(SYMBOL, 'market', 'buy', 0.001)).rejects.toThrow(/-4164/);
    await expect(usdm.createOrder(SYMBOL, 'limit', 'buy', 0.01, Number(top().asks[0]![0]) + 100, { postOnly: true })).rejects.toThrow(ccxt.InvalidOrder); // -5022
    await expect(usdm.createOrder(SYMBOL, 'market', 'buy', 0.01, undefined, { positionSide: 'LONG' })).rejects.toThrow(/-4061/);
    // The account's margin type: asked again, "no need to change" (ccxt's MarginModeAlreadySet, as on Binance); the other one refused.
    await expect(usdm.setMarginMode('isolated', SYMBOL)).rejects.toThrow(ccxt.MarginModeAlreadySet);
    await expect(usdm.setMarginMode('cross', SYMBOL)).rejects.toThrow(/-4048/);
    expect(await fetchSigned('POST', '/binance/fapi/v1/leverage', { symbol: 'BTCUSDT', leverage: '126' })).toEqual({ status: 400, body: { code: -4028, msg: 'Leverage 126 is not valid' } });
    const wrongSecret = usdmClient(base, account.apiKey, 'f'.repeat(64));
    await expect(wrongSecret.fetchBalance()).rejects.toThrow(ccxt.AuthenticationError);
    const spot = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'spot', balances: { USDT: '1000' } } })).json();
    await expect(usdmClient(base, spot.apiKey, spot.apiSecret).fetchBalance()).rejects.toThrow(ccxt.AuthenticationError);
    usdm.options.timeDifference = 70_000;
    try {
      await expect(usdm.fetchBalance()).rejects.toThrow(ccxt.InvalidNonce);
    } finally {
      usdm.options.timeDifference = 0;
    }
  });

  /** A signed request by hand, as Binance's docs show it: HMAC-SHA256 of the query string. */
  async function fetchSigned(method: string, path: string, params: Record<string, string>): Promise<{ status: number; body: unknown }> {
    const { createHmac } = await import('node:crypto');
    const query = new URLSearchParams({ ...params, timestamp: String(Date.now()) }).toString();
    const signature = createHmac('sha256', account.apiSecret).update(query).digest('hex');
    const response = await fetch(`${base}${path}?${query}&signature=${signature}`, { method, headers: { 'X-MBX-APIKEY': account.apiKey } });
    return { status: response.status, body: await response.json() };
  }
});
