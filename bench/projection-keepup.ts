/**
 * Read tables against the journal under a steady submit load (alone: `npm run bench:projection`).
 *
 * A `DurableEngine` on PostgreSQL (PAPERTRADE_TEST_PG_URL or postgres://postgres@127.0.0.1:5432/test,
 * a throwaway schema) and, for comparison, on SQLite (a temp file): the bundled spot recording's
 * first 5 s, 8 accounts, then 8 loops each submitting MARKET orders of 0.001 BTC (alternating sides,
 * every order filled: ORDER_NEW, FILL, balances) for KEEPUP_SECONDS (default 8). Reports the kernel's
 * acknowledged inputs/s, the read tables' committed inputs/s, how far behind they were when the
 * loops stopped, and how long they took to catch up: the read tables keep up when the two rates
 * match (docs/adr/0049).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { KernelInput } from '../src/core/kernel/inputs.js';
import { DurableEngine } from '../src/engine/durable-engine.js';
import { instrumentForRecording } from '../src/market-data/replay-session.js';
import { postgresProblem } from '../src/persistence/database.js';
import { BUNDLED_RECORDING } from '../src/test-kit/data-paths.js';
import { loadRecording } from '../src/test-kit/recording-stepper.js';

const PG_URL = process.env.PAPERTRADE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECONDS = Number(process.env.KEEPUP_SECONDS ?? 8);
const LOOPS = 8;
const recording = loadRecording(BUNDLED_RECORDING);

async function keepUp(name: string, databaseUrl: string, schema?: string) {
  const engine = await DurableEngine.open({
    databaseUrl, ...(schema !== undefined ? { database: { schema } } : {}),
    kernelConfig: { instruments: [instrumentForRecording(recording)], latencyMs: 0 }, snapshotIntervalMs: 0,
  });
  try {
    let i = 0;
    for (; i < recording.inputs.length && recording.inputs[i]!.time < recording.inputs[0]!.time + 5_000; i++) await engine.submit(recording.inputs[i]!);
    const time = recording.inputs[i - 1]!.time;
    for (let a = 0; a < LOOPS; a++) await engine.submit({ kind: 'account.open', time, account: `a${a}`, balances: { USDT: '100000000', BTC: '1000' } });
    await engine.readModelCaughtUp();
    let stop = false;
    let n = 0;
    const loop = async (a: number) => {
      while (!stop) {
        const order: KernelInput = { kind: 'order.place', time, account: `a${a}`, symbol: recording.symbol, side: n % 2 === 0 ? 'BUY' : 'SELL', type: 'MARKET', quantity: '0.001', clientOrderId: `c${n++}` };
        await engine.submit(order);
      }
    };
    const seq0 = engine.seq;
    const read0 = engine.readModelSeq;
    const started = performance.now();
    const loops = Array.from({ length: LOOPS }, (_, a) => loop(a));
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1_000));
    stop = true;
    await Promise.all(loops);
    const seconds = (performance.now() - started) / 1_000;
    const behind = engine.seq - engine.readModelSeq;
    const kernelRate = (engine.seq - seq0) / seconds;
    const readRate = (engine.readModelSeq - read0) / seconds;
    const drain = performance.now();
    await engine.readModelCaughtUp();
    const caughtUpMs = performance.now() - drain;
    console.log(
      `${name.padEnd(10)} acknowledged ${kernelRate.toFixed(0).padStart(6)} inputs/s · read tables ${readRate.toFixed(0).padStart(6)} inputs/s (${(readRate / kernelRate).toFixed(2)}×) · ${behind} behind when the loops stopped · caught up ${caughtUpMs.toFixed(0)} ms later`,
    );
  } finally {
    await engine.close();
  }
}

console.log(`read tables against the journal: ${LOOPS} loops of MARKET orders for ${SECONDS} s (Node ${process.version})`);
const dir = mkdtempSync(join(tmpdir(), 'papertrade-keepup-'));
try {
  await keepUp('SQLite', `sqlite:${join(dir, 'keepup.db')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const problem = await postgresProblem(PG_URL);
if (problem !== undefined) console.log(`PostgreSQL   skipped: not reachable (${problem.message})`);
else {
  const schema = `papertrade_keepup_${randomBytes(4).toString('hex')}`;
  try {
    await keepUp('PostgreSQL', PG_URL, schema);
  } finally {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  }
}
