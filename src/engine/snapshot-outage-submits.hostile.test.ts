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
import { holdRow, type HeldRow } from '../test-kit/held-row.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { describePostgres, PG_URL, type TestDatabase } from '../test-kit/test-databases.js';
import { until } from '../test-kit/wait.js';
import { workerWritesParts } from './background-snapshot.js';
import { DurableEngine, type DurableEngineOptions } from './durable-engine.js';
import { EngineUnavailableError } from './engine-status.js';

const recording = loadRecording(BUNDLED_RECORDING);
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };
const T = recording.inputs[0]!.time;
const account = (id: string, usdt = '1'): KernelInput => ({ kind: 'account.open', time: T, account: id, balances: { USDT: usdt } });
/** Inputs handled but not yet in the read tables beyond which the submit loops wait. */
const MAX_LAG = 500;
/** Submits acknowledged after the worker is held, before its connection is terminated. */
const BEFORE_KILL = 40;

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
    let hold: HeldRow | undefined;
    try {
      // About 2 MB of state, so that the worker writes for a while.
      for (let a = 0; a < 30; a++) {
        const input = account(`big${a}:${'中😀'.repeat(10_000)}`);
        acked.set((await engine.submitSequenced(input)).seq, input);
      }
      await engine.readModelCaughtUp();
      const seq = engine.seq;
      const schema = target.options.schema!;
      const mine = new Set((await killer.query('select pid from pg_stat_activity where application_name = $1', [application])).rows.map((r: { pid: number }) => r.pid));
      // The worker writes the parts `perTransaction` to a transaction, from part 0 (none of this seq
      // exists yet). Part `perTransaction` held uncommitted on a connection of the test's own stops
      // its second transaction at its first insert, the first one committed: the kill lands there,
      // mid-parts, however fast or slow the machine is. The save takes its seq before the submit
      // loops begin (they start on a timer, after it), so the held row is the one it will write.
      const perTransaction = workerWritesParts(url)!.partsPerTransaction;
      const committedParts = async () => Number((await killer.query(`select count(*) as n from "${schema}".snapshot_parts where seq = $1`, [seq])).rows[0].n);
      expect(await committedParts()).toBe(0);
      hold = await holdRow(PG_URL, `"${schema}".snapshot_parts`, { seq, part: perTransaction, state: 'held' });
      const saving = engine.saveSnapshot().then(
        () => 'saved',
        () => 'refused',
      );
      // Submits kept in flight, 8 at a time, until told to stop, held back while the engine is
      // ready and more than MAX_LAG inputs wait for the read tables. Unheld, they outran the
      // projection on PostgreSQL (100–500 inputs/s on a loaded machine against thousands
      // submitted): a snapshot waits for the read tables to cover its seq, so each attempt, and the
      // close, waited for a backlog that grew with every attempt, and the test ran for minutes.
      // While the engine is unavailable nothing holds them: the outage must meet submits.
      let stop = false;
      let n = 0;
      const pump = async () => {
        // After the save has taken its seq: it does so in a microtask, before any timer.
        await new Promise((r) => setTimeout(r, 0));
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
      const worker = await hold.waiter();
      // The worker's own connection (not one the engine had before), in its insert of the second set
      // of parts (on PostgreSQL only the worker inserts them; the engine's connections only count
      // and delete them).
      expect(worker.applicationName).toBe(application);
      expect(mine.has(worker.pid)).toBe(false);
      expect(worker.query).toMatch(/^insert into "snapshot_parts"/);
      expect(await committedParts()).toBe(perTransaction);
      // Submits flowing on the engine's healthy connection while the worker is held.
      await until(() => engine.seq >= seq + BEFORE_KILL, `${BEFORE_KILL} submits acknowledged while the worker is held`);
      // Waits (up to 10 s) for the backend to be gone, so the held row cannot be let go before it is.
      expect((await killer.query('select pg_terminate_backend($1, 10000) as ok', [worker.pid])).rows[0].ok).toBe(true);
      expect(await saving).toBe('refused');
      await hold.release();
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
      await hold?.release();
      await killer.end();
      await engine.close({ snapshot: false });
      await reopened?.close({ snapshot: false });
    }
  }, 60_000);
});
