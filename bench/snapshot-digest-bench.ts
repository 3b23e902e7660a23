/**
 * What a snapshot's digest costs (ADR 0047), with 50,000 resting orders (5,000 accounts × 10, as in
 * memory-bench.ts), on a SQLite file:
 * - SHA-256 of the state's UTF-8 bytes (`stateDigest`) in a worker thread, where the snapshot worker
 *   hashes it, and on the main thread, alternated, `DIGEST_BENCH_ROUNDS` rounds each: median [range];
 * - a worker snapshot through the durable engine: the bytes the main thread handed to any SHA-256
 *   (every `Hash.update` on it counted; 0 expected), its CPU and the snapshot's wall time;
 * - the check on read (`SnapshotStore.read`, on the restoring thread): the snapshot read with its
 *   digest checked and, alternated, with the digest taken off its row (read unchecked, as a row from
 *   before 0009): the difference is the check.
 * Run: `node --import tsx bench/snapshot-digest-bench.ts` (DIGEST_BENCH_ROUNDS, default 7).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Kernel, type KernelConfig } from '../src/core/kernel/kernel.js';
import { DurableEngine } from '../src/engine/durable-engine.js';
import { readRecording } from '../src/market-data/recording-reader.js';
import { instrumentForRecording } from '../src/market-data/replay-session.js';
import { openAndMigrate } from '../src/persistence/database.js';
import { JournalStore } from '../src/persistence/journal-store.js';
import { SnapshotStore, stateDigest } from '../src/persistence/snapshot-store.js';
import { threadCpuMs } from './loop-stall.js';
import { restingOrderInputs } from './memory-bench.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ROUNDS = Number(process.env.DIGEST_BENCH_ROUNDS ?? 7);
const recording = readRecording(`${ROOT}data/recordings/binance_spot_btcusdt_20240808T2354Z`);
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[Math.floor(s.length / 2)]!.toFixed(1)} ms [${s[0]!.toFixed(1)}–${s.at(-1)!.toFixed(1)}]`;
};

const { snapshot, inputs } = restingOrderInputs(recording, { accounts: 5_000, ordersPerAccount: 10 });
const all = [snapshot, ...inputs];
const kernel = new Kernel(CONFIG);
for (const input of all) kernel.handle(JSON.parse(JSON.stringify(input)));
const state = kernel.snapshot();
const bytes = new TextEncoder().encode(state);
console.log(`state: ${all.length} inputs, ${(bytes.length / 1e6).toFixed(1)} MB of UTF-8, ${state.length} characters`);

// The hash in a worker (its own timing) and here, alternated.
const worker = new Worker(
  `const { parentPort } = require('node:worker_threads'); const { createHash } = require('node:crypto');
   parentPort.on('message', (bytes) => { const t = performance.now(); const d = createHash('sha256').update(bytes).digest('hex'); parentPort.postMessage({ ms: performance.now() - t, d }); });`,
  { eval: true },
);
const inWorker: number[] = [];
const here: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const copy = bytes.slice();
  const answer = await new Promise<{ ms: number; d: string }>((resolve) => {
    worker.once('message', resolve);
    worker.postMessage(copy, [copy.buffer]);
  });
  inWorker.push(answer.ms);
  const t = performance.now();
  const d = stateDigest(bytes);
  here.push(performance.now() - t);
  if (d !== answer.d) throw new Error('the two digests differ');
}
await worker.terminate();
console.log(`SHA-256 of the state: in a worker ${stats(inWorker)}; on the main thread ${stats(here)} (${ROUNDS} rounds, alternated)`);

// The engine: the journal written directly, the read tables marked current, then a worker snapshot.
const dir = mkdtempSync(join(tmpdir(), 'papertrade-digest-bench-'));
const url = `sqlite:${join(dir, 'bench.db')}`;
try {
  const raw = await openAndMigrate(url);
  const journal = await JournalStore.open(raw.db);
  for (let i = 0; i < all.length; i += 5_000) await Promise.all(all.slice(i, i + 5_000).map((input) => journal.append(input)));
  await raw.db.insertInto('read_model_checkpoint').values({ name: 'main', seq: all.length }).execute();
  await raw.close();

  const engine = await DurableEngine.open({ databaseUrl: url, kernelConfig: CONFIG, snapshotIntervalMs: 0 });
  const hash = Object.getPrototypeOf(createHash('sha256')) as { update: (data: string | Uint8Array, encoding?: BufferEncoding) => unknown };
  const update = hash.update;
  let hashed = 0;
  hash.update = function (this: unknown, data: string | Uint8Array, encoding?: BufferEncoding) {
    hashed += typeof data === 'string' ? data.length : data.byteLength;
    return update.call(this, data, encoding);
  };
  const cpu = threadCpuMs();
  const t = performance.now();
  const seq = await engine.saveSnapshot();
  const wall = performance.now() - t;
  const mainCpu = threadCpuMs() - cpu;
  hash.update = update;
  const row = await engine.db.selectFrom('snapshots').select(['digest', 'parts']).where('seq', '=', seq).executeTakeFirstOrThrow();
  if (row.digest !== stateDigest(state)) throw new Error('the recorded digest is not the state');
  console.log(`worker snapshot of seq ${seq} (${row.parts} parts): ${wall.toFixed(0)} ms wall, main-thread CPU ${mainCpu.toFixed(0)} ms, bytes hashed on the main thread: ${hashed}`);

  // The check on read, alternated with the same read unchecked.
  const store = new SnapshotStore(engine.db);
  const checked: number[] = [];
  const unchecked: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const withDigest of r % 2 === 0 ? [true, false] : [false, true]) {
      await engine.db.updateTable('snapshots').set({ digest: withDigest ? row.digest : null }).where('seq', '=', seq).execute();
      const start = performance.now();
      const read = await store.read(seq);
      (withDigest ? checked : unchecked).push(performance.now() - start);
      if (read?.state.length !== state.length) throw new Error('read back another state');
    }
  }
  await engine.db.updateTable('snapshots').set({ digest: row.digest }).where('seq', '=', seq).execute();
  console.log(`read of the snapshot: checked ${stats(checked)}; unchecked ${stats(unchecked)} (${ROUNDS} rounds each, alternated)`);
  await engine.close({ snapshot: false });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
