/**
 * Binance's spot streams beyond what ccxt exercises, over real WebSockets against an engine fed with
 * the bundled recording: the combined endpoint's `{"stream","data"}` frames, the listenKey REST
 * calls and their Binance errors, a reset of the account as `balanceUpdate` deltas, and the
 * WebSocket API's refusal of a wrong signature (which then streams nothing).
 */
import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { TradeInput } from '../../core/kernel/inputs.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { connect, until, type Frame } from '../../test-kit/ws-client.js';
import { buildServer } from '../server.js';

const START = 1723161300000; // 2024-08-08T23:55:00Z
const admin = { authorization: `Bearer ${ADMIN_KEY}` };

interface Account {
  id: string;
  apiKey: string;
  apiSecret: string;
}

describe("Binance's spot streams", () => {
  let service: TestService;
  let app: FastifyInstance;
  let base: string;
  let ws: string;
  let fedUntil = START;

  const openAccount = async (name: string): Promise<Account> =>
    (await app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name, balances: { USDT: '1000', BTC: '0.5' } } })).json();
  const userDataStream = (method: string, apiKey: string | undefined, query = '') =>
    fetch(`${base}/binance/api/v3/userDataStream${query}`, { method, headers: apiKey === undefined ? {} : { 'X-MBX-APIKEY': apiKey } });

  beforeAll(async () => {
    service = await startTestService({ until: START });
    app = await buildServer(service.deps);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    ws = base.replace(/^http/, 'ws');
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('wraps each frame of a combined connection in its stream name', async () => {
    const { ws: socket, frames } = await connect(`${ws}/binance/stream?streams=btcusdt@trade/btcusdt@bookTicker`);
    const from = fedUntil;
    fedUntil += 5_000;
    await service.feedUntil(fedUntil);
    const prints = service.recording.inputs.filter((i): i is TradeInput => i.kind === 'trade' && i.time > from && i.time <= fedUntil);
    expect(prints.length).toBeGreaterThan(0);
    await until(() => frames.filter((f) => f.stream === 'btcusdt@trade').length === prints.length, 'every print');
    expect(frames.filter((f) => f.stream === 'btcusdt@trade').map((f) => (f.data as Frame).t)).toEqual(prints.map((p) => p.tradeId));
    const top = service.engine.kernel.depth('BTCUSDT', 1)!;
    const ticker = frames.filter((f) => f.stream === 'btcusdt@bookTicker').at(-1)!.data as Frame;
    // Spot's bookTicker has no event type: `u`, `s`, best bid and ask.
    expect(ticker).toEqual({ u: service.engine.kernel.bookStatus('BTCUSDT')!.updateId, s: 'BTCUSDT', b: top.bids[0]![0], B: top.bids[0]![1], a: top.asks[0]![0], A: top.asks[0]![1] });
    socket.send(JSON.stringify({ method: 'SET_PROPERTY', params: ['combined', false], id: 'raw' }));
    await until(() => frames.some((f) => f.id === 'raw'), 'the answer');
    expect(frames.find((f) => f.id === 'raw')).toEqual({ result: null, id: 'raw' });
    socket.close();
  });

  it('sends time fields in microseconds when the URL asks timeUnit=MICROSECOND: the same events, E and T × 1000', async () => {
    const names = 'btcusdt@trade/btcusdt@aggTrade/btcusdt@depth@100ms';
    const ms = await connect(`${ws}/binance/stream?streams=${names}`);
    const us = await connect(`${ws}/binance/stream?streams=${names}&timeUnit=MICROSECOND`);
    const lower = await connect(`${ws}/binance/ws/btcusdt@trade?timeUnit=microsecond`);
    const from = fedUntil;
    fedUntil += 5_000;
    await service.feedFor(5_000, 250);
    const prints = service.recording.inputs.filter((i): i is TradeInput => i.kind === 'trade' && i.time > from && i.time <= fedUntil);
    expect(prints.length).toBeGreaterThan(0);
    const of = (frames: Frame[], stream: string) => frames.filter((f) => f.stream === stream).map((f) => f.data as Frame);
    await until(() => of(us.frames, 'btcusdt@trade').length === prints.length && lower.frames.length === prints.length, 'every print');
    await until(() => of(us.frames, 'btcusdt@depth@100ms').length > 0 && of(us.frames, 'btcusdt@depth@100ms').length === of(ms.frames, 'btcusdt@depth@100ms').length, 'the depth diffs');
    // The oracle: each print's own time (Unix ms) × 1000, and every other field as in milliseconds.
    expect(of(us.frames, 'btcusdt@trade').map((f) => [f.t, f.E, f.T])).toEqual(prints.map((p) => [p.tradeId, p.time * 1000, p.time * 1000]));
    expect(lower.frames.map((f) => [f.t, f.E, f.T])).toEqual(prints.map((p) => [p.tradeId, p.time * 1000, p.time * 1000]));
    const micros = (f: Frame, fields: string[]) => ({ ...f, ...Object.fromEntries(fields.map((k) => [k, (f[k] as number) * 1000])) });
    expect(of(us.frames, 'btcusdt@trade')).toEqual(of(ms.frames, 'btcusdt@trade').map((f) => micros(f, ['E', 'T'])));
    expect(of(us.frames, 'btcusdt@aggTrade')).toEqual(of(ms.frames, 'btcusdt@aggTrade').map((f) => micros(f, ['E', 'T'])));
    expect(of(us.frames, 'btcusdt@depth@100ms')).toEqual(of(ms.frames, 'btcusdt@depth@100ms').map((f) => micros(f, ['E'])));
    expect(Number.isSafeInteger(of(us.frames, 'btcusdt@depth@100ms')[0]!.E)).toBe(true);
    for (const c of [ms, us, lower]) c.ws.close();
  });

  it("sends a user data stream's time fields in microseconds too", async () => {
    const account = await openAccount('micros-user');
    const { listenKey } = (await (await userDataStream('POST', account.apiKey)).json()) as { listenKey: string };
    const ms = await connect(`${ws}/binance/ws/${listenKey}`);
    const us = await connect(`${ws}/binance/ws/${listenKey}?timeUnit=MICROSECOND`);
    await app.inject({ method: 'POST', url: `/api/accounts/${account.id}/reset`, headers: admin, payload: { balances: { USDT: '100' } } });
    // From USDT 1000 and BTC 0.5 to USDT 100: two balance updates and the position.
    await until(() => ms.frames.length === 3 && us.frames.length === 3, 'the reset');
    expect(us.frames.map((f) => f.e)).toEqual(['balanceUpdate', 'balanceUpdate', 'outboundAccountPosition']);
    expect(us.frames).toEqual([
      { ...ms.frames[0], E: (ms.frames[0]!.E as number) * 1000, T: (ms.frames[0]!.T as number) * 1000 },
      { ...ms.frames[1], E: (ms.frames[1]!.E as number) * 1000, T: (ms.frames[1]!.T as number) * 1000 },
      { ...ms.frames[2], E: (ms.frames[2]!.E as number) * 1000, u: (ms.frames[2]!.u as number) * 1000 },
    ]);
    // An order's report: its event, transaction, creation and working times.
    const placed = await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${account.apiKey}` }, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.0004', price: '50000' } });
    expect(placed.statusCode, placed.body).toBeLessThan(300);
    const report = (frames: Frame[]) => frames.find((f) => f.e === 'executionReport');
    await until(() => report(ms.frames) !== undefined && report(us.frames) !== undefined, 'the order report');
    const inMs = report(ms.frames)!;
    expect(report(us.frames)).toEqual({ ...inMs, E: (inMs.E as number) * 1000, T: (inMs.T as number) * 1000, O: (inMs.O as number) * 1000, W: (inMs.W as number) * 1000 });
    ms.ws.close();
    us.ws.close();
  });

  it('refuses a timeUnit it does not know before the upgrade, in Binance\'s shape', async () => {
    /** The answer to an upgrade of `path`: its status and body, or 101 once open. */
    const upgrade = (path: string) =>
      new Promise<{ status: number; body?: unknown }>((resolve) => {
        const socket = new WebSocket(`${ws}${path}`);
        socket.once('open', () => {
          socket.close();
          resolve({ status: 101 });
        });
        socket.once('unexpected-response', (_request, response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as unknown }));
        });
        socket.on('error', () => undefined);
      });
    const refusal = { status: 400, body: { code: -1100, msg: "Illegal characters found in parameter 'timeUnit'; legal range is 'MICROSECOND, microsecond, MILLISECOND, millisecond'." } };
    expect(await upgrade('/binance/ws/btcusdt@trade?timeUnit=NANOSECOND')).toEqual(refusal);
    expect(await upgrade('/binance/ws?timeUnit=Microsecond')).toEqual(refusal);
    expect(await upgrade('/binance/stream?streams=btcusdt@trade&timeUnit=')).toEqual(refusal);
    expect(await upgrade('/binance/stream?streams=btcusdt@trade&timeUnit=MICROSECOND&timeUnit=MICROSECOND')).toEqual(refusal);
    expect(await upgrade('/binance/ws?timeUnit=MILLISECOND')).toEqual({ status: 101 });
  });

  it('takes the request ids Binance spot documents: a 64-bit signed integer, a string of up to 36 characters, null', async () => {
    const { ws: socket, frames } = await connect(`${ws}/binance/ws`);
    for (const id of [-7, 0, 7, 'abc', null]) socket.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@aggTrade'], id }));
    for (const id of [1.5, true, {}, [], 'x'.repeat(37)]) socket.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@aggTrade'], id }));
    await until(() => frames.filter((f) => 'result' in f || 'error' in f).length === 10, 'ten answers');
    const answers = frames.filter((f) => 'result' in f || 'error' in f);
    expect(answers.slice(0, 5)).toEqual([-7, 0, 7, 'abc', null].map((id) => ({ result: null, id })));
    expect(answers.slice(5)).toEqual(Array.from({ length: 5 }, () => ({ error: { code: 2, msg: 'Invalid request: request ID must be an unsigned integer' }, id: null })));
    socket.close();
  });

  it('echoes a 64-bit request id digit for digit, beyond the integers a double holds', async () => {
    const socket = await connect(`${ws}/binance/ws`);
    const texts: string[] = [];
    socket.ws.on('message', (data: Buffer) => texts.push(data.toString()));
    // int64's bounds, and a nanosecond clock reading (2^53 is about 9.007e15).
    const ids = ['9223372036854775807', '-9223372036854775808', '1733161500000000001'];
    for (const id of ids) socket.ws.send(`{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":${id}}`);
    socket.ws.send('{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":9223372036854775808}'); // 2^63: beyond int64
    await until(() => texts.length === 4, 'four answers');
    expect(texts).toEqual([...ids.map((id) => `{"result":null,"id":${id}}`), '{"error":{"code":2,"msg":"Invalid request: request ID must be an unsigned integer"},"id":null}']);
    socket.ws.close();
  });

  it('creates, keeps alive and closes a listenKey with the API key alone, in Binance errors otherwise', async () => {
    const owner = await openAccount('keys');
    const stranger = await openAccount('stranger');
    expect(await (await userDataStream('POST', undefined)).json()).toEqual({ code: -2014, msg: 'API-key format invalid.' });
    const bad = await userDataStream('POST', 'no-such-key');
    expect([bad.status, await bad.json()]).toEqual([401, { code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' }]);
    const { listenKey } = (await (await userDataStream('POST', owner.apiKey)).json()) as { listenKey: string };
    expect(listenKey).toMatch(/^[0-9a-f]{64}$/);
    // Binance: a second POST while the key lives returns it again.
    expect(await (await userDataStream('POST', owner.apiKey)).json()).toEqual({ listenKey });
    expect(await (await userDataStream('PUT', owner.apiKey, `?listenKey=${listenKey}`)).json()).toEqual({});
    expect(await (await userDataStream('PUT', owner.apiKey)).json()).toMatchObject({ code: -1102 });
    expect(await (await userDataStream('DELETE', stranger.apiKey, `?listenKey=${listenKey}`)).json()).toEqual({ code: -1125, msg: 'This listenKey does not exist.' });
    expect(await (await userDataStream('DELETE', owner.apiKey, `?listenKey=${listenKey}`)).json()).toEqual({});
    expect(await (await userDataStream('PUT', owner.apiKey, `?listenKey=${listenKey}`)).json()).toEqual({ code: -1125, msg: 'This listenKey does not exist.' });
  });

  it("ends a deleted account's listenKey with it: its connection is told listenKeyExpired, and the key names no stream after", async () => {
    const account = await openAccount('deleted');
    const { listenKey } = (await (await userDataStream('POST', account.apiKey)).json()) as { listenKey: string };
    const open = await connect(`${ws}/binance/ws/${listenKey}`);
    expect((await app.inject({ method: 'DELETE', url: `/api/accounts/${account.id}`, headers: admin })).statusCode).toBe(204);
    await open.closed;
    expect(open.frames.at(-1)).toMatchObject({ e: 'listenKeyExpired', listenKey });
    // As any key that does not exist: a SUBSCRIBE naming it is refused, not answered with a stream that never speaks.
    const later = await connect(`${ws}/binance/ws`);
    later.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: [listenKey], id: 1 }));
    await until(() => later.frames.length === 1, 'the answer');
    expect(later.frames[0]).toEqual({ error: { code: 2, msg: `Invalid request: invalid stream name ${JSON.stringify(listenKey)}` }, id: 1 });
    later.ws.close();
  });

  it("states an account's reset as balanceUpdate deltas and the new position", async () => {
    const account = await openAccount('reset');
    const { listenKey } = (await (await userDataStream('POST', account.apiKey)).json()) as { listenKey: string };
    const stream = await connect(`${ws}/binance/ws/${listenKey}`);
    const reset = await app.inject({ method: 'POST', url: `/api/accounts/${account.id}/reset`, headers: admin, payload: { balances: { USDT: '2500', ETH: '3' } } });
    expect(reset.statusCode).toBeLessThan(300);
    await until(() => stream.frames.some((f) => f.e === 'outboundAccountPosition'), 'the position');
    // From USDT 1000 and BTC 0.5 to USDT 2500 and ETH 3, by hand.
    const deltas = Object.fromEntries(stream.frames.filter((f) => f.e === 'balanceUpdate').map((f) => [f.a, f.d]));
    expect(deltas).toEqual({ USDT: '1500', BTC: '-0.5', ETH: '3' });
    const position = stream.frames.find((f) => f.e === 'outboundAccountPosition') as { B: { a: string; f: string; l: string }[] };
    expect(position.B).toEqual([
      { a: 'BTC', f: '0', l: '0' },
      { a: 'ETH', f: '3', l: '0' },
      { a: 'USDT', f: '2500', l: '0' },
    ]);
    stream.ws.close();
  });

  it('wraps user data events as the connection\'s combined property says, also once SET_PROPERTY has changed it', async () => {
    const account = await openAccount('combined');
    const { listenKey } = (await (await userDataStream('POST', account.apiKey)).json()) as { listenKey: string };
    const raw = await connect(`${ws}/binance/ws/${listenKey}`);
    const combined = await connect(`${ws}/binance/stream?streams=${listenKey}`);
    raw.ws.send(JSON.stringify({ method: 'SET_PROPERTY', params: ['combined', true], id: 1 }));
    combined.ws.send(JSON.stringify({ method: 'SET_PROPERTY', params: ['combined', false], id: 2 }));
    await until(() => raw.frames.length === 1 && combined.frames.length === 1, 'the answers');
    await app.inject({ method: 'POST', url: `/api/accounts/${account.id}/reset`, headers: admin, payload: { balances: { USDT: '10' } } });
    // From USDT 1000 and BTC 0.5 to USDT 10: two balance updates and the position, on each connection.
    await until(() => raw.frames.length === 4 && combined.frames.length === 4, 'the reset');
    // Binance: combined payloads are {"stream":"<streamName>","data":<rawPayload>}, the listenKey being the stream's name.
    expect(raw.frames.slice(1).map((f) => [f.stream, (f.data as Frame | undefined)?.e])).toEqual([
      [listenKey, 'balanceUpdate'],
      [listenKey, 'balanceUpdate'],
      [listenKey, 'outboundAccountPosition'],
    ]);
    expect(combined.frames.slice(1).map((f) => [f.stream, f.e])).toEqual([
      [undefined, 'balanceUpdate'],
      [undefined, 'balanceUpdate'],
      [undefined, 'outboundAccountPosition'],
    ]);
    raw.ws.close();
    combined.ws.close();
  });

  it("refuses a WebSocket API subscription with a wrong signature and streams nothing on it; a right one gets an id", async () => {
    const account = await openAccount('signer');
    const session = await connect(`${ws}/binance/ws-api/v3`);
    const params = (secret: string) => {
      const fields = { apiKey: account.apiKey, timestamp: Date.now() };
      const payload = `apiKey=${fields.apiKey}&timestamp=${fields.timestamp}`;
      return { ...fields, signature: createHmac('sha256', secret).update(payload).digest('hex') };
    };
    session.ws.send(JSON.stringify({ id: 'a', method: 'userDataStream.subscribe.signature', params: params('not-the-secret') }));
    await until(() => session.frames.length === 1, 'the refusal');
    expect(session.frames[0]).toEqual({ id: 'a', status: 400, error: { code: -1022, msg: 'Signature for this request is not valid.' } });
    await app.inject({ method: 'POST', url: `/api/accounts/${account.id}/reset`, headers: admin, payload: { balances: { USDT: '10' } } });
    await new Promise((r) => setTimeout(r, 100));
    expect(session.frames).toHaveLength(1);
    session.ws.send(JSON.stringify({ id: 'b', method: 'userDataStream.subscribe.signature', params: params(account.apiSecret) }));
    await until(() => session.frames.length === 2, 'the subscription');
    expect(session.frames[1]).toEqual({ id: 'b', status: 200, result: { subscriptionId: 0 }, rateLimits: [] });
    session.ws.close();
  });

  it('takes a WebSocket API timestamp in microseconds, as Binance spot documents', async () => {
    const account = await openAccount('micros');
    const session = await connect(`${ws}/binance/ws-api/v3`);
    // "Timestamp parameters (e.g. startTime, endTime, timestamp) can be passed in milliseconds or microseconds."
    const fields = { apiKey: account.apiKey, timestamp: Date.now() * 1000 };
    const signature = createHmac('sha256', account.apiSecret).update(`apiKey=${fields.apiKey}&timestamp=${fields.timestamp}`).digest('hex');
    session.ws.send(JSON.stringify({ id: 1, method: 'userDataStream.subscribe.signature', params: { ...fields, signature } }));
    await until(() => session.frames.length === 1, 'the answer');
    expect(session.frames[0]).toEqual({ id: 1, status: 200, result: { subscriptionId: 0 }, rateLimits: [] });
    session.ws.close();
  });

  it('answers the WebSocket API in microseconds when its URL asks timeUnit=MICROSECOND, as Binance documents for it too', async () => {
    // "All timestamps in the JSON responses are in milliseconds in UTC by default. To receive the information
    // in microseconds, please add the parameter timeUnit=MICROSECOND or timeUnit=microsecond in the URL."
    const account = await openAccount('micros-ws-api');
    const ms = await connect(`${ws}/binance/ws-api/v3`);
    const us = await connect(`${ws}/binance/ws-api/v3?timeUnit=MICROSECOND`);
    const subscribe = (session: { ws: WebSocket }) => {
      const fields = { apiKey: account.apiKey, timestamp: Date.now() };
      const signature = createHmac('sha256', account.apiSecret).update(`apiKey=${fields.apiKey}&timestamp=${fields.timestamp}`).digest('hex');
      session.ws.send(JSON.stringify({ id: 's', method: 'userDataStream.subscribe.signature', params: { ...fields, signature } }));
    };
    subscribe(ms);
    subscribe(us);
    const before = Date.now();
    us.ws.send(JSON.stringify({ id: 't', method: 'time' }));
    await until(() => ms.frames.length === 1 && us.frames.length === 2, 'the answers');
    const after = Date.now();
    const serverTime = (us.frames[1]!.result as { serverTime: number }).serverTime;
    expect(serverTime % 1000).toBe(0);
    expect(serverTime).toBeGreaterThanOrEqual(before * 1000);
    expect(serverTime).toBeLessThanOrEqual(after * 1000);
    const placed = await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${account.apiKey}` }, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.0004', price: '50000' } });
    expect(placed.statusCode, placed.body).toBeLessThan(300);
    const events = (frames: Frame[]) => frames.filter((f) => f.event !== undefined).map((f) => f.event as Frame);
    await until(() => events(ms.frames).length === 2 && events(us.frames).length === 2, 'the order report and the position');
    const [report, position] = events(ms.frames) as [Frame, Frame];
    expect(report.e).toBe('executionReport');
    expect(position.e).toBe('outboundAccountPosition');
    const times = (f: Frame, fields: string[]) => ({ ...f, ...Object.fromEntries(fields.map((k) => [k, (f[k] as number) * 1000])) });
    expect(events(us.frames)).toEqual([times(report, ['E', 'T', 'O', 'W']), times(position, ['E', 'u'])]);
    // The account deleted: its subscription's end, in the connection's unit too.
    expect((await app.inject({ method: 'DELETE', url: `/api/accounts/${account.id}`, headers: admin })).statusCode).toBe(204);
    await Promise.all([ms.closed, us.closed]);
    const terminated = events(ms.frames).at(-1)!;
    expect(terminated.e).toBe('eventStreamTerminated');
    expect(events(us.frames).at(-1)).toEqual(times(terminated, ['E']));
  });
});

describe("Binance's WebSocket API subscription limits", () => {
  let service: TestService;
  let app: FastifyInstance;
  let ws: string;

  beforeAll(async () => {
    service = await startTestService({ until: START });
    app = await buildServer(service.deps);
    ws = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/^http/, 'ws');
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('holds one subscription per account and connection (-2035), and answers an inactive id with -2036', async () => {
    const account: Account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'repeat', balances: { USDT: '1000' } } })).json();
    const session = await connect(`${ws}/binance/ws-api/v3`);
    const fields = { apiKey: account.apiKey, timestamp: Date.now() };
    const params = { ...fields, signature: createHmac('sha256', account.apiSecret).update(`apiKey=${fields.apiKey}&timestamp=${fields.timestamp}`).digest('hex') };
    // The same signed request, sent three times (Binance accepts a signature again within recvWindow).
    for (const id of [1, 2, 3]) session.ws.send(JSON.stringify({ id, method: 'userDataStream.subscribe.signature', params }));
    session.ws.send(JSON.stringify({ id: 4, method: 'session.subscriptions' }));
    session.ws.send(JSON.stringify({ id: 5, method: 'userDataStream.unsubscribe', params: { subscriptionId: 7 } }));
    await until(() => session.frames.length === 5, 'five answers');
    expect(session.frames).toEqual([
      { id: 1, status: 200, result: { subscriptionId: 0 }, rateLimits: [] },
      { id: 2, status: 400, error: { code: -2035, msg: 'User Data Stream subscription already active.' } },
      { id: 3, status: 400, error: { code: -2035, msg: 'User Data Stream subscription already active.' } },
      { id: 4, status: 200, result: [{ subscriptionId: 0 }], rateLimits: [] },
      { id: 5, status: 400, error: { code: -2036, msg: 'User Data Stream subscription not active.' } },
    ]);
    // One copy of each event: a reset of the account is one balance update on the one subscription.
    await app.inject({ method: 'POST', url: `/api/accounts/${account.id}/reset`, headers: admin, payload: { balances: { USDT: '10' } } });
    await until(() => session.frames.length > 5, 'the balance event');
    await new Promise((r) => setTimeout(r, 200));
    expect(session.frames.slice(5).every((f) => f.subscriptionId === 0)).toBe(true);
    expect(new Set(session.frames.slice(5).map((f) => JSON.stringify(f))).size).toBe(session.frames.length - 5);
    session.ws.close();
  });

  it("names the deleted account's own subscription in eventStreamTerminated", async () => {
    const account: Account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'terminated', balances: { USDT: '1000' } } })).json();
    const session = await connect(`${ws}/binance/ws-api/v3`);
    const subscribe = (id: number) => {
      const fields = { apiKey: account.apiKey, timestamp: Date.now() };
      const signature = createHmac('sha256', account.apiSecret).update(`apiKey=${fields.apiKey}&timestamp=${fields.timestamp}`).digest('hex');
      session.ws.send(JSON.stringify({ id, method: 'userDataStream.subscribe.signature', params: { ...fields, signature } }));
    };
    // Subscribed, unsubscribed, subscribed again: the live subscription's id is 1 (ids are not reused).
    subscribe(1);
    session.ws.send(JSON.stringify({ id: 2, method: 'userDataStream.unsubscribe', params: { subscriptionId: 0 } }));
    subscribe(3);
    await until(() => session.frames.length === 3, 'three answers');
    expect(session.frames[2]).toEqual({ id: 3, status: 200, result: { subscriptionId: 1 }, rateLimits: [] });
    expect((await app.inject({ method: 'DELETE', url: `/api/accounts/${account.id}`, headers: admin })).statusCode).toBe(204);
    await session.closed;
    expect(session.frames.at(-1)).toMatchObject({ subscriptionId: 1, event: { e: 'eventStreamTerminated' } });
  });

  it('sends each event once to a connection that names the same listenKey several times', async () => {
    const account: Account = (await app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'twice', balances: { USDT: '1000' } } })).json();
    const { listenKey } = (await app.inject({ method: 'POST', url: '/binance/api/v3/userDataStream', headers: { 'x-mbx-apikey': account.apiKey } })).json();
    const once = await connect(`${ws}/binance/ws/${listenKey}`);
    const thrice = await connect(`${ws}/binance/stream?streams=${listenKey}/${listenKey}/${listenKey}`);
    await app.inject({ method: 'POST', url: `/api/accounts/${account.id}/reset`, headers: admin, payload: { balances: { USDT: '10' } } });
    await until(() => once.frames.length > 0 && thrice.frames.length > 0, 'the balance events');
    await new Promise((r) => setTimeout(r, 200));
    expect(thrice.frames.map((f) => f.data)).toEqual(once.frames);
    once.ws.close();
    thrice.ws.close();
  });
});
