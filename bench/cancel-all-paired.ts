/**
 * `DELETE /api/orders?symbol=BTCUSDT` (cancel every open order of the symbol) with its durable
 * writes, old code against new in one process: how long the answer takes, what it costs the main
 * thread, how many fdatasyncs it makes, and how many market inputs the journal took between its
 * first and last cancel.
 *
 *     npm run bench:build   # in both checkouts
 *     BENCH_BASE=<a checkout of the code before> node --import <BENCH_BASE>/bench/compiled.mjs \
 *       --import ./bench/compiled.mjs --import tsx bench/cancel-all-paired.ts
 *
 * Each checkout's service (`startTestService`: a DurableEngine on a temporary SQLite file, WAL,
 * synchronous=FULL; every module of the product from that checkout's `dist/`) in this process. Per
 * round and side: CANCEL_ALL_ORDERS resting LIMIT BUYs (default 100) placed through the route (not
 * timed), then, while the recording is fed in steps of 100 ms of market time 5 ms apart (a live
 * market's depth updates), one cancel of them all, timed by the wall clock from the request to the
 * answer and by the main thread's CPU (`/proc/thread-self/schedstat`). BENCH_ROUNDS rounds (default
 * 10), which side goes first alternating. Every answer must be 200 and name every order placed.
 * Prints the median and range of each figure per side, and of the per-round ratios new ÷ old.
 */
import { watchSyncs } from '../src/test-kit/held-syncs.js';
import { at, comparedRoots } from './bench-kit.js';
import { threadCpuMs } from './loop-stall.js';

type Kit = typeof import('../src/test-kit/service-kit.js');
type Service = Awaited<ReturnType<Kit['startTestService']>>;

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const ORDERS = Number(process.env.CANCEL_ALL_ORDERS ?? 100);
const UNTIL = 1723161300000;

const { base, here } = comparedRoots();
// Every fdatasync of this process (the WAL syncs of both services), counted at the file handle.
const syncs = await watchSyncs();

interface Side {
  readonly service: Service;
  readonly apiKey: string;
}

async function startSide(root: string): Promise<Side> {
  const { startTestService, ADMIN_KEY } = (await at(root, 'src/test-kit/service-kit.ts')) as Kit;
  const service = await startTestService({ until: UNTIL });
  const created = await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'cancel-all', balances: { USDT: '1000000000' } } });
  if (created.statusCode !== 201) throw new Error(`account creation failed: ${created.statusCode} ${created.body}`);
  return { service, apiKey: (created.json() as { apiKey: string }).apiKey };
}

interface Round {
  readonly ms: number;
  readonly cpuMs: number;
  readonly syncs: number;
  /** Journal inputs other than the cancels from the first cancel to the last. */
  readonly between: number;
}

const headSeq = async (service: Service) => Number((await service.engine.db.selectFrom('journal').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst())?.seq ?? 0);

async function round(side: Side): Promise<Round> {
  const { service, apiKey } = side;
  const authorization = `Bearer ${apiKey}`;
  const placed: string[] = [];
  for (let i = 0; i < ORDERS; i += 1) {
    const res = await service.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization }, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: `${30_000 + i}.00` } });
    if (res.statusCode !== 201) throw new Error(`placement failed: ${res.statusCode} ${res.body}`);
    placed.push((res.json() as { orderId: string }).orderId);
  }
  await service.engine.readModelCaughtUp();
  const head = await headSeq(service);
  let feeding = true;
  const feed = (async () => {
    while (feeding) await service.feedFor(100, 100);
  })();
  await new Promise((resolve) => setTimeout(resolve, 10));
  const synced = syncs.count;
  const cpu = threadCpuMs();
  const start = performance.now();
  const res = await service.app.inject({ method: 'DELETE', url: '/api/orders?symbol=BTCUSDT', headers: { authorization } });
  const ms = performance.now() - start;
  const cpuMs = threadCpuMs() - cpu;
  const made = syncs.count - synced;
  feeding = false;
  await feed;
  const items = res.statusCode === 200 ? (res.json() as { items: { orderId: string }[] }).items.map((o) => o.orderId) : [];
  if (items.length !== ORDERS || items.some((id, i) => id !== placed[i])) throw new Error(`the cancel answered ${res.statusCode} naming ${items.length} of ${ORDERS} orders: ${res.body.slice(0, 200)}`);
  const rows = await service.engine.db.selectFrom('journal').select(['seq', 'input']).where('seq', '>', head).orderBy('seq').execute();
  const cancels = rows.filter((row) => (JSON.parse(row.input) as { kind: string }).kind === 'order.cancel').map((row) => Number(row.seq));
  const between = cancels.at(-1)! - cancels[0]! + 1 - cancels.length;
  return { ms, cpuMs, syncs: made, between };
}

const sides = { old: await startSide(base), new: await startSide(here) };
await round(sides.old);
await round(sides.new);
const got = { old: [] as Round[], new: [] as Round[] };
for (let r = 0; r < ROUNDS; r += 1) {
  const order: ('old' | 'new')[] = r % 2 === 0 ? ['old', 'new'] : ['new', 'old'];
  for (const w of order) got[w].push(await round(sides[w]));
  const line = (x: Round) => `${x.ms.toFixed(1)} ms, CPU ${x.cpuMs.toFixed(1)} ms, ${x.syncs} fdatasyncs, ${x.between} market inputs between`;
  console.error(`round ${r + 1}/${ROUNDS}: old ${line(got.old.at(-1)!)}; new ${line(got.new.at(-1)!)}`);
}
await sides.old.service.close();
await sides.new.service.close();

const med = (a: readonly number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const rng = (a: readonly number[], d: number) => `${Math.min(...a).toFixed(d)}–${Math.max(...a).toFixed(d)}`;
console.log(`DELETE /api/orders of ${ORDERS} resting orders, market data flowing, ${ROUNDS} rounds (median, range):`);
for (const [key, label, d] of [['ms', 'answer ms (wall)', 1], ['cpuMs', 'main-thread CPU ms', 1], ['syncs', 'fdatasyncs', 0], ['between', 'market inputs between the first and last cancel', 0]] as const) {
  const o = got.old.map((x) => x[key]);
  const n = got.new.map((x) => x[key]);
  const ratios = got.new.map((x, i) => x[key] / got.old[i]![key]);
  const ratio = key === 'ms' || key === 'cpuMs' ? `; new/old ${med(ratios).toFixed(3)} (${rng(ratios, 2)})` : '';
  console.log(`  ${label}: old ${med(o).toFixed(d)} (${rng(o, d)}), new ${med(n).toFixed(d)} (${rng(n, d)})${ratio}`);
}
