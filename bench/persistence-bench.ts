/**
 * Persistence benchmark, run by `npm run bench` after bench/run.ts (alone: `npm run bench:persistence`).
 *
 * Input: the bundled recording (Binance spot BTCUSDT) with data/demo-orders.jsonl in its first pass,
 * looped (`loopRecording`: times and ids shifted per pass) to BENCH_INPUTS inputs (default 1,000,000).
 * For SQLite (temp file, WAL, synchronous=FULL) and PostgreSQL (PAPERTRADE_TEST_PG_URL or
 * postgres://postgres@127.0.0.1:5432/test, a throwaway schema; skipped with a message if unreachable):
 *
 * 1. journal: every input appended to `JournalStore` in waves of 10,000 concurrent appends (group
 *    commit), each wave awaited: durable inputs/s.
 * 2. engine: the first ENGINE_INPUTS inputs through `DurableEngine.submitSequenced` (journal, kernel,
 *    read-model projection) with 10,000 in flight: acknowledged inputs/s.
 * 3. restore, no snapshot: `DurableEngine.open` on the journal of (1), read model already caught up:
 *    every input read back (by a worker thread, journal-reader.ts) and replayed through the kernel.
 * 4. restore, snapshot near the end: the same with a snapshot at BENCH_INPUTS − 10,000 (taken from an
 *    in-memory kernel run, also reported as the kernel-only baseline), replaying the 10,000-input tail.
 * 5. compaction: the engine of (4) with `journalRetentionMs: 0` takes a snapshot at the head; the
 *    journal behind it is deleted (rows before and after, and the time it took).
 * One run each (these are long); wall time with performance.now(), and the main thread's own CPU
 * time (bench/loop-stall.ts; on a shared machine the wall time also holds the time the OS gave
 * others). Prints a table, each row also as a ratio to the kernel-only baseline's inputs/s (and for
 * the kernel and the restores, the restore's main-thread CPU against the kernel's), and the goals of issue 19 (restore of 1,000,000
 * inputs ≤ 10 s without a snapshot, ≤ 3 s with snapshot + tail) beside the figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { KernelInput } from '../src/core/kernel/inputs.js';
import { Kernel, type KernelConfig } from '../src/core/kernel/kernel.js';
import { DurableEngine } from '../src/engine/durable-engine.js';
import { loopRecording } from '../src/engine/looped-recording.js';
import { readOrdersFile } from '../src/market-data/orders-file.js';
import { readRecording } from '../src/market-data/recording-reader.js';
import { instrumentForRecording, replayInputs } from '../src/market-data/replay-session.js';
import { openAndMigrate, postgresProblem, type OpenOptions } from '../src/persistence/database.js';
import { JournalStore } from '../src/persistence/journal-store.js';
import { SnapshotStore } from '../src/persistence/snapshot-store.js';
import pg from 'pg';
import { threadCpuMs } from './loop-stall.js';

const PG_URL = process.env.PAPERTRADE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const N = Number(process.env.BENCH_INPUTS ?? 1_000_000);
const ENGINE_INPUTS = Math.min(N, Number(process.env.BENCH_ENGINE_INPUTS ?? 200_000));
const TAIL = Math.min(10_000, N);
const WAVE = 10_000;

const recording = readRecording(`${ROOT}data/recordings/binance_spot_btcusdt_20240808T2354Z`);
const commands = readOrdersFile(`${ROOT}data/demo-orders.jsonl`, [recording.symbol]);
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 50 };

/** The first `n` bench inputs, lazily: pass 0 with the demo orders, then the looped recording. */
function* inputs(n: number): Generator<KernelInput> {
  let count = 0;
  for (const input of replayInputs(recording, commands, { USDT: '100000', BTC: '2' })) {
    if (count++ >= n) return;
    yield input;
  }
  let skipped = 0;
  for (const input of loopRecording(recording)) {
    if (skipped++ < recording.inputs.length) continue;
    if (count++ >= n) return;
    yield input;
  }
}

interface Target {
  readonly name: string;
  readonly url: string;
  readonly options: OpenOptions;
  cleanup(): Promise<void>;
}

function sqliteTarget(): Target {
  const dir = mkdtempSync(join(tmpdir(), 'papertrade-bench-'));
  return { name: 'SQLite', url: `sqlite:${join(dir, 'bench.db')}`, options: {}, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

function postgresTarget(): Target {
  const schema = `papertrade_bench_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
  const cleanup = async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  };
  return { name: 'PostgreSQL', url: PG_URL, options: { schema }, cleanup };
}

interface Row {
  readonly database: string;
  readonly measure: string;
  readonly inputs: number;
  readonly seconds: number;
  /** The main thread's CPU seconds (kernel and restores only). */
  readonly cpuSeconds?: number;
}
const rows: Row[] = [];
const time = async <T>(work: () => Promise<T> | T): Promise<[T, number]> => {
  const start = performance.now();
  const result = await work();
  return [result, (performance.now() - start) / 1000];
};
const log = (message: string) => process.stderr.write(`${message}\n`);

async function journalThroughput(target: Target): Promise<void> {
  const opened = await openAndMigrate(target.url, target.options);
  try {
    const journal = await JournalStore.open(opened.db);
    const [, seconds] = await time(async () => {
      let wave: Promise<number>[] = [];
      for (const input of inputs(N)) {
        wave.push(journal.append(input));
        if (wave.length === WAVE) {
          await Promise.all(wave);
          wave = [];
        }
      }
      await Promise.all(wave);
    });
    rows.push({ database: target.name, measure: 'journal append (group commit, durable)', inputs: N, seconds });
    // As after a clean shutdown: the read model has seen everything, so a restore only replays.
    await opened.db.insertInto('read_model_checkpoint').values({ name: 'main', seq: N }).execute();
  } finally {
    await opened.close();
  }
}

async function engineThroughput(target: Target): Promise<void> {
  const engine = await DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0 });
  const [, seconds] = await time(async () => {
    let wave: Promise<unknown>[] = [];
    for (const input of inputs(ENGINE_INPUTS)) {
      wave.push(engine.submitSequenced(input));
      if (wave.length === WAVE) {
        await Promise.all(wave);
        wave = [];
      }
    }
    await Promise.all(wave);
  });
  await engine.close({ snapshot: false });
  rows.push({ database: target.name, measure: 'engine submit (journal + kernel + read model)', inputs: ENGINE_INPUTS, seconds });
}

async function restore(target: Target, measure: string, expectSnapshot: number): Promise<string> {
  const cpu = threadCpuMs();
  const [engine, seconds] = await time(() => DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0 }));
  const cpuSeconds = (threadCpuMs() - cpu) / 1000;
  const { snapshotSeq, replayed, seq } = engine.restored;
  if (seq !== N || snapshotSeq !== expectSnapshot) throw new Error(`restore reached seq ${seq} from snapshot ${snapshotSeq}`);
  const state = engine.kernel.snapshot();
  await engine.close({ snapshot: false });
  rows.push({ database: target.name, measure, inputs: replayed, seconds, cpuSeconds });
  return state;
}

const compacted: { database: string; before: number; after: number; seconds: number }[] = [];
/** Opens the engine with retention 0, snapshots the head (in a worker) and counts the journal rows before and after. */
async function compaction(target: Target): Promise<void> {
  const engine = await DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0, journalRetentionMs: 0, keepSnapshots: 1 });
  const count = async () => Number((await engine.db.selectFrom('journal').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const before = await count();
  // A new input, so that the head is past the snapshot restored.
  await engine.submit({ kind: 'clock', time: engine.kernel.now + 1 });
  const [, seconds] = await time(() => engine.saveSnapshot());
  const after = await count();
  await engine.close({ snapshot: false });
  compacted.push({ database: target.name, before, after, seconds });
}

async function run(make: () => Target, nearEnd: string, finalState: string | undefined): Promise<string> {
  const journaled = make();
  const engineTarget = make();
  try {
    log(`${journaled.name}: journaling ${N.toLocaleString('en')} inputs…`);
    await journalThroughput(journaled);
    log(`${journaled.name}: ${ENGINE_INPUTS.toLocaleString('en')} inputs through the engine…`);
    await engineThroughput(engineTarget);
    log(`${journaled.name}: restoring without a snapshot…`);
    const state = await restore(journaled, 'restore: replay whole journal (no snapshot)', 0);
    if (finalState !== undefined && state !== finalState) throw new Error('restored states differ between databases');
    const opened = await openAndMigrate(journaled.url, journaled.options);
    await new SnapshotStore(opened.db).save(N - TAIL, Date.now(), nearEnd);
    await opened.close();
    log(`${journaled.name}: restoring from a snapshot ${TAIL.toLocaleString('en')} inputs before the end…`);
    const fromSnapshot = await restore(journaled, `restore: snapshot + ${TAIL.toLocaleString('en')}-input tail`, N - TAIL);
    if (fromSnapshot !== state) throw new Error('restoring from the snapshot gave another state');
    log(`${journaled.name}: compacting the journal behind a snapshot at the head…`);
    await compaction(journaled);
    return state;
  } finally {
    await journaled.cleanup();
    await engineTarget.cleanup();
  }
}

log(`kernel only: ${(N - TAIL).toLocaleString('en')} inputs in memory, for the snapshot near the end…`);
const kernelCpu = threadCpuMs();
const [nearEnd, kernelSeconds] = await time(() => {
  const kernel = new Kernel(CONFIG);
  for (const input of inputs(N - TAIL)) kernel.handle(input);
  return kernel.snapshot();
});
const kernelCpuSeconds = (threadCpuMs() - kernelCpu) / 1000;
rows.push({ database: '(none)', measure: 'kernel only, in memory (baseline)', inputs: N - TAIL, seconds: kernelSeconds, cpuSeconds: kernelCpuSeconds });

const state = await run(sqliteTarget, nearEnd, undefined);
const problem = await postgresProblem(PG_URL);
if (problem === undefined) await run(postgresTarget, nearEnd, state);
else log(`PostgreSQL not reachable at ${new URL(PG_URL).host} (${problem.message}): skipped`);

const fmt = (n: number) => Math.round(n).toLocaleString('en');
const kernelRate = (N - TAIL) / kernelSeconds;
const table = rows.map((r) => ({
  database: r.database,
  measure: r.measure,
  inputs: fmt(r.inputs),
  seconds: r.seconds.toFixed(2),
  'inputs/s': fmt(r.inputs / r.seconds),
  '× kernel only': (r.inputs / r.seconds / kernelRate).toFixed(2),
  'main CPU s': r.cpuSeconds === undefined ? '' : r.cpuSeconds.toFixed(2),
  '× kernel, CPU': r.cpuSeconds === undefined ? '' : (r.inputs / r.cpuSeconds / ((N - TAIL) / kernelCpuSeconds)).toFixed(2),
}));
console.log(`\nPersistence (${N.toLocaleString('en')} journaled inputs, Node ${process.version}, snapshot ${(nearEnd.length / 1e6).toFixed(1)} MB)`);
console.table(table);
const per1M = (r: Row | undefined) => (r === undefined ? 'n/a' : `${((r.seconds * 1_000_000) / N).toFixed(1)} s per 1,000,000 journaled`);
for (const database of ['SQLite', 'PostgreSQL']) {
  const whole = rows.find((r) => r.database === database && r.measure.startsWith('restore: replay whole'));
  const tail = rows.find((r) => r.database === database && r.measure.startsWith('restore: snapshot'));
  if (whole === undefined) continue;
  console.log(`${database} restore without a snapshot: ${whole.seconds.toFixed(2)} s (${per1M(whole)}; goal ≤ 10 s); with snapshot + tail: ${tail?.seconds.toFixed(2)} s (goal ≤ 3 s)`);
}
for (const c of compacted) {
  console.log(`${c.database} compaction behind a snapshot at the head: journal ${fmt(c.before)} → ${fmt(c.after)} rows, snapshot + compaction ${c.seconds.toFixed(2)} s`);
}
