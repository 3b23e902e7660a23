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
 */
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { at, comparedRoots } from './bench-kit.js';
import { serveParent, startChild } from './child-process-kit.js';
import { run, type RunResult, type TargetSpec } from './load-generator.js';
import { threadCpuMs } from './loop-stall.js';

interface Job {
  readonly target: TargetSpec;
  readonly from: number;
  readonly n: number;
  readonly concurrency: number;
}

if (process.argv.includes('--order-route-generator') && process.send !== undefined) {
  serveParent<Job, RunResult>((job) => run(job.target, job.from, job.n, job.concurrency));
} else {
  const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
  const REQUESTS = Number(process.env.ORDER_ROUTE_REQUESTS ?? 2_000);
  const WARMUP = Number(process.env.ORDER_ROUTE_WARMUP ?? 1_500);
  const CONCURRENCY = Number(process.env.ORDER_ROUTE_CONCURRENCY ?? 16);
  const PER_ACCOUNT = 200;
  const UNTIL = 1723161300000;

  const { base, here } = comparedRoots();
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
    for (let n = 0; n * PER_ACCOUNT < WARMUP + ROUNDS * REQUESTS; n += 1) {
      const created = await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: `bench-${n}`, balances: { USDT: '1000000000', BTC: '1000' } } });
      if (created.statusCode !== 201) throw new Error(`account creation failed: ${created.statusCode} ${created.body}`);
      apiKeys.push((created.json() as { apiKey: string }).apiKey);
    }
    const port = (service.app.server.address() as AddressInfo).port;
    return { target: { name, port, path: '/api/orders', apiKeys, perAccount: PER_ACCOUNT, expect: 201 }, close: () => service.close() };
  }

  const sides = { old: await startSide('old', base), new: await startSide('new', here) };
  const next = { old: 0, new: 0 };
  /** `n` orders to one side; the main thread's CPU µs per order. */
  async function round(which: 'old' | 'new', n: number): Promise<number> {
    const cpu = threadCpuMs();
    const res = await generator.ask({ target: sides[which].target, from: next[which], n, concurrency: CONCURRENCY });
    const us = ((threadCpuMs() - cpu) * 1000) / n;
    next[which] += n;
    if (res.errors > 0) throw new Error(`${which}: ${res.errors} errors, first: ${res.firstError}`);
    return us;
  }
  await round('old', WARMUP);
  await round('new', WARMUP);
  const got = { old: [] as number[], new: [] as number[] };
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r += 1) {
    const order: ('old' | 'new')[] = r % 2 === 0 ? ['old', 'new'] : ['new', 'old'];
    const us: Record<string, number> = {};
    for (const w of order) us[w] = await round(w, REQUESTS);
    got.old.push(us.old!);
    got.new.push(us.new!);
    ratios.push(us.new! / us.old!);
    console.error(`round ${r + 1}/${ROUNDS}: old ${us.old!.toFixed(0)} µs, new ${us.new!.toFixed(0)} µs per order`);
  }
  await sides.old.close();
  await sides.new.close();
  await generator.close();
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  const rng = (a: number[], d: number) => `${Math.min(...a).toFixed(d)}–${Math.max(...a).toFixed(d)}`;
  console.log(
    `POST /api/orders, main-thread CPU µs per order: old ${med(got.old).toFixed(0)} (${rng(got.old, 0)}), new ${med(got.new).toFixed(0)} (${rng(got.new, 0)}); ` +
      `new/old median ${med(ratios).toFixed(3)} range ${rng(ratios, 2)}, new lower in ${ratios.filter((x) => x < 1).length} of ${ratios.length} rounds`,
  );
}
