/**
 * Read-model projection benchmark (alone: `node --import tsx bench/projection-bench.ts`).
 *
 * What the read tables cost the main thread, apart from the HTTP route and the kernel: inputs shaped
 * as a resting LIMIT order gives them (one ORDER_NEW, the account's USDT and BTC balances; 200
 * accounts) into a SQLite file (WAL, synchronous=FULL, as the service opens it).
 * 1. `ReadModel.apply` in batches of PROJECTION_BENCH_BATCH (5: what a turn of the event loop
 *    gathers at a few hundred orders/s) for PROJECTION_BENCH_INPUTS inputs (20,000) after 2,000 of
 *    warm-up: the main thread's CPU per input (loop-stall.ts's thread clock).
 * 2. A backlog of PROJECTION_BENCH_BACKLOG inputs (5,000) pushed at once into the engine's
 *    `ReadModelProjector` (time-sized batches, as the durable engine makes it on SQLite) and
 *    flushed, three times: drain time, main-thread CPU, and the event loop's longest section in own
 *    time and on-CPU time (loop-stall.ts) with the count over 5 ms.
 * PROJECTION_BENCH_AUTOCHECKPOINT=0 turns SQLite's automatic WAL checkpoint off on the connection,
 * to show what the checkpoints inside the commits cost the loop (docs/adr/0044).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import type { KernelEvent } from '../src/core/kernel/events.js';
import { ReadModelProjector } from '../src/engine/read-model-projector.js';
import { openAndMigrate } from '../src/persistence/database.js';
import { ReadModel, type InputEvents } from '../src/persistence/read-model.js';
import { threadCpuMs, watchLoopStalls } from './loop-stall.js';

const BATCH = Number(process.env.PROJECTION_BENCH_BATCH ?? 5);
const INPUTS = Number(process.env.PROJECTION_BENCH_INPUTS ?? 20_000);
const BACKLOG = Number(process.env.PROJECTION_BENCH_BACKLOG ?? 5_000);
const AUTOCHECKPOINT = process.env.PROJECTION_BENCH_AUTOCHECKPOINT !== '0';

const dir = mkdtempSync(join(tmpdir(), 'papertrade-projection-'));
const opened = await openAndMigrate(`sqlite:${join(dir, 'bench.db')}`);
if (!AUTOCHECKPOINT) await sql`pragma wal_autocheckpoint = 0`.execute(opened.db);
const readModel = new ReadModel(opened.db);
let seq = 0;
/** The next input: a resting order's ORDER_NEW and its account's balances after it. */
function next(): InputEvents {
  const i = seq++;
  const at = 1_723_161_300_000 + i;
  const account = `bench-${i % 200}`;
  const event = { type: 'ORDER_NEW', at, account, orderId: String(i + 1), clientOrderId: `c-${i}`, symbol: 'BTCUSDT', side: 'BUY', orderType: 'LIMIT', price: '50000.00', quantity: '0.001', status: 'NEW' };
  return { seq: i + 1, at, events: [event as unknown as KernelEvent], balances: { [account]: { USDT: { free: String(1e9 - 50 * i), locked: String(50 * i) }, BTC: { free: '1000', locked: '0' } } } };
}
async function batches(n: number): Promise<void> {
  for (let i = 0; i < n; i += BATCH) await readModel.apply(Array.from({ length: Math.min(BATCH, n - i) }, next));
}

await batches(2_000);
const cpu = threadCpuMs();
const started = performance.now();
await batches(INPUTS);
console.log(
  `ReadModel.apply, batches of ${BATCH}: ${((1000 * (threadCpuMs() - cpu)) / INPUTS).toFixed(1)} µs main-thread CPU per input (wall ${((1000 * (performance.now() - started)) / INPUTS).toFixed(1)} µs); automatic checkpoint ${AUTOCHECKPOINT ? 'on' : 'off'}`,
);

const projector = new ReadModelProjector(readModel, (error) => {
  throw error;
});
projector.reset(seq);
for (let round = 0; round < 3; round++) {
  for (let i = 0; i < BACKLOG; i++) projector.push(next());
  const cpu0 = threadCpuMs();
  const wall0 = performance.now();
  const watch = watchLoopStalls();
  await projector.flush();
  await new Promise((resolve) => setTimeout(resolve, 5));
  const loop = watch.stop();
  console.log(
    `backlog of ${BACKLOG}: drained in ${(performance.now() - wall0).toFixed(0)} ms, main-thread CPU ${(threadCpuMs() - cpu0).toFixed(0)} ms; longest section ${loop.ownMaxMs.toFixed(1)} ms own time (${loop.ownOver5ms} over 5 ms), ${loop.cpuMaxMs.toFixed(1)} ms on-CPU (${loop.cpuOver5ms} over 5 ms)`,
  );
}
await opened.close();
rmSync(dir, { recursive: true, force: true });
