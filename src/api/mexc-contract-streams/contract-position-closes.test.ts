/**
 * `push.personal.position` after partial closes states what the position has closed so far, as
 * `position/open_positions` does (MEXC futures docs, "Get the user's current holding position" and
 * the `push.personal.position` channel: closeVol "close volume", closeAvgPrice "close average
 * price"). The figures are worked out by hand from the USD-M recording's book (BTCUSDT perpetual;
 * BTC_USDT contract size 0.0001 BTC), as in mexc-contract-open-position-figures.test.ts: a long of
 * 5000 contracts (0.5 BTC) bought at 61,807.8, then 2000 contracts sold at 61,760.3 a minute later
 * and 1000 at 61,701.2 a minute after that.
 */
import type { FastifyInstance } from 'fastify';
import type { LiquidationEvent } from '../../core/kernel/events.js';
import { div, formatFixed, parseFixed } from '../../core/money/fixed.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { contractLoginFrame, injectMexcContract } from '../../test-kit/mexc-contract-signed.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../test-kit/service-kit.js';
import { connect, until, type Frame } from '../../test-kit/ws-client.js';
import { MarketTape } from '../dialect-kit/market-tape.js';
import { positionFillRows, type PositionFillRow } from '../mexc-contract/mexc-contract-account-routes.js';
import { registerMexcContractApi } from '../mexc-contract/mexc-contract-api.js';
import { ContractStreamSession } from './contract-stream-session.js';
import type { PushFrame } from './contract-push-frames.js';
import { buildServer } from '../server.js';

const START = 1723161300000;

/** A market order on the native API (`POST /api/orders`) of the account with `apiKey`. */
const nativeMarketOrder = (service: TestService, apiKey: string, side: 'BUY' | 'SELL', quantity: string) =>
  service.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${apiKey}` }, payload: { symbol: 'BTCUSDT', side, type: 'MARKET', quantity } });

/** 0.5 BTC bought at START (61,807.8), 0.2 sold a minute later (61,760.3), through the native API. */
async function buyThenSellPart(service: TestService, apiKey: string): Promise<void> {
  expect((await nativeMarketOrder(service, apiKey, 'BUY', '0.5')).statusCode).toBeLessThan(300);
  await service.feedUntil(START + 60_000);
  expect((await nativeMarketOrder(service, apiKey, 'SELL', '0.2')).statusCode).toBeLessThan(300);
}

const positions = (frames: Frame[]) => frames.filter((f) => f.channel === 'push.personal.position').map((f) => f.data as Record<string, number>);

describe('MEXC contract position pushes after partial closes, by hand', () => {
  let service: TestService;
  let url: string;
  let keys: { apiKey: string; apiSecret: string };
  const sockets: WebSocket[] = [];
  const call = async (method: 'GET' | 'POST', path: string, body?: Record<string, unknown>) => (await injectMexcContract(service.app, keys, method, path, body)).json() as { success: boolean; data: unknown };
  const login = async () => {
    const c = await connect(url);
    sockets.push(c.ws);
    c.ws.send(contractLoginFrame(keys));
    await until(() => c.frames.some((f) => f.channel === 'rs.login'), 'the login answer');
    return c;
  };

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: START, plugins: [registerMexcContractApi] });
    const base = await service.app.listen({ port: 0, host: '127.0.0.1' });
    url = `${base.replace(/^http/, 'ws')}/mexc/contract/edge`;
    keys = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'partial', type: 'futures', leverage: 10, balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => {
    for (const ws of sockets) ws.close();
    await service?.close();
  });

  it('pushes closeVol and closeAvgPrice from the fills, the figures position/open_positions states', async () => {
    const early = await login();
    // side 1 open long, 4 close long; type 5 market.
    expect(await call('POST', 'order/create', { symbol: 'BTC_USDT', openType: 1, side: 1, type: 5, vol: 5000, leverage: 10 })).toMatchObject({ success: true });
    await service.feedUntil(START + 60_000);
    expect(await call('POST', 'order/create', { symbol: 'BTC_USDT', openType: 1, side: 4, type: 5, vol: 2000, leverage: 10 })).toMatchObject({ success: true });
    await until(() => positions(early.frames).some((p) => p.holdVol === 3000), 'the push after the first close');
    // After the first close: 2000 contracts closed at 61,760.3.
    expect(positions(early.frames).at(-1)).toMatchObject({ state: 1, holdVol: 3000, closeVol: 2000, closeAvgPrice: 61760.3 });

    // A connection logged in after the first close counts it too.
    const late = await login();
    await service.feedUntil(START + 120_000);
    expect(await call('POST', 'order/create', { symbol: 'BTC_USDT', openType: 1, side: 4, type: 5, vol: 1000, leverage: 10 })).toMatchObject({ success: true });
    for (const c of [early, late]) await until(() => positions(c.frames).some((p) => p.holdVol === 2000), 'the push after the second close');

    // Closed: 2000 + 1000 = 3000 contracts, at (0.2 × 61760.3 + 0.1 × 61701.2) / 0.3 = (12352.06 + 6170.12) / 0.3 = 61740.6.
    // Realised: −20.16 of PnL less 24.71304 of fees (worked out in mexc-contract-open-position-figures.test.ts).
    const byHand = { symbol: 'BTC_USDT', positionType: 1, state: 1, holdVol: 2000, closeVol: 3000, holdAvgPrice: 61807.8, openAvgPrice: 61807.8, closeAvgPrice: 61740.6, realised: -44.87304, im: 1236.156 };
    expect(positions(early.frames).at(-1)).toMatchObject(byHand);
    expect(positions(late.frames).at(-1)).toMatchObject(byHand);
    const { data } = await call('GET', 'position/open_positions', { symbol: 'BTC_USDT' });
    expect(data).toEqual([expect.objectContaining(byHand)]);
  });
});

describe('MEXC contract position pushes count closes made before the contract dialect kept a tape', () => {
  let service: TestService;
  let app: FastifyInstance;
  let account: { apiKey: string; apiSecret: string };
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    // No exchange dialect on the first server: nothing keeps a tape of the account's fills.
    service = await startTestService({ recording: USDM_RECORDING, until: START });
    account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'before', type: 'futures', leverage: 10, balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => {
    for (const ws of sockets) ws.close();
    await app?.close();
    await service?.close();
  });

  it('counts the recorded closes the tape never saw, as position/open_positions does', async () => {
    // The same fills as above, the first two through the native API: 0.5 BTC bought, 0.2 sold.
    await buyThenSellPart(service, account.apiKey);

    // Then a server with the contract dialect, whose tape starts now.
    app = await buildServer(service.deps, { plugins: [registerMexcContractApi] });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const c = await connect(`${base.replace(/^http/, 'ws')}/mexc/contract/edge`);
    sockets.push(c.ws);
    c.ws.send(contractLoginFrame(account));
    await until(() => c.frames.some((f) => f.channel === 'rs.login'), 'the login answer');
    await service.feedUntil(START + 120_000);
    const third = await injectMexcContract(app, account, 'POST', 'order/create', { symbol: 'BTC_USDT', openType: 1, side: 4, type: 5, vol: 1000, leverage: 10 });
    expect(third.json()).toMatchObject({ success: true });
    await until(() => positions(c.frames).some((p) => p.holdVol === 2000), 'the push after the third fill');

    // 2000 + 1000 contracts closed at 61,740.6, worked out above.
    const byHand = { holdVol: 2000, closeVol: 3000, closeAvgPrice: 61740.6 };
    expect(positions(c.frames).at(-1)).toMatchObject(byHand);
    const rest = (await injectMexcContract(app, account, 'GET', 'position/open_positions', { symbol: 'BTC_USDT' })).json() as { data: unknown };
    expect(rest.data).toEqual([expect.objectContaining(byHand)]);
  });
});

describe('MEXC contract login while the recorded closes are still being read', () => {
  let service: TestService;
  let account: { id: string; apiKey: string; apiSecret: string };

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: START, plugins: [registerMexcContractApi] });
    account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'slow-read', type: 'futures', leverage: 10, balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => {
    await service?.close();
  });

  it('answers the login and pushes positions only once the read answered, so no push leaves those closes out', async () => {
    const native = (side: 'BUY' | 'SELL', quantity: string) => nativeMarketOrder(service, account.apiKey, side, quantity);
    // Before this connection's tape: 0.5 BTC bought at 61,807.8, 0.2 (2000 contracts) sold at 61,760.3.
    await buyThenSellPart(service, account.apiKey);

    const tape = new MarketTape();
    const frames: PushFrame[] = [];
    let answerRead: (rows: ReadonlyMap<string, readonly PositionFillRow[]>) => void = () => undefined;
    const session = new ContractStreamSession({
      kernel: () => service.deps.hub.kernel, tape, credentials: service.deps.credentials, wallClock: Date.now,
      send: (frame) => frames.push(frame), close: () => undefined, maxSubscriptions: 30, authFailed: () => undefined, inBackOff: () => false,
      // A read that answers only when the test says: what the trades table holds now.
      recordedFills: () => new Promise((resolve) => (answerRead = resolve)),
    });
    const unsubscribe = service.deps.hub.subscribe((events, input) => {
      tape.observe(events, input);
      session.onEngine(events, input);
    });
    try {
      session.onMessage(Buffer.from(contractLoginFrame(account)));
      const position = service.deps.hub.kernel.account(account.id);
      const ids = position?.kind === 'futures' ? position.openPositions().map((p) => p.id) : [];
      const recorded = await positionFillRows(service.deps, account.id, ids);

      // While the read is out: 1000 more contracts sold at 61,701.2. No push may say 1000 closed.
      await service.feedUntil(START + 120_000);
      expect((await native('SELL', '0.1')).statusCode).toBeLessThan(300);
      expect(frames.filter((f) => f.channel === 'rs.login' || f.channel === 'push.personal.position')).toEqual([]);

      answerRead(recorded);
      await until(() => frames.some((f) => f.channel === 'rs.login'), 'the login answer');
      expect((await native('SELL', '0.05')).statusCode).toBeLessThan(300);
      const pushedPositions = () => frames.filter((f) => f.channel === 'push.personal.position').map((f) => f.data as Record<string, number>);
      await until(() => pushedPositions().length > 0, 'the push after the fourth fill');
      // Closed: 2000 (recorded) + 1000 (during the read) + 500 = 3500 contracts; 1500 held.
      const pushed = pushedPositions();
      expect(pushed).toHaveLength(1);
      expect(pushed[0]).toMatchObject({ holdVol: 1500, closeVol: 3500 });
      const rest = (await injectMexcContract(service.app, account, 'GET', 'position/open_positions', { symbol: 'BTC_USDT' })).json() as { data: Record<string, unknown>[] };
      expect(rest.data).toEqual([expect.objectContaining({ holdVol: 1500, closeVol: 3500, closeAvgPrice: pushed[0]!.closeAvgPrice })]);
    } finally {
      unsubscribe();
      session.close();
    }
  });
});

describe('MEXC contract frames sent while a login is answered', () => {
  let service: TestService;
  let account: { id: string; apiKey: string; apiSecret: string };

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: START, plugins: [registerMexcContractApi] });
    account = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'pipelined', type: 'futures', leverage: 10, balances: { USDT: '10000' } } })).json();
  });
  afterAll(async () => {
    await service?.close();
  });

  it('are handled after it, in order: a filter sent right after the login applies to it, and logins read one at a time', async () => {
    const frames: PushFrame[] = [];
    const reads: ((rows: ReadonlyMap<string, readonly PositionFillRow[]>) => void)[] = [];
    const session = new ContractStreamSession({
      kernel: () => service.deps.hub.kernel, tape: new MarketTape(), credentials: service.deps.credentials, wallClock: Date.now,
      send: (frame) => frames.push(frame), close: () => undefined, maxSubscriptions: 30, authFailed: () => undefined, inBackOff: () => false,
      recordedFills: () => new Promise((resolve) => reads.push(resolve)),
    });
    const channels = () => frames.map((f) => `${f.channel} ${typeof f.data === 'string' ? f.data : ''}`.trim());
    try {
      // Sent at once, as a client that does not wait for rs.login: login, filter, login again, ping.
      session.onMessage(Buffer.from(contractLoginFrame(account)));
      session.onMessage(Buffer.from('{"method":"personal.filter","param":{"filters":[{"filter":"order"}]}}'));
      session.onMessage(Buffer.from(contractLoginFrame(account)));
      session.onMessage(Buffer.from('{"method":"ping"}'));
      // Nothing is answered before the first login's read, and the second login has not read yet.
      expect(channels()).toEqual([]);
      expect(reads).toHaveLength(1);
      reads[0]!(new Map());
      await until(() => frames.length >= 2, 'the first login and the filter');
      expect(channels()).toEqual(['rs.login success', 'rs.personal.filter success']);
      expect(reads).toHaveLength(2);
      reads[1]!(new Map());
      await until(() => frames.length >= 4, 'the second login and the pong');
      expect(frames.map((f) => f.channel)).toEqual(['rs.login', 'rs.personal.filter', 'rs.login', 'pong']);

      // A flood while a login waits: 100 frames are kept, the 101st is refused at once.
      frames.length = 0;
      session.onMessage(Buffer.from(contractLoginFrame(account)));
      for (let i = 0; i < 101; i += 1) session.onMessage(Buffer.from('{"method":"ping"}'));
      expect(channels()).toEqual(['rs.error too many frames while a login is answered (at most 100): wait for rs.login']);
      reads[2]!(new Map());
      await until(() => frames.length >= 102, 'the login and 100 pongs');
      expect(frames.slice(1).map((f) => f.channel)).toEqual(['rs.login', ...Array<string>(100).fill('pong')]);
    } finally {
      session.close();
    }
  });
});

describe('MEXC contract position push of a liquidated position', () => {
  let service: TestService;
  let keys: { id: string; apiKey: string; apiSecret: string };
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    // The recording's highest ask, 61,839.9: a 125x long bought there is liquidated a few minutes later
    // (mexc-contract-liquidated-history.test.ts).
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161310714, plugins: [registerMexcContractApi] });
    keys = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'liq', type: 'futures', leverage: 125, balances: { USDT: '1000' } } })).json();
  });
  afterAll(async () => {
    for (const ws of sockets) ws.close();
    await service?.close();
  });

  it('states the size liquidated at the bankruptcy price as closed, as history_positions does', async () => {
    const base = await service.app.listen({ port: 0, host: '127.0.0.1' });
    const c = await connect(`${base.replace(/^http/, 'ws')}/mexc/contract/edge`);
    sockets.push(c.ws);
    c.ws.send(contractLoginFrame(keys));
    await until(() => c.frames.some((f) => f.channel === 'rs.login'), 'the login answer');
    const liquidations: LiquidationEvent[] = [];
    const stop = service.deps.hub.subscribe((events) => {
      for (const e of events) if (e.type === 'LIQUIDATION' && e.account === keys.id) liquidations.push(e);
    });
    try {
      expect((await injectMexcContract(service.app, keys, 'POST', 'order/create', { symbol: 'BTC_USDT', openType: 1, side: 1, type: 5, vol: 5000 })).json()).toMatchObject({ success: true });
      await service.feedUntil(1723161600000);
    } finally {
      stop();
    }
    await until(() => positions(c.frames).some((p) => p.state === 3), 'the closing push');
    expect(liquidations).toHaveLength(1);
    // By hand (mexc-contract-liquidated-history.test.ts): entry 61839.968, isolated margin 247.359872 on
    // 0.5 BTC; the bankruptcy price is where the margin less the clearance fee is gone.
    const bankruptcy = parseFixed('61839.968') + div(parseFixed(liquidations[0]!.liquidationFee) - parseFixed('247.359872'), parseFixed('0.5'), 'half-up');
    expect(positions(c.frames).at(-1)).toMatchObject({ state: 3, holdVol: 0, closeVol: 5000, closeAvgPrice: Number(formatFixed(bankruptcy)) });
  }, 60_000);
});
