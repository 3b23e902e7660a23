/**
 * Hostile requests for the HTTP fuzzer (test/e2e/http-fuzz.test.ts): raw HTTP that arrives exactly
 * as written, request generators for every route (garbage and deeply nested JSON, wrong types, huge
 * numbers and strings, unicode, bad percent-encoding, wrong or missing keys, wrong MEXC and Binance
 * signatures, random query strings, every order type with random fields, account documents), the
 * documented error shapes, and hostile WebSocket clients.
 */
import { createHmac } from 'node:crypto';
import { request as httpRequest, maxHeaderSize } from 'node:http';
import WebSocket from 'ws';
import { Rng } from './mulberry32.js';

export interface Sent {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export interface Answer {
  readonly status: number;
  readonly text: string;
  /** Set when the server closed the connection on an oversized request before its answer could be read. */
  readonly closedEarly?: string;
}

export interface Account {
  readonly id: string;
  readonly apiKey: string;
  readonly apiSecret: string;
}

/** The server's default body limit (BODY_LIMIT_BYTES, 1 MiB). */
const OVERSIZED_BODY_BYTES = 1_048_576;

/**
 * Raw HTTP (node:http), so that malformed paths and bodies reach the server exactly as written;
 * from `localAddress` when given (any 127.x.y.z reaches a server on 127.0.0.1).
 */
export function send(base: string, s: Sent, localAddress?: string): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve) => {
    // Node refuses to send characters outside printable ASCII in a path; those are escaped, stray `%` stays as written.
    const escape = (c: string) => {
      try {
        return encodeURIComponent(c);
      } catch {
        return '%ED%A0%80'; // a lone surrogate: the bytes of its (invalid) UTF-8 form
      }
    };
    const path = s.path.replace(/[^\x21-\x7e]/gu, escape);
    const headers = Object.fromEntries(Object.entries(s.headers).map(([k, v]) => [k, v.replace(/[^\x20-\x7e]/g, '?')]));
    // A body always goes with its length: Node sends GET/DELETE/OPTIONS bodies without any framing,
    // which the server would read as a second, garbage request on the same connection.
    if (s.body !== undefined) headers['content-length'] = String(Buffer.byteLength(s.body));
    // One connection per request (no keep-alive), so that each answer belongs to the request that caused it.
    const req = httpRequest({ host: url.hostname, port: url.port, method: s.method, path, headers, timeout: 30_000, agent: false, ...(localAddress !== undefined ? { localAddress } : {}) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d.length + text.length > 200_000 ? '' : d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', (e) => resolve({ status: -1, text: String(e) }));
    });
    // A request over the server's limits may be refused (413 for the body, 431 for the request line and
    // headers, beyond Node's maxHeaderSize) and the connection closed while the client is still writing;
    // the client then sees EPIPE or ECONNRESET instead of the answer (RFC 9112 §9.6). That is HTTP's own
    // way to refuse an oversized request, not a malformed answer.
    // Any request the server answers before reading its whole body (a refusal by a hook, an unknown
    // route) may meet the same close: a write that fails with EPIPE is the server closing its side
    // while the body is still being sent, counted as status 0 (no answer read), not as a bad answer.
    const headBytes = Buffer.byteLength(`${s.method} ${path} HTTP/1.1\r\n`) + Object.entries(headers).reduce((n, [k, v]) => n + Buffer.byteLength(`${k}: ${v}\r\n`), 0);
    const refusedAs = s.body !== undefined && Buffer.byteLength(s.body) > OVERSIZED_BODY_BYTES ? 413 : headBytes > maxHeaderSize && s.body !== undefined ? 431 : undefined;
    req.on('error', (e: NodeJS.ErrnoException) =>
      resolve(
        refusedAs !== undefined && (e.code === 'EPIPE' || e.code === 'ECONNRESET')
          ? { status: refusedAs, text: '', closedEarly: `connection closed while the oversized request was sent (${e.code})` }
          : s.body !== undefined && e.code === 'EPIPE' && e.syscall === 'write'
            ? { status: 0, text: '', closedEarly: 'connection closed by the server while the body was sent (EPIPE)' }
            : { status: -1, text: String(e) },
      ),
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    if (s.body !== undefined) req.write(s.body);
    req.end();
  });
}

const GARBAGE_STRINGS = ['', ' ', 'null', 'abc', '-1', '0', '1e308', 'NaN', '9'.repeat(500), '0.' + '1'.repeat(60), '💥', 'Ω≈ç√', '\u0000', '\ud800', '%00', '../../etc/passwd', '<script>', "'; DROP TABLE accounts;--", 'BTCUSDT', 'ETHUSDT', 'btcusdt', 'BUY', 'SELL'];

function garbageValue(r: Rng, depth = 0): unknown {
  const roll = r.next();
  if (roll < 0.25) return r.pick(GARBAGE_STRINGS);
  if (roll < 0.4) return r.pick([0, -1, 1, 1e308, -1e308, 2 ** 53 + 1, 0.1, 123456789.123456789, Number.MAX_SAFE_INTEGER]);
  if (roll < 0.5) return r.pick([true, false, null]);
  if (roll < 0.6) return 'x'.repeat(r.int(1000, 20_000));
  if (roll < 0.75 && depth < 4) return Array.from({ length: r.int(0, 5) }, () => garbageValue(r, depth + 1));
  if (roll < 0.9 && depth < 4) return Object.fromEntries(Array.from({ length: r.int(0, 5) }, () => [r.pick(['symbol', 'side', 'type', 'quantity', 'price', 'balances', 'fees', 'document', '__proto__', 'constructor', 'a'.repeat(300), '']), garbageValue(r, depth + 1)]));
  return String(r.next());
}

function deepNest(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

const ORDER_TYPES = ['MARKET', 'LIMIT', 'LIMIT_MAKER', 'IMMEDIATE_OR_CANCEL', 'FILL_OR_KILL', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT', 'TRAILING_STOP_MARKET', 'OCO', 'limit', ''];
const DECIMALS = ['0.001', '0.00001', '0.0001', '1', '100', '9000', '9000.00001', '0', '-0.001', '61800.00', '61800.005', '1e3', '50000', '0.01', '99999999999999999999999999', ' 1', '', '0.00000000000000000001', '99999999999999999999.99999999999999999999', '1.12345678901234567890'];

/** Order fields, some garbage; `binance` adds order-list legs (Binance's orderList routes), otherwise bracket exits (the native route). */
function orderFields(r: Rng, binance = false): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const pick = (name: string, p: number, values: unknown[]) => {
    if (r.chance(p)) o[name] = r.chance(0.85) ? r.pick(values) : garbageValue(r);
  };
  pick('symbol', 0.95, ['BTCUSDT', 'BTCUSDT', 'ETHUSDT', 'btcusdt', 'BTC/USDT', 'XYZ']);
  pick('side', 0.95, ['BUY', 'SELL', 'buy', 'BOTH']);
  pick('type', 0.95, ORDER_TYPES);
  pick('quantity', 0.8, DECIMALS);
  pick('quoteOrderQty', 0.2, DECIMALS);
  pick('price', 0.6, DECIMALS);
  pick('stopPrice', 0.3, DECIMALS);
  pick('activationPrice', 0.1, DECIMALS);
  pick('callbackRate', 0.15, ['0.01', '0', '1', '-1', '0.001', '5', '1.12345678901234567890']);
  pick('reduceOnly', 0.15, [true, false, 'true']);
  pick('clientOrderId', 0.4, ['a', 'x'.repeat(300), 'fuzz-1', '💥', '']);
  pick('timeInForce', 0.1, ['GTC', 'IOC', 'FOK', 'XXX']);
  pick('newClientOrderId', 0.1, ['a', '']);
  pick('ocoGroup', 0.05, ['g', '']);
  // Brackets (native) and order lists (Binance): legs well-formed, misordered, or garbage.
  if (!binance) {
    const leg = () => r.pick<unknown>([{ stopPrice: r.pick(DECIMALS) }, { stopPrice: r.pick(DECIMALS), price: r.pick(DECIMALS) }, {}, { price: '1' }, null, 'x']);
    pick('takeProfit', 0.15, [leg(), leg()]);
    pick('stopLoss', 0.15, [leg(), leg()]);
    return o;
  }
  pick('algoType', 0.1, ['CONDITIONAL', 'VP', '']);
  pick('triggerPrice', 0.1, DECIMALS);
  pick('timeInForce', 0.05, ['GTX', 'GTD']);
  pick('aboveType', 0.1, ['LIMIT_MAKER', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'MARKET']);
  pick('belowType', 0.1, ['LIMIT_MAKER', 'TAKE_PROFIT', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'LIMIT']);
  pick('abovePrice', 0.1, DECIMALS);
  pick('belowPrice', 0.05, DECIMALS);
  pick('aboveStopPrice', 0.05, DECIMALS);
  pick('belowStopPrice', 0.1, DECIMALS);
  pick('belowTimeInForce', 0.05, ['GTC', 'IOC']);
  pick('listClientOrderId', 0.05, ['l', 'x'.repeat(40), '']);
  pick('orderListId', 0.05, ['1', '-1', '99999999999999999999', 'x']);
  return o;
}

function accountDocument(r: Rng): unknown {
  const good = { format: 'papertrade.account', version: 1 };
  return r.pick<unknown>([
    good,
    { ...good, account: { kind: 'spot', id: 'x', fees: {}, balances: [['USDT', { free: { $n: '-1' }, locked: { $n: '0' } }]], ledger: [] } },
    { ...good, account: { kind: 'futures' }, health: {}, orders: [], placements: {}, clientIds: [] },
    { ...good, version: 99 },
    { format: 'other' },
    garbageValue(r),
    JSON.parse(deepNest(50)),
  ]);
}

function query(r: Rng): string {
  const n = r.int(0, 6);
  const parts: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const key = r.pick(['symbol', 'limit', 'orderId', 'origClientOrderId', 'startTime', 'endTime', 'interval', 'side', 'type', 'quantity', 'price', 'timestamp', 'recvWindow', 'signature', 'page', 'cursor', 'key', 'from', 'to', '%zz', '', 'a[b]', '__proto__', 'listenKey', 'orderListId', 'streams']);
    const value = r.pick(['BTCUSDT', '1', '-1', '0', '1000000000000000000000', '1m', '%', '%E0%A4%A', '%zz', '💥', encodeURIComponent('💥'), 'x'.repeat(r.int(1, 5000)), '', 'NaN', 'true', String(Date.now())]);
    parts.push(`${key}=${value}`);
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

/** Fills `{param}` placeholders of an OpenAPI path with random values, some malformed. */
function fillPath(r: Rng, template: string, accounts: Account[]): string {
  return template.replace(/\{[^}]+\}/g, () => r.pick([accounts[0]?.id ?? 'a', '1', '999999', '-1', '%', '%zz', '%E0%A4%A', '..', 'x'.repeat(3000), encodeURIComponent('💥'), 'BTCUSDT', 'null']));
}

function signed(r: Rng, path: string, method: string, account: Account): Sent {
  const params = new URLSearchParams();
  const fields = orderFields(r, isBinance(path));
  for (const [k, v] of Object.entries(fields)) params.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  const roll = r.next();
  params.set('timestamp', String(roll < 0.1 ? Date.now() - 600_000 : roll < 0.15 ? 'abc' : Date.now()));
  if (r.chance(0.2)) params.set('recvWindow', r.pick(['0', '60000', '60001', '-1', 'x']));
  const payload = params.toString();
  const good = createHmac('sha256', account.apiSecret).update(payload).digest('hex');
  const signature = r.chance(0.6) ? good : r.pick(['', 'deadbeef', good.toUpperCase(), good.slice(1), '%zz', 'x'.repeat(5000)]);
  const keyHeader = isBinance(path) ? 'x-mbx-apikey' : 'x-mexc-apikey';
  const headers: Record<string, string> = r.chance(0.9) ? { [keyHeader]: r.chance(0.9) ? account.apiKey : 'wrong' } : {};
  const full = `${payload}&signature=${signature}`;
  if (method === 'POST' && r.chance(0.5)) return { method, path, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: full };
  return { method, path: `${path}?${full}`, headers };
}

function auth(r: Rng, accounts: Account[], adminKey: string): Record<string, string> {
  const roll = r.next();
  if (roll < 0.45) return { authorization: `Bearer ${r.pick(accounts).apiKey}` };
  if (roll < 0.6) return { authorization: `Bearer ${adminKey}` };
  if (roll < 0.7) return {};
  if (roll < 0.8) return { authorization: r.pick(['Bearer', 'Bearer ', 'Basic abc', `Bearer ${'k'.repeat(10_000)}`, 'Bearer \u00ff', `bearer ${accounts[0]!.apiKey}`]) };
  if (roll < 0.9) return { 'x-api-key': r.pick(accounts).apiKey };
  return { authorization: `Bearer ${accounts[0]!.apiKey.slice(0, -1)}x` };
}

function body(r: Rng, path: string): { body?: string; type?: string } {
  const roll = r.next();
  let value: unknown;
  if (path.includes('order')) value = orderFields(r);
  else if (path.includes('import')) value = { document: accountDocument(r), ...(r.chance(0.5) ? { name: garbageValue(r) } : {}) };
  else if (path.includes('reset') || path === '/api/accounts') value = r.pick<unknown>([{ name: 'n', balances: { USDT: '100' } }, { balances: { USDT: '-1' } }, { balances: { usdt: '1' } }, { balances: { USDT: 'abc' } }, { fees: { taker: '2' } }, { fees: { maker: '-0.5', taker: '0.001' } }, { type: 'futures', leverage: 0 }, { type: 'futures', leverage: 126, balances: { USDT: '10' } }, { balances: { ['A'.repeat(200)]: '1' } }, garbageValue(r)]);
  else if (path.includes('leverage')) value = { symbol: r.pick(['BTCUSDT', 'ETHUSDT', 'x']), leverage: r.pick<unknown>([1, 20, 125, 126, 0, -1, 1.5, '10', null]) };
  else value = garbageValue(r);
  if (roll < 0.7) return { body: JSON.stringify(value), type: 'application/json' };
  if (roll < 0.77) return { body: r.pick(['{', '{"a":', 'nul', '[1,2', '{"symbol":"BTCUSDT",}', '\u0000', '"\\ud800"', '{"a":1e999999}']), type: 'application/json' };
  if (roll < 0.8) return { body: deepNest(r.int(100, 5000)), type: 'application/json' };
  if (roll < 0.81) return { body: JSON.stringify({ a: 'x'.repeat(r.int(100_000, 2_000_000)) }), type: 'application/json' };
  if (roll < 0.86) return { body: 'symbol=BTCUSDT&side=BUY', type: 'application/x-www-form-urlencoded' };
  if (roll < 0.89) return { body: JSON.stringify(value), type: r.pick(['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', '']) };
  if (roll < 0.92) return { body: JSON.stringify(value) };
  return {};
}

export interface Route {
  readonly method: string;
  readonly path: string;
}

/**
 * Routes the OpenAPI document leaves out (they are served on every server, the documented Binance
 * REST dialects only where their plugins are registered): Binance's listenKey endpoints, and its
 * WebSocket endpoints read as plain HTTP (426). The fuzzer walks these with the documented ones.
 */
export const UNDOCUMENTED_ROUTES: readonly Route[] = [
  ...['POST', 'PUT', 'DELETE'].flatMap((method) => [
    { method, path: '/binance/api/v3/userDataStream' },
    { method, path: '/binance/fapi/v1/listenKey' },
  ]),
  ...['/binance/ws', '/binance/ws/{stream}', '/binance/stream', '/binance/fws', '/binance/fws/{stream}', '/binance/fstream', '/binance/ws-api/v3'].map((path) => ({ method: 'GET', path })),
];

export function hostileRequest(r: Rng, routes: Route[], accounts: Account[], adminKey: string): Sent {
  const route = r.pick(routes);
  const dialect = route.path.startsWith('/api/v3/') || isBinance(route.path);
  const method = r.chance(0.9) ? route.method : r.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']);
  let path = fillPath(r, route.path, accounts);
  if (r.chance(0.05)) path = r.pick(['/%', '/%zz', '/api/%E0%A4%A', '/api/orders/%', `/${'a'.repeat(10_000)}`, '/api//orders', '/api/orders/../admin', '/docs/%', '/api/v3/order%', '/\u00ff', '/api/accounts/%00']);
  if (dialect && r.chance(0.7)) return signed(r, path, method, r.pick(accounts));
  const b = method === 'GET' || method === 'HEAD' ? (r.chance(0.05) ? body(r, route.path) : {}) : body(r, route.path);
  const headers: Record<string, string> = { ...auth(r, accounts, adminKey) };
  if (b.type !== undefined) headers['content-type'] = b.type;
  return { method, path: path + query(r), headers, ...(b.body !== undefined ? { body: b.body } : {}) };
}

export const isMexc = (path: string) => path.startsWith('/api/v3/');
export const isBinance = (path: string) => path.startsWith('/binance/');
/** MEXC's contract API answers errors as `{success:false,code,message}`. */
export const isMexcContract = (path: string) => path.startsWith('/api/v1/contract/') || path.startsWith('/api/v1/private/');
/** The exchange dialects (MEXC under /api/v3, Binance under /binance) answer errors as `{code,msg}`. */
export const isDialect = (path: string) => isMexc(path) || isBinance(path);

/** The documented error shape of a 4xx/5xx answer; undefined when it conforms. */
export function shapeProblem(path: string, answer: Answer): string | undefined {
  if (answer.text === '') return undefined;
  // An exchange dialect answers JSON, also on success: an HTML page there (the dashboard's fallback) breaks every client.
  if (answer.status < 400 && isDialect(path) && !isJson(answer.text)) return 'exchange-dialect answer is not JSON';
  if (answer.status < 400) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    return 'error body is not JSON';
  }
  const o = parsed as Record<string, unknown>;
  if (typeof o !== 'object' || o === null) return 'error body is not an object';
  if (isMexcContract(path)) return o.success === false && typeof o.code === 'number' && typeof o.message === 'string' ? undefined : 'MEXC contract error without {success:false,code,message}';
  if (isDialect(path)) return typeof o.code === 'number' && typeof o.msg === 'string' ? undefined : 'exchange-dialect error without {code,msg}';
  return typeof o.code === 'string' && typeof o.message === 'string' ? undefined : 'error without {code,message}';
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Hostile WebSocket clients: garbage, binary and oversized frames, wrong keys, unknown ops and
 * channels, too many subscriptions, cancelGroup of unknown, malformed or other accounts' groups. Every answer must be a JSON `{"op":…}` message; returns the
 * frames that were not.
 */
export async function wsStorm(port: number, connections: number, framesEach: number, seed: number, accounts: Account[], adminKey: string): Promise<{ frames: number; problems: string[]; refusals: Map<string, number> }> {
  const r = new Rng(seed);
  const problems: string[] = [];
  const refusals = new Map<string, number>();
  let frames = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      const done = () => resolve();
      ws.on('error', (e) => {
        refusals.set(String(e.message).slice(0, 80), (refusals.get(String(e.message).slice(0, 80)) ?? 0) + 1);
        done();
      });
      ws.on('close', done);
      ws.on('message', (data: Buffer) => {
        try {
          const m = JSON.parse(data.toString()) as Record<string, unknown>;
          if (typeof m !== 'object' || m === null || (m.op === 'error' && (typeof m.code !== 'string' || typeof m.message !== 'string'))) problems.push(`odd frame ${data.toString().slice(0, 200)}`);
        } catch {
          problems.push(`not JSON: ${data.toString().slice(0, 200)}`);
        }
      });
      ws.on('open', () => {
        for (let i = 0; i < framesEach; i += 1) {
          frames += 1;
          const roll = r.next();
          if (roll < 0.2) ws.send(JSON.stringify({ op: 'auth', apiKey: r.chance(0.5) ? r.pick(accounts).apiKey : r.pick(['', 'x', 'k'.repeat(5000), adminKey]) }));
          else if (roll < 0.45) ws.send(JSON.stringify({ op: 'subscribe', channels: Array.from({ length: r.int(0, 60) }, () => r.pick(['account', 'market:BTCUSDT', 'depth:BTCUSDT', 'market:XYZ', 'depth:', '', '💥', 'x'.repeat(300)])) }));
          else if (roll < 0.5) ws.send(JSON.stringify({ op: r.pick(['unsubscribe', 'ping', 'PING', '', 'order', '__proto__']), channels: garbageValue(r) }));
          else if (roll < 0.55) ws.send(JSON.stringify({ op: 'cancelGroup', group: r.chance(0.5) ? r.pick(['g', 'oco_1', 'x'.repeat(65), '', '../g', 'l']) : garbageValue(r) }));
          else if (roll < 0.7) ws.send(JSON.stringify(garbageValue(r)));
          else if (roll < 0.8) ws.send(r.pick(['{', 'null', '[]', '"x"', '\u0000', deepNest(2000)]));
          else if (roll < 0.9) ws.send(Buffer.from(Array.from({ length: r.int(1, 200) }, () => r.int(0, 255))));
          else if (roll < 0.95) ws.send('x'.repeat(r.int(70_000, 2_000_000)));
          else ws.send(JSON.stringify({ op: 'subscribe', channels: ['account'] }));
        }
        setTimeout(() => ws.close(), 300);
      });
    });
  for (let batch = 0; batch < connections; batch += 8) await Promise.all(Array.from({ length: Math.min(8, connections - batch) }, one));
  return { frames, problems, refusals };
}

/** Stream names a Binance market stream connection is given: real ones, unknown symbols and channels, malformed names. */
const STREAM_NAMES = ['btcusdt@trade', 'btcusdt@aggTrade', 'btcusdt@depth', 'btcusdt@depth@100ms', 'btcusdt@depth@7ms', 'btcusdt@bookTicker', 'BTCUSDT@trade', 'ethusdt@trade', 'xyz@depth', 'btcusdt@kline_1m', 'btcusdt@markPrice', '!bookTicker', '@', '', '💥', 'x'.repeat(300), '__proto__', '%zz'];

/**
 * Hostile clients of Binance's market and user data streams at `/binance/ws` or `/binance/fws`
 * (`root`; its combined form `/binance/stream` or `/binance/fstream` too): streams named in the URL
 * (known, unknown, malformed, listenKeys of either market and of other accounts, hundreds at once),
 * then garbage, binary and oversized frames, SUBSCRIBE with unknown names and with more than the
 * 1024 streams a connection may hold, wrong ids and methods; some connections are dropped at once.
 * Every frame the server sends must be a JSON object, and an error frame Binance's
 * `{"error":{"code","msg"},"id"}`; returns the frames that were not.
 */
export async function binanceStreamStorm(port: number, root: '/binance/ws' | '/binance/fws', connections: number, framesEach: number, seed: number, listenKeys: readonly string[]): Promise<{ frames: number; problems: string[]; refusals: Map<string, number> }> {
  const r = new Rng(seed);
  const problems: string[] = [];
  const refusals = new Map<string, number>();
  let frames = 0;
  const combinedRoot = root === '/binance/ws' ? '/binance/stream' : '/binance/fstream';
  const name = () => (r.chance(0.2) && listenKeys.length > 0 ? r.pick(listenKeys) : r.pick(STREAM_NAMES));
  const names = (n: number) => Array.from({ length: n }, name);
  const url = () => {
    const roll = r.next();
    if (roll < 0.3) return root;
    if (roll < 0.55) return `${root}/${encodeURIComponent(name()).replace(/%40/g, '@')}`;
    if (roll < 0.65) return `${root}?listenKey=${encodeURIComponent(r.pick([...listenKeys, 'nope', '']))}`;
    return `${combinedRoot}?streams=${names(r.int(0, r.chance(0.2) ? 400 : 8)).map((n) => encodeURIComponent(n).replace(/%40/g, '@')).join('/')}`;
  };
  const one = () =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${url()}`);
      const count = (e: Error) => refusals.set(String(e.message).slice(0, 80), (refusals.get(String(e.message).slice(0, 80)) ?? 0) + 1);
      ws.on('error', (e) => {
        count(e);
        resolve();
      });
      ws.on('close', () => resolve());
      ws.on('message', (data: Buffer) => {
        let m: Record<string, unknown>;
        try {
          m = JSON.parse(data.toString()) as Record<string, unknown>;
        } catch {
          problems.push(`not JSON: ${data.toString().slice(0, 200)}`);
          return;
        }
        if (typeof m !== 'object' || m === null) return void problems.push(`not an object: ${data.toString().slice(0, 200)}`);
        const error = m.error as Record<string, unknown> | undefined;
        if (error !== undefined && (typeof error !== 'object' || error === null || typeof error.code !== 'number' || typeof error.msg !== 'string' || !('id' in m))) problems.push(`odd error frame ${data.toString().slice(0, 200)}`);
      });
      ws.on('open', () => {
        if (r.chance(0.1)) return ws.terminate();
        for (let i = 0; i < framesEach; i += 1) {
          frames += 1;
          const roll = r.next();
          const id = r.pick<unknown>([1, 0, -1, 1.5, 'x', 'y'.repeat(40), null, {}, [], 2 ** 53, undefined]);
          if (roll < 0.3) ws.send(JSON.stringify({ method: r.pick(['SUBSCRIBE', 'UNSUBSCRIBE']), params: names(r.int(0, 12)), id }));
          else if (roll < 0.35) ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: Array.from({ length: r.int(1000, 1100) }, (_, k) => `btcusdt@depth@${k}ms`), id }));
          else if (roll < 0.45) ws.send(JSON.stringify({ method: r.pick(['LIST_SUBSCRIPTIONS', 'SET_PROPERTY', 'GET_PROPERTY', 'subscribe', '', '__proto__', 'constructor']), params: r.pick<unknown>([['combined', true], ['combined', 'yes'], ['x'], 'combined', null, garbageValue(r)]), id }));
          else if (roll < 0.6) ws.send(JSON.stringify(garbageValue(r)));
          else if (roll < 0.72) ws.send(r.pick(['{', 'null', '[]', '"x"', '1', '\u0000', deepNest(2000), '{"method":"SUBSCRIBE","params":[1,2],"id":1}']));
          else if (roll < 0.82) ws.send(Buffer.from(Array.from({ length: r.int(1, 200) }, () => r.int(0, 255))));
          else if (roll < 0.86) ws.send('x'.repeat(r.int(70_000, 2_000_000)));
          else ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@trade', 'btcusdt@depth@100ms', 'btcusdt@bookTicker'], id: 1 }));
        }
        setTimeout(() => ws.close(), 300);
      });
    });
  for (let batch = 0; batch < connections; batch += 8) await Promise.all(Array.from({ length: Math.min(8, connections - batch) }, one));
  return { frames, problems, refusals };
}

/** Channels a `/mexc/ws` client names: real public and private ones, unknown symbols and intervals, malformed names. */
const MEXC_CHANNELS = ['spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT', 'spot@public.aggre.deals.v3.api.pb@10ms@BTCUSDT', 'spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT', 'spot@public.aggre.deals.v3.api.pb@100ms@XYZ', 'spot@public.aggre.depth.v3.api.pb@7ms@BTCUSDT', 'spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT_PERP', 'spot@private.orders.v3.api.pb', 'spot@private.deals.v3.api.pb', 'spot@private.account.v3.api.pb', 'spot@private.nope.v3.api.pb', '', '💥', 'x'.repeat(300), '__proto__', 'constructor'];

/**
 * Hostile clients of MEXC's spot WebSocket at `/mexc/ws` (ADR 0033): connections with and without
 * listen keys (live ones of any account, unknown, empty, repeated), then garbage, binary and
 * oversized frames, SUBSCRIPTION/UNSUBSCRIPTION of unknown, private and thousands of channels,
 * odd methods and ids; some connections are dropped at once. Every text frame the server sends
 * must be MEXC's JSON `{"id","code","msg"}` or its "Invalid listen key", and every binary frame a
 * protobuf push wrapper (field 1, the channel, first); returns the frames that were not.
 */
export async function mexcStreamStorm(port: number, connections: number, framesEach: number, seed: number, listenKeys: readonly string[]): Promise<{ frames: number; problems: string[]; refusals: Map<string, number> }> {
  const r = new Rng(seed);
  const problems: string[] = [];
  const refusals = new Map<string, number>();
  let frames = 0;
  const channels = (n: number) => Array.from({ length: n }, () => r.pick(MEXC_CHANNELS));
  const url = () => {
    const roll = r.next();
    if (roll < 0.4) return '/mexc/ws';
    if (roll < 0.8 && listenKeys.length > 0) return `/mexc/ws?listenKey=${r.pick(listenKeys)}`;
    return `/mexc/ws?listenKey=${encodeURIComponent(r.pick(['', 'nope', '%zz', 'k'.repeat(5000), ...listenKeys.map((k) => k.toUpperCase())]))}${r.chance(0.3) && listenKeys.length > 0 ? `&listenKey=${r.pick(listenKeys)}` : ''}`;
  };
  const one = () =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${url()}`);
      ws.on('error', (e) => {
        refusals.set(String(e.message).slice(0, 80), (refusals.get(String(e.message).slice(0, 80)) ?? 0) + 1);
        resolve();
      });
      ws.on('close', () => resolve());
      ws.on('message', (data: Buffer, binary: boolean) => {
        if (binary) {
          if (data[0] !== 0x0a) problems.push(`binary frame that is not a push wrapper: ${data.subarray(0, 40).toString('hex')}`);
          return;
        }
        const text = data.toString();
        if (text === 'Invalid listen key') return;
        try {
          const m = JSON.parse(text) as Record<string, unknown>;
          if (typeof m !== 'object' || m === null || typeof m.id !== 'number' || typeof m.code !== 'number' || typeof m.msg !== 'string') problems.push(`off MEXC's shape: ${text.slice(0, 200)}`);
        } catch {
          problems.push(`not JSON: ${text.slice(0, 200)}`);
        }
      });
      ws.on('open', () => {
        if (r.chance(0.1)) return ws.terminate();
        for (let i = 0; i < framesEach; i += 1) {
          frames += 1;
          const roll = r.next();
          const id = r.pick<unknown>([1, 0, -1, 1.5, 'x', null, {}, 2 ** 53, undefined]);
          if (roll < 0.3) ws.send(JSON.stringify({ method: r.pick(['SUBSCRIPTION', 'UNSUBSCRIPTION', 'subscription']), params: channels(r.int(0, 12)), id }));
          else if (roll < 0.35) ws.send(JSON.stringify({ method: 'SUBSCRIPTION', params: Array.from({ length: r.int(31, 3000) }, (_, k) => (k % 2 === 0 ? 'a' : `spot@public.aggre.deals.v3.api.pb@100ms@S${k}`)).slice(0, 1500), id }));
          else if (roll < 0.45) ws.send(JSON.stringify({ method: r.pick(['PING', 'ping', 'SUB', '', '__proto__', 'constructor']), params: r.pick<unknown>([[1, 2], null, 'x', garbageValue(r)]), id }));
          else if (roll < 0.6) ws.send(JSON.stringify(garbageValue(r)));
          else if (roll < 0.72) ws.send(r.pick(['{', 'null', '[]', '"x"', '1', '\u0000', deepNest(2000), '{"method":"SUBSCRIPTION","params":[1,2]}', '{"__proto__":{"method":"PING"}}']));
          else if (roll < 0.82) ws.send(Buffer.from(Array.from({ length: r.int(1, 200) }, () => r.int(0, 255))));
          else if (roll < 0.86) ws.send('x'.repeat(r.int(70_000, 2_000_000)));
          else ws.send(JSON.stringify({ method: 'SUBSCRIPTION', params: channels(3), id: 1 }));
        }
        setTimeout(() => ws.close(), 300);
      });
    });
  for (let batch = 0; batch < connections; batch += 8) await Promise.all(Array.from({ length: Math.min(8, connections - batch) }, one));
  return { frames, problems, refusals };
}

/** A MEXC listen key of `account` (POST /api/v3/userDataStream, signed as MEXC signs), or undefined when refused (the account may be gone). */
export async function mexcListenKey(base: string, account: Account): Promise<string | undefined> {
  const query = `timestamp=${Date.now()}`;
  const signature = createHmac('sha256', account.apiSecret).update(query).digest('hex');
  const res = await fetch(`${base}/api/v3/userDataStream?${query}&signature=${signature}`, { method: 'POST', headers: { 'x-mexc-apikey': account.apiKey } });
  return ((await res.json()) as { listenKey?: string }).listenKey;
}
