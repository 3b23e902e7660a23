/**
 * ccxt's own `binanceusdm` pro class, unmodified (only its URLs pointed here), watches papertrade's
 * USD-M futures streams over real WebSockets, against a real engine fed with the bundled USD-M
 * recording: the book it keeps from `/fapi/v1/depth` and the `pu`-chained diffs equals the REST and
 * native depth; the trades are the recording's prints; a market buy over REST reaches watchOrders,
 * watchMyTrades, watchBalance and watchPositions through the listenKey stream, with the figures of
 * a hand walk of the book.
 */
import ccxt, { type Exchange } from 'ccxt';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TradeInput } from '../../core/kernel/inputs.js';
import { div, formatFixed, mulExact, parseFixed } from '../../core/money/fixed.js';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { until } from '../../test-kit/ws-client.js';
import { registerBinanceUsdmApi } from '../binance-usdm/index.js';
import { registerBinanceApi } from '../binance/binance-api.js';
import { buildServer } from '../server.js';
import { ccxtHeard } from '../../test-kit/ccxt-heard.js';

const START = 1723161300000; // 2024-08-08T23:55:00Z
const SYMBOL = 'BTC/USDT:USDT';

interface Account {
  id: string;
  apiKey: string;
  apiSecret: string;
}

/** The lines a ccxt pro bot changes: the REST hosts become `/binance`, the futures stream host `/binance/fws`. */
async function usdmPro(base: string, account: Account): Promise<Exchange> {
  const exchange = new ccxt.pro.binanceusdm({ apiKey: account.apiKey, secret: account.apiSecret, enableRateLimit: false });
  const api = exchange.urls.api as Record<string, unknown>;
  for (const [name, url] of Object.entries(api)) if (typeof url === 'string') api[name] = url.replace(/^https:\/\/[a-z]+\.binance\.com/, `${base}/binance`);
  api.ws = { future: `${base.replace(/^http/, 'ws')}/binance/fws` };
  await exchange.loadHttpProxyAgent();
  return exchange;
}

describe("ccxt's binanceusdm pro class watches papertrade's USD-M streams", () => {
  let service: TestService;
  let app: FastifyInstance;
  let base: string;
  let usdm: Exchange;
  const feed = (ms: number) => service.feedFor(ms);
  const asNumbers = (levels: [string, string][]) => levels.map(([p, q]) => [Number(p), Number(q)]);

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: START });
    app = await buildServer(service.deps, { plugins: [registerBinanceApi, registerBinanceUsdmApi] });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    const account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'usdm-pro', type: 'futures', leverage: 5, balances: { USDT: '100000' } } })).json<Account>();
    usdm = await usdmPro(base, account);
    await usdm.loadMarkets();
  });
  afterAll(async () => {
    await usdm?.close();
    await app?.close();
    await service?.close();
  });

  it('keeps an order book from the REST depth and the pu-chained diffs that equals the REST and the native depth', async () => {
    const watching = usdm.watchOrderBook(SYMBOL);
    await feed(3_000);
    const first = await watching;
    const snapshotNonce = first.nonce as number;
    await feed(10_000);
    const kernelId = service.engine.kernel.bookStatus('BTCUSDT')!.updateId;
    expect(kernelId).toBeGreaterThan(snapshotNonce);
    await until(() => usdm.orderbooks[SYMBOL]?.nonce === kernelId, 'the diffs to reach the last update');
    const book = usdm.orderbooks[SYMBOL]!.limit();
    const rest = (await (await fetch(`${base}/binance/fapi/v1/depth?symbol=BTCUSDT&limit=50`)).json()) as { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] };
    expect(rest.lastUpdateId).toBe(kernelId);
    const native = (await app.inject({ url: '/api/market/depth/BTCUSDT?limit=50' })).json<{ bids: [string, string][]; asks: [string, string][] }>();
    expect(asNumbers(native.asks)).toEqual(asNumbers(rest.asks));
    expect(book.bids.slice(0, 50)).toEqual(asNumbers(native.bids));
    expect(book.asks.slice(0, 50)).toEqual(asNumbers(rest.asks));
  });

  it("receives the recording's trades", async () => {
    const from = service.fedUntil;
    const heard = ccxtHeard(usdm);
    const watching = usdm.watchTrades(SYMBOL);
    // The SUBSCRIBE answered ({"result":null,"id":…}) before the prints play.
    await until(() => heard.some((m) => m.result === null && m.id !== undefined), 'the trade subscription answered');
    await feed(8_000);
    await watching;
    const prints = service.recording.inputs.filter((i): i is TradeInput => i.kind === 'trade' && i.time > from && i.time <= service.fedUntil);
    expect(prints.length).toBeGreaterThan(10);
    await until(() => (usdm.trades[SYMBOL] as { id: string }[] | undefined)?.at(-1)?.id === String(prints.at(-1)!.tradeId), 'the last print');
    const got = (usdm.trades[SYMBOL] as { id: string; price: number; amount: number; timestamp: number }[]).filter((t) => t.timestamp > from);
    expect(got.map((t) => [t.id, t.price, t.amount, t.timestamp])).toEqual(prints.map((p) => [String(p.tradeId), Number(p.price), Number(p.quantity), p.time]));
  });

  it('tells watchOrders, watchMyTrades, watchBalance and watchPositions of a market buy placed over REST', async () => {
    await usdm.authenticate({ type: 'future' });
    const orders = usdm.watchOrders(SYMBOL);
    const trades = usdm.watchMyTrades(SYMBOL);
    const balance = usdm.watchBalance();
    const positions = usdm.watchPositions([SYMBOL]);
    // The listenKey connection is open before the order goes in (the server follows the account from its upgrade on).
    const clients = () => Object.values(usdm.clients as Record<string, { url: string; isConnected: boolean }>);
    await until(() => clients().some((c) => c.url.includes('listenKey=') && c.isConnected), 'the user data connection');

    // The fills by hand: walk the asks for 0.05 BTC.
    const quantity = parseFixed('0.05');
    let left = quantity;
    let cost = 0n;
    const expected: [number, number][] = [];
    for (const [price, size] of service.engine.kernel.depth('BTCUSDT', 50)!.asks) {
      if (left === 0n) break;
      const take = parseFixed(size) < left ? parseFixed(size) : left;
      expected.push([Number(price), Number(formatFixed(take))]);
      cost += mulExact(parseFixed(price), take);
      left -= take;
    }
    const placed = await usdm.createOrder(SYMBOL, 'market', 'buy', 0.05);
    await Promise.all([orders, trades, balance, positions]);

    await until(() => (usdm.orders as { id: string; status: string }[]).some((o) => o.id === placed.id && o.status === 'closed'), 'the order to close');
    await until(() => (usdm.myTrades as unknown[]).length === expected.length, 'every fill');
    const fills = usdm.myTrades as { order: string; price: number; amount: number; fee: { cost: number; currency: string } }[];
    expect(fills.map((t) => [t.price, t.amount])).toEqual(expected);
    expect(fills.every((t) => t.order === placed.id && t.fee.currency === 'USDT')).toBe(true);

    // The wallet: the deposit less the fees the fills charged (no PnL realized on an opening buy).
    const fees = fills.reduce((s, t) => s + parseFixed(String(t.fee.cost)), 0n);
    const future = () => (usdm.balance as unknown as Record<string, Record<string, { total?: unknown }> | undefined>).future;
    await until(() => future()?.USDT?.total !== undefined, 'the balance');
    expect(parseFixed(String(future()!.USDT!.total))).toBe(parseFixed('100000') - fees);

    // ccxt keeps the stream's positions per account type, too.
    const held = () => (usdm.positions as unknown as Record<string, { symbol: string; contracts: number; entryPrice: number; side: string }[] | undefined>).future ?? [];
    await until(() => held().some((p) => p.symbol === SYMBOL && p.contracts === 0.05), 'the position');
    const position = held().find((p) => p.symbol === SYMBOL && p.contracts === 0.05)!;
    expect(position).toMatchObject({ contracts: 0.05, side: 'long' });
    expect(parseFixed(String(position.entryPrice))).toBe(div(cost, quantity));
  });
});
