/**
 * MEXC's contract WebSocket at `/mexc/contract/edge`, against a real engine fed with the bundled
 * Binance USD-M recording: ping and pong, an unknown method and a refused login answered on
 * MEXC's `rs.error` channel; after a market buy, the account's pushes as ccxt's unmodified pro
 * `mexc` class reads them (watchMyTrades) and as MEXC sends them (push.personal.position, read
 * raw: ccxt 4.5's mexc has no watchPositions); the recording's prints on watchTrades and
 * watchTicker. Expected values are the engine's book walked by hand, MEXC's contract size
 * (0.0001 BTC per BTC_USDT contract), the instrument's published fee rate and commission
 * precision, and bigint arithmetic as the fee and margin rules state them.
 */
import { createHmac } from 'node:crypto';
import ccxt, { type Exchange } from 'ccxt';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import type { TradeInput } from '../../core/kernel/inputs.js';
import { formatFixed, parseFixed } from '../../core/money/fixed.js';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { ccxtHeard, mexcContractAnswered } from '../../test-kit/ccxt-heard.js';
import { connect, until, type Frame } from '../../test-kit/ws-client.js';
import { registerMexcApi } from '../mexc/mexc-api.js';
import { registerMexcContractApi } from '../mexc-contract/mexc-contract-api.js';
import { buildServer } from '../server.js';

const START = 1723161300000; // 2024-08-08T23:55:00Z
const SYMBOL = 'BTC/USDT:USDT';
const CONTRACT = 10n ** 14n; // 0.0001 BTC at 10^18
const E18 = 10n ** 18n;
const LEVERAGE = 10;

interface Account {
  id: string;
  apiKey: string;
  apiSecret: string;
}

const sign = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');
const loginFrame = (apiKey: string, secret: string, reqTime = String(Date.now())) => JSON.stringify({ method: 'login', param: { apiKey, reqTime, signature: sign(secret, apiKey + reqTime) } });
/** A decimal at 10^18 as MEXC's JSON number. */
const asNumber = (scaled: bigint) => Number(formatFixed(scaled));
/** A base quantity at 10^18 in contracts, as MEXC's JSON number. */
const contractsOf = (quantity: bigint) => asNumber((quantity * E18) / CONTRACT);

describe("MEXC's contract WebSocket at /mexc/contract/edge", () => {
  let service: TestService;
  let app: FastifyInstance;
  let url: string;
  let alice: Account;
  let ex: Exchange;
  const sockets: WebSocket[] = [];

  const open = async () => {
    const c = await connect(url);
    sockets.push(c.ws);
    return c;
  };
  const answerTo = async (c: { ws: WebSocket; frames: Frame[] }, message: string, channel: string) => {
    const from = c.frames.length;
    c.ws.send(message);
    await until(() => c.frames.slice(from).some((f) => f.channel === channel || f.channel === 'rs.error'), `an answer to ${message.slice(0, 60)}`);
    return c.frames.slice(from).find((f) => f.channel === channel || f.channel === 'rs.error')!;
  };

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: START - 1 });
    app = await buildServer(service.deps, { plugins: [registerMexcContractApi, registerMexcApi] });
    await service.feedUntil(START + 150_000);
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    url = `${base.replace(/^http/, 'ws')}/mexc/contract/edge`;
    const payload = { name: 'alice', type: 'futures', marginMode: 'cross', leverage: LEVERAGE, balances: { USDT: '1000000' } };
    alice = (await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload })).json();
    ex = new ccxt.pro.mexc({ apiKey: alice.apiKey, secret: alice.apiSecret, enableRateLimit: false });
    const api = ex.urls.api as Record<string, Record<string, string>>;
    api.contract = { ...api.contract, public: `${base}/api/v1/contract`, private: `${base}/api/v1/private` };
    api.spot = { ...api.spot, public: base, private: base };
    api.ws = { ...api.ws, swap: url };
    await ex.loadHttpProxyAgent();
    await ex.loadMarkets();
  });
  afterAll(async () => {
    for (const ws of sockets) ws.close();
    await ex?.close();
    await app?.close();
    await service?.close();
  });

  it('answers a ping with a pong carrying the server time, in the shape MEXC documents: {"channel":"pong","data":<ms>} and nothing else', async () => {
    const c = await open();
    const before = Date.now();
    const pong = await answerTo(c, JSON.stringify({ method: 'ping' }), 'pong');
    expect(pong).toEqual({ channel: 'pong', data: expect.any(Number) });
    expect(Object.keys(pong)).toEqual(['channel', 'data']);
    expect(pong.data).toBeGreaterThanOrEqual(before);
    expect(pong.data).toBeLessThanOrEqual(Date.now());
  });

  it("answers an unknown method, a frame that is not JSON and an unknown contract on MEXC's rs.error channel", async () => {
    const c = await open();
    expect(await answerTo(c, JSON.stringify({ method: 'sub.orderbook', param: { symbol: 'BTC_USDT' } }), 'rs.sub.orderbook')).toMatchObject({ channel: 'rs.error', data: expect.stringContaining('sub.orderbook') });
    expect(await answerTo(c, 'ping', 'pong')).toMatchObject({ channel: 'rs.error', data: expect.stringContaining('JSON') });
    expect(await answerTo(c, JSON.stringify({ method: 'sub.deal', param: { symbol: 'DOGE_USDT' } }), 'rs.sub.deal')).toMatchObject({ channel: 'rs.error', data: 'Contract does not exist!' });
    expect(await answerTo(c, JSON.stringify({ method: 'sub.deal', param: { symbol: 'BTC_USDT' } }), 'rs.sub.deal')).toMatchObject({ channel: 'rs.sub.deal', data: 'success' });
    expect(await answerTo(c, JSON.stringify({ method: 'sub.depth.full', param: { symbol: 'BTC_USDT', limit: 7 } }), 'rs.sub.depth.full')).toMatchObject({ channel: 'rs.error', data: expect.stringContaining('limit') });
  });

  it('refuses a login signed with the wrong secret, an unknown key and a stale time; none of them hears the account', async () => {
    const wrong = await open();
    expect(await answerTo(wrong, loginFrame(alice.apiKey, 'f'.repeat(64)), 'rs.login')).toEqual({ channel: 'rs.error', data: 'Signature verification failed!', ts: expect.any(Number) });
    const unknown = await open();
    expect(await answerTo(unknown, loginFrame('mx0unknownkey', alice.apiSecret), 'rs.login')).toMatchObject({ channel: 'rs.error', data: 'Not logged in or login has expired' });
    const stale = await open();
    expect(await answerTo(stale, loginFrame(alice.apiKey, alice.apiSecret, String(Date.now() - 60_000)), 'rs.login')).toMatchObject({ channel: 'rs.error', data: expect.stringContaining('10s') });
    const right = await open();
    expect(await answerTo(right, loginFrame(alice.apiKey, alice.apiSecret), 'rs.login')).toMatchObject({ channel: 'rs.login', data: 'success' });
    // Narrowed by personal.filter to the asset only.
    const narrowed = await open();
    expect(await answerTo(narrowed, loginFrame(alice.apiKey, alice.apiSecret), 'rs.login')).toMatchObject({ channel: 'rs.login', data: 'success' });
    expect(await answerTo(narrowed, JSON.stringify({ method: 'personal.filter', param: { filters: [{ filter: 'asset' }] } }), 'rs.personal.filter')).toMatchObject({ channel: 'rs.personal.filter', data: 'success' });

    // A limit buy far below the market: the account's order and asset reach the logged-in connection only.
    const bid = Number(service.engine.kernel.depth('BTCUSDT', 1)!.bids[0]![0]);
    const placed = await ex.createOrder(SYMBOL, 'limit', 'buy', 20, bid - 2000);
    await until(() => right.frames.some((f) => f.channel === 'push.personal.order' && (f.data as { orderId: string }).orderId === placed.id), 'the order push');
    await ex.cancelOrder(placed.id!, SYMBOL);
    await until(() => right.frames.some((f) => f.channel === 'push.personal.order' && (f.data as { state: number }).state === 4), 'the cancel push');
    for (const c of [wrong, unknown, stale]) expect(c.frames.filter((f) => String(f.channel).startsWith('push.personal'))).toEqual([]);
    // The order reserved margin, and its cancel released it: two asset pushes, nothing else.
    await until(() => narrowed.frames.filter((f) => f.channel === 'push.personal.asset').length === 2, 'the asset pushes');
    expect(new Set(narrowed.frames.filter((f) => String(f.channel).startsWith('push.')).map((f) => f.channel))).toEqual(new Set(['push.personal.asset']));
    const [reserved, released] = narrowed.frames.filter((f) => f.channel === 'push.personal.asset').map((f) => f.data as { frozenBalance: number; availableBalance: number });
    expect(reserved!.frozenBalance).toBeGreaterThan(0);
    expect(released).toMatchObject({ frozenBalance: 0, availableBalance: 1_000_000 });
  });

  it('after a market buy, watchMyTrades reads each fill of a hand walk of the asks, and the position push holds them', async () => {
    const raw = await open();
    expect(await answerTo(raw, loginFrame(alice.apiKey, alice.apiSecret), 'rs.login')).toMatchObject({ channel: 'rs.login', data: 'success' });
    const heard = ccxtHeard(ex);
    const watched = ex.watchMyTrades(SYMBOL);
    await until(() => mexcContractAnswered(heard, 'login'), "ccxt's login answered");

    const kernel = service.engine.kernel;
    const instrument = kernel.instrument('BTCUSDT')!;
    const rate = instrument.takerFee;
    const digits = instrument.quoteCommissionPrecision;
    // A market buy one step (0.001 BTC, 10 contracts) larger than the best ask, so that it takes two
    // levels; its fills walked by hand down the asks.
    const asks = kernel.depth('BTCUSDT', 100)!.asks;
    const quantity = parseFixed(asks[0]![1]) + instrument.stepSize;
    const contracts = contractsOf(quantity);
    const walked: [bigint, bigint][] = [];
    let left = quantity;
    for (const [p, q] of asks) {
      if (left === 0n) break;
      const take = parseFixed(q) < left ? parseFixed(q) : left;
      walked.push([parseFixed(p), take]);
      left -= take;
    }
    expect(left).toBe(0n);
    expect(walked.length).toBeGreaterThan(1);

    const placed = await ex.createOrder(SYMBOL, 'market', 'buy', contracts);
    await watched;
    const mine = () => ((ex.myTrades ?? []) as unknown as { order: string; price: number; amount: number; side: string; takerOrMaker: string; fee: { cost: number; currency: string } }[]).filter((t) => t.order === placed.id);
    await until(() => mine().length === walked.length, 'every fill on watchMyTrades');

    // Fees are rounded once per order, up to the commission precision: fill k pays F_k − F_(k−1),
    // F_k = ceil(Σ_(j≤k) price_j × qty_j × rate). Scales: price, qty, rate at 10^18 each.
    const feeUnit = 10n ** BigInt(54 - digits);
    const ceilFee = (x: bigint) => ((x + feeUnit - 1n) / feeUnit) * feeUnit;
    let exact = 0n;
    let charged = 0n;
    const expected = walked.map(([p, q]) => {
      exact += p * q * rate;
      const total = ceilFee(exact) / 10n ** 36n;
      const fee = total - charged;
      charged = total;
      return { price: asNumber(p), amount: contractsOf(q), side: 'buy', takerOrMaker: 'taker', fee: { cost: asNumber(fee), currency: 'USDT' } };
    });
    expect(mine().map((t) => ({ price: t.price, amount: t.amount, side: t.side, takerOrMaker: t.takerOrMaker, fee: { cost: t.fee.cost, currency: t.fee.currency } }))).toEqual(expected);

    // The position: all the contracts long at the fills' VWAP; margin Σ floor(price × qty / leverage) to
    // the commission precision; realised = −(the order's fees).
    const positions = () => raw.frames.filter((f) => f.channel === 'push.personal.position').map((f) => f.data as Record<string, number>);
    await until(() => positions().some((p) => p.holdVol === contracts), 'the position push of every contract bought');
    const qty = walked.reduce((s, [, q]) => s + q, 0n);
    const cost = walked.reduce((s, [p, q]) => s + p * q, 0n); // at 10^36
    const marginUnit = 10n ** BigInt(36 - digits);
    const margin = walked.reduce((s, [p, q]) => s + ((p * q) / BigInt(LEVERAGE) / marginUnit) * marginUnit, 0n) / E18;
    const position = positions().at(-1)!;
    expect(position).toMatchObject({ symbol: 'BTC_USDT', positionType: 1, openType: 2, state: 1, holdVol: contracts, leverage: LEVERAGE, im: asNumber(margin), oim: asNumber(margin), realised: asNumber(-charged), positionMode: 2 });
    expect(Math.abs(position.holdAvgPrice! - Number(cost / qty) / 1e18)).toBeLessThan(1e-6);

    // Closed by a reduce-only sell: state 3, nothing held, still the long side.
    await ex.createOrder(SYMBOL, 'market', 'sell', contracts, undefined, { reduceOnly: true });
    await until(() => positions().some((p) => p.state === 3), 'the closing position push');
    expect(positions().at(-1)).toMatchObject({ positionId: position.positionId, positionType: 1, state: 3, holdVol: 0 });
  });

  it("ccxt's watchTrades hears the recording's prints as they play, in contracts; watchTicker the last price and the top of the book", async () => {
    const heard = ccxtHeard(ex);
    const first = ex.watchTrades(SYMBOL);
    const ticker = ex.watchTicker(SYMBOL);
    const depth = await open();
    expect(await answerTo(depth, JSON.stringify({ method: 'sub.depth', param: { symbol: 'BTC_USDT' } }), 'rs.sub.depth')).toMatchObject({ channel: 'rs.sub.depth', data: 'success' });
    await until(() => mexcContractAnswered(heard, 'sub.deal') && mexcContractAnswered(heard, 'sub.ticker'), "ccxt's trade and ticker subscriptions answered");
    const from = START + 150_000;
    await service.feedUntil(from + 5_000);
    await first;
    const prints = service.recording.inputs.filter((i): i is TradeInput => i.kind === 'trade' && i.time > from && i.time <= from + 5_000);
    expect(prints.length).toBeGreaterThan(0);
    const stored = () => ((ex.trades as unknown as Record<string, { price: number; amount: number; side: string; timestamp: number }[]>)[SYMBOL] ?? []).map((t) => `${t.timestamp}|${t.price}|${t.amount}|${t.side}`);
    const expected = prints.map((p) => `${p.time}|${Number(p.price)}|${contractsOf(parseFixed(p.quantity))}|${p.buyerMaker ? 'sell' : 'buy'}`);
    await until(() => stored().length >= expected.length, 'every print on watchTrades');
    expect(stored().sort()).toEqual(expected.sort());
    // The depth pushes chain, each on the last, up to the REST depth's version.
    const versions = depth.frames.filter((f) => f.channel === 'push.depth').map((f) => f.data as { begin: number; end: number; version: number });
    expect(versions.length).toBeGreaterThan(1);
    versions.slice(1).forEach((v, i) => expect(v.begin).toBe(versions[i]!.version + 1));
    const rest = (await app.inject({ url: '/api/v1/contract/depth/BTC_USDT' })).json<{ data: { version: number } }>();
    await until(() => depth.frames.some((f) => f.channel === 'push.depth' && (f.data as { version: number }).version === rest.data.version), 'the push of the REST depth version');
    // The ticker leaves at most once a second, after the market moved: the last one shows the market as it stands.
    expect(await ticker).toMatchObject({ symbol: SYMBOL });
    const [bid] = service.engine.kernel.depth('BTCUSDT', 1)!.bids;
    const latest = () => (ex.tickers as Record<string, { last?: number; bid?: number }>)[SYMBOL];
    await until(() => latest()?.last === Number(prints.at(-1)!.price) && latest()?.bid === Number(bid![0]), 'the ticker of the market as it stands');
  });
});
