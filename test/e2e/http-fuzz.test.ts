/**
 * The real server process under hostile HTTP: `papertrade serve` on a fresh SQLite database, a few
 * accounts made through the admin API, then tens of thousands of malformed requests over every route
 * the OpenAPI document lists (native, MEXC and Binance dialects) plus the dashboard: garbage and
 * deeply nested JSON, wrong types, huge numbers and strings, unicode, bad percent-encoding, wrong or
 * missing keys, wrong MEXC and Binance signatures, random query strings, every order type with
 * random fields, admin account create/import/reset with random documents; and hostile WebSocket
 * clients on /ws, on Binance's streams (/binance/ws, /binance/fws and their combined forms, with
 * listenKeys of either market) and on MEXC's /mexc/ws (with listen keys of several accounts).
 *
 * Asserts: no answer is a 5xx; every error body has the documented shape (`{code,message}` native,
 * `{code,msg}` in the MEXC and Binance dialects); the engine stays ready; an ordinary order still
 * fills; a restart on the same database works and shows the same balances. HTTP_FUZZ_REQUESTS sizes
 * the run (default 10,000, about 20 s on two cores; `npm run fuzz` sends 200,000).
 *
 * The authentication back-off and the request rate limit are turned off for the storm (they would
 * answer 429 before any handler saw the hostile input); a second, short storm runs against the
 * restarted process with its default limits.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ensureDashboardBuilt } from '../../src/test-kit/chromium.js';
import { startServeProcess, stopServeProcess, type ServeProcess } from '../../src/test-kit/serve-process.js';
import { Rng } from '../../src/test-kit/mulberry32.js';
import { USDM_RECORDING } from '../../src/test-kit/data-paths.js';
import { binanceStreamStorm, hostileRequest, isDialect, mexcListenKey, mexcStreamStorm, send, shapeProblem, UNDOCUMENTED_ROUTES, wsStorm, type Account, type Answer, type Route, type Sent } from '../../src/test-kit/hostile-requests.js';
import { scratchDir } from '../../src/test-kit/scratch-dir.js';

const REQUESTS = Number(process.env.HTTP_FUZZ_REQUESTS ?? 10_000);
const CONCURRENCY = 16;
/** Time for a storm test: 10 minutes, and 6 ms more per request (`npm run fuzz` sends 200,000; a busy two-core machine answers about 300 a second). */
const STORM_TIMEOUT_MS = 600_000 + REQUESTS * 6;
const ADMIN = 'http-fuzz-admin-key-0123456789abcdef0123456789';

/**
 * Sends `count` hostile requests. With `spread`, request i comes from loopback address 127.1.x.y, one
 * of 4,096: Binance's request weight is counted per address (6,000 a minute on spot, 2,400 on USD-M),
 * and from one address most of the storm on those routes would be answered 429 before any handler ran.
 */
async function storm(base: string, count: number, seed: number, routes: Route[], accounts: Account[], spread = false) {
  const r = new Rng(seed);
  const serverErrors: { sent: Sent; answer: Answer }[] = [];
  const unparsable: { sent: Sent; answer: Answer }[] = [];
  const badShapes: { sent: Sent; answer: Answer; problem: string }[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next;
      next += 1;
      const sent = hostileRequest(r, routes, accounts, ADMIN);
      const answer = await send(base, sent, spread ? `127.1.${(i >> 6) % 64}.${(i % 64) + 1}` : undefined);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      // A checkout without `npm run build` answers the dashboard with a deliberate 503; that is not a failure of the service.
      const unbuiltDashboard = answer.status === 503 && answer.text.startsWith('The dashboard is not built');
      if (answer.status >= 500 && !unbuiltDashboard) serverErrors.push({ sent, answer });
      if (answer.status < 0) unparsable.push({ sent, answer });
      const problem = unbuiltDashboard || answer.status < 0 ? undefined : shapeProblem(sent.path.split('?')[0]!, answer);
      if (problem !== undefined) badShapes.push({ sent, answer, problem });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { serverErrors, unparsable, badShapes, statuses };
}

const show = (sent: Sent, answer: Answer) =>
  `${sent.method} ${sent.path.length > 400 ? `${sent.path.slice(0, 250)}…${sent.path.slice(-120)}` : sent.path} headers=${JSON.stringify(sent.headers).slice(0, 200)} body=${(sent.body ?? '').length > 400 ? `${sent.body!.slice(0, 250)}…${sent.body!.slice(-120)}` : (sent.body ?? '')} → ${answer.status} ${answer.text.slice(0, 300)}`;

describe('the real server process under hostile HTTP', () => {
  const servers: ServeProcess[] = [];
  afterAll(async () => {
    for (const s of servers) await stopServeProcess(s);
  });

  it('answers tens of thousands of malformed requests without a 5xx, stays ready, still trades, and restarts', async () => {
    // The dashboard built before the storm, as the browser tests build it when its sources are newer:
    // a build by another test file while the storm runs empties its directory, and a HEAD there
    // answers a bodiless 503 that the storm cannot tell from a failure.
    await ensureDashboardBuilt();
    const databaseUrl = `sqlite:${join(scratchDir('papertrade-http-fuzz-'), 'db.sqlite')}`;
    const env = { DATABASE_URL: databaseUrl, ADMIN_API_KEY: ADMIN, REPLAY_SPEED: '1', LOG_LEVEL: 'error', PAPER_TRADING_INITIAL_BALANCE_USDT: '25000' };
    const first = await startServeProcess(0, { ...env, AUTH_FAILURE_LIMIT: '0', RATE_LIMIT_MAX: '0' });
    const port = first.port;
    servers.push(first);
    const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
    const accounts: Account[] = [];
    for (const body of [{ name: 'spot', balances: { USDT: '100000', BTC: '1' } }, { name: 'fut', type: 'futures', balances: { USDT: '50000' } }, { name: 'small', balances: { USDT: '20' } }]) {
      const res = await fetch(`${first.url}/api/accounts`, { method: 'POST', headers: admin, body: JSON.stringify(body) });
      const created = (await res.json()) as { id: string; apiKey: string; apiSecret: string };
      expect(res.status, JSON.stringify(created)).toBe(201);
      accounts.push(created);
    }
    // A witness account the storm never names in a path (so no admin route resets or deletes it).
    const witnessRes = await fetch(`${first.url}/api/accounts`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'witness', balances: { USDT: '10000' } }) });
    const witness = (await witnessRes.json()) as Account;
    expect(witnessRes.status).toBe(201);
    const doc = (await (await fetch(`${first.url}/docs/json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const routes: Route[] = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).filter((m) => m !== 'parameters').map((m) => ({ method: m.toUpperCase(), path })));
    for (const extra of ['/', '/ws', '/docs', '/docs/json', '/dashboard', '/index.html', '/assets/x.js', '/api/v3/order', '/api/v3/openOrders', '/api/v3/account']) routes.push({ method: 'GET', path: extra });
    routes.push(...UNDOCUMENTED_ROUTES);
    expect(routes.length).toBeGreaterThan(30);

    const started = Date.now();
    const result = await storm(first.url, REQUESTS, 20240808, routes, accounts, true);
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `http fuzz: ${REQUESTS} requests over ${routes.length} routes in ${seconds.toFixed(1)} s (${(REQUESTS / seconds).toFixed(0)}/s); ` +
        `5xx: ${result.serverErrors.length}; answers the client could not parse: ${result.unparsable.length}; error bodies off the documented shape: ${result.badShapes.length}; statuses ${JSON.stringify(Object.fromEntries([...result.statuses].sort((a, b) => a[0] - b[0])))}`,
    );
    const distinct = (items: { sent: Sent; answer: Answer }[]) => {
      const seen = new Map<string, string>();
      for (const { sent, answer } of items) {
        const key = `${sent.method} ${sent.path.split('?')[0]!.replace(/\d+/g, '#').slice(0, 80)} ${answer.status}`;
        if (!seen.has(key)) seen.set(key, show(sent, answer));
      }
      return [...seen.values()].join('\n');
    };

    if (result.serverErrors.length > 0) console.log(`5xx, one per route and status:\n${distinct(result.serverErrors)}`);
    if (result.unparsable.length > 0) console.log(`answers the client could not parse, one per route:\n${distinct(result.unparsable)}`);
    if (result.badShapes.length > 0) console.log(`error bodies off the documented shape, one per route and status:\n${distinct(result.badShapes)}`);
    const ready = await fetch(`${first.url}/ready`);
    const readyBody = await ready.text();
    const order = await fetch(`${first.url}/api/orders`, { method: 'POST', headers: { authorization: `Bearer ${witness.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001' }) });
    const filled = (await order.json()) as Record<string, unknown>;
    const balances = async (base: string) => Promise.all([...accounts, witness].map(async (a) => (await (await fetch(`${base}/api/account/balances`, { headers: { authorization: `Bearer ${a.apiKey}` } })).json()) as unknown));
    // Nothing may trade across the restart: cancel what the storm left open, close its positions.
    for (const a of [...accounts, witness]) {
      const headers = { authorization: `Bearer ${a.apiKey}` };
      const open = (await (await fetch(`${first.url}/api/orders/open`, { headers })).json()) as { items?: { orderId: string | number }[] };
      for (const o of open.items ?? []) await fetch(`${first.url}/api/orders/${String(o.orderId)}?symbol=BTCUSDT`, { method: 'DELETE', headers });
      await fetch(`${first.url}/api/positions/close-all`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}' });
    }
    await new Promise((r) => setTimeout(r, 500));
    const before = await balances(first.url);

    // Hostile WebSocket clients last: the process must still be there and ready afterwards.
    const ws = await wsStorm(port, 40, 60, 99, accounts, ADMIN);
    // Binance's streams: listenKeys of a spot and a futures account (either may be gone after the storm), then hostile clients on both roots.
    const listenKeys: string[] = [];
    for (const [path, a] of [['/binance/api/v3/userDataStream', accounts[0]!], ['/binance/fapi/v1/listenKey', accounts[1]!], ['/binance/api/v3/userDataStream', witness]] as const) {
      const created = (await (await fetch(`${first.url}${path}`, { method: 'POST', headers: { 'x-mbx-apikey': a.apiKey } })).json()) as { listenKey?: string };
      if (created.listenKey !== undefined) listenKeys.push(created.listenKey);
    }
    const spotStreams = await binanceStreamStorm(port, '/binance/ws', 30, 40, 101, listenKeys);
    const futuresStreams = await binanceStreamStorm(port, '/binance/fws', 30, 40, 102, listenKeys);
    console.log(
      `binance stream fuzz: ${spotStreams.frames + futuresStreams.frames} frames on 60 connections; answers off Binance's shape: ${spotStreams.problems.length + futuresStreams.problems.length}; ` +
        `connections that failed: ${JSON.stringify(Object.fromEntries([...spotStreams.refusals, ...futuresStreams.refusals]))}`,
    );
    // MEXC's /mexc/ws: listen keys of two accounts and the witness (a storm account may be gone).
    const mexcKeys = (await Promise.all([accounts[0]!, accounts[1]!, witness].map((a) => mexcListenKey(first.url, a)))).filter((k): k is string => k !== undefined);
    const mexcStreams = await mexcStreamStorm(port, 30, 40, 103, mexcKeys);
    console.log(`mexc stream fuzz: ${mexcStreams.frames} frames on 30 connections; answers off MEXC's shape: ${mexcStreams.problems.length}; connections that failed: ${JSON.stringify(Object.fromEntries(mexcStreams.refusals))}`);
    const aliveAfterWs = first.child.exitCode === null;
    const readyAfterWs = aliveAfterWs ? (await fetch(`${first.url}/ready`)).status : 0;
    console.log(
      `ws fuzz: ${ws.frames} frames on 40 connections; answers that were not a JSON message: ${ws.problems.length}; connections that failed: ${JSON.stringify(Object.fromEntries(ws.refusals))}; ` +
        `process ${aliveAfterWs ? 'alive' : `exited with ${String(first.child.exitCode)}`}`,
    );
    const crashOutput = aliveAfterWs ? '' : first.output().slice(-1500);
    await stopServeProcess(first);

    const second = await startServeProcess(port, env);
    servers.push(second);
    const after = await balances(second.url);
    // A short storm against the default limits (authentication back-off and rate limit on).
    const limited = await storm(second.url, Math.min(1500, REQUESTS), 7, routes, accounts);
    console.log(`http fuzz, default limits: ${Math.min(1500, REQUESTS)} requests; 5xx: ${limited.serverErrors.length}; statuses ${JSON.stringify(Object.fromEntries(limited.statuses))}`);
    const readyAfter = await fetch(`${second.url}/ready`);

    expect.soft(result.serverErrors.length, distinct(result.serverErrors)).toBe(0);
    expect.soft(limited.serverErrors.length, distinct(limited.serverErrors)).toBe(0);
    expect.soft(result.unparsable.length, distinct(result.unparsable)).toBe(0);
    const nativeBad = result.badShapes.filter((b) => !isDialect(b.sent.path));
    const dialectBad = result.badShapes.filter((b) => isDialect(b.sent.path));
    expect.soft(nativeBad.length, distinct(nativeBad)).toBe(0);
    expect.soft(dialectBad.length, distinct(dialectBad)).toBe(0);
    expect.soft(ws.problems, ws.problems.slice(0, 5).join('\n')).toEqual([]);
    expect.soft(spotStreams.problems, spotStreams.problems.slice(0, 5).join('\n')).toEqual([]);
    expect.soft(futuresStreams.problems, futuresStreams.problems.slice(0, 5).join('\n')).toEqual([]);
    expect.soft(mexcStreams.problems, mexcStreams.problems.slice(0, 5).join('\n')).toEqual([]);
    expect.soft(aliveAfterWs, `the process exited under hostile WebSocket frames:\n${crashOutput}`).toBe(true);
    expect.soft(readyAfterWs).toBe(200);
    expect.soft(ready.status, readyBody).toBe(200);
    expect.soft(order.status, JSON.stringify(filled)).toBe(201);
    expect.soft(filled).toMatchObject({ status: 'FILLED', executedQty: '0.001' });
    expect.soft(after).toEqual(before);
    expect.soft(readyAfter.status, await readyAfter.text()).toBe(200);
  }, STORM_TIMEOUT_MS);
});

describe('the real server process replaying a USD-M perpetual, under hostile HTTP and stream clients', () => {
  let server: ServeProcess | undefined;
  afterAll(async () => {
    if (server !== undefined) await stopServeProcess(server);
  });

  // The storm above replays the spot recording, where every futures order stops at "Invalid symbol":
  // here the perpetual is listed, so /fapi orders, algo orders, brackets and the futures streams run deep.
  it('answers the futures routes and streams without a 5xx, in Binance\'s shape, and stays ready', async () => {
    const databaseUrl = `sqlite:${join(scratchDir('papertrade-http-fuzz-usdm-'), 'db.sqlite')}`;
    server = await startServeProcess(0, { DATABASE_URL: databaseUrl, ADMIN_API_KEY: ADMIN, REPLAY_SPEED: '1', LOG_LEVEL: 'error', REPLAY_RECORDING: USDM_RECORDING, AUTH_FAILURE_LIMIT: '0', RATE_LIMIT_MAX: '0' });
    const port = server.port;
    const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
    const accounts: Account[] = [];
    for (const body of [{ name: 'fut', type: 'futures', leverage: 20, balances: { USDT: '50000' } }, { name: 'spot', balances: { USDT: '100000' } }, { name: 'fut-small', type: 'futures', balances: { USDT: '20' } }]) {
      const res = await fetch(`${server.url}/api/accounts`, { method: 'POST', headers: admin, body: JSON.stringify(body) });
      accounts.push((await res.json()) as Account);
      expect(res.status).toBe(201);
    }
    const doc = (await (await fetch(`${server.url}/docs/json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const routes: Route[] = Object.entries(doc.paths)
      .flatMap(([path, methods]) => Object.keys(methods).filter((m) => m !== 'parameters').map((m) => ({ method: m.toUpperCase(), path })))
      .filter((r) => r.path.startsWith('/binance/') || r.path.startsWith('/api/orders') || r.path.startsWith('/api/positions'));
    routes.push(...UNDOCUMENTED_ROUTES);
    const count = Math.max(1000, Math.floor(REQUESTS / 2));
    const result = await storm(server.url, count, 20261130, routes, accounts, true);
    const listenKeys: string[] = [];
    for (const [path, a] of [['/binance/fapi/v1/listenKey', accounts[0]!], ['/binance/api/v3/userDataStream', accounts[1]!]] as const) {
      const created = (await (await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'x-mbx-apikey': a.apiKey } })).json()) as { listenKey?: string };
      if (created.listenKey !== undefined) listenKeys.push(created.listenKey);
    }
    const streams = await binanceStreamStorm(port, '/binance/fws', 30, 40, 103, listenKeys);
    console.log(`usd-m http fuzz: ${count} requests over ${routes.length} routes; 5xx: ${result.serverErrors.length}; off shape: ${result.badShapes.length}; statuses ${JSON.stringify(Object.fromEntries([...result.statuses].sort((a, b) => a[0] - b[0])))}; stream frames ${streams.frames}, off shape ${streams.problems.length}`);
    const first = (items: { sent: Sent; answer: Answer }[]) => items.slice(0, 5).map(({ sent, answer }) => show(sent, answer)).join('\n');
    expect.soft(result.serverErrors.length, first(result.serverErrors)).toBe(0);
    expect.soft(result.unparsable.length, first(result.unparsable)).toBe(0);
    expect.soft(result.badShapes.length, first(result.badShapes)).toBe(0);
    expect.soft(streams.problems, streams.problems.slice(0, 5).join('\n')).toEqual([]);
    expect.soft(server.child.exitCode, server.output().slice(-1500)).toBeNull();
    expect.soft((await fetch(`${server.url}/ready`)).status).toBe(200);
  }, STORM_TIMEOUT_MS);
});

/** Single requests the storm found, each its own case, against one server. */
describe('requests the HTTP fuzzer found', () => {
  let server: ServeProcess;
  let account: Account;
  afterAll(async () => {
    if (server !== undefined) await stopServeProcess(server);
  });

  const start = async () => {
    if (server !== undefined) return;
    const databaseUrl = `sqlite:${join(scratchDir('papertrade-http-cases-'), 'db.sqlite')}`;
    server = await startServeProcess(0, { DATABASE_URL: databaseUrl, ADMIN_API_KEY: ADMIN, REPLAY_SPEED: '1', LOG_LEVEL: 'error' });
    const res = await fetch(`${server.url}/api/accounts`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'cases', balances: { USDT: '1000' } }) });
    account = (await res.json()) as Account;
  };

  it('a MEXC request whose signature is malformed percent-encoding (signature=%zz) answers 4xx {code,msg}', async () => {
    await start();
    const answer = await send(server.url, { method: 'GET', path: `/api/v3/account?timestamp=${Date.now()}&signature=%zz`, headers: { 'x-mexc-apikey': account.apiKey } });
    expect(answer.status, answer.text).toBeLessThan(500);
    expect(shapeProblem('/api/v3/account', answer)).toBeUndefined();
  }, 60_000);

  it('a HEAD request refused for its header size gets no body after the headers', async () => {
    await start();
    const url = new URL(server.url);
    const raw = await new Promise<string>((resolve) => {
      const socket = connect(Number(url.port), url.hostname, () => socket.write(`HEAD /api/v3/ping HTTP/1.1\r\nHost: x\r\nX-Pad: ${'y'.repeat(20_000)}\r\n\r\n`));
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
      setTimeout(() => socket.destroy(), 2000);
    });
    const [head, ...rest] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431/);
    expect(rest.join('\r\n\r\n'), 'bytes after the response headers of a HEAD request').toBe('');
  }, 60_000);

  it.each(['/api/v3/ping', '/binance/api/v3/ping'])('%s with headers too large answers 431 in the dialect\'s {code,msg}', async (path) => {
    await start();
    const answer = await send(server.url, { method: 'GET', path, headers: { 'x-pad': 'y'.repeat(20_000) } });
    expect(answer.status).toBe(431);
    expect(shapeProblem(path, answer), answer.text).toBeUndefined();
  }, 60_000);

  it('a MEXC path given a JSON body with a number out of range (1e999999) answers in MEXC\'s {code,msg}', async () => {
    await start();
    const answer = await send(server.url, { method: 'PUT', path: '/api/v3/account', headers: { 'content-type': 'application/json' }, body: '{"a":1e999999}' });
    expect(answer.status).toBeLessThan(500);
    expect(shapeProblem('/api/v3/account', answer), answer.text).toBeUndefined();
  }, 60_000);

  it('a WebSocket frame `null` from a client that never authenticated leaves the process up and ready', async () => {
    await start();
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws`);
    ws.on('error', () => {});
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send('null');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    ws.close();
    expect(server.child.exitCode, server.output().slice(-1200)).toBeNull();
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
  }, 60_000);
});
