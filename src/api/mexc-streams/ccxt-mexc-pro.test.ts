/**
 * ccxt's own pro `mexc` class, unmodified (only its REST and WebSocket URLs pointed here), streams
 * from papertrade's `/mexc/ws` in MEXC's protobuf frames while the bundled recording replays at
 * about four times real speed: its order book, kept from the REST depth and the depth diffs,
 * equals the REST depth; its trades are the recording's; a fill placed over REST reaches its
 * orders, trades and balance streams, and another account's streams see none of it.
 */
import ccxt, { type Exchange, type OrderBook } from 'ccxt';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { TradeInput } from '../../core/kernel/inputs.js';
import { buildServer } from '../server.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { registerMexcApi } from '../mexc/mexc-api.js';
import { ccxtHeard, mexcSubscribed } from '../../test-kit/ccxt-heard.js';
import { until } from '../../test-kit/wait.js';

const START = 1723161300000; // 2024-08-08T23:55:00Z
const SYMBOL = 'BTC/USDT';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Account {
  id: string;
  apiKey: string;
  apiSecret: string;
}

async function mexcPro(base: string, account?: Account): Promise<Exchange> {
  const exchange = new ccxt.pro.mexc({ enableRateLimit: false, ...(account !== undefined ? { apiKey: account.apiKey, secret: account.apiSecret } : {}) });
  const api = exchange.urls.api as Record<string, Record<string, string>>;
  api.spot = { ...api.spot, public: base, private: base };
  api.contract = { ...api.contract, public: `${base}/api/v1/contract`, private: `${base}/api/v1/private` };
  api.ws = { ...api.ws, spot: `${base.replace('http', 'ws')}/mexc/ws` };
  await exchange.loadHttpProxyAgent();
  return exchange;
}

describe("ccxt's pro mexc class streams from papertrade's MEXC WebSocket", () => {
  let service: TestService;
  let app: FastifyInstance;
  let base: string;
  let alice: Account;
  let bob: Account;
  const clients: Exchange[] = [];
  let fedUntil = START;
  let feeding = false;
  let feeder: Promise<void> = Promise.resolve();
  /** The recording replays at about 4× real speed: 100 ms of market every 25 ms. */
  const startFeeding = () => {
    feeding = true;
    feeder = (async () => {
      while (feeding) {
        fedUntil += 100;
        await service.feedUntil(fedUntil);
        await sleep(25);
      }
    })();
  };

  beforeAll(async () => {
    service = await startTestService({ until: START });
    app = await buildServer(service.deps, { plugins: [registerMexcApi] });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    const open = async (name: string) => (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name, balances: { USDT: '100000', BTC: '1' } } })).json() as Account;
    alice = await open('alice');
    bob = await open('bob');
    startFeeding();
  });
  afterAll(async () => {
    feeding = false;
    await feeder;
    for (const c of clients) await c.close();
    await app.close();
    await service.close();
  });

  const client = async (account?: Account) => {
    const c = await mexcPro(base, account);
    clients.push(c);
    await c.loadMarkets();
    return c;
  };

  it('keeps an order book from the REST depth and the protobuf depth diffs that equals the REST depth', async () => {
    const mexc = await client();
    type Depth = { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] };
    const restDepth = async (limit: number) => (await app.inject({ url: `/api/v3/depth?symbol=BTCUSDT&limit=${limit}` })).json() as Depth;
    // ccxt's snapshot is MEXC's default 100 levels: beyond them it knows only the levels the diffs
    // touched, as on MEXC. The comparison keeps to the prices inside that snapshot (its 90th level,
    // read when ccxt has just synced, leaves room for the market's move while it read its own).
    let floor: { bid: number; ask: number } | undefined;
    // ccxt syncs after 25 frames (its snapshotDelay); then let it follow 15 more.
    for (let updates = 0; updates < 15; ) {
      if ((await mexc.watchOrderBook(SYMBOL)).nonce === undefined) continue;
      if (floor === undefined) {
        const snapshot = await restDepth(100);
        floor = { bid: Number(snapshot.bids[89]![0]), ask: Number(snapshot.asks[89]![0]) };
      }
      updates += 1;
    }
    feeding = false;
    await feeder;
    try {
      const stored = () => (mexc as unknown as { orderbooks: Record<string, OrderBook & { limit(): OrderBook }> }).orderbooks[SYMBOL]!.limit();
      const rest = await restDepth(1_000);
      const inside = (bids: number[][], asks: number[][]) => ({ bids: bids.filter(([p]) => p! > floor!.bid), asks: asks.filter(([p]) => p! < floor!.ask) });
      const numbers = (levels: [string, string][]) => levels.map(([p, q]) => [Number(p), Number(q)]);
      const want = inside(numbers(rest.bids), numbers(rest.asks));
      expect(want.bids.length).toBeGreaterThanOrEqual(10);
      expect(want.asks.length).toBeGreaterThanOrEqual(10);
      // The last frames are on their way.
      await expect.poll(() => inside(stored().bids as number[][], stored().asks as number[][])).toEqual(want);
      // ccxt keeps the last diff's fromVersion as its nonce: the REST id lies within that diff's versions.
      expect(stored().nonce).toBeLessThanOrEqual(rest.lastUpdateId);
      expect(stored().nonce).toBeGreaterThan(rest.lastUpdateId - 1_000);
    } finally {
      startFeeding();
    }
  });

  it("streams the recording's trades: price, amount, time and taker side", async () => {
    const mexc = await client();
    const seen = new Map<string, { price: number; amount: number; side: string }>();
    while (seen.size < 50) {
      for (const t of await mexc.watchTrades(SYMBOL)) seen.set(`${t.timestamp}|${t.price}|${t.amount}`, { price: t.price!, amount: t.amount!, side: t.side! });
    }
    const recorded = service.recording.inputs.filter((i): i is TradeInput => i.kind === 'trade');
    for (const [key, trade] of seen) {
      const [time] = key.split('|');
      const match = recorded.find((r) => r.time === Number(time) && Number(r.price) === trade.price && Number(r.quantity) === trade.amount);
      expect(match, key).toBeDefined();
      expect(trade.side).toBe(match!.buyerMaker ? 'sell' : 'buy');
    }
  });

  it('tells a fill placed over REST to its own orders, trades and balance streams, and to no other account', async () => {
    const mine = await client(alice);
    const other = await client(bob);
    const [mineHeard, otherHeard] = [ccxtHeard(mine), ccxtHeard(other)];
    const orders = mine.watchOrders(SYMBOL);
    const trades = mine.watchMyTrades(SYMBOL);
    const balance = mine.watchBalance();
    let bobSaw: unknown;
    void other.watchOrders(SYMBOL).then((o) => (bobSaw = o), () => undefined);
    // Both accounts' subscriptions answered by the server, so the order below reaches them.
    await until(
      () => ['orders', 'deals', 'account'].every((c) => mexcSubscribed(mineHeard, `spot@private.${c}.v3.api.pb`)) && mexcSubscribed(otherHeard, 'spot@private.orders.v3.api.pb'),
      'the private subscriptions answered',
    );

    const placed = await mine.createOrder(SYMBOL, 'market', 'buy', 0.01);
    const [streamedOrders, streamedTrades] = await Promise.all([orders, trades]);
    const fetched = await mine.fetchMyTrades(SYMBOL);
    const fills = fetched.filter((t) => t.order === placed.id);
    expect(fills.length).toBeGreaterThan(0);

    const lastOrder = streamedOrders.filter((o) => o.id === placed.id).at(-1)!;
    expect(lastOrder).toBeDefined();
    expect(streamedTrades.every((t) => t.order === placed.id)).toBe(true);
    // Every fill the REST history shows, streamed with the same price, amount and fee.
    let all = streamedTrades;
    while (all.length < fills.length) all = await mine.watchMyTrades(SYMBOL);
    expect(all.map((t) => [t.id, t.price, t.amount, t.fee?.cost, t.fee?.currency, t.side]).sort()).toEqual(fills.map((t) => [t.id, t.price, t.amount, t.fee?.cost, t.fee?.currency, t.side]).sort());
    let final = lastOrder;
    while (final.status !== 'closed') final = (await mine.watchOrders(SYMBOL)).filter((o) => o.id === placed.id).at(-1) ?? final;
    expect(final).toMatchObject({ id: placed.id, side: 'buy', type: 'market', status: 'closed', filled: 0.01 });

    // The balance stream (one frame per asset moved) ends where the REST balance is.
    await balance;
    const rest = await mine.fetchBalance();
    const streamed = () => (mine as unknown as { balance: Record<string, Record<string, { free: number; used: number }>> }).balance.spot!;
    await expect.poll(() => streamed().BTC).toMatchObject({ free: rest.BTC!.free, used: rest.BTC!.used });
    await expect.poll(() => streamed().USDT).toMatchObject({ free: rest.USDT!.free, used: rest.USDT!.used });

    await sleep(300);
    expect(bobSaw).toBeUndefined();
    const bobs = await other.createOrder(SYMBOL, 'limit', 'buy', 0.001, 50_000);
    await expect.poll(() => (bobSaw as { id: string }[] | undefined)?.map((o) => o.id)).toEqual([bobs.id]);
  });

  it("refuses another account's listen key and an unknown one", async () => {
    const sign = async (account: Account, method: 'POST' | 'PUT' | 'DELETE', query = '') => {
      const { createHmac } = await import('node:crypto');
      const total = `${query}${query === '' ? '' : '&'}timestamp=${Date.now()}`;
      const signature = createHmac('sha256', account.apiSecret).update(total).digest('hex');
      return (await app.inject({ method, url: `/api/v3/userDataStream?${total}&signature=${signature}`, headers: { 'x-mexc-apikey': account.apiKey } })).json() as Record<string, unknown>;
    };
    const { listenKey } = (await sign(alice, 'POST')) as { listenKey: string };
    expect(listenKey).toMatch(/^[0-9a-f]{64}$/);
    expect(await sign(bob, 'PUT', `listenKey=${listenKey}`)).toMatchObject({ code: 700004 });
    expect(await sign(bob, 'DELETE', `listenKey=${listenKey}`)).toMatchObject({ code: 700004 });
    expect(await sign(alice, 'PUT', `listenKey=${listenKey}`)).toEqual({ listenKey });
    expect(await sign(alice, 'DELETE', `listenKey=${listenKey}`)).toEqual({ listenKey });
    const socket = new WebSocket(`${base.replace('http', 'ws')}/mexc/ws?listenKey=${listenKey}`);
    const said = await new Promise<string>((resolve) => socket.on('message', (data) => resolve(String(data))));
    expect(said).toBe('Invalid listen key');
  });
});
