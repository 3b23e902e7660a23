/**
 * Live trading with one exchange account per papertrade account, end to end and offline:
 * instance B is the venue (papertrade's MEXC-compatible API over real HTTP, behind a switchable
 * TCP-level proxy to simulate an outage); instance A runs live, wired as `papertrade serve` wires
 * it (createLivePorts: per-account ccxt `mexc` clients from sealed keys, the live read port, the
 * reconciler). Two A accounts hold the keys of two different venue accounts.
 *
 * The oracle is the venue itself: B's own native API, asked with each venue account's key.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import ccxt, { type Order } from 'ccxt';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binanceSignature, registerBinanceApi } from '../../src/api/binance/index.js';
import { registerMexcApi } from '../../src/api/mexc/index.js';
import { buildServer } from '../../src/api/server.js';
import type { ServiceDeps } from '../../src/api/service-deps.js';
import { formatFixed, mul, parseFixed } from '../../src/core/money/fixed.js';
import { CredentialCipher } from '../../src/persistence/credential-cipher.js';
import { ExchangeKeyStore } from '../../src/persistence/exchange-key-store.js';
import { createLivePorts } from '../../src/service/live-ports.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../src/test-kit/service-kit.js';
import { until } from '../../src/test-kit/wait.js';
import { scratchDir } from '../../src/test-kit/scratch-dir.js';

const START = 1723161300000;
const CREDENTIALS_KEY = '3c'.repeat(32);
const admin = { authorization: `Bearer ${ADMIN_KEY}` };

interface VenueAccount {
  id: string;
  apiKey: string;
  apiSecret: string;
}

/** Forwards HTTP to `target`; while `down`, every connection is reset before an answer. */
async function outageProxy(target: string): Promise<{ url: string; down: boolean; close(): Promise<void> }> {
  const state = { down: false };
  const server: Server = createServer((req, res) => {
    if (state.down) {
      req.socket.destroy();
      return;
    }
    const upstream = httpRequest(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return Object.assign(state, {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

describe('live accounts against a second papertrade instance as the venue', () => {
  let venue: TestService;
  let venueApp: FastifyInstance;
  let proxy: Awaited<ReturnType<typeof outageProxy>>;
  let venueAlice: VenueAccount;
  let venueBob: VenueAccount;
  let databaseUrl: string;
  let instance: TestService;
  let app: FastifyInstance;
  let aBase: string;
  let alice: { id: string; apiKey: string; apiSecret: string };
  let bob: { id: string; apiKey: string; apiSecret: string };
  const logged: string[] = [];
  const record = (fields: object, message?: string) => void logged.push(JSON.stringify({ ...fields, msg: message }));

  const onVenue = async (account: VenueAccount, url: string, method: 'GET' | 'POST' | 'DELETE' = 'GET', payload?: object) =>
    (await venueApp.inject({ method, url, headers: { authorization: `Bearer ${account.apiKey}` }, ...(payload !== undefined ? { payload } : {}) })).json();
  const onA = (key: string, url: string) => app.inject({ url, headers: { authorization: `Bearer ${key}` } });
  const bid = () => Number(venue.engine.kernel.depth('BTCUSDT', 1)!.bids[0]![0]);

  /** A live instance over `databaseUrl`, wired like `papertrade serve --live`, reconciled on start. */
  async function startLive(until: number): Promise<{ service: TestService; app: FastifyInstance; deps: ServiceDeps }> {
    const service = await startTestService({ until, engine: { databaseUrl, snapshotIntervalMs: 0 }, checkReadModel: false });
    const exchangeKeys = new ExchangeKeyStore(service.engine.db, new CredentialCipher(CREDENTIALS_KEY));
    const ports = createLivePorts({
      config: { exchange: 'mexc', exchangeOptions: { enableRateLimit: false, timeout: 3_000 }, exchangeUrls: mexcUrls(proxy.url) },
      exchangeKeys,
      audit: service.deps.audit,
      credentials: service.deps.credentials,
      instruments: () => service.engine.kernel.instruments(),
      live: { readRetries: 2, retryDelayMs: 20, logger: { info: record, warn: record, error: record } },
      cacheMs: 300,
      pollMs: 100,
    });
    const deps: ServiceDeps = { ...service.deps, execution: ports.execution, reads: ports.reads, exchangeKeys, reconciliation: ports.reconciler, mode: { mode: 'live', liveRefusedBecause: [] } };
    await ports.reconciler.run();
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (logged.push(chunk.toString()), done()) });
    const live = await buildServer(deps, { plugins: [registerMexcApi, registerBinanceApi], logger: { level: 'trace', stream: sink } });
    return { service, app: live, deps };
  }

  beforeAll(async () => {
    // The venue's API is up before the last minute of trades arrives, so its tickers have a last price.
    venue = await startTestService({ until: START - 60_000 });
    venueApp = await buildServer(venue.deps, { plugins: [registerMexcApi] });
    await venue.feedUntil(START);
    const venueBase = await venueApp.listen({ port: 0, host: '127.0.0.1' });
    proxy = await outageProxy(venueBase);
    const open = async (name: string, balances: Record<string, string>) => (await venueApp.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name, balances } })).json() as VenueAccount;
    venueAlice = await open('venue-alice', { USDT: '50000', BTC: '0.5' });
    venueBob = await open('venue-bob', { USDT: '20000', BTC: '0.2' });

    databaseUrl = `sqlite:${join(scratchDir('papertrade-live-'), 'a.db')}`;
    const started = await startLive(START);
    instance = started.service;
    app = started.app;
    aBase = await app.listen({ port: 0, host: '127.0.0.1' });
    alice = (await app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'alice', balances: { USDT: '1' }, exchangeCredentials: { apiKey: venueAlice.apiKey, secret: venueAlice.apiSecret } } })).json();
    bob = (await app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'bob', balances: { USDT: '1' } } })).json();
  });
  afterAll(async () => {
    await app?.close();
    await instance?.close();
    await proxy?.close();
    await venueApp?.close();
    await venue?.close();
  });

  it('an account without exchange keys cannot trade or read live, and says how to fix it', async () => {
    const refused = await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${bob.apiKey}` }, payload: { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.001' } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'EXCHANGE_CREDENTIALS_MISSING', message: expect.stringContaining(`PUT /api/accounts/${bob.id}/exchange-credentials`) });
    expect((await onA(bob.apiKey, '/api/orders')).statusCode).toBe(403);

    const set = await app.inject({ method: 'PUT', url: `/api/accounts/${bob.id}/exchange-credentials`, headers: admin, payload: { apiKey: venueBob.apiKey, secret: venueBob.apiSecret } });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toEqual({ id: bob.id, exchangeCredentials: { set: true, updatedAt: expect.any(Number) } });
    expect((await app.inject({ method: 'PUT', url: `/api/accounts/${bob.id}/exchange-credentials`, headers: { authorization: `Bearer ${bob.apiKey}` }, payload: { apiKey: 'x', secret: 'y' } })).statusCode).toBe(401);
  });

  it('each account trades its own venue account: REST for alice, the MEXC API (through ccxt) for bob', async () => {
    const price = (bid() - 1500).toFixed(2);
    const resting = await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${alice.apiKey}` }, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price, clientOrderId: 'alice-rest' } });
    expect(resting.statusCode).toBe(201);
    const sold = await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${alice.apiKey}` }, payload: { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.002' } });
    expect(sold.json()).toMatchObject({ status: 'FILLED', executedQty: '0.002', mode: 'live' });

    const bobClient = new ccxt.mexc({ apiKey: bob.apiKey, secret: bob.apiSecret, enableRateLimit: false, urls: mexcUrls(aBase) as never });
    await bobClient.createOrder('BTC/USDT', 'market', 'sell', 0.001);
    await bobClient.createOrder('BTC/USDT', 'limit', 'buy', 0.002, Number((bid() - 2000).toFixed(2)), { clientOrderId: 'bob-rest' });

    // The venue's own books, each venue account's by its own key.
    const venueOrders = async (who: VenueAccount) => (await onVenue(who, '/api/orders')).items as Array<Record<string, unknown>>;
    expect((await venueOrders(venueAlice)).map((o) => o.clientOrderId)).toContain('alice-rest');
    expect((await venueOrders(venueBob)).map((o) => o.clientOrderId)).toContain('bob-rest');
    expect((await venueOrders(venueBob)).map((o) => o.clientOrderId)).not.toContain('alice-rest');
  });

  it("over REST each sees only its own orders, trades and balances, equal to what the venue reports for its keys", async () => {
    const pick = (o: Record<string, unknown>) => ({ id: o.id, clientOrderId: o.clientOrderId, symbol: o.symbol, side: o.side, type: o.type, status: o.status, quantity: o.quantity, executedQty: o.executedQty, cumulativeQuoteQty: o.cumulativeQuoteQty, createdAt: o.createdAt });
    const pickTrade = (t: Record<string, unknown>) => ({ id: t.id, orderId: t.orderId, symbol: t.symbol, orderSide: t.orderSide, price: t.price, size: t.size, quoteQty: t.quoteQty, fee: t.fee, feeAsset: t.feeAsset, liquidity: t.liquidity, timestamp: t.timestamp });
    for (const [mine, theirs] of [[alice, venueAlice], [bob, venueBob]] as const) {
      const orders = await onA(mine.apiKey, '/api/orders?limit=50');
      expect(orders.statusCode).toBe(200);
      expect(Number(orders.headers['x-data-as-of'])).toBeGreaterThan(0);
      expect(orders.headers.age).toMatch(/^\d+$/);
      const venueOrders = ((await onVenue(theirs, '/api/orders?limit=50')).items as Array<Record<string, unknown>>).map(pick);
      expect((orders.json().items as Array<Record<string, unknown>>).map(pick)).toEqual(venueOrders);
      expect(venueOrders.length).toBe(2);

      const trades = (await onA(mine.apiKey, '/api/trades?limit=50')).json().items as Array<Record<string, unknown>>;
      const venueTrades = ((await onVenue(theirs, '/api/trades?limit=50')).items as Array<Record<string, unknown>>).map(pickTrade);
      expect(trades.map(pickTrade)).toEqual(venueTrades);
      expect(venueTrades.length).toBeGreaterThan(0);

      expect((await onA(mine.apiKey, '/api/account/balances')).json().balances).toEqual((await onVenue(theirs, '/api/account/balances')).balances);
    }
    // Another account's order is unknown to this one's keys on the venue: 404, like a missing one.
    const bobOrder = ((await onVenue(venueBob, '/api/orders')).items as Array<{ id: string }>)[0]!.id;
    expect((await onA(alice.apiKey, `/api/orders/${bobOrder}?symbol=BTCUSDT`)).json()).toMatchObject({ code: 'UNKNOWN_ORDER', mexcCode: -2013 });
  });

  it("the account's equity is its venue balances at the venue's last price; metrics and fills come from the venue's trades", async () => {
    const account = await onA(alice.apiKey, '/api/account');
    expect(account.statusCode).toBe(200);
    const body = account.json();
    const balances = (await onVenue(venueAlice, '/api/account/balances')).balances as Record<string, { free: string; locked: string }>;
    const last = ((await venueApp.inject({ url: '/api/v3/ticker/price?symbol=BTCUSDT' })).json() as { price: string }).price;
    const total = (a: string) => parseFixed(balances[a]!.free) + parseFixed(balances[a]!.locked);
    expect(body).toMatchObject({ id: alice.id, mode: 'live', halted: false, balances, equity: formatFixed(total('USDT') + mul(total('BTC'), parseFixed(last), 'half-up')) });
    const fills = (await onA(alice.apiKey, '/api/account/fills')).json().items as Array<{ id: string; realizedPnl: string | null }>;
    expect(fills.map((f) => f.id)).toEqual(((await onVenue(venueAlice, '/api/trades')).items as Array<{ id: string }>).map((t) => t.id));
    expect((await onA(alice.apiKey, '/api/account/metrics')).statusCode).toBe(200);
    // The CSV export is the venue's too: one row per venue trade, by trade id, in execution order.
    const csv = (await onA(alice.apiKey, '/api/trades.csv')).body.trim().split('\r\n');
    const venueIds = ((await onVenue(venueAlice, '/api/trades')).items as Array<{ id: string }>).map((t) => t.id).reverse();
    expect(csv.slice(1).map((line) => line.split(',').at(-1))).toEqual(venueIds);
    const orderCsv = (await onA(alice.apiKey, '/api/orders.csv')).body.trim().split('\r\n');
    expect(orderCsv.length - 1).toBe(((await onVenue(venueAlice, '/api/orders')).items as unknown[]).length);
    expect((await onA(alice.apiKey, '/api/account/positions')).json()).toEqual({ items: [] });
  });

  it("over the MEXC API (ccxt's mexc against A) allOrders and myTrades are the venue's, for that account only", async () => {
    for (const [mine, theirs] of [[alice, venueAlice], [bob, venueBob]] as const) {
      const client = new ccxt.mexc({ apiKey: mine.apiKey, secret: mine.apiSecret, enableRateLimit: false, urls: mexcUrls(aBase) as never });
      const venueClient = new ccxt.mexc({ apiKey: theirs.apiKey, secret: theirs.apiSecret, enableRateLimit: false, urls: mexcUrls(proxy.url) as never });
      const strip = (o: Order) => ({ id: o.id, clientOrderId: o.clientOrderId, status: o.status, filled: o.filled, amount: o.amount });
      expect((await client.fetchOrders('BTC/USDT')).map(strip)).toEqual((await venueClient.fetchOrders('BTC/USDT')).map(strip));
      const trades = await client.fetchMyTrades('BTC/USDT');
      expect(trades.map((t) => t.info)).toEqual((await venueClient.fetchMyTrades('BTC/USDT')).map((t) => t.info));
      expect(trades.length).toBeGreaterThan(0);
      const others = mine === alice ? 'bob-rest' : 'alice-rest';
      expect((await client.fetchOrders('BTC/USDT')).map((o) => o.clientOrderId)).not.toContain(others);
    }
  });

  it("over the Binance Spot API allOrders, myTrades, openOrders, order and account are the venue's, for that account's keys only", async () => {
    /** A signed Binance Spot GET against A, as Binance's docs sign it (HMAC-SHA256 of the query string). */
    const binance = async (who: { apiKey: string; apiSecret: string }, path: string, query: string) => {
      const total = `${query}&timestamp=${Date.now()}`;
      const answer = await app.inject({ url: `/binance/api/v3/${path}?${total}&signature=${binanceSignature(who.apiSecret, total)}`, headers: { 'x-mbx-apikey': who.apiKey } });
      expect(answer.statusCode).toBe(200);
      return answer;
    };
    for (const [mine, theirs, other] of [[alice, venueAlice, venueBob], [bob, venueBob, venueAlice]] as const) {
      // The venue's own native API, asked with this account's venue key, is the oracle.
      const venueOrders = ((await onVenue(theirs, '/api/orders?limit=50')).items as Array<Record<string, string>>).reverse();
      const venueTrades = ((await onVenue(theirs, '/api/trades?limit=50')).items as Array<Record<string, string>>).reverse();
      const otherOrders = ((await onVenue(other, '/api/orders?limit=50')).items as Array<{ id: string }>).map((o) => o.id);
      expect(venueOrders.length).toBeGreaterThan(0);
      expect(venueTrades.length).toBeGreaterThan(0);

      const all = await binance(mine, 'allOrders', 'symbol=BTCUSDT');
      expect(Number(all.headers['x-data-as-of'])).toBeGreaterThan(0);
      const orders = all.json() as Array<Record<string, unknown>>;
      expect(orders.map((o) => ({ orderId: String(o.orderId), clientOrderId: o.clientOrderId, side: o.side, status: o.status, origQty: o.origQty, executedQty: o.executedQty, time: o.time }))).toEqual(
        venueOrders.map((o) => ({ orderId: o.id, clientOrderId: o.clientOrderId, side: o.side, status: o.status, origQty: o.quantity, executedQty: o.executedQty, time: Number(o.createdAt) })),
      );
      expect(orders.map((o) => String(o.orderId)).filter((id) => otherOrders.includes(id))).toEqual([]);

      const trades = (await binance(mine, 'myTrades', 'symbol=BTCUSDT')).json() as Array<Record<string, unknown>>;
      expect(trades.map((t) => ({ id: String(t.id), orderId: String(t.orderId), price: t.price, qty: t.qty, commission: t.commission, commissionAsset: t.commissionAsset, isBuyer: t.isBuyer, time: t.time }))).toEqual(
        venueTrades.map((t) => ({ id: t.id, orderId: t.orderId, price: t.price, qty: t.size, commission: t.fee, commissionAsset: t.feeAsset, isBuyer: t.orderSide === 'BUY', time: Number(t.timestamp) })),
      );
      expect(trades.every((t) => venueOrders.some((o) => o.id === String(t.orderId)))).toBe(true);

      const open = (await binance(mine, 'openOrders', 'symbol=BTCUSDT')).json() as Array<{ orderId: number; clientOrderId: string }>;
      const venueOpen = (await onVenue(theirs, '/api/orders/open')).items as Array<{ orderId: string }>;
      expect(open.map((o) => String(o.orderId)).sort()).toEqual(venueOpen.map((o) => o.orderId).sort());
      const one = (await binance(mine, 'order', `symbol=BTCUSDT&orderId=${venueOrders[0]!.id}`)).json();
      expect(one).toMatchObject({ orderId: Number(venueOrders[0]!.id), clientOrderId: venueOrders[0]!.clientOrderId, status: venueOrders[0]!.status, executedQty: venueOrders[0]!.executedQty });

      const account = (await binance(mine, 'account', 'omitZeroBalances=true')).json() as { canTrade: boolean; balances: Array<{ asset: string; free: string; locked: string }> };
      const venueBalances = (await onVenue(theirs, '/api/account/balances')).balances as Record<string, { free: string; locked: string }>;
      expect(account.canTrade).toBe(true);
      expect(Object.fromEntries(account.balances.map((b) => [b.asset, { free: b.free, locked: b.locked }]))).toEqual(
        Object.fromEntries(Object.entries(venueBalances).filter(([, b]) => parseFixed(b.free) + parseFixed(b.locked) !== 0n)),
      );
      // The admin account list reads the same port: the venue's balances for this account's keys.
      const listed = (await app.inject({ url: '/api/accounts?limit=50', headers: admin })).json().items as Array<{ id: string; halted: boolean; balances: unknown }>;
      expect(listed.find((x) => x.id === mine.id)).toMatchObject({ halted: false, balances: venueBalances });
    }
  });

  it("over the WebSocket an account hears its own orders and venue balances, never another's", async () => {
    const listen = async (key: string) => {
      const ws = await app.injectWS('/ws');
      const messages: Array<Record<string, unknown>> = [];
      ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
      ws.send(JSON.stringify({ op: 'auth', apiKey: key }));
      await until(() => messages.some((m) => m.op === 'auth'), 'the auth answer');
      ws.send(JSON.stringify({ op: 'subscribe', channels: ['account'] }));
      await until(() => messages.some((m) => m.op === 'subscribe'), 'the subscribe answer');
      return { ws, messages };
    };
    const a = await listen(alice.apiKey);
    const b = await listen(bob.apiKey);
    const placed = (await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${alice.apiKey}` }, payload: { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.001', clientOrderId: 'alice-ws' } })).json();
    await until(() => a.messages.some((m) => m.channel === 'account' && 'balances' in m), "alice's balances");
    const event = a.messages.find((m) => m.channel === 'account' && 'event' in m)!.event as { type: string; order: { orderId: string; clientOrderId: string } };
    expect(event).toMatchObject({ type: 'ORDER_UPDATE', order: { orderId: placed.orderId, clientOrderId: 'alice-ws', status: 'FILLED' } });
    expect(a.messages.find((m) => 'balances' in m)!.balances).toEqual((await onVenue(venueAlice, '/api/account/balances')).balances);
    // A resting order that ends at the venue (cancelled there, not through A) is told too, from the venue's poll.
    const bobRest = ((await onVenue(venueBob, '/api/orders/open')).items as Array<{ orderId: string; clientOrderId: string }>).find((o) => o.clientOrderId === 'bob-rest')!;
    await venueApp.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${venueBob.apiKey}` }, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: (bid() - 2500).toFixed(2), clientOrderId: 'bob-side' } });
    await until(() => b.messages.some((m) => m.channel === 'account' && 'event' in m), "bob's first order event");
    await venueApp.inject({ method: 'DELETE', url: `/api/orders/${bobRest.orderId}`, headers: { authorization: `Bearer ${venueBob.apiKey}` } });
    await until(() => b.messages.some((m) => (m.event as { order?: { orderId: string; status: string } } | undefined)?.order?.orderId === bobRest.orderId), 'the cancel at the venue');
    expect(b.messages.find((m) => (m.event as { order?: { orderId: string } } | undefined)?.order?.orderId === bobRest.orderId)!.event).toMatchObject({ type: 'ORDER_UPDATE', order: { status: 'CANCELED', clientOrderId: 'bob-rest' } });
    await new Promise((r) => setTimeout(r, 250));
    const aliceSaw = a.messages.filter((m) => m.channel === 'account' && 'event' in m).map((m) => (m.event as { order: { clientOrderId: string } }).order.clientOrderId);
    expect(aliceSaw).toEqual(['alice-ws']);
    a.ws.terminate();
    b.ws.terminate();
  });

  it('a venue outage answers 503 (after retries with back-off) and the same reads recover with the venue', async () => {
    proxy.down = true;
    try {
      const balanceRetries = () => logged.filter((l) => l.includes('exchange unavailable; retrying') && l.includes('"op":"fetchBalance"') && l.includes(alice.id)).length;
      const retriesBefore = balanceRetries();
      const down = await onA(alice.apiKey, '/api/account/balances');
      expect(down.statusCode).toBe(503);
      // Two retries, 20 then 40 ms apart, before the answer.
      expect(balanceRetries() - retriesBefore).toBe(2);
      expect(down.json()).toMatchObject({ code: 'EXCHANGE_UNAVAILABLE' });
      await new Promise((r) => setTimeout(r, 350)); // past the cache
      expect((await onA(bob.apiKey, '/api/trades')).statusCode).toBe(503);
      const mexc = new ccxt.mexc({ apiKey: alice.apiKey, secret: alice.apiSecret, enableRateLimit: false, urls: mexcUrls(aBase) as never });
      await expect(mexc.fetchMyTrades('BTC/USDT')).rejects.toThrow();
    } finally {
      proxy.down = false;
    }
    expect((await onA(alice.apiKey, '/api/account/balances')).statusCode).toBe(200);
    expect((await onA(bob.apiKey, '/api/trades')).statusCode).toBe(200);
  });

  it('secrets never leave: not in answers, not in the database in clear, not in the logs', async () => {
    const listed = JSON.stringify((await app.inject({ url: '/api/accounts', headers: admin })).json());
    const described = (await app.inject({ url: `/api/accounts/${alice.id}/exchange-credentials`, headers: admin })).json();
    expect(described).toEqual({ id: alice.id, exchangeCredentials: { set: true, updatedAt: expect.any(Number) } });
    const rows = JSON.stringify(await instance.engine.db.selectFrom('account_exchange_keys').selectAll().execute());
    const audit = JSON.stringify(await instance.engine.db.selectFrom('audit_log').selectAll().execute());
    for (const secret of [venueAlice.apiSecret, venueBob.apiSecret, venueAlice.apiKey, venueBob.apiKey]) {
      expect(listed).not.toContain(secret);
      expect(rows).not.toContain(secret);
      expect(audit).not.toContain(secret);
      expect(logged.join('')).not.toContain(secret);
    }
    expect(logged.length).toBeGreaterThan(0);
  });

  it("a restart reconciles the record with the venue and reports what changed while it was down", async () => {
    const resting = ((await onVenue(venueAlice, '/api/orders/open')).items as Array<{ orderId: string; clientOrderId: string }>).find((o) => o.clientOrderId === 'alice-rest')!;
    await app.close();
    await instance.close();
    // While A is down: the venue cancels alice's resting order, and someone places one with her keys elsewhere.
    expect((await venueApp.inject({ method: 'DELETE', url: `/api/orders/${resting.orderId}`, headers: { authorization: `Bearer ${venueAlice.apiKey}` } })).statusCode).toBe(200);
    const elsewhere = (await venueApp.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${venueAlice.apiKey}` }, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: (bid() - 1800).toFixed(2), clientOrderId: 'placed-elsewhere' } })).json();

    const restarted = await startLive(0);
    instance = restarted.service;
    app = restarted.app;
    const report = (await app.inject({ url: '/api/admin/live/reconciliation', headers: admin })).json().report;
    const aliceDiffs = report.differences.filter((d: { accountId: string }) => d.accountId === alice.id);
    expect(aliceDiffs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'status-changed', orderId: resting.orderId, recorded: 'NEW', venue: 'CANCELED' }),
        expect.objectContaining({ kind: 'unknown-to-record', orderId: elsewhere.orderId, clientOrderId: 'placed-elsewhere' }),
      ]),
    );
    expect(aliceDiffs).toHaveLength(2);
    // bob's resting order was cancelled at the venue (the WebSocket test), and one was placed there directly: both reported.
    expect(report.differences.filter((d: { accountId: string }) => d.accountId === bob.id).map((d: { kind: string; clientOrderId?: string }) => d.kind).sort()).toEqual(['status-changed', 'unknown-to-record']);
    expect(logged.join('')).toContain('reconciliation: order');
    // Once reported, the record holds what the venue said: a second run has nothing new to report.
    const again = (await app.inject({ method: 'POST', url: '/api/admin/live/reconcile', headers: admin })).json().report;
    expect(again).toMatchObject({ differences: [], accounts: expect.arrayContaining([expect.objectContaining({ accountId: alice.id })]) });
  });
});

/** ccxt mexc's URLs pointed at a papertrade instance (spot, and the contract market list it also loads). */
function mexcUrls(base: string) {
  return { api: { spot: { public: base, private: base }, contract: { public: `${base}/api/v1/contract`, private: `${base}/api/v1/private` } } };
}

