/**
 * ccxt's own `mexc` class, unmodified (only its API URLs pointed here), trades perpetual swaps on
 * papertrade's MEXC contract API over real HTTP, against a real engine fed with the bundled Binance
 * USD-M recording. Expected values come from the recording, MEXC's contract size (0.0001 BTC per
 * BTC_USDT contract), the instrument's published rules and hand arithmetic over the fills; and a
 * market order through this API fills exactly as the same order through the native API of a twin
 * service fed the same market.
 */
import ccxt, { type Exchange } from 'ccxt';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FillEvent, KernelEvent } from '../../core/kernel/events.js';
import { formatFixed, parseFixed } from '../../core/money/fixed.js';
import { readMaybeGzipped } from '../../market-data/recording-reader.js';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerMexcApi } from '../mexc/mexc-api.js';
import { buildServer } from '../server.js';
import { registerMexcContractApi } from './mexc-contract-api.js';
import { until } from '../../test-kit/wait.js';
import { mexcClient } from '../../test-kit/exchange-clients.js';

const START = 1723161300000; // 2024-08-08T23:55:00Z
const FED_UNTIL = START + 150_000;
const SYMBOL = 'BTC/USDT:USDT';
const CONTRACT = parseFixed('0.0001'); // MEXC's BTC_USDT contract size
const E18 = 10n ** 18n;

/** Contracts (a ccxt number) → base quantity, exact. */
const baseOf = (contracts: number) => (parseFixed(String(contracts)) * CONTRACT) / E18;
const fixed = (v: unknown) => parseFixed(String(v));
type Info = Record<string, unknown>;
const infoOf = (o: { info: unknown }) => o.info as Info;

describe("ccxt's mexc class trades swaps on papertrade's MEXC contract API", () => {
  let service: TestService;
  let twin: TestService;
  let twinAccount: { id: string; apiKey: string };
  let app: FastifyInstance;
  let base: string;
  let account: { id: string; apiKey: string; apiSecret: string };
  let mexc: Exchange;
  const native = async (url: string) => (await app.inject({ url, headers: { authorization: `Bearer ${account.apiKey}` } })).json();
  const top = () => service.engine.kernel.depth('BTCUSDT', 1)!;

  beforeAll(async () => {
    [service, twin] = await Promise.all([startTestService({ recording: USDM_RECORDING, until: START - 1 }), startTestService({ recording: USDM_RECORDING, until: START - 1 })]);
    app = await buildServer(service.deps, { plugins: [registerMexcContractApi, registerMexcApi] });
    await service.feedUntil(FED_UNTIL);
    await twin.feedUntil(FED_UNTIL);
    twinAccount = (await twin.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'swap', type: 'futures', marginMode: 'cross', balances: { USDT: '10000' } } })).json();
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    const created = await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'swap', type: 'futures', marginMode: 'cross', balances: { USDT: '10000' } } });
    account = created.json();
    mexc = mexcClient(base, account.apiKey, account.apiSecret);
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
    await twin?.close();
  });

  it('loads BTC_USDT as a linear swap in MEXC contracts, with the instrument rules in contracts', async () => {
    const markets = await mexc.loadMarkets();
    const market = markets[SYMBOL]!;
    expect(market).toMatchObject({ id: 'BTC_USDT', base: 'BTC', quote: 'USDT', settle: 'USDT', swap: true, linear: true, active: true, contractSize: 0.0001, maker: 0.0002, taker: 0.0005 });
    // USD-M BTCUSDT: tick 0.1, step and minimum 0.001 BTC (10 contracts), at most 1000 BTC, 125x.
    expect(market.precision).toMatchObject({ price: 0.1, amount: 10 });
    expect(market.limits.amount).toMatchObject({ min: 10, max: 10_000_000 });
    expect(market.limits.leverage).toMatchObject({ min: 1, max: 125 });
    expect(Object.values(markets).filter((m) => m?.swap).map((m) => m!.symbol)).toEqual([SYMBOL]);
  });

  it('reads the server time from the contract ping', async () => {
    expect(Math.abs((await mexc.fetchTime({ type: 'swap' }))! - Date.now())).toBeLessThan(5_000);
  });

  it('reads the same order book as the native depth route, in contracts', async () => {
    const book = await mexc.fetchOrderBook(SYMBOL, 10);
    const depth = await native('/api/market/depth/BTCUSDT?limit=10');
    const asBase = (levels: number[][]) => levels.map(([p, a]) => [fixed(p), baseOf(a!)]);
    const expected = (levels: [string, string][]) => levels.map(([p, q]) => [parseFixed(p), parseFixed(q)]);
    expect(asBase(book.bids as number[][])).toEqual(expected(depth.bids));
    expect(asBase(book.asks as number[][])).toEqual(expected(depth.asks));
    expect(book.bids).toHaveLength(10);
    expect(book.nonce).toBe(service.engine.kernel.bookStatus('BTCUSDT')!.updateId);
  });

  it('reads the public trades and the ticker from the replayed tape', async () => {
    const trades = service.recording.inputs.filter((i) => i.kind === 'trade' && i.time >= START && i.time <= FED_UNTIL);
    const fetched = await mexc.fetchTrades(SYMBOL, undefined, 20);
    expect(fetched).toHaveLength(20);
    const tail = trades.slice(-20);
    // The last 20 trades (ccxt orders trades of one millisecond as it pleases: compare them as a set).
    const canonical = (rows: [bigint, bigint, number, string][]) => rows.map((r) => r.join(' ')).sort();
    expect(canonical(fetched.map((t) => [fixed(t.price), baseOf(t.amount!), t.timestamp!, t.side!]))).toEqual(
      canonical(tail.map((want) => (want.kind === 'trade' ? [parseFixed(want.price), parseFixed(want.quantity), want.time, want.buyerMaker ? 'sell' : 'buy'] : [0n, 0n, 0, '']))),
    );
    const ticker = await mexc.fetchTicker(SYMBOL);
    const last = tail.at(-1)!;
    if (last.kind !== 'trade') throw new Error('not a trade');
    expect(ticker.last).toBe(Number(last.price));
    expect(ticker.bid).toBe(Number(top().bids[0]![0]));
    expect(ticker.ask).toBe(Number(top().asks[0]![0]));
    const volume = trades.reduce((sum, t) => sum + (t.kind === 'trade' ? parseFixed(t.quantity) : 0n), 0n);
    expect(baseOf(ticker.baseVolume!)).toBe(volume);
  });

  it('reads 1-minute candles that match the candles derived from the recording, volume in contracts', async () => {
    const csv = readMaybeGzipped(USDM_RECORDING, 'candles_1m_derived_from_trades.csv').trim().split('\n').slice(1).map((l) => l.split(','));
    const candles = await mexc.fetchOHLCV(SYMBOL, '1m', START, 2);
    expect(candles).toHaveLength(2);
    candles.forEach((c, i) => {
      const row = csv.find((r) => Number(r[0]) === START + i * 60_000)!;
      expect(c[0]).toBe(Number(row[0]));
      expect(c.slice(1, 5).map(fixed)).toEqual(row.slice(1, 5).map(parseFixed));
      expect(baseOf(c[5]!)).toBe(parseFixed(row[5]!));
    });
  });

  it('reads the funding rate and the next funding time (none configured: 0, at the next 8-hour mark)', async () => {
    const funding = await mexc.fetchFundingRate(SYMBOL);
    expect(funding).toMatchObject({ symbol: SYMBOL, fundingRate: 0, fundingTimestamp: Date.UTC(2024, 7, 9, 0), interval: '8h' });
  });

  it('fetches the balance the account was opened with', async () => {
    const balance = await mexc.fetchBalance({ type: 'swap' });
    expect(balance.USDT).toMatchObject({ free: 10000, used: 0, total: 10000 });
  });

  it('sets and reads the leverage, which the native API then shows', async () => {
    await mexc.setLeverage(20, SYMBOL, { openType: 2, positionType: 1 });
    expect(await mexc.fetchLeverage(SYMBOL)).toMatchObject({ marginMode: 'cross', longLeverage: 20, shortLeverage: 20 });
    expect((await native('/api/account/leverage')).items).toEqual([expect.objectContaining({ symbol: 'BTCUSDT', leverage: 20 })]);
    await expect(mexc.setLeverage(500, SYMBOL, { openType: 2, positionType: 1 })).rejects.toThrow(/2006/);
  });

  let opened: string;

  it('opens a long at market exactly as the same order on the native API of a twin service fed the same market', async () => {
    // The book both services hold; the order walks it from the best ask (hand walk below).
    const asks = service.engine.kernel.depth('BTCUSDT', 50)!.asks;
    expect(twin.engine.kernel.depth('BTCUSDT', 50)!.asks).toEqual(asks);
    const walked: { price: string; qty: string }[] = [];
    let left = parseFixed('0.002');
    for (const [price, size] of asks) {
      if (left === 0n) break;
      const take = parseFixed(size) < left ? parseFixed(size) : left;
      walked.push({ price, qty: formatFixed(take) });
      left -= take;
    }

    const events: KernelEvent[] = [];
    const stop = service.deps.hub.subscribe((batch) => events.push(...batch.filter((e) => 'account' in e && e.account === account.id)));
    const order = await mexc.createOrder(SYMBOL, 'market', 'buy', 20, undefined, { clientOrderId: 'ccxt-swap-1' });
    stop();
    opened = order.id!;
    expect(events.filter((e): e is FillEvent => e.type === 'FILL').map((f) => ({ price: f.price, qty: f.quantity }))).toEqual(walked);

    const headers = { authorization: `Bearer ${twinAccount.apiKey}` };
    await twin.app.inject({ method: 'POST', url: '/api/account/leverage', headers, payload: { symbol: 'BTCUSDT', leverage: 20 } });
    const twinEvents: KernelEvent[] = [];
    const stopTwin = twin.deps.hub.subscribe((batch) => twinEvents.push(...batch.filter((e) => 'account' in e && e.account === twinAccount.id)));
    await twin.app.inject({ method: 'POST', url: '/api/orders', headers, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.002', clientOrderId: 'ccxt-swap-1' } });
    stopTwin();
    // The same events, field for field, but for the names of the account, order and position.
    const same = (e: KernelEvent) => JSON.stringify(e, (key, value: unknown) => (['account', 'orderId', 'positionId'].includes(key) ? undefined : value));
    expect(twinEvents.map(same)).toEqual(events.map(same));
    expect(events.map((e) => e.type)).toContain('POSITION_OPENED');
  });

  it('shows the long in contracts: the order, its deals, the position and the wallet agree with the fills', async () => {
    expect(opened).toMatch(/^\d+$/);
    const filled = await mexc.fetchOrder(opened, SYMBOL);
    expect(filled).toMatchObject({ id: opened, status: 'closed', amount: 20, filled: 20 });
    expect(infoOf(filled)).toMatchObject({ symbol: 'BTC_USDT', side: 1, orderType: 5, state: 3, externalOid: 'ccxt-swap-1', leverage: 20, openType: 2 });

    const deals = (await mexc.fetchMyTrades(SYMBOL)).filter((t) => t.order === opened);
    expect(deals.reduce((s, t) => s + baseOf(t.amount!), 0n)).toBe(parseFixed('0.002'));
    expect(deals.every((t) => t.takerOrMaker === 'taker' && infoOf(t).side === 1 && t.fee?.currency === 'USDT')).toBe(true);
    const notional = deals.reduce((s, t) => s + (fixed(t.price) * baseOf(t.amount!)) / E18, 0n);
    const fees = deals.reduce((s, t) => s + fixed(t.fee!.cost), 0n);
    // Taker 0.05 % of each fill's notional, rounded up to 8 decimals per fill.
    expect(fees - (notional * 5n) / 10_000n).toBeGreaterThanOrEqual(0n);
    expect(fees - (notional * 5n) / 10_000n).toBeLessThanOrEqual(BigInt(deals.length) * 10n ** 10n);
    expect(fixed(infoOf(filled).takerFee)).toBe(fees);

    const [position] = await mexc.fetchPositions([SYMBOL]);
    expect(position).toMatchObject({ symbol: SYMBOL, side: 'long', contracts: 20, leverage: 20 });
    expect(fixed(position!.entryPrice)).toBe((notional * E18) / parseFixed('0.002'));
    expect((await native('/api/account/positions')).items).toEqual([expect.objectContaining({ symbol: 'BTCUSDT', direction: 'LONG', totalSize: '0.002', leverage: 20 })]);

    // Wallet = deposit − fees, wherever the money now sits; the margin is the notional / 20.
    const assets = infoOf(await mexc.fetchBalance({ type: 'swap' })).data as Info[];
    const usdt = assets[0]!;
    expect(fixed(usdt.cashBalance) + fixed(usdt.positionMargin) + fixed(usdt.frozenBalance)).toBe(parseFixed('10000') - fees);
    expect(fixed(usdt.positionMargin) - notional / 20n).toBeLessThanOrEqual(BigInt(deals.length) * 10n ** 10n);
  });

  let resting: string;
  let restingMaker: string;

  it('rests a limit and a post-only buy below the market; a post-only that would take is refused (2007, an ExchangeError to ccxt)', async () => {
    const bid = Number(top().bids[0]![0]);
    const limit = await mexc.createOrder(SYMBOL, 'limit', 'buy', 20, bid - 1000, { clientOrderId: 'ccxt-swap-limit' });
    resting = limit.id!;
    const maker = await mexc.createOrder(SYMBOL, 'limit', 'buy', 30, bid - 500, { postOnly: true });
    restingMaker = maker.id!;
    expect(await mexc.fetchOrder(resting, SYMBOL)).toMatchObject({ status: 'open', price: bid - 1000, amount: 20, filled: 0 });
    expect(infoOf(await mexc.fetchOrder(restingMaker, SYMBOL))).toMatchObject({ orderType: 2, state: 2, vol: 30 });
    expect(await native(`/api/orders/${resting}`)).toMatchObject({ orderId: resting, clientOrderId: 'ccxt-swap-limit', status: 'NEW', quantity: '0.002', type: 'LIMIT', mode: 'paper' });
    // What the two orders reserve is the account's frozen balance, at least their notional / 20.
    const open = await mexc.fetchOpenOrders(SYMBOL);
    const reserved = open.reduce((s, o) => s + fixed(infoOf(o).orderMargin), 0n);
    const assets = infoOf(await mexc.fetchBalance({ type: 'swap' })).data as Info[];
    expect(fixed(assets[0]!.frozenBalance)).toBe(reserved);
    expect(reserved).toBeGreaterThanOrEqual((fixed(bid - 1000) * parseFixed('0.002') + fixed(bid - 500) * parseFixed('0.003')) / E18 / 20n);
    const ask = Number(top().asks[0]![0]);
    // 20 contracts (0.002 BTC, about 124 USDT): over the 100 USDT minimum, so the refusal is the post-only's own.
    await expect(mexc.createOrder(SYMBOL, 'limit', 'buy', 20, ask + 1, { postOnly: true })).rejects.toThrow(/"code":2007,"message":"Order price error \(a post-only order would immediately match and take\)"/);
  });

  it('cancels an IOC order that cannot fill and fills a FOK order that can (MEXC types 3 and 4)', async () => {
    const ask = Number(top().asks[0]![0]);
    const ioc = await mexc.createOrder(SYMBOL, 3 as unknown as string, 'buy', 20, ask - 1000);
    expect(infoOf(await mexc.fetchOrder(ioc.id!, SYMBOL))).toMatchObject({ orderType: 3, state: 4, dealVol: 0 });
    const [bid, bidQty] = top().bids[0]!;
    expect(parseFixed(bidQty)).toBeGreaterThanOrEqual(parseFixed('0.001'));
    const fok = await mexc.createOrder(SYMBOL, 4 as unknown as string, 'sell', 10, Number(bid), { reduceOnly: true });
    expect(infoOf(await mexc.fetchOrder(fok.id!, SYMBOL))).toMatchObject({ orderType: 4, state: 3, dealVol: 10, side: 4 });
  });

  it('lists the open orders and the history, newest first', async () => {
    expect((await mexc.fetchOpenOrders(SYMBOL)).map((o) => o.id).sort()).toEqual([resting, restingMaker].sort());
    const history = await mexc.fetchOrders(SYMBOL);
    expect(history.map((o) => infoOf(o).state)).toEqual([3, 4, 2, 2, 3]);
    expect(history.at(-1)!.id).toBe(opened);
  });

  it('cancels one order, refuses a second cancel, then cancels the rest', async () => {
    await mexc.cancelOrder(resting, SYMBOL);
    expect(await mexc.fetchOrder(resting, SYMBOL)).toMatchObject({ status: 'canceled' });
    expect((await native(`/api/orders/${resting}`)).status).toBe('CANCELED');
    await expect(mexc.cancelOrder(resting, SYMBOL)).rejects.toThrow(ccxt.InvalidOrder);
    await expect(mexc.fetchOrder('999999', SYMBOL)).rejects.toThrow(/"code":2040,"message":"order not exist"/);
    await mexc.cancelAllOrders(SYMBOL);
    expect(await mexc.fetchOpenOrders(SYMBOL)).toEqual([]);
    expect(infoOf(await mexc.fetchOrder(restingMaker, SYMBOL)).state).toBe(4);
    const balance = await mexc.fetchBalance({ type: 'swap' });
    expect(balance.USDT!.used).toBe(0);
  });

  it('closes the long reduce-only; the closed position shows the realized PnL of its fills', async () => {
    const close = await mexc.createOrder(SYMBOL, 'market', 'sell', 10, undefined, { reduceOnly: true });
    expect(infoOf(await mexc.fetchOrder(close.id!, SYMBOL))).toMatchObject({ side: 4, state: 3 });
    expect(await mexc.fetchPositions([SYMBOL])).toEqual([]);
    const deals = await mexc.fetchMyTrades(SYMBOL);
    const realised = deals.reduce((s, t) => s + fixed(infoOf(t).profit) - fixed(t.fee!.cost), 0n);
    // Hand PnL of the closing fills against the entry price of the opening ones.
    const opening = deals.filter((t) => infoOf(t).side === 1);
    const closing = deals.filter((t) => infoOf(t).side === 4);
    const entry = (opening.reduce((s, t) => s + fixed(t.price) * baseOf(t.amount!), 0n)) / parseFixed('0.002');
    const pnl = closing.reduce((s, t) => s + ((fixed(t.price) - entry) * baseOf(t.amount!)) / E18, 0n);
    expect(deals.reduce((s, t) => s + fixed(infoOf(t).profit), 0n) - pnl).toBeLessThanOrEqual(1n);
    await until(async () => (await mexc.fetchPositionsHistory([SYMBOL])).length > 0, 'the closed position in the history');
    const [history] = await mexc.fetchPositionsHistory([SYMBOL]);
    expect(history).toMatchObject({ symbol: SYMBOL, side: 'long', leverage: 20 });
    expect(fixed(infoOf(history!).realised)).toBe(realised);
    expect(infoOf(history!)).toMatchObject({ state: 3, closeVol: 20 });
  });

  it('records the contract calls in the audit log', async () => {
    const audit = await service.deps.db.selectFrom('audit_log').selectAll().where('accountId', '=', account.id).where('action', '=', 'order.place').orderBy('id').execute();
    expect(JSON.parse(audit[0]!.details)).toMatchObject({ api: 'mexc-contract', request: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.002' }, result: { status: 'FILLED' } });
  });

  it('maps refusals to the errors ccxt raises for MEXC', async () => {
    const bid = Number(top().bids[0]![0]);
    // 20 BTC at 20x needs about 61,700 USDT of margin; the account has 10,000.
    await expect(mexc.createOrder(SYMBOL, 'limit', 'buy', 200_000, bid - 100)).rejects.toThrow(ccxt.InsufficientFunds);
    // 10 contracts = 0.001 BTC, about 62 USDT: under USD-M's 100 USDT minimum notional, MEXC's 2011 "Order quantity error".
    await expect(mexc.createOrder(SYMBOL, 'limit', 'buy', 10, bid - 100)).rejects.toThrow(ccxt.BadRequest);
    // Markets already loaded, so that only the contract API is asked (MEXC 602 and 401).
    const wrongSecret = mexcClient(base, account.apiKey, 'f'.repeat(64));
    wrongSecret.setMarkets(mexc.markets);
    await expect(wrongSecret.fetchBalance({ type: 'swap' })).rejects.toThrow(ccxt.AuthenticationError);
    await expect(wrongSecret.fetchPositions()).rejects.toThrow(/"code":602/);
    const unknownKey = mexcClient(base, 'pt_unknown', account.apiSecret);
    unknownKey.setMarkets(mexc.markets);
    await expect(unknownKey.fetchPositions()).rejects.toThrow(ccxt.AuthenticationError);
  });

  // The class ccxt 4.5's `mexc` class raises for each MEXC contract code, read by hand from its `exceptions`
  // table (`broad` on the body first, then `exact` on the code; a code it lists in neither is a bare
  // ExchangeError). Sent through ccxt's own `contractPrivatePostOrderCreate`, since `createOrder` rounds
  // vol and price to the market's precision before sending.
  it.each([
    { name: 'vol 25, off the volUnit grid of 10', order: { side: 1, vol: 25 }, code: 2011, error: ccxt.BadRequest },
    { name: 'a price off the 0.1 priceUnit', order: { side: 1, vol: 100, price: 'bid - 100.05' }, code: 2015, error: ccxt.ExchangeError },
    { name: 'a buy over the band (1.15 × the mark)', order: { side: 1, vol: 100, price: 'bid × 1.2' }, code: 2003, error: ccxt.InvalidOrder },
    { name: 'a sell under the band (0.85 × the mark)', order: { side: 3, vol: 100, price: 'bid × 0.8' }, code: 2004, error: ccxt.ExchangeError },
    { name: 'a close with no position', order: { side: 4, vol: 100 }, code: 2009, error: ccxt.InvalidOrder },
    { name: 'margin short (20 BTC at 20x on 10,000 USDT)', order: { side: 1, vol: 200_000 }, code: 2005, error: ccxt.InsufficientFunds },
    { name: 'an unknown contract', order: { side: 1, vol: 100, symbol: 'DOGE_USDT' }, code: 1001, error: ccxt.BadSymbol },
  ])('$name: MEXC code $code, which ccxt raises as $error.name', async ({ order, code, error }) => {
    const bid = parseFixed(top().bids[0]![0]);
    const tick = parseFixed('0.1');
    const onTick = (p: bigint) => p - (p % tick);
    const prices: Record<string, bigint> = { 'bid - 100.05': bid - parseFixed('100.05'), 'bid × 1.2': onTick((bid * 12n) / 10n), 'bid × 0.8': onTick((bid * 8n) / 10n) };
    const price = formatFixed(prices[String((order as { price?: string }).price)] ?? bid - 100n * E18);
    const sent = mexc.contractPrivatePostOrderCreate({ symbol: 'BTC_USDT', type: 1, openType: 2, leverage: 20, ...order, price: Number(price) });
    const thrown = await sent.then(() => undefined, (e: unknown) => e);
    expect(thrown).toBeInstanceOf(error);
    expect((thrown as Error).constructor).toBe(error);
    expect((thrown as Error).message).toContain(`"code":${code},`);
  });

  it('attaches a take-profit and a stop-loss to an entry: one MEXC stop order, two reduce-only exits on the native API', async () => {
    // 2,000 USDT either side of the book, on the 0.1 tick.
    const takeProfit = formatFixed(parseFixed(top().asks[0]![0]) + 2000n * E18);
    const stopLoss = formatFixed(parseFixed(top().bids[0]![0]) - 2000n * E18);
    // lossTrend 3 (the index price) is refused: the engine has no index stream. Nothing is placed.
    await expect(mexc.createOrder(SYMBOL, 'market', 'buy', 20, undefined, { takeProfitPrice: Number(takeProfit), stopLossPrice: Number(stopLoss), lossTrend: 3 })).rejects.toThrow(/lossTrend 3 \(the index price\) is not supported/);
    // lossTrend 2: the stop-loss triggers on the fair (mark) price; profitTrend 1: the take-profit on the latest price.
    const entry = await mexc.createOrder(SYMBOL, 'market', 'buy', 20, undefined, { clientOrderId: 'ccxt-bracket', takeProfitPrice: Number(takeProfit), stopLossPrice: Number(stopLoss), profitTrend: 1, lossTrend: 2 });
    expect(infoOf(await mexc.fetchOrder(entry.id!, SYMBOL))).toMatchObject({ state: 3, dealVol: 20 });
    const stops = (await mexc.contractPrivateGetStoporderOpenOrders({ symbol: 'BTC_USDT' })) as { data: Info[] };
    expect(stops.data).toEqual([expect.objectContaining({ id: 'ccxt-bracket', orderId: entry.id, symbol: 'BTC_USDT', takeProfitPrice: Number(takeProfit), stopLossPrice: Number(stopLoss), positionType: 1, vol: 20, state: 1 })]);
    // The exits are stop orders, not regular ones: the open orders stay empty.
    expect(await mexc.fetchOpenOrders(SYMBOL)).toEqual([]);
    const exits = (await native('/api/orders/open')).items as Info[];
    expect(exits.map((o) => [o.clientOrderId, o.type, o.side, o.quantity, o.stopPrice, o.triggerSource]).sort()).toEqual([
      ['ccxt-bracket-sl', 'STOP_LOSS', 'SELL', '0.002', stopLoss, 'mark'],
      ['ccxt-bracket-tp', 'TAKE_PROFIT', 'SELL', '0.002', takeProfit, undefined],
    ]);
    await mexc.contractPrivatePostStoporderCancel([{ stopPlanOrderId: 'ccxt-bracket' }]);
    expect((await native('/api/orders/open')).items).toEqual([]);
    await mexc.createOrder(SYMBOL, 'market', 'sell', 20, undefined, { reduceOnly: true });
    expect(await mexc.fetchPositions([SYMBOL])).toEqual([]);
  });
});
