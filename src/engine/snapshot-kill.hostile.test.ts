/**
 * A PostgreSQL snapshot whose connections are terminated (`pg_terminate_backend`) while the worker
 * writes its parts: the worker's own connection only, or every connection of the engine. The engine
 * must not fail: it takes the snapshot in-process, or goes unavailable and comes back; the next
 * save publishes a whole set, and a restart is the twin kernel's state (the oracle: a kernel fed the
 * same inputs), byte for byte. PostgreSQL only: on SQLite the worker writes nothing.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { SnapshotStore } from '../persistence/snapshot-store.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { holdSnapshotWorker, type HeldRow } from '../test-kit/held-row.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { describePostgres, PG_URL, type TestDatabase } from '../test-kit/test-databases.js';
import { until } from '../test-kit/wait.js';
import { workerWritesParts } from './background-snapshot.js';
import { DurableEngine } from './durable-engine.js';
import type { EngineState } from './engine-status.js';

const recording = loadRecording(BUNDLED_RECORDING);
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };
const T = recording.inputs[0]!.time;

describePostgres("the snapshot worker's connection terminated mid-parts on PostgreSQL", (postgres) => {
  let target: TestDatabase;
  beforeEach(() => {
    target = postgres.create();
  });
  afterEach(async () => target.cleanup());

  for (const victims of ['the worker', 'every connection'] as const) {
    it(`${victims} terminated once the worker has committed parts: the engine does not fail, the next save is whole, the restart is the twin`, async () => {
      const application = `pt_snapkill_${randomBytes(4).toString('hex')}`;
      const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}application_name=${application}`;
      const schema = target.options.schema!;
      const errors: unknown[] = [];
      const states: EngineState[] = [];
      const options = { databaseUrl: url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0, retry: { minMs: 20, maxMs: 200 } };
      const engine = await DurableEngine.open({ ...options, onError: (e) => errors.push(e), onInputSetAside: () => undefined, onStatusChange: (s) => states.push(s.state) });
      const twin = new Kernel(CONFIG);
      const killer = new pg.Client({ connectionString: PG_URL });
      killer.on('error', () => undefined);
      await killer.connect();
      let reopened: DurableEngine | undefined;
      let hold: HeldRow | undefined;
      try {
        // About 2 MB of state: some 130 parts, 17 of the worker's transactions.
        for (let a = 0; a < 30; a++) {
          const input: KernelInput = { kind: 'account.open', time: T, account: `${a}:${'中😀'.repeat(10_000)}`, balances: { USDT: '1' } };
          twin.handle(JSON.parse(JSON.stringify(input)) as KernelInput);
          await engine.submit(input);
        }
        await engine.readModelCaughtUp();
        const seq = engine.seq;
        const mine = new Set((await killer.query('select pid from pg_stat_activity where application_name = $1', [application])).rows.map((r: { pid: number }) => r.pid));
        // The worker stopped mid-parts (its second transaction's first insert waits on a held part): the kill lands there.
        const held = await holdSnapshotWorker({ killer, pgUrl: PG_URL, schema, seq, partsPerTransaction: workerWritesParts(url)!.partsPerTransaction, application, before: mine, save: () => engine.saveSnapshot() });
        hold = held.hold;
        const { worker, saving } = held;
        // Each terminate waits (up to 10 s) for its backend to be gone, so the held row cannot be let
        // go before the worker's insert is. For every connection, first the engine's own as they
        // are now, the worker still held (one its pool closed as idle meanwhile is gone already).
        const terminate = async (pid: number) => (await killer.query('select pg_terminate_backend($1, 10000) as ok', [pid])).rows[0].ok === true;
        if (victims === 'every connection') {
          const engines = ((await killer.query('select pid from pg_stat_activity where application_name = $1 and pid <> $2', [application, worker.pid])).rows as { pid: number }[]).map((r) => r.pid);
          let terminated = 0;
          for (const pid of engines) terminated += (await terminate(pid)) ? 1 : 0;
          expect(terminated).toBeGreaterThan(0);
        }
        expect(await terminate(worker.pid)).toBe(true);
        const outcome = await saving;
        await hold.release();
        // Taken in-process instead, or refused for want of a connection: never a failure.
        expect(errors).toEqual([]);
        expect(states).not.toContain('failed');
        if ('refused' in outcome) expect(String(outcome.refused)).toMatch(/unreachable|terminat|Connection/i);
        await until(() => engine.ready, 'the engine to be ready');
        expect(await engine.saveSnapshot()).toBe(seq);
        const store = new SnapshotStore(engine.db);
        expect((await store.latest())?.state === twin.snapshot()).toBe(true);
        const parts = (await engine.db.selectFrom('snapshot_parts').select('part').where('seq', '=', seq).orderBy('part').execute()).map((r) => r.part);
        // One run of part numbers (after those of an earlier attempt, now deleted), as many as the row says.
        expect(parts).toEqual(parts.map((_, i) => parts[0]! + i));
        expect(Number((await engine.db.selectFrom('snapshots').select('parts').where('seq', '=', seq).executeTakeFirst())?.parts)).toBe(parts.length);
        await engine.close();
        reopened = await DurableEngine.open(options);
        expect(reopened.restored.snapshotSeq).toBe(seq);
        expect(reopened.kernel.snapshot() === twin.snapshot()).toBe(true);
      } finally {
        await hold?.release();
        await killer.end();
        await engine.close({ snapshot: false });
        await reopened?.close({ snapshot: false });
      }
    }, 60_000);
  }
});
