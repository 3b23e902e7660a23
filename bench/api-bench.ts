/**
 * API benchmark, run by `npm run bench` after the others (alone: `node --import tsx bench/api-bench.ts`).
 *
 * Measures `POST /api/orders` over real HTTP (keep-alive, loopback) against its floor: a bare Fastify
 * app (same fastify, same JSON body parser as buildServer) with one `POST /bare` route answering
 * `{ ok: true }`, sent the same body. Both servers and the load generator share this process, as
 * ARCHITECTURE.md asks of peers; the generator's own cost is in both figures, so the ratio is the
 * thing to read, not the absolute numbers.
 *
 * The service is `startTestService` (real DurableEngine on a temp SQLite file in WAL with
 * synchronous=FULL, bundled recording fed to API_BENCH_UNTIL) behind `app.listen`. Every order is a
 * LIMIT BUY 0.001 BTCUSDT at 50000.00 (far under the market, so it rests), unique clientOrderId, 200
 * to an account (Binance's MAX_NUM_ORDERS), each account holding 1e9 USDT; each is journaled durably (group commit, fsync) and written to the
 * audit log before the 201 answer.
 *
 * Method: a warm-up of WARMUP requests per target, then ROUNDS rounds, each REQUESTS requests at
 * CONCURRENCY in flight against /api/orders, then the same against /bare (interleaved, so drift hits
 * both). Per request latency with process.hrtime.bigint(); every status is checked (201 orders,
 * 200 bare; anything else is an error). Reported per target: the median across rounds of requests/s
 * and of p50/p90/p99/max latency (nearest rank); ratios bare/orders for throughput and orders/bare
 * for p50 (both read as "times slower"). Writes bench/api-results.json.
 * Env: API_BENCH_ROUNDS (5), API_BENCH_REQUESTS (3000), API_BENCH_CONCURRENCY (16), API_BENCH_WARMUP (1000).
 */
import { writeFileSync } from 'node:fs';
import { Agent, request, type IncomingMessage } from 'node:http';
import { cpus, platform, release } from 'node:os';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { ADMIN_KEY, startTestService } from '../src/test-kit/service-kit.js';

const ROUNDS = Number(process.env.API_BENCH_ROUNDS ?? 5);
const REQUESTS = Number(process.env.API_BENCH_REQUESTS ?? 3_000);
const CONCURRENCY = Number(process.env.API_BENCH_CONCURRENCY ?? 16);
const WARMUP = Number(process.env.API_BENCH_WARMUP ?? 1_000);
const UNTIL = Number(process.env.API_BENCH_UNTIL ?? 1723161300000);
const OUT = fileURLToPath(new URL('./api-results.json', import.meta.url));

interface Target {
  readonly name: string;
  readonly port: number;
  readonly path: string;
  readonly headers: (i: number) => Record<string, string>;
  readonly expect: number;
  readonly body: (i: number) => string;
}
interface RunResult {
  readonly rps: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly errors: number;
  readonly firstError?: string;
}

/** One HTTP request; resolves with its status, its body and its latency in ns. */
function send(agent: Agent, t: Target, i: number, body: string): Promise<{ status: number; text: string; ns: bigint }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = request(
      { agent, host: '127.0.0.1', port: t.port, path: t.path, method: 'POST', headers: { ...t.headers(i), 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), ns: process.hrtime.bigint() - start }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const rank = (sorted: Float64Array, p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;

/** `n` requests with `CONCURRENCY` workers over one keep-alive agent; ids start at `from`. */
async function run(t: Target, from: number, n: number): Promise<RunResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies = new Float64Array(n);
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      try {
        const r = await send(agent, t, from + i, t.body(from + i));
        latencies[i] = Number(r.ns) / 1e6;
        if (r.status !== t.expect) {
          errors += 1;
          firstError ??= `${r.status} ${r.text.slice(0, 200)}`;
        }
      } catch (e) {
        errors += 1;
        latencies[i] = Number.NaN;
        firstError ??= String(e);
      }
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  agent.destroy();
  const sorted = latencies.filter((x) => !Number.isNaN(x)).sort();
  return { rps: n / seconds, p50: rank(sorted, 0.5), p90: rank(sorted, 0.9), p99: rank(sorted, 0.99), max: sorted[sorted.length - 1] ?? Number.NaN, errors, ...(firstError === undefined ? {} : { firstError }) };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

// The service under test.
const service = await startTestService({ until: UNTIL });
await service.app.listen({ port: 0, host: '127.0.0.1' });
// Binance caps open orders per account and symbol (MAX_NUM_ORDERS, 200), as the kernel does: the
// resting orders are spread over as many accounts as that takes, one after another.
const PER_ACCOUNT = 200;
const accounts: { apiKey: string; id: string }[] = [];
// Request ids run across both targets, so the orders' ids reach twice the number of requests.
for (let n = 0; n * PER_ACCOUNT < 2 * (WARMUP + ROUNDS * REQUESTS); n += 1) {
  const created = await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: `bench-${n}`, balances: { USDT: '1000000000', BTC: '1000' } } });
  if (created.statusCode !== 201 && created.statusCode !== 200) throw new Error(`account creation failed: ${created.statusCode} ${created.body}`);
  accounts.push(created.json() as { apiKey: string; id: string });
}
const accountFor = (i: number) => accounts[Math.floor(i / PER_ACCOUNT)]!;

// The bare peer: same fastify, same JSON parser as buildServer, one route.
const bare = Fastify({ logger: false });
bare.removeContentTypeParser('application/json');
bare.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body: string, done) => {
  if (body.trim() === '') return done(null, undefined);
  try {
    done(null, JSON.parse(body) as unknown);
  } catch {
    done(Object.assign(new Error('the body is not valid JSON'), { statusCode: 400 }), undefined);
  }
});
bare.post('/bare', async () => ({ ok: true }));
await bare.listen({ port: 0, host: '127.0.0.1' });

const orderBody = (i: number) => JSON.stringify({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '50000.00', clientOrderId: `bench-${i}` });
const targets: Target[] = [
  { name: 'POST /api/orders', port: (service.app.server.address() as AddressInfo).port, path: '/api/orders', headers: (i) => ({ authorization: `Bearer ${accountFor(i).apiKey}` }), expect: 201, body: orderBody },
  { name: 'POST /bare', port: (bare.server.address() as AddressInfo).port, path: '/bare', headers: () => ({}), expect: 200, body: orderBody },
];

let ids = 0;
for (const t of targets) {
  const w = await run(t, ids, WARMUP);
  ids += WARMUP;
  if (w.errors > 0) throw new Error(`warm-up of ${t.name}: ${w.errors} errors, first: ${w.firstError}`);
}
const rounds: Record<string, RunResult[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
for (let r = 0; r < ROUNDS; r += 1) {
  for (const t of targets) {
    const res = await run(t, ids, REQUESTS);
    ids += REQUESTS;
    rounds[t.name]!.push(res);
    console.error(`round ${r + 1}/${ROUNDS} ${t.name}: ${res.rps.toFixed(0)} req/s, p50 ${res.p50.toFixed(3)} ms, errors ${res.errors}`);
  }
}

// Every accepted order must be resting: the count of open orders equals the orders sent.
let openCount = 0;
for (const account of accounts) {
  const open = await service.deps.execution.openOrders(account.id);
  openCount += open.ok ? open.value.length : Number.NaN;
}
const expectedOpen = WARMUP + ROUNDS * REQUESTS;

const summary = Object.fromEntries(
  targets.map((t) => {
    const rs = rounds[t.name]!;
    return [t.name, { rps: median(rs.map((x) => x.rps)), p50: median(rs.map((x) => x.p50)), p90: median(rs.map((x) => x.p90)), p99: median(rs.map((x) => x.p99)), max: median(rs.map((x) => x.max)), errors: rs.reduce((a, x) => a + x.errors, 0) }];
  }),
) as Record<string, { rps: number; p50: number; p90: number; p99: number; max: number; errors: number }>;
const o = summary['POST /api/orders']!;
const b = summary['POST /bare']!;
const ratios = { throughputBareOverOrders: b.rps / o.rps, p50OrdersOverBare: o.p50 / b.p50 };

console.log(`\nPOST /api/orders vs bare Fastify route — ${ROUNDS} rounds × ${REQUESTS} requests, concurrency ${CONCURRENCY}, warm-up ${WARMUP}; medians across rounds`);
console.log(`${'target'.padEnd(18)}${'req/s'.padStart(10)}${'p50 ms'.padStart(10)}${'p90 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'max ms'.padStart(10)}${'errors'.padStart(8)}`);
for (const [name, s] of Object.entries(summary)) {
  console.log(`${name.padEnd(18)}${s.rps.toFixed(0).padStart(10)}${s.p50.toFixed(3).padStart(10)}${s.p90.toFixed(3).padStart(10)}${s.p99.toFixed(3).padStart(10)}${s.max.toFixed(3).padStart(10)}${String(s.errors).padStart(8)}`);
}
console.log(`ratio bare/orders throughput: ${ratios.throughputBareOverOrders.toFixed(2)}×; orders/bare p50 latency: ${ratios.p50OrdersOverBare.toFixed(2)}×`);
console.log(`open orders resting after the run: ${openCount} (expected ${expectedOpen})`);

const env = { node: process.version, fastify: bare.version, cpus: cpus().length, cpu: cpus()[0]?.model, platform: `${platform()} ${release()}` };
const config = { rounds: ROUNDS, requests: REQUESTS, concurrency: CONCURRENCY, warmup: WARMUP, until: UNTIL };
const measured = 'POST /api/orders (durable engine, SQLite synchronous=FULL, resting LIMIT orders) vs a bare Fastify POST route; same process, keep-alive loopback HTTP; latency in ms';
const results = { measured, at: new Date().toISOString(), env, config, summary, ratios, openOrders: { actual: openCount, expected: expectedOpen }, rounds };
writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${OUT}`);

await bare.close();
await service.close();
const failed = Object.values(summary).some((s) => s.errors > 0) || openCount !== expectedOpen;
if (failed) process.exitCode = 1;
