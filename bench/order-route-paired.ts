/**
 * `POST /api/orders` with its durable write, old code against new in one process: the main thread's
 * CPU time per order.
 *
 *     npm run bench:build   # in both checkouts
 *     BENCH_BASE=<a checkout of the code before> node --import <BENCH_BASE>/bench/compiled.mjs \
 *       --import ./bench/compiled.mjs --import tsx bench/order-route-paired.ts
 *
 * Each checkout's service (`startTestService`: a DurableEngine on a temporary SQLite file, WAL,
 * synchronous=FULL, behind `app.listen`; every module of the product from that checkout's `dist/`
 * through its own compiled.mjs) listens in this process; one closed-loop generator
 * (load-generator.ts's `run`, ORDER_ROUTE_CONCURRENCY in flight, default 16) runs in a child
 * process started before either service, so that the main thread's figures are the services' alone.
 * The bench's order body (a resting LIMIT BUY, unique clientOrderId, 200 to an account). After
 * ORDER_ROUTE_WARMUP orders to each (default 1,500), BENCH_ROUNDS rounds (default 12) of
 * ORDER_ROUTE_REQUESTS orders (default 2,000) to each, which goes first alternating (ABBA); per
 * round the main thread's CPU time (`/proc/thread-self/schedstat`) over it, divided by the orders.
 * Prints the median and range of µs per order for each and of the per-round ratios new ÷ old (below
 * 1: the new code is cheaper), and in how many rounds new was lower. Every answer must be 201.
 * With ORDER_ROUTE_RATE (orders/s), each round is instead an open loop at that rate (load-generator.ts
 * `paced`, latency from the scheduled send) after ORDER_ROUTE_SETTLE_SECONDS (default 1) of the same
 * load not counted: the median across rounds of each side's p50, p99 and max latency and of the
 * per-round p99 ratios new ÷ old, beside the CPU µs per order, and the process's fdatasyncs per order
 * (both services' WAL syncs run on this thread's FileHandles: counted while one side runs).
 */
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { at, comparedRoots } from './bench-kit.js';
import { serveParent, startChild } from './child-process-kit.js';
import { watchSyncs } from '../src/test-kit/held-syncs.js';
import { paced, run, type PacedResult, type RunResult, type TargetSpec } from './load-generator.js';
import { threadCpuMs } from './loop-stall.js';

interface Job {
  readonly target: TargetSpec;
  readonly from: number;
  readonly n: number;
  readonly concurrency: number;
  /** Open loop at this many orders/s instead of the closed loop. */
  readonly rate?: number;
}

if (process.argv.includes('--order-route-generator') && process.send !== undefined) {
  serveParent<Job, RunResult | PacedResult>((job) => (job.rate === undefined ? run(job.target, job.from, job.n, job.concurrency) : paced(job.target, job.from, job.rate, job.n)));
} else {
  const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
  const REQUESTS = Number(process.env.ORDER_ROUTE_REQUESTS ?? 2_000);
  const WARMUP = Number(process.env.ORDER_ROUTE_WARMUP ?? 1_500);
  const CONCURRENCY = Number(process.env.ORDER_ROUTE_CONCURRENCY ?? 16);
  const PER_ACCOUNT = 200;
  const UNTIL = 1723161300000;

  const RATE = process.env.ORDER_ROUTE_RATE === undefined ? undefined : Number(process.env.ORDER_ROUTE_RATE);
  const SETTLE = Math.round(Number(process.env.ORDER_ROUTE_SETTLE_SECONDS ?? 1) * (RATE ?? 0));
  const { base, here } = comparedRoots();
  // Every fdatasync of this process (the WAL syncs of both services), counted at the file handle.
  const syncs = await watchSyncs();
  // The generator first: a fork after the services exist would leave their pages copy-on-write (child-process-kit.ts).
  const generator = await startChild<Job, RunResult>(fileURLToPath(import.meta.url), '--order-route-generator');

  interface Side {
    readonly target: TargetSpec;
    close(): Promise<void>;
  }
  async function startSide(name: string, root: string): Promise<Side> {
    type Kit = typeof import('../src/test-kit/service-kit.js');
    const { startTestService, ADMIN_KEY } = (await at(root, 'src/test-kit/service-kit.ts')) as Kit;
    const service = await startTestService({ until: UNTIL });
    await service.app.listen({ port: 0, host: '127.0.0.1' });
    const apiKeys: string[] = [];
    for (let n = 0; n * PER_ACCOUNT < WARMUP + ROUNDS * (REQUESTS + SETTLE); n += 1) {
      const created = await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: `bench-${n}`, balances: { USDT: '1000000000', BTC: '1000' } } });
      if (created.statusCode !== 201) throw new Error(`account creation failed: ${created.statusCode} ${created.body}`);
      apiKeys.push((created.json() as { apiKey: string }).apiKey);
    }
    const port = (service.app.server.address() as AddressInfo).port;
    return { target: { name, port, path: '/api/orders', apiKeys, perAccount: PER_ACCOUNT, expect: 201 }, close: () => service.close() };
  }

  const sides = { old: await startSide('old', base), new: await startSide('new', here) };
  const next = { old: 0, new: 0 };
  interface Round {
    readonly us: number;
    readonly syncsPerOrder: number;
    readonly latency: PacedResult | undefined;
  }
  /** `n` orders to one side (at `rate`, or closed loop); the main thread's CPU µs per order, fdatasyncs per order, the paced latencies. */
  async function round(which: 'old' | 'new', n: number, rate?: number): Promise<Round> {
    if (rate !== undefined && SETTLE > 0) {
      await generator.ask({ target: sides[which].target, from: next[which], n: SETTLE, concurrency: CONCURRENCY, rate });
      next[which] += SETTLE;
    }
    const cpu = threadCpuMs();
    const synced = syncs.count;
    const res = await generator.ask({ target: sides[which].target, from: next[which], n, concurrency: CONCURRENCY, ...(rate !== undefined ? { rate } : {}) });
    const us = ((threadCpuMs() - cpu) * 1000) / n;
    const syncsPerOrder = (syncs.count - synced) / n;
    next[which] += n;
    if (res.errors > 0) throw new Error(`${which}: ${res.errors} errors, first: ${res.firstError}`);
    return { us, syncsPerOrder, latency: rate !== undefined ? (res as PacedResult) : undefined };
  }
  await round('old', WARMUP);
  await round('new', WARMUP);
  const got = { old: [] as Round[], new: [] as Round[] };
  const ratios: number[] = [];
  const p99Ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r += 1) {
    const order: ('old' | 'new')[] = r % 2 === 0 ? ['old', 'new'] : ['new', 'old'];
    const res: Partial<Record<'old' | 'new', Round>> = {};
    for (const w of order) res[w] = await round(w, REQUESTS, RATE);
    const o = res.old!;
    const n = res.new!;
    got.old.push(o);
    got.new.push(n);
    ratios.push(n.us / o.us);
    if (o.latency !== undefined && n.latency !== undefined) p99Ratios.push(n.latency.p99 / o.latency.p99);
    const lat = (x: Round) => (x.latency === undefined ? '' : `, p50 ${x.latency.p50.toFixed(2)} p99 ${x.latency.p99.toFixed(2)} ms`);
    console.error(`round ${r + 1}/${ROUNDS}: old ${o.us.toFixed(0)} µs, ${o.syncsPerOrder.toFixed(2)} syncs${lat(o)}; new ${n.us.toFixed(0)} µs, ${n.syncsPerOrder.toFixed(2)} syncs${lat(n)} per order`);
  }
  await sides.old.close();
  await sides.new.close();
  await generator.close();
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  const rng = (a: number[], d: number) => `${Math.min(...a).toFixed(d)}–${Math.max(...a).toFixed(d)}`;
  const us = { old: got.old.map((x) => x.us), new: got.new.map((x) => x.us) };
  console.log(
    `POST /api/orders${RATE !== undefined ? ` at ${RATE}/s` : ''}, main-thread CPU µs per order: old ${med(us.old).toFixed(0)} (${rng(us.old, 0)}), new ${med(us.new).toFixed(0)} (${rng(us.new, 0)}); ` +
      `new/old median ${med(ratios).toFixed(3)} range ${rng(ratios, 2)}, new lower in ${ratios.filter((x) => x < 1).length} of ${ratios.length} rounds`,
  );
  const syncsOf = (side: Round[]) => med(side.map((x) => x.syncsPerOrder)).toFixed(2);
  console.log(`fdatasyncs per order (median of rounds): old ${syncsOf(got.old)}, new ${syncsOf(got.new)}`);
  if (RATE !== undefined) {
    const of = (side: Round[], key: 'p50' | 'p99' | 'max') => side.map((x) => x.latency![key]);
    for (const key of ['p50', 'p99', 'max'] as const) {
      console.log(`latency ${key} (ms, median of rounds, range): old ${med(of(got.old, key)).toFixed(2)} (${rng(of(got.old, key), 2)}), new ${med(of(got.new, key)).toFixed(2)} (${rng(of(got.new, key), 2)})`);
    }
    console.log(`p99 new/old median ${med(p99Ratios).toFixed(3)} range ${rng(p99Ratios, 2)}, new lower in ${p99Ratios.filter((x) => x < 1).length} of ${p99Ratios.length} rounds`);
  }
}
