/**
 * ccxt's own `binance` pro class, unmodified (only its URLs pointed here), watches papertrade's
 * Binance spot streams over real WebSockets, against a real engine fed with the bundled recording:
 * the order book it keeps from the REST depth and the diffs equals the REST and native depth; the
 * trades it receives are the recording's prints; a market buy placed over REST reaches
 * watchOrders, watchMyTrades and watchBalance with the figures of a hand walk of the book, and a
 * listenKey stream of another account receives nothing of it.
 */
import ccxt, { type Exchange } from 'ccxt';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { TradeInput } from '../../core/kernel/inputs.js';
import { formatFixed, mulExact, parseFixed } from '../../core/money/fixed.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { until } from '../../test-kit/ws-client.js';
import { registerBinanceApi } from '../binance/binance-api.js';
import { buildServer } from '../server.js';
import { ccxtHeard } from '../../test-kit/ccxt-heard.js';

const START = 1723161300000; // 2024-08-08T23:55:00Z
const SYMBOL = 'BTC/USDT';
const admin = { authorization: `Bearer ${ADMIN_KEY}` };

interface Account {
  id: string;
  apiKey: string;
  apiSecret: string;
}

/**
 * The lines a ccxt pro bot changes: every Binance REST host becomes `/binance`, the stream hosts
 * `/binance/ws` and `/binance/ws-api/v3` (ccxt wants its HTTP agent loaded for plain ws:// URLs).
 */
async function binancePro(base: string, account: Account): Promise<Exchange> {
  const exchange = new ccxt.pro.binance({ apiKey: account.apiKey, secret: account.apiSecret, enableRateLimit: false, options: { fetchMarkets: { types: ['spot'] } } });
  const api = exchange.urls.api as Record<string, unknown>;
  for (const [name, url] of Object.entries(api)) if (typeof url === 'string') api[name] = url.replace(/^https:\/\/[a-z]+\.binance\.com/, `${base}/binance`);
  const ws = base.replace(/^http/, 'ws');
  api.ws = { spot: `${ws}/binance/ws`, margin: `${ws}/binance/ws`, future: `${ws}/binance/fws`, 'ws-api': { spot: `${ws}/binance/ws-api/v3` } };
  await exchange.loadHttpProxyAgent();
  return exchange;
}

/** A raw socket's JSON frames. */
function collect(url: string): Promise<{ ws: WebSocket; frames: Record<string, unknown>[] }> {
  const ws = new WebSocket(url);
  const frames: Record<string, unknown>[] = [];
  ws.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames }));
    ws.once('error', reject);
  });
}

describe("ccxt's binance pro class watches papertrade's Binance spot streams", () => {
  let service: TestService;
  let app: FastifyInstance;
  let base: string;
  let account: Account;
  let other: Account;
  let binance: Exchange;
  const feed = (ms: number) => service.feedFor(ms);
  const openAccount = async (name: string): Promise<Account> =>
    (await app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name, balances: { USDT: '400000', BTC: '1' } } })).json();
  const restDepth = async () => (await (await fetch(`${base}/binance/api/v3/depth?symbol=BTCUSDT&limit=50`)).json()) as { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] };
  const nativeDepth = async () => (await app.inject({ url: '/api/market/depth/BTCUSDT?limit=50' })).json<{ bids: [string, string][]; asks: [string, string][] }>();
  const asNumbers = (levels: [string, string][]) => levels.map(([p, q]) => [Number(p), Number(q)]);

  beforeAll(async () => {
    service = await startTestService({ until: START });
    app = await buildServer(service.deps, { plugins: [registerBinanceApi] });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    account = await openAccount('pro');
    other = await openAccount('bystander');
    binance = await binancePro(base, account);
    await binance.loadMarkets();
  });
  afterAll(async () => {
    await binance?.close();
    await app?.close();
    await service?.close();
  });

  it('keeps an order book from the REST depth and the diffs that equals the REST and the native depth after updates', async () => {
    const watching = binance.watchOrderBook(SYMBOL);
    await feed(3_000);
    const first = await watching;
    const snapshotNonce = first.nonce as number;
    await feed(10_000);
    const kernelId = service.engine.kernel.bookStatus('BTCUSDT')!.updateId;
    expect(kernelId).toBeGreaterThan(snapshotNonce); // the book moved on after ccxt's snapshot: diffs carried it
    await until(() => binance.orderbooks[SYMBOL]?.nonce === kernelId, 'the diffs to reach the last update');
    const book = binance.orderbooks[SYMBOL]!.limit();
    const rest = await restDepth();
    expect(rest.lastUpdateId).toBe(kernelId);
    const native = await nativeDepth();
    expect(asNumbers(native.bids)).toEqual(asNumbers(rest.bids));
    expect(book.bids.slice(0, 50)).toEqual(asNumbers(rest.bids));
    expect(book.asks.slice(0, 50)).toEqual(asNumbers(native.asks));
  });

  it("receives the recording's trades, in order, with their ids, prices and sizes", async () => {
    const from = service.fedUntil;
    const heard = ccxtHeard(binance);
    const watching = binance.watchTrades(SYMBOL);
    // The SUBSCRIBE answered ({"result":null,"id":…}) before the prints play.
    await until(() => heard.some((m) => m.result === null && m.id !== undefined), 'the trade subscription answered');
    await feed(8_000);
    await watching;
    const prints = service.recording.inputs.filter((i): i is TradeInput => i.kind === 'trade' && i.time > from && i.time <= service.fedUntil);
    expect(prints.length).toBeGreaterThan(10);
    const last = prints.at(-1)!;
    await until(() => (binance.trades[SYMBOL] as { id: string }[] | undefined)?.at(-1)?.id === String(last.tradeId), 'the last print');
    const got = (binance.trades[SYMBOL] as { id: string; price: number; amount: number; side: string; timestamp: number }[]).filter((t) => t.timestamp > from);
    expect(got.map((t) => [t.id, t.price, t.amount, t.side, t.timestamp])).toEqual(
      prints.map((p) => [String(p.tradeId), Number(p.price), Number(p.quantity), p.buyerMaker ? 'sell' : 'buy', p.time]),
    );
  });

  it('tells watchOrders, watchMyTrades and watchBalance of a market buy placed over REST; another account hears nothing', async () => {
    // A listenKey stream for each account, beside ccxt's WebSocket API subscription.
    const keyOf = async (who: Account) => ((await (await fetch(`${base}/binance/api/v3/userDataStream`, { method: 'POST', headers: { 'X-MBX-APIKEY': who.apiKey } })).json()) as { listenKey: string }).listenKey;
    const ws = base.replace(/^http/, 'ws');
    const mine = await collect(`${ws}/binance/ws/${await keyOf(account)}`);
    const theirs = await collect(`${ws}/binance/ws/${await keyOf(other)}`);
    await binance.authenticate({ type: 'spot' });
    const orders = binance.watchOrders(SYMBOL);
    const trades = binance.watchMyTrades(SYMBOL);
    const balance = binance.watchBalance();

    // The fills by hand: walk the asks as they stand.
    const quantity = parseFixed('0.5');
    const asks = service.engine.kernel.depth('BTCUSDT', 50)!.asks;
    const expected: [number, number][] = [];
    let left = quantity;
    let cost = 0n;
    for (const [price, size] of asks) {
      if (left === 0n) break;
      const take = parseFixed(size) < left ? parseFixed(size) : left;
      expected.push([Number(price), Number(formatFixed(take))]);
      cost += mulExact(parseFixed(price), take);
      left -= take;
    }
    // 0.1 % taker fee in BTC, rounded up to 8 decimals once over the order.
    const feeExact = quantity / 1000n;
    const fee = feeExact % 10n ** 10n === 0n ? feeExact : feeExact - (feeExact % 10n ** 10n) + 10n ** 10n;

    const placed = await binance.createOrder(SYMBOL, 'market', 'buy', 0.5);
    await Promise.all([orders, trades, balance]);
    await until(() => (binance.orders as { id: string; status: string }[]).some((o) => o.id === placed.id && o.status === 'closed'), 'the order to close');
    const order = (binance.orders as { id: string; status: string; filled: number; amount: number }[]).find((o) => o.id === placed.id)!;
    expect(order).toMatchObject({ status: 'closed', filled: 0.5, amount: 0.5 });

    await until(() => (binance.myTrades as unknown[]).length === expected.length, 'every fill');
    const fills = binance.myTrades as { order: string; price: number; amount: number; takerOrMaker: string; fee: { currency: string } }[];
    expect(fills.map((t) => [t.price, t.amount])).toEqual(expected);
    expect(fills.every((t) => t.order === placed.id && t.takerOrMaker === 'taker' && t.fee.currency === 'BTC')).toBe(true);

    const want = { BTC: parseFixed('1') + quantity - fee, USDT: parseFixed('400000') - cost };
    // ccxt keeps the stream's balance per account type.
    const spot = () => (binance.balance as unknown as Record<string, Record<string, { free?: unknown; used?: unknown }> | undefined>).spot;
    await until(() => spot()?.BTC?.free !== undefined && parseFixed(String(spot()!.BTC!.free)) === want.BTC, 'the BTC balance');
    expect(parseFixed(String(spot()!.USDT!.free))).toBe(want.USDT);
    expect([Number(spot()!.BTC!.used), Number(spot()!.USDT!.used)]).toEqual([0, 0]);

    // The listenKey stream of the account: a NEW report, a TRADE report per fill, the positions.
    await until(() => mine.frames.filter((f) => f.e === 'executionReport' && f.x === 'TRADE').length === expected.length, 'the listenKey stream');
    const reports = mine.frames.filter((f) => f.e === 'executionReport');
    expect(reports.map((f) => f.x)).toEqual(['NEW', ...expected.map(() => 'TRADE')]);
    expect(reports.every((f) => f.i === Number(placed.id) && f.s === 'BTCUSDT' && f.S === 'BUY' && f.o === 'MARKET')).toBe(true);
    expect(reports.at(-1)).toMatchObject({ X: 'FILLED', z: '0.5', N: 'BTC' });
    const position = mine.frames.filter((f) => f.e === 'outboundAccountPosition').at(-1) as { B: { a: string; f: string }[] };
    expect(position.B.map((b) => [b.a, parseFixed(b.f)])).toEqual([['BTC', want.BTC], ['USDT', want.USDT]]);
    expect(theirs.frames).toEqual([]);
    mine.ws.close();
    theirs.ws.close();
  });
});
