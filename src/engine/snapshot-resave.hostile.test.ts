/**
 * Re-saves of a seq whose snapshot was written before migration 0009 (no part range, no digest),
 * cut off between the parts and the publish, on SQLite and PostgreSQL. ADR 0047: "a crash anywhere
 * before the publish leaves the old row on its old, intact parts". A pre-0009 row reads every part
 * of its seq, so the new parts must not join it. Oracle: the state the old release stored
 * (a twin kernel's `snapshot()`), and a restart equal to the twin, restoring that snapshot.
 */
import { Migrator } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { openDatabase } from '../persistence/database.js';
import { JournalStore } from '../persistence/journal-store.js';
import { migrationProvider } from '../persistence/migrations.js';
import { SNAPSHOT_PART_CHARS, SnapshotStore } from '../persistence/snapshot-store.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { describeEachDialect, type TestDatabase } from '../test-kit/test-databases.js';
import { until } from '../test-kit/wait.js';
import { startWorker } from './background-snapshot.js';
import { DurableEngine, type DurableEngineOptions, type SetAsideReport } from './durable-engine.js';
import type { SnapshotWorkerData } from './snapshot-worker.js';

const recording = loadRecording(BUNDLED_RECORDING);
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };
const T = recording.inputs[0]!.time;
const P = SNAPSHOT_PART_CHARS;

const account = (id: string, usdt = '1000'): KernelInput => ({ kind: 'account.open', time: T, account: id, balances: { USDT: usdt } });
const twinInput = (input: KernelInput) => JSON.parse(JSON.stringify(input)) as KernelInput;

describeEachDialect((name) => `a re-save of a snapshot written before 0009, cut off before its publish, on ${name}`, (dialect) => {
  let target: TestDatabase;
  let reports: SetAsideReport[];
  const options = (): DurableEngineOptions => ({
    databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0, positionSnapshotDebounceMs: 0,
    onInputSetAside: (r) => reports.push(r),
  });
  beforeEach(() => {
    target = dialect.create();
    reports = [];
  });
  afterEach(async () => target.cleanup());

  for (const how of ['a write that throws', "a worker on its own connection, stopped"] as const) {
  it(`(${how}) leaves the old snapshot as it was: it reads back whole and the next restart restores it, the twin, nothing passed over`, async () => {
    const twin = new Kernel(CONFIG);
    const inputs: KernelInput[] = [...recording.inputs.slice(0, 30), ...Array.from({ length: 6 }, (_, i) => account(`r${i}-${'y'.repeat(9_000)}`))];
    for (const input of inputs) twin.handle(twinInput(input));
    const seq = twin.inputCount;
    const state = twin.snapshot();
    // The database as the release before 0009 left it: the journal, the snapshot's row and its parts 0…n-1.
    const raw = await openDatabase(target.url, target.options);
    try {
      const migrator = new Migrator({ db: raw.db.withoutPlugins(), provider: migrationProvider, ...(dialect.name === 'postgres' ? { migrationTableSchema: target.options.schema! } : {}) });
      expect((await migrator.migrateTo('0008_order_leverage')).error).toBeUndefined();
      const journal = await JournalStore.open(raw.db);
      for (const input of inputs) await journal.append(twinInput(input));
      await raw.db.insertInto('snapshots').values({ seq, at: T, state: '' }).execute();
      for (let part = 0; part * P < state.length; part++) await raw.db.insertInto('snapshot_parts').values({ seq, part, state: state.slice(part * P, (part + 1) * P) }).execute();
      await raw.db.insertInto('read_model_checkpoint').values({ name: 'main', seq }).execute();
    } finally {
      await raw.close();
    }
    const engine = await DurableEngine.open(options());
    try {
      expect(engine.restored.snapshotSeq).toBe(seq);
      // A save of the same seq (a restart's re-save, seq 0 again, any caller) that dies after two parts: no publish.
      const store = new SnapshotStore(engine.db);
      const count = async () => Number((await engine.db.selectFrom('snapshot_parts').select((eb) => eb.fn.countAll().as('n')).where('seq', '=', seq).executeTakeFirst())?.n ?? 0);
      const published = await count();
      if (how === 'a write that throws') {
        await expect(
          store.writeParts(seq, (function* () {
            yield state.slice(0, P);
            yield state.slice(P, 2 * P);
            throw new Error('the process died here');
          })()),
        ).rejects.toThrow('the process died here');
      } else {
        // The snapshot worker rebuilding seq on that old row and writing its parts, one every 200 ms, stopped after two.
        const data: SnapshotWorkerData = { databaseUrl: target.url, database: { ...target.options, maxConnections: 1 }, kernelConfig: CONFIG, seq, writeParts: { partsPerTransaction: 1, pauseMs: 200 } };
        const worker = await startWorker({ snapshotWorker: true, data });
        await until(async () => (await count()) >= published + 2, 'two parts of the worker');
        await worker.terminate();
      }
      expect(await count()).toBeGreaterThanOrEqual(published + 2);
      expect((await store.read(seq))?.state === state).toBe(true);
    } finally {
      await engine.close({ snapshot: false });
    }
    const again = await DurableEngine.open(options());
    try {
      expect(reports.filter((r) => r.code === 'SNAPSHOT').map((r) => r.reason)).toEqual([]);
      expect(again.restored.snapshotSeq).toBe(seq);
      expect(again.kernel.snapshot() === twin.snapshot()).toBe(true);
      // A newer snapshot's publish sweeps the unpublished parts; the old one still reads back whole.
      await again.submit(account('later'));
      await again.saveSnapshot();
      expect((await new SnapshotStore(again.db).read(seq))?.state === state).toBe(true);
    } finally {
      await again.close({ snapshot: false });
    }
  }, 60_000);
  }
});
