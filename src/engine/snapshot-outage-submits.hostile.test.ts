/**
 * The snapshot worker's own connection lost on PostgreSQL (an outage, ADR 0047) while submits are
 * in flight on the engine's healthy connection. Every submit must either be acknowledged with its
 * seq or refused as not applied (or, when its commit was cut, of unknown outcome); the engine must
 * not fail; the acknowledged seqs must be the journal, contiguous from 1; and the kernel, then a
 * restart, must equal a twin fed exactly the acknowledged inputs in seq order.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { describePostgres, PG_URL, type TestDatabase } from '../test-kit/test-databases.js';
import { until } from '../test-kit/wait.js';
import { DurableEngine, type DurableEngineOptions } from './durable-engine.js';
import { EngineUnavailableError } from './engine-status.js';

const recording = loadRecording(BUNDLED_RECORDING);
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };
const T = recording.inputs[0]!.time;
const account = (id: string, usdt = '1'): KernelInput => ({ kind: 'account.open', time: T, account: id, balances: { USDT: usdt } });
/** Inputs handled but not yet in the read tables beyond which the submit loops wait. */
const MAX_LAG = 500;
/** Snapshot attempts begin no later than this after the first, ms. */
const ATTEMPTS_MS = 60_000;

describePostgres("the snapshot worker's connection lost while submits are in flight", (postgres) => {
  let target: TestDatabase;
  beforeEach(() => {
    target = postgres.create();
  });
  afterEach(async () => target.cleanup());

  it('each submit acknowledged or refused, the engine never failed, the kernel and a restart the twin of the acknowledged inputs', async () => {
    const application = `pt_snapsub_${randomBytes(4).toString('hex')}`;
    const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}application_name=${application}`;
    const errors: unknown[] = [];
    const options: DurableEngineOptions = { databaseUrl: url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0, retry: { minMs: 5, maxMs: 50 } };
    const engine = await DurableEngine.open({ ...options, onError: (e) => errors.push(e), onStatusChange: () => undefined });
    const killer = new pg.Client({ connectionString: PG_URL });
    killer.on('error', () => undefined);
    await killer.connect();
    const acked = new Map<number, KernelInput>();
    const refused: string[] = [];
    let reopened: DurableEngine | undefined;
    try {
      // About 2 MB of state, so that the worker writes for a while.
      for (let a = 0; a < 30; a++) {
        const input = account(`big${a}:${'中😀'.repeat(10_000)}`);
        acked.set((await engine.submitSequenced(input)).seq, input);
      }
      await engine.readModelCaughtUp();
      const mine = new Set((await killer.query('select pid from pg_stat_activity where application_name = $1', [application])).rows.map((r: { pid: number }) => r.pid));
      // Submits kept in flight, 8 at a time, until told to stop, held back while the engine is
      // ready and more than MAX_LAG inputs wait for the read tables. Unheld, they outran the
      // projection on PostgreSQL (100–500 inputs/s on a loaded machine against thousands
      // submitted): a snapshot waits for the read tables to cover its seq, so each attempt, and the
      // close, waited for a backlog that grew with every attempt, and the test ran for minutes.
      // While the engine is unavailable nothing holds them: the outage must meet submits.
      let stop = false;
      let n = 0;
      const pump = async () => {
        while (!stop) {
          while (!stop && engine.ready && engine.seq - engine.readModelSeq > MAX_LAG) await new Promise((r) => setTimeout(r, 1));
          const input = account(`s${n++}`);
          await engine.submitSequenced(input).then(
            (r) => void acked.set(r.seq, input),
            (e: unknown) => {
              if (!(e instanceof EngineUnavailableError)) throw e;
              refused.push(e.outcome);
            },
          );
          // A refusal comes back without a turn of the event loop: give it one, as a client would.
          await new Promise((r) => setImmediate(r));
        }
      };
      const pumps = Array.from({ length: 8 }, pump);
      // A fast machine's worker may write every part before the kill lands: that save succeeds and
      // proves nothing, so the snapshot is asked for again (at most five times, and not after
      // ATTEMPTS_MS) until one is cut.
      let saving: Promise<string> = Promise.resolve('none');
      let killed = 0;
      const attemptsEnd = Date.now() + ATTEMPTS_MS;
      for (let attempt = 0; attempt < 5 && Date.now() < attemptsEnd; attempt++) {
        let settled = false;
        saving = engine.saveSnapshot().then(
          () => 'saved',
          () => 'refused',
        );
        void saving.then(() => (settled = true));
        killed = 0;
        while (killed === 0 && !settled && Date.now() < attemptsEnd) {
          // The worker's connection, inserting parts (on PostgreSQL only the worker inserts them; the
          // engine's connections only count and delete them): a connection idle between its
          // transactions would just be replaced by its pool, and the save would not be cut.
          const rows = (await killer.query("select pid from pg_stat_activity where application_name = $1 and state <> 'idle' and query ilike 'insert into \"snapshot_parts\"%'", [application])).rows as { pid: number }[];
          for (const { pid } of rows) if (!mine.has(pid)) killed += (await killer.query('select pg_terminate_backend($1) as ok', [pid])).rows[0].ok ? 1 : 0;
          await new Promise((r) => setTimeout(r, 1));
        }
        if (killed === 1 && (await saving) === 'refused') break;
        await saving;
      }
      expect(killed).toBe(1);
      expect(await saving).toBe('refused');
      await until(() => engine.ready && engine.status.outages === 1, 'the engine to be ready again');
      await new Promise((r) => setTimeout(r, 300));
      stop = true;
      await Promise.all(pumps);
      expect(errors).toEqual([]);
      expect(engine.ready).toBe(true);
      expect(refused.every((o) => o === 'not-applied')).toBe(true);
      // The premise: the outage refused some of the submits.
      expect(refused.length).toBeGreaterThan(0);
      const seqs = [...acked.keys()].sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: engine.seq }, (_, i) => i + 1));
      const twin = new Kernel(CONFIG);
      for (const seq of seqs) twin.handle(JSON.parse(JSON.stringify(acked.get(seq))) as KernelInput);
      expect(engine.kernel.snapshot() === twin.snapshot()).toBe(true);
      await engine.close();
      reopened = await DurableEngine.open(options);
      expect(reopened.kernel.snapshot() === twin.snapshot()).toBe(true);
    } finally {
      await killer.end();
      await engine.close({ snapshot: false });
      await reopened?.close({ snapshot: false });
    }
  }, 240_000); // up to five snapshots asked for (within ATTEMPTS_MS), each rebuilt by a worker while eight submit loops run
});
