/**
 * One case suite, run over every exchange dialect papertrade speaks through ccxt's own classes,
 * unmodified and pointed at papertrade by URL alone (the table in src/test-kit/ccxt-dialects.ts):
 * markets, the book against the native depth, the recording's trades and candles, the balance, every
 * order type the dialect accepts, fetch/cancel, the account's fills against a hand walk of the book,
 * leverage and positions on futures, the three refusals a bot must tell apart, and the streams
 * (watchOrderBook, watchOrders, watchBalance) hearing what happened. Each dialect runs against one
 * service fed with the bundled recording, reused across its cases.
 */
import ccxt, { type Exchange, type OrderBook } from 'ccxt';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TradeInput } from '../../src/core/kernel/inputs.js';
import { formatFixed, mulExact, parseFixed } from '../../src/core/money/fixed.js';
import { readMaybeGzipped } from '../../src/market-data/recording-reader.js';
import { buildServer } from '../../src/api/server.js';
import { CCXT_DIALECTS, type CcxtDialect, type DialectAccount, type Top, until } from '../../src/test-kit/ccxt-dialects.js';
import { ccxtHeard } from '../../src/test-kit/ccxt-heard.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../src/test-kit/service-kit.js';

const START = 1723161300000; // 2024-08-08T23:55:00Z, a minute boundary
const FED_UNTIL = START + 150_000;
const E18 = 10n ** 18n;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fixed = (v: unknown) => parseFixed(String(v));

describe.each(CCXT_DIALECTS)("ccxt's $name class on papertrade", (dialect: CcxtDialect) => {
  let service: TestService;
  let app: FastifyInstance;
  let base: string;
  let account: DialectAccount;
  let ex: Exchange;
  let fedUntil = FED_UNTIL;
  const { symbol } = dialect;
  const contract = parseFixed(dialect.contractSize);
  /** A ccxt amount (contracts on MEXC swap) → base quantity, exact. */
  const baseOf = (amount: unknown) => (fixed(amount) * contract) / E18;
  /** A base quantity → the ccxt amount. */
  const amountOf = (baseQty: string) => Number(formatFixed((parseFixed(baseQty) * E18) / contract));
  const top = (): Top => {
    const depth = service.engine.kernel.depth('BTCUSDT', 1)!;
    return { bid: Number(depth.bids[0]![0]), ask: Number(depth.asks[0]![0]) };
  };
  const nativeDepth = async (limit: number) => (await app.inject({ url: `/api/market/depth/BTCUSDT?limit=${limit}` })).json<{ bids: [string, string][]; asks: [string, string][] }>();
  const levels = (side: [string, string][]) => side.map(([p, q]) => [parseFixed(p), parseFixed(q)]);
  const asBase = (side: number[][]) => side.map(([p, a]) => [fixed(p), baseOf(a)]);
  /** The fills of a market buy of `quantity`, walked by hand down the engine's asks. */
  const walkAsks = (quantity: bigint) => {
    const fills: [bigint, bigint][] = [];
    let left = quantity;
    for (const [price, size] of service.engine.kernel.depth('BTCUSDT', 100)!.asks) {
      if (left === 0n) break;
      const take = parseFixed(size) < left ? parseFixed(size) : left;
      fills.push([parseFixed(price), take]);
      left -= take;
    }
    expect(left).toBe(0n);
    return fills;
  };

  beforeAll(async () => {
    service = await startTestService({ recording: dialect.recording, until: START - 1 });
    app = await buildServer(service.deps, { plugins: dialect.plugins });
    // The tape starts with the plugins: feed the next 2.5 minutes of the recording through them.
    await service.feedUntil(FED_UNTIL);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: dialect.account })).json();
    ex = await dialect.client(base, account.apiKey, account.apiSecret);
  });
  afterAll(async () => {
    await ex?.close();
    await app?.close();
    await service?.close();
  });

  it("loads the market with the instrument's tick and step", async () => {
    const markets = await ex.loadMarkets();
    const market = markets[symbol]!;
    const instrument = service.engine.kernel.instrument('BTCUSDT')!;
    expect(market).toMatchObject({ base: 'BTC', quote: 'USDT', type: dialect.marketType, active: true });
    if (dialect.futures) expect(market).toMatchObject({ settle: 'USDT', linear: true, contractSize: Number(dialect.contractSize) });
    expect(fixed(market.precision.price)).toBe(instrument.tickSize);
    expect(baseOf(market.precision.amount)).toBe(instrument.stepSize);
    expect(baseOf(market.limits.amount!.min)).toBe(instrument.minQty);
  });

  it('reads the same order book as the native depth route', async () => {
    const book = await ex.fetchOrderBook(symbol, 10);
    const depth = await nativeDepth(10);
    expect(book.bids).toHaveLength(10);
    expect(asBase(book.bids as number[][])).toEqual(levels(depth.bids));
    expect(asBase(book.asks as number[][])).toEqual(levels(depth.asks));
  });

  it("reads the recording's last 20 prints as the public trades", async () => {
    const prints = service.recording.inputs.filter((i): i is TradeInput => i.kind === 'trade' && i.time >= START && i.time <= FED_UNTIL).slice(-20);
    const fetched = await ex.fetchTrades(symbol, undefined, 20);
    expect(fetched).toHaveLength(20);
    // Prints of one millisecond come in an order ccxt chooses: compare them as a set.
    const canonical = (rows: [bigint, bigint, number, string][]) => rows.map((r) => r.join('|')).sort();
    expect(canonical(fetched.map((t) => [fixed(t.price), baseOf(t.amount), t.timestamp!, t.side!]))).toEqual(
      canonical(prints.map((p) => [parseFixed(p.price), parseFixed(p.quantity), p.time, p.buyerMaker ? 'sell' : 'buy'])),
    );
  });

  it('reads 1-minute candles equal to the candles derived from the recording', async () => {
    const csv = readMaybeGzipped(dialect.recording, 'candles_1m_derived_from_trades.csv').trim().split('\n').slice(1).map((l) => l.split(','));
    const candles = await ex.fetchOHLCV(symbol, '1m', START, 2);
    expect(candles).toHaveLength(2);
    candles.forEach((c, i) => {
      const row = csv.find((r) => Number(r[0]) === START + i * 60_000)!;
      expect(c[0]).toBe(Number(row[0]));
      expect(c.slice(1, 5).map(fixed)).toEqual(row.slice(1, 5).map(parseFixed));
      expect(baseOf(c[5])).toBe(parseFixed(row[5]!));
    });
  });

  it('fetches the balance the account was opened with', async () => {
    const balance = await ex.fetchBalance(dialect.balanceParams);
    expect(balance.USDT).toMatchObject({ free: Number(dialect.deposit.USDT), used: 0, total: Number(dialect.deposit.USDT) });
    if (dialect.deposit.BTC !== undefined) expect(balance.BTC).toMatchObject({ free: Number(dialect.deposit.BTC), used: 0, total: Number(dialect.deposit.BTC) });
  });

  let marketOrder: string;
  let walked: [bigint, bigint][];

  it(dialect.setLeverage ? 'sets the leverage, then buys at market: the fills are a hand walk of the asks' : 'buys at market: the fills are a hand walk of the asks', async () => {
    if (dialect.setLeverage) await ex.setLeverage(dialect.setLeverage.leverage, symbol, dialect.setLeverage.params);
    const quantity = '0.002';
    walked = walkAsks(parseFixed(quantity));
    const placed = await ex.createOrder(symbol, 'market', 'buy', amountOf(quantity));
    marketOrder = placed.id!;
    const order = await ex.fetchOrder(marketOrder, symbol);
    expect(order).toMatchObject({ id: marketOrder, status: 'closed', side: 'buy' });
    expect(baseOf(order.filled)).toBe(parseFixed(quantity));
    const fills = (await ex.fetchMyTrades(symbol)).filter((t) => t.order === marketOrder);
    expect(fills.map((t) => [fixed(t.price), baseOf(t.amount)]).sort()).toEqual([...walked].sort());
    expect(fills.every((t) => t.side === 'buy' && t.takerOrMaker === 'taker')).toBe(true);
  });

  it(dialect.futures ? 'shows the long position at the leverage set, its entry the VWAP of the fills' : 'holds no positions: not applicable on a spot dialect', async () => {
    if (!dialect.futures) {
      console.info(`${dialect.name}: leverage and positions not applicable (spot account)`);
      expect(ex.markets![symbol]!.spot).toBe(true);
      return;
    }
    const [position] = await ex.fetchPositions([symbol]);
    const qty = walked.reduce((s, [, q]) => s + q, 0n);
    const cost = walked.reduce((s, [p, q]) => s + mulExact(p, q), 0n);
    expect(position).toMatchObject({ symbol, side: 'long' });
    const leverage = (await app.inject({ url: '/api/account/leverage', headers: { authorization: `Bearer ${account.apiKey}` } })).json<{ items: { symbol: string; leverage: number }[] }>();
    expect(leverage.items).toEqual([expect.objectContaining({ symbol: 'BTCUSDT', leverage: dialect.setLeverage!.leverage })]);
    expect(baseOf(position!.contracts)).toBe(qty);
    // Entry = Σ price × qty / Σ qty; the dialects round it to their own precision, within a cent.
    const entry = (cost * E18) / qty;
    const diff = fixed(position!.entryPrice) - entry;
    expect(diff < 0n ? -diff : diff).toBeLessThan(parseFixed('0.01'));
  });

  const placedTypes: { id: string; queryParams: Record<string, unknown>; status: string }[] = [];

  it.each(dialect.orderTypes)('places a $label order and reads it back as $status', async (type) => {
    const price = type.price?.(top());
    const params = typeof type.params === 'function' ? type.params(top()) : (type.params ?? {});
    const placed = await ex.createOrder(symbol, type.type as string, type.side, amountOf(type.amount), price, params);
    const order = await ex.fetchOrder(placed.id!, symbol, type.queryParams ?? {});
    expect(order).toMatchObject({ id: placed.id, side: type.readSide ?? type.side, status: type.status });
    expect(baseOf(order.amount)).toBe(parseFixed(type.amount));
    if (price !== undefined && type.status === 'open') expect(order.price).toBe(price);
    placedTypes.push({ id: placed.id!, queryParams: type.queryParams ?? {}, status: type.status });
  });

  it('lists the open orders, cancels each, and lists none after', async () => {
    const open = placedTypes.filter((o) => o.status === 'open');
    expect(open.length).toBeGreaterThan(0);
    const groups = new Map<string, typeof open>();
    for (const o of open) groups.set(JSON.stringify(o.queryParams), [...(groups.get(JSON.stringify(o.queryParams)) ?? []), o]);
    for (const [params, orders] of groups) {
      expect((await ex.fetchOpenOrders(symbol, undefined, undefined, JSON.parse(params))).map((o) => o.id).sort()).toEqual(orders.map((o) => o.id).sort());
    }
    for (const o of open) {
      await ex.cancelOrder(o.id, symbol, o.queryParams);
      expect((await ex.fetchOrder(o.id, symbol, o.queryParams)).status).toBe('canceled');
    }
    for (const params of groups.keys()) expect(await ex.fetchOpenOrders(symbol, undefined, undefined, JSON.parse(params))).toEqual([]);
    expect((await app.inject({ url: '/api/orders/open', headers: { authorization: `Bearer ${account.apiKey}` } })).json()).toEqual({ items: [] });
  });

  it('lists the fills of every order that traded', async () => {
    const trades = await ex.fetchMyTrades(symbol);
    const traded = placedTypes.filter((o) => o.status === 'closed').map((o) => o.id);
    expect([...new Set(trades.map((t) => t.order))].sort()).toEqual([marketOrder, ...traded].sort());
  });

  it('refuses a wrong secret with AuthenticationError', async () => {
    const wrong = await dialect.client(base, account.apiKey, 'f'.repeat(64));
    try {
      wrong.setMarkets(ex.markets);
      await expect(wrong.fetchBalance(dialect.balanceParams)).rejects.toThrow(ccxt.AuthenticationError);
    } finally {
      await wrong.close();
    }
  });

  it(`refuses an unaffordable order with ${dialect.errors.unaffordable.expect.name}`, async () => {
    const { type, amount, price, expect: want, code } = dialect.errors.unaffordable;
    const refusal = ex.createOrder(symbol, type, 'buy', amountOf(amount), price?.(top()));
    await expect(refusal).rejects.toThrow(want);
    await expect(refusal).rejects.toThrow(code);
  });

  it(`refuses a too-small order with ${dialect.errors.tooSmall.expect.name}`, async () => {
    const { amount, price, expect: want, code } = dialect.errors.tooSmall;
    const refusal = ex.createOrder(symbol, 'limit', 'buy', amountOf(amount), price(top()));
    await expect(refusal).rejects.toThrow(want);
    await expect(refusal).rejects.toThrow(code);
    expect((await app.inject({ url: '/api/orders/open', headers: { authorization: `Bearer ${account.apiKey}` } })).json()).toEqual({ items: [] });
  });

  const streams = dialect.streams;
  if ('notApplicable' in streams) {
    it(`watchOrderBook, watchOrders, watchBalance: not applicable — ${streams.notApplicable}`, () => {
      console.info(`${dialect.name}: streams not applicable: ${streams.notApplicable}`);
      expect(streams.notApplicable.length).toBeGreaterThan(0);
    });
  } else {
    it('watchOrderBook keeps the native depth while the tape plays; watchOrders and watchBalance hear a market buy', async () => {
      // The recording replays at about 4× real speed: 100 ms of market every 25 ms.
      let feeding = true;
      const feeder = (async () => {
        while (feeding) {
          fedUntil += 100;
          await service.feedUntil(fedUntil);
          await sleep(25);
        }
      })();
      try {
        for (let updates = 0; updates < 10; ) if ((await ex.watchOrderBook(symbol)).nonce !== undefined) updates += 1;
      } finally {
        feeding = false;
        await feeder;
      }
      const stored = () => (ex as unknown as { orderbooks: Record<string, OrderBook & { limit(): OrderBook }> }).orderbooks[symbol]!.limit();
      const depth = await nativeDepth(10);
      // The last diffs are on their way.
      await expect.poll(() => asBase((stored().bids as number[][]).slice(0, 10))).toEqual(levels(depth.bids));
      await expect.poll(() => asBase((stored().asks as number[][]).slice(0, 10))).toEqual(levels(depth.asks));

      const heard = ccxtHeard(ex);
      await streams.ready(ex);
      const watchedOrders = ex.watchOrders(symbol);
      const watchedBalance = ex.watchBalance(dialect.balanceParams);
      await until(() => streams.subscribed(heard), 'the order and balance subscriptions answered');
      const restFigure = async () => streams.restFigure((await ex.fetchBalance(dialect.balanceParams)) as unknown as Record<string, unknown>);
      const before = await restFigure();
      const placed = await ex.createOrder(symbol, 'market', 'buy', amountOf('0.002'));
      expect((await watchedOrders).map((o) => o.id)).toContain(placed.id);
      await watchedBalance;
      const orders = () => (ex.orders ?? []) as unknown as { id: string; status: string; filled: number }[];
      await until(() => orders().some((o) => o.id === placed.id && o.status === 'closed'), 'the order to close on watchOrders');
      expect(baseOf(orders().filter((o) => o.id === placed.id).at(-1)!.filled)).toBe(parseFixed('0.002'));
      // The buy moved the figure: the stream reaching the new one heard of it.
      const rest = await restFigure();
      expect(rest).not.toBe(before);
      const streamed = () => (ex.balance as unknown as Record<string, Record<string, Record<string, unknown>> | undefined>)[streams.balanceKey]?.USDT?.[streams.field];
      await expect.poll(() => streamed()).toBe(rest);
    }, 60_000);
  }
});
