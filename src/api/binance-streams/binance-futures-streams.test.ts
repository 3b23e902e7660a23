/**
 * Binance's USD-M futures streams at `/binance/fws`, over real WebSockets against an engine fed with
 * the bundled USD-M recording: the live subscription methods answer as Binance documents them; the
 * depth diffs chain by `pu` from the book's update id and rebuild the native depth; the trades are
 * the recording's prints; and a listenKey stream carries ORDER_TRADE_UPDATE and ACCOUNT_UPDATE of
 * a leverage change and a market buy placed over the native API, to its account only, until the
 * key is closed.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { TradeInput } from '../../core/kernel/inputs.js';
import { div, formatFixed, mul, mulExact, parseFixed } from '../../core/money/fixed.js';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { connect, until, type Frame } from '../../test-kit/ws-client.js';
import { buildServer } from '../server.js';

const START = 1723161300000; // 2024-08-08T23:55:00Z
const admin = { authorization: `Bearer ${ADMIN_KEY}` };

interface Account {
  id: string;
  apiKey: string;
}

describe("Binance's USD-M futures streams", () => {
  let service: TestService;
  let app: FastifyInstance;
  let ws: string;
  let base: string;
  const feed = (ms: number) => service.feedFor(ms);
  const openAccount = async (name: string): Promise<Account> =>
    (await app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name, type: 'futures', leverage: 5, balances: { USDT: '10000' } } })).json();
  const listenKey = async (who: Account, method = 'POST'): Promise<Response> => fetch(`${base}/binance/fapi/v1/listenKey`, { method, headers: { 'X-MBX-APIKEY': who.apiKey } });

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: START });
    app = await buildServer(service.deps);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    ws = base.replace(/^http/, 'ws');
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('answers SUBSCRIBE, LIST_SUBSCRIPTIONS and UNSUBSCRIBE with their ids, and refuses an unknown stream', async () => {
    const { ws: socket, frames } = await connect(`${ws}/binance/fws`);
    socket.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@aggTrade', 'btcusdt@depth@500ms'], id: 1 }));
    socket.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['ethusdt@trade'], id: 2 }));
    socket.send(JSON.stringify({ method: 'UNSUBSCRIBE', params: ['btcusdt@aggTrade'], id: 3 }));
    socket.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 4 }));
    socket.send(JSON.stringify({ method: 'GET_PROPERTY', params: ['combined'], id: 5 }));
    socket.send('{"method":');
    await until(() => frames.length === 6, 'six answers');
    expect(frames[0]).toEqual({ result: null, id: 1 });
    expect(frames[1]).toMatchObject({ error: { code: 2 }, id: 2 });
    expect(frames.slice(2, 5)).toEqual([{ result: null, id: 3 }, { result: ['btcusdt@depth@500ms'], id: 4 }, { result: false, id: 5 }]);
    expect(frames[5]).toMatchObject({ error: { code: 3 }, id: null });
    socket.close();
  });

  it('sends depth diffs chained by pu from the book id that rebuild the native depth, the prints and the top of the book', async () => {
    const { ws: socket, frames } = await connect(`${ws}/binance/fws`);
    socket.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@depth@100ms', 'btcusdt@trade', 'btcusdt@bookTicker'], id: 7 }));
    await until(() => frames.length === 1, 'the answer');
    // The snapshot a client takes from REST, and the diffs after it.
    const from = service.fedUntil;
    const snapshotId = service.engine.kernel.bookStatus('BTCUSDT')!.updateId;
    const snapshot = (await app.inject({ url: '/api/market/depth/BTCUSDT?limit=1000' })).json<{ bids: [string, string][]; asks: [string, string][] }>();
    await feed(10_000);
    const lastId = service.engine.kernel.bookStatus('BTCUSDT')!.updateId;
    expect(lastId).toBeGreaterThan(snapshotId);
    await until(() => frames.some((f) => f.e === 'depthUpdate' && f.u === lastId), 'the last diff');

    const bids = new Map(snapshot.bids.map(([p, q]) => [Number(p), q]));
    const asks = new Map(snapshot.asks.map(([p, q]) => [Number(p), q]));
    let previous = snapshotId;
    const diffs = frames.filter((f) => f.e === 'depthUpdate') as { U: number; u: number; pu: number; s: string; T: number; b: [string, string][]; a: [string, string][] }[];
    // Diffs merge per 100 ms of wall time, however fast the recording is fed: at least two, chained.
    expect(diffs.length).toBeGreaterThan(1);
    for (const d of diffs) {
      expect(d.pu).toBe(previous); // Binance: "each new event's pu should be equal to the previous event's u"
      expect(d.U).toBeLessThanOrEqual(d.u);
      previous = d.u;
      for (const [side, levels] of [[bids, d.b], [asks, d.a]] as const) {
        for (const [p, q] of levels) {
          if (Number(q) === 0) side.delete(Number(p));
          else side.set(Number(p), q);
        }
      }
    }
    const native = (await app.inject({ url: '/api/market/depth/BTCUSDT?limit=100' })).json<{ bids: [string, string][]; asks: [string, string][] }>();
    const top = (side: Map<number, string>, descending: boolean) =>
      [...side].sort(([a], [b]) => (descending ? b - a : a - b)).slice(0, 100).map(([p, q]) => [p, Number(q)]);
    expect(top(bids, true)).toEqual(native.bids.map(([p, q]) => [Number(p), Number(q)]));
    expect(top(asks, false)).toEqual(native.asks.map(([p, q]) => [Number(p), Number(q)]));

    const prints = service.recording.inputs.filter((i): i is TradeInput => i.kind === 'trade' && i.time > from && i.time <= service.fedUntil);
    expect(prints.length).toBeGreaterThan(10);
    const trades = frames.filter((f) => f.e === 'trade');
    expect(trades.map((t) => [t.t, t.p, t.q, t.m, t.T])).toEqual(prints.map((p) => [p.tradeId, p.price, p.quantity, p.buyerMaker, p.time]));

    const ticker = frames.filter((f) => f.e === 'bookTicker').at(-1)!;
    expect(ticker).toMatchObject({ s: 'BTCUSDT', b: native.bids[0]![0], B: native.bids[0]![1], a: native.asks[0]![0], A: native.asks[0]![1] });
    socket.close();
  });

  it('answers a keep-alive -1125 when the account has no live listenKey, instead of opening one', async () => {
    const owner = await openAccount('keepalive');
    // Binance USD-M: "Doing a PUT on a listenKey will extend its validity for 60 minutes, if response
    // -1125 error "This listenKey does not exist." Please use POST /fapi/v1/listenKey to recreate listenKey."
    const early = await listenKey(owner, 'PUT');
    expect([early.status, await early.json()]).toEqual([400, { code: -1125, msg: 'This listenKey does not exist.' }]);
    const key = ((await (await listenKey(owner)).json()) as { listenKey: string }).listenKey;
    expect(await (await listenKey(owner, 'PUT')).json()).toEqual({ listenKey: key });
    expect((await listenKey(owner, 'DELETE')).status).toBe(200);
    const late = await listenKey(owner, 'PUT');
    expect([late.status, await late.json()]).toEqual([400, { code: -1125, msg: 'This listenKey does not exist.' }]);
  });

  it('takes a listenKey in SUBSCRIBE, LIST_SUBSCRIPTIONS and UNSUBSCRIBE, as Binance\'s own connector subscribes to user data', async () => {
    const owner = await openAccount('subscriber');
    const key = ((await (await listenKey(owner)).json()) as { listenKey: string }).listenKey;
    // binance-futures-connector-python: UMFuturesWebsocketClient(...).user_data(listen_key) sends
    // {"method":"SUBSCRIBE","params":[<listenKey>],"id":…} over /ws.
    const live = await connect(`${ws}/binance/fws`);
    const witness = await connect(`${ws}/binance/fws/${key}`);
    live.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: [key, 'btcusdt@aggTrade'], id: 1 }));
    live.ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 2 }));
    await until(() => live.frames.length === 2, 'the answers');
    expect(live.frames[0]).toEqual({ result: null, id: 1 });
    expect(live.frames[1]!.id).toBe(2);
    expect(new Set(live.frames[1]!.result as string[])).toEqual(new Set([key, 'btcusdt@aggTrade']));
    const leverage = (value: number) =>
      app.inject({ method: 'POST', url: '/api/account/leverage', headers: { authorization: `Bearer ${owner.apiKey}` }, payload: { symbol: 'BTCUSDT', leverage: value } });
    expect((await leverage(3)).statusCode).toBeLessThan(300);
    await until(() => live.frames.some((f) => f.e === 'ACCOUNT_CONFIG_UPDATE'), 'the leverage change');
    expect(live.frames.find((f) => f.e === 'ACCOUNT_CONFIG_UPDATE')).toMatchObject({ ac: { s: 'BTCUSDT', l: 3 } });
    live.ws.send(JSON.stringify({ method: 'UNSUBSCRIBE', params: [key], id: 3 }));
    live.ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 4 }));
    await until(() => live.frames.some((f) => f.id === 4), 'the list');
    expect(live.frames.filter((f) => f.id === 3 || f.id === 4)).toEqual([{ result: null, id: 3 }, { result: ['btcusdt@aggTrade'], id: 4 }]);
    // Unsubscribed: the next change reaches the key's other connection and not this one.
    expect((await leverage(4)).statusCode).toBeLessThan(300);
    await until(() => witness.frames.filter((f) => f.e === 'ACCOUNT_CONFIG_UPDATE').length === 2, 'the second change');
    await new Promise((r) => setTimeout(r, 100));
    expect(live.frames.filter((f) => f.e === 'ACCOUNT_CONFIG_UPDATE')).toHaveLength(1);
    live.ws.close();
    witness.ws.close();
  });

  it("streams a leverage change and a market buy to the account's listenKey only, until the key is closed", async () => {
    const [buyer, bystander] = [await openAccount('buyer'), await openAccount('bystander')];
    expect((await listenKey({ id: '', apiKey: 'nobody' })).status).toBe(401);
    const key = ((await (await listenKey(buyer)).json()) as { listenKey: string }).listenKey;
    expect(await (await listenKey(buyer, 'PUT')).json()).toEqual({ listenKey: key }); // USD-M's keep-alive answers the key
    const otherKey = ((await (await listenKey(bystander)).json()) as { listenKey: string }).listenKey;
    expect(otherKey).not.toBe(key);
    const mine = await connect(`${ws}/binance/fws?listenKey=${key}`); // the URL ccxt's binanceusdm builds
    const theirs = await connect(`${ws}/binance/fws/${otherKey}`);
    // A futures account has no spot wallet to stream, and a spot account no futures one.
    const spot = (await app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'spot', balances: { USDT: '100' } } })).json<Account>();
    expect(await (await listenKey(spot)).json()).toEqual({ code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' });
    const spotKey = await fetch(`${base}/binance/api/v3/userDataStream`, { method: 'POST', headers: { 'X-MBX-APIKEY': buyer.apiKey } });
    expect([spotKey.status, await spotKey.json()]).toEqual([401, { code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' }]);

    const leverage = await app.inject({ method: 'POST', url: '/api/account/leverage', headers: { authorization: `Bearer ${buyer.apiKey}` }, payload: { symbol: 'BTCUSDT', leverage: 3 } });
    expect(leverage.statusCode).toBeLessThan(300);
    await until(() => mine.frames.some((f) => f.e === 'ACCOUNT_CONFIG_UPDATE'), 'the leverage change');
    expect(mine.frames.find((f) => f.e === 'ACCOUNT_CONFIG_UPDATE')).toMatchObject({ ac: { s: 'BTCUSDT', l: 3 } });

    // The fill by hand: walk the asks for 0.05 BTC, taker fee on the notional.
    const quantity = parseFixed('0.05');
    let left = quantity;
    let notional = 0n;
    for (const [price, size] of service.engine.kernel.depth('BTCUSDT', 50)!.asks) {
      if (left === 0n) break;
      const take = parseFixed(size) < left ? parseFixed(size) : left;
      notional += mulExact(parseFixed(price), take);
      left -= take;
    }
    const instrument = service.engine.kernel.instrument('BTCUSDT')!;
    const placed = await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${buyer.apiKey}` }, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.05' } });
    expect(placed.statusCode).toBeLessThan(300);
    const orderId = Number(placed.json<{ orderId: string }>().orderId);

    await until(() => mine.frames.some((f) => f.e === 'ACCOUNT_UPDATE'), 'the account update');
    const updates = mine.frames.filter((f) => f.e === 'ORDER_TRADE_UPDATE').map((f) => f.o as Frame);
    expect(updates[0]).toMatchObject({ s: 'BTCUSDT', S: 'BUY', o: 'MARKET', x: 'NEW', X: 'NEW', i: orderId, q: '0.05' });
    const last = updates.at(-1)!;
    expect(last).toMatchObject({ x: 'TRADE', X: 'FILLED', z: '0.05', N: 'USDT', R: false, ps: 'BOTH' });
    expect(parseFixed(String(last.ap))).toBe(div(notional, quantity));
    const fees = updates.filter((o) => o.x === 'TRADE').reduce((s, o) => s + parseFixed(String(o.n)), 0n);
    const update = mine.frames.find((f) => f.e === 'ACCOUNT_UPDATE') as { a: { m: string; B: { a: string; wb: string }[]; P: { s: string; pa: string; ep: string }[] } };
    expect(update.a.m).toBe('ORDER');
    expect(update.a.P).toEqual([expect.objectContaining({ s: 'BTCUSDT', pa: '0.05', ps: 'BOTH' })]);
    expect(parseFixed(update.a.P[0]!.ep)).toBe(div(notional, quantity));
    // The wallet pays the taker fee on the notional (rounded once per fill, so within a unit per fill).
    const wallet = parseFixed(update.a.B[0]!.wb);
    expect(update.a.B[0]!.a).toBe('USDT');
    expect(wallet).toBe(parseFixed('10000') - fees);
    const feeByHand = mul(notional, instrument.takerFee, 'half-up');
    expect(fees - feeByHand).toBeLessThanOrEqual(BigInt(updates.length) * 10n ** 10n);
    expect(feeByHand - fees).toBeLessThanOrEqual(BigInt(updates.length) * 10n ** 10n);
    expect(formatFixed(fees)).not.toBe('0');
    expect(theirs.frames).toEqual([]);

    // Closing the key ends its connection with listenKeyExpired, as Binance does.
    expect((await fetch(`${base}/binance/fapi/v1/listenKey`, { method: 'DELETE', headers: { 'X-MBX-APIKEY': buyer.apiKey } })).status).toBe(200);
    await mine.closed;
    expect(mine.frames.at(-1)).toMatchObject({ e: 'listenKeyExpired', listenKey: key });
    expect(await (await fetch(`${base}/binance/fapi/v1/listenKey?listenKey=${key}`, { method: 'PUT', headers: { 'X-MBX-APIKEY': buyer.apiKey } })).json()).toEqual({ code: -1125, msg: 'This listenKey does not exist.' });
    theirs.ws.close();
  });
});
