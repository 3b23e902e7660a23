/**
 * Snapshots damaged in the database after their publish, and re-saves of a published seq cut off
 * half-way, on SQLite and PostgreSQL. A restart must never restore a wrong state: a damaged
 * snapshot is passed over (reported) for an older one or the journal, or, with the journal
 * compacted behind it, the start is refused naming it. The oracle is a twin kernel fed the same
 * inputs (after the journal's JSON round trip): a restart's state is its `snapshot()`, byte for byte.
 *
 * The damage is made to go unnoticed without the check: the accounts' records are sized so that
 * each fills one 16 Ki part exactly, so a state with one part taken out still parses and restores
 * (one account short), and a changed digit restores a wrong balance.
 *
 * Also here: where a worker snapshot's digest is hashed (in the worker, not on the event loop's
 * thread), and the worker's own connection lost (PostgreSQL), which the engine reports as a
 * database outage.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Migrator } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { DatabaseUnavailableError, openDatabase } from '../persistence/database.js';
import { JournalStore } from '../persistence/journal-store.js';
import { migrationProvider } from '../persistence/migrations.js';
import { SNAPSHOT_PART_CHARS, SnapshotStore } from '../persistence/snapshot-store.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { holdSnapshotWorker, type HeldRow } from '../test-kit/held-row.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { describeEachDialect, describePostgres, PG_URL, type TestDatabase } from '../test-kit/test-databases.js';
import { until } from '../test-kit/wait.js';
import { startWorker, workerWritesParts } from './background-snapshot.js';
import { DurableEngine, type DurableEngineOptions, type SetAsideReport } from './durable-engine.js';
import type { EngineStatus } from './engine-status.js';
import type { SnapshotWorkerData } from './snapshot-worker.js';

const recording = loadRecording(BUNDLED_RECORDING);
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };
const T = recording.inputs[0]!.time;
const P = SNAPSHOT_PART_CHARS;

const account = (id: string, usdt = '1000'): KernelInput => ({ kind: 'account.open', time: T, account: id, balances: { USDT: usdt } });
const twinInput = (input: KernelInput) => JSON.parse(JSON.stringify(input)) as KernelInput;

/** Where each of `ids`' records begins in the state's `accounts` array. */
function recordStarts(state: string, ids: readonly string[]): number[] {
  return ids.map((id) => state.indexOf(`{"kind":"spot","id":${JSON.stringify(id)}`));
}

/**
 * Accounts opened after `before` (one kernel's inputs so far) whose records in the state fill one
 * part each: the second begins on a part boundary and each is `P` characters with its comma. Found
 * by trying lengths on a kernel of its own (a record's length grows one for one with its id's).
 */
function alignedAccounts(before: readonly KernelInput[], count: number): KernelInput[] {
  const ids = (first: number, rest: number) => Array.from({ length: count }, (_, i) => `A${i}-`.padEnd(i === 0 ? first : rest, 'x'));
  const stateWith = (list: readonly string[]) => {
    const kernel = new Kernel(CONFIG);
    for (const input of [...before, ...list.map((id) => account(id))]) kernel.handle(twinInput(input));
    return kernel.snapshot();
  };
  const probe = ids(100, 100);
  const starts = recordStarts(stateWith(probe), probe);
  const rest = 100 + P - (starts[2]! - starts[1]!);
  const constant = starts[2]! - starts[1]! - 100; // a record with its comma, less its id
  let first = Math.ceil((starts[0]! + constant + 1) / P) * P - starts[0]! - constant;
  if (first < 4) first += P;
  const chosen = ids(first, rest);
  const state = stateWith(chosen);
  const at = recordStarts(state, chosen);
  // The premise: records 1… start on part boundaries, one part apart.
  for (let i = 1; i < count; i++) expect(at[i]! % P === 0 && at[i]! - at[i - 1]! === (i === 1 ? at[1]! - at[0]! : P)).toBe(true);
  return chosen.map((id) => account(id));
}

interface Scenario {
  readonly s1: number;
  readonly s2: number;
  /** The part of s2 that holds exactly the record of the third aligned account. */
  readonly wholeRecordPart: number;
  readonly twin: Kernel;
}

describeEachDialect((name) => `snapshot integrity on ${name}`, (dialect) => {
  let target: TestDatabase;
  let reports: SetAsideReport[];
  const options = (more: Partial<DurableEngineOptions> = {}): DurableEngineOptions => ({
    databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0, positionSnapshotDebounceMs: 0,
    onInputSetAside: (r) => reports.push(r), ...more,
  });
  beforeEach(() => {
    target = dialect.create();
    reports = [];
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await target.cleanup();
  });

  /** Snapshot s1 (worker), then aligned accounts and snapshot s2 (worker), then (with `tail`) a journal tail; closed without a final snapshot. */
  async function scenario(tail = true): Promise<Scenario> {
    const engine = await DurableEngine.open(options());
    const twin = new Kernel(CONFIG);
    const fed: KernelInput[] = [];
    const both = async (input: KernelInput) => {
      fed.push(input);
      twin.handle(twinInput(input));
      await engine.submit(input);
    };
    try {
      for (const input of recording.inputs.slice(0, 40)) await both(input);
      await both(account('base', '5000'));
      const s1 = await engine.saveSnapshot();
      for (const input of alignedAccounts(fed, 6)) await both(input);
      const s2 = await engine.saveSnapshot();
      const state = twin.snapshot();
      const third = recordStarts(state, [(fed.at(-4) as { account: string }).account])[0]!;
      if (tail) {
        for (const input of recording.inputs.slice(40, 60)) await both(input);
        await both(account('after'));
      }
      await engine.close({ snapshot: false });
      return { s1, s2, wholeRecordPart: third / P, twin };
    } finally {
      await engine.close({ snapshot: false });
    }
  }

  /** Opens the database on its own, hands `change` the row of `seq` (its parts' range), closes it. */
  async function inDatabase(seq: number, change: (db: Awaited<ReturnType<typeof openDatabase>>['db'], first: number, parts: number) => Promise<unknown>): Promise<void> {
    const raw = await openDatabase(target.url, target.options);
    try {
      const row = await raw.db.selectFrom('snapshots').select(['parts', 'firstPart']).where('seq', '=', seq).executeTakeFirstOrThrow();
      await change(raw.db, Number(row.firstPart ?? 0), Number(row.parts));
    } finally {
      await raw.close();
    }
  }

  /** What the stored parts of `seq` join to, read without any check (what a restart saw before there was one). */
  async function unchecked(seq: number): Promise<string> {
    const raw = await openDatabase(target.url, target.options);
    try {
      const rows = await raw.db.selectFrom('snapshot_parts').select('state').where('seq', '=', seq).orderBy('part').execute();
      return rows.map((r) => r.state).join('');
    } finally {
      await raw.close();
    }
  }

  const damages = {
    'a middle part deleted': {
      damage: (s: Scenario) => inDatabase(s.s2, (db, first) => db.deleteFrom('snapshot_parts').where('seq', '=', s.s2).where('part', '=', first + s.wholeRecordPart).execute()),
      reason: /it holds \d+ of its \d+ parts \(part \d+ missing\)/,
      unnoticedWithoutCheck: true,
    },
    'one character of a part changed': {
      damage: (s: Scenario) =>
        inDatabase(s.s2, async (db, first) => {
          const part = first + s.wholeRecordPart;
          const row = await db.selectFrom('snapshot_parts').select('state').where('seq', '=', s.s2).where('part', '=', part).executeTakeFirstOrThrow();
          // The account's free USDT, 1000 → 2000 (in the kernel's fixed point).
          const at = row.state.indexOf('"free":{"$n":"1') + '"free":{"$n":"'.length;
          expect(at).toBeGreaterThan(20);
          await db.updateTable('snapshot_parts').set({ state: `${row.state.slice(0, at)}2${row.state.slice(at + 1)}` }).where('seq', '=', s.s2).where('part', '=', part).execute();
        }),
      reason: /its state \(\d+ characters\) does not match its digest/,
      unnoticedWithoutCheck: true,
    },
    'the last part cut short': {
      damage: (s: Scenario) =>
        inDatabase(s.s2, async (db, first, parts) => {
          const last = first + parts - 1;
          const row = await db.selectFrom('snapshot_parts').select('state').where('seq', '=', s.s2).where('part', '=', last).executeTakeFirstOrThrow();
          await db.updateTable('snapshot_parts').set({ state: row.state.slice(0, -7) }).where('seq', '=', s.s2).where('part', '=', last).execute();
        }),
      reason: /its state \(\d+ characters\) does not match its digest/,
      unnoticedWithoutCheck: false,
    },
  } as const;

  for (const [what, { damage, reason, unnoticedWithoutCheck }] of Object.entries(damages)) {
    it(`${what} in the newest snapshot: the restart passes it over, says why, and restores the older snapshot plus the journal to the twin`, async () => {
      const s = await scenario();
      await damage(s);
      // Without a check this damage would restore (one account short, or a wrong balance) or not.
      const joined = await unchecked(s.s2);
      let restoredUnchecked: string | undefined;
      try {
        restoredUnchecked = Kernel.restore(CONFIG, joined).snapshot();
      } catch {
        restoredUnchecked = undefined;
      }
      expect(restoredUnchecked !== undefined).toBe(unnoticedWithoutCheck);
      const engine = await DurableEngine.open(options());
      try {
        expect(engine.restored.snapshotSeq).toBe(s.s1);
        expect(engine.restored.seq).toBe(s.twin.inputCount);
        expect(engine.kernel.snapshot() === s.twin.snapshot()).toBe(true);
        const said = reports.filter((r) => r.code === 'SNAPSHOT').map((r) => r.reason);
        expect(said).toHaveLength(1);
        expect(said[0]).toMatch(new RegExp(`^snapshot ${s.s2} passed over: ${reason.source}`));
        await expect(new SnapshotStore(engine.db).read(s.s2)).rejects.toThrow(`snapshot ${s.s2} is damaged`);
      } finally {
        await engine.close({ snapshot: false });
      }
    }, 90_000);
  }

  it('a changed part in the only snapshot, with the journal compacted behind it: the start is refused, naming the snapshot and the damage', async () => {
    const engine = await DurableEngine.open(options({ keepSnapshots: 1, journalRetentionMs: 0 }));
    let time = T;
    try {
      for (let i = 0; i < 30; i++) await engine.submit({ ...account(`c${i}`), time: (time += 1_000) } as KernelInput);
      const seq = await engine.saveSnapshot();
      await engine.close({ snapshot: false });
      const journal = await openDatabase(target.url, target.options);
      try {
        expect(await (await JournalStore.open(journal.db)).firstSeq()).toBeGreaterThan(1);
      } finally {
        await journal.close();
      }
      await inDatabase(seq, async (db, first) => {
        const row = await db.selectFrom('snapshot_parts').select('state').where('seq', '=', seq).where('part', '=', first).executeTakeFirstOrThrow();
        const at = row.state.indexOf('"free":{"$n":"1') + '"free":{"$n":"'.length;
        expect(at).toBeGreaterThan(20);
        await db.updateTable('snapshot_parts').set({ state: `${row.state.slice(0, at)}9${row.state.slice(at + 1)}` }).where('seq', '=', seq).where('part', '=', first).execute();
      });
      await expect(DurableEngine.open(options())).rejects.toThrow(new RegExp(`the journal starts at seq \\d+ \\(compacted behind its snapshots\\).*no snapshot restores; snapshot ${seq} passed over: its state .* does not match its digest`));
    } finally {
      await engine.close({ snapshot: false });
    }
  }, 60_000);

  for (const how of ['in-process, a write that throws', "on the worker's own connection, the worker stopped"] as const) {
    it(`a re-save of the published newest snapshot at a restart (read tables behind it), cut off after its first parts (${how}): the next restart restores that snapshot, the twin`, async () => {
      const s = await scenario(false);
      // The read tables behind the newest snapshot: the restart restores s1 and replays past s2, then saves s2 again.
      const raw = await openDatabase(target.url, target.options);
      await raw.db.updateTable('read_model_checkpoint').set({ seq: s.s1 }).execute();
      await raw.close();
      const store = (db: DurableEngine['db']) => new SnapshotStore(db);
      const engine = await DurableEngine.open(options());
      try {
        expect(engine.restored.snapshotSeq).toBe(s.s1);
        await engine.readModelCaughtUp();
        const published = await inDatabaseCount(engine, s.s2);
        if (how === 'in-process, a write that throws') {
          // The save of s2 again (the engine's own, as at close), stopped once two parts are written.
          const original = SnapshotStore.prototype.writeParts;
          vi.spyOn(SnapshotStore.prototype, 'writeParts').mockImplementation(function (this: SnapshotStore, seq, parts, opts) {
            return original.call(this, seq, (function* () {
              let n = 0;
              for (const part of parts as Iterable<string>) {
                if (n++ === 2) throw new Error('the process died here');
                yield part;
              }
            })(), opts);
          });
          await expect(engine.saveSnapshot({ inProcess: true })).rejects.toThrow('the process died here');
          vi.restoreAllMocks();
          expect(await inDatabaseCount(engine, s.s2)).toBeGreaterThanOrEqual(published + 2);
        } else {
          // A worker writing s2's parts on its own connection, one every 200 ms, stopped after two.
          const data: SnapshotWorkerData = { databaseUrl: target.url, database: { ...target.options, maxConnections: 1 }, kernelConfig: CONFIG, seq: s.s2, writeParts: { partsPerTransaction: 1, pauseMs: 200 } };
          const worker = await startWorker({ snapshotWorker: true, data });
          await until(async () => (await inDatabaseCount(engine, s.s2)) >= published + 2, 'two parts of the worker');
          await worker.terminate();
        }
        expect((await store(engine.db).read(s.s2))?.state).toBeDefined();
      } finally {
        await engine.close({ snapshot: false });
      }
      const again = await DurableEngine.open(options());
      try {
        expect(reports.filter((r) => r.code === 'SNAPSHOT')).toEqual([]);
        expect(again.restored.snapshotSeq).toBe(s.s2);
        expect(again.kernel.snapshot() === s.twin.snapshot()).toBe(true);
      } finally {
        await again.close({ snapshot: false });
      }
    }, 90_000);
  }

  /** Rows of `snapshot_parts` under `seq`. */
  async function inDatabaseCount(engine: DurableEngine, seq: number): Promise<number> {
    return Number((await engine.db.selectFrom('snapshot_parts').select((eb) => eb.fn.countAll().as('n')).where('seq', '=', seq).executeTakeFirst())?.n ?? 0);
  }

  it('a snapshot written before parts and digests were recorded (schema before 0009) restores, unchecked, and keeps its parts when newer snapshots are saved beside it', async () => {
    const twin = new Kernel(CONFIG);
    const inputs: KernelInput[] = [...recording.inputs.slice(0, 30), account('old', '7'), ...Array.from({ length: 6 }, (_, i) => account(`o${i}-${'y'.repeat(9_000)}`))];
    const tail: KernelInput[] = [...recording.inputs.slice(30, 45), account('later')];
    for (const input of inputs) twin.handle(twinInput(input));
    const seq = twin.inputCount;
    const state = twin.snapshot();
    // The database as the release before 0009 left it: the journal, and the snapshot's row with its parts as that code wrote them.
    const raw = await openDatabase(target.url, target.options);
    try {
      const migrator = new Migrator({ db: raw.db.withoutPlugins(), provider: migrationProvider, ...(dialect.name === 'postgres' ? { migrationTableSchema: target.options.schema! } : {}) });
      const { error } = await migrator.migrateTo('0008_order_leverage');
      expect(error).toBeUndefined();
      const journal = await JournalStore.open(raw.db);
      for (const input of [...inputs, ...tail]) await journal.append(twinInput(input));
      await raw.db.insertInto('snapshots').values({ seq, at: T, state: '' }).execute();
      const parts = Math.ceil(state.length / P);
      for (let part = 0; part < parts; part++) await raw.db.insertInto('snapshot_parts').values({ seq, part, state: state.slice(part * P, (part + 1) * P) }).execute();
      await raw.db.insertInto('read_model_checkpoint').values({ name: 'main', seq }).execute();
    } finally {
      await raw.close();
    }
    for (const input of tail) twin.handle(twinInput(input));
    const engine = await DurableEngine.open(options());
    try {
      expect(engine.restored.snapshotSeq).toBe(seq);
      expect(reports.filter((r) => r.code === 'SNAPSHOT')).toEqual([]);
      expect(engine.kernel.snapshot() === twin.snapshot()).toBe(true);
      // A new snapshot beside it (recorded with its digest); the old one, parts and all, still reads back.
      expect(await engine.saveSnapshot()).toBe(twin.inputCount);
      const store = new SnapshotStore(engine.db);
      expect((await store.read(seq))?.state === state).toBe(true);
      const row = await engine.db.selectFrom('snapshots').select(['parts', 'digest']).where('seq', '=', twin.inputCount).executeTakeFirstOrThrow();
      expect(row.digest).toBe(createHash('sha256').update(twin.snapshot()).digest('hex'));
      expect(Number(row.parts)).toBe(Math.ceil(Buffer.byteLength(twin.snapshot()) / P));
    } finally {
      await engine.close({ snapshot: false });
    }
  }, 60_000);
});

describeEachDialect((name) => `where a worker snapshot's digest is hashed, on ${name}`, (dialect) => {
  let target: TestDatabase;
  beforeEach(() => {
    target = dialect.create();
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await target.cleanup();
  });

  it("in the worker: the event loop's thread hashes none of a worker snapshot (but all of an in-process one), and the digest recorded is the state's SHA-256", async () => {
    const engine = await DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0 });
    const twin = new Kernel(CONFIG);
    const both = async (input: KernelInput) => {
      twin.handle(twinInput(input));
      await engine.submit(input);
    };
    // Bytes handed to any SHA-256 on this thread.
    const hash = Object.getPrototypeOf(createHash('sha256')) as { update: (data: string | Uint8Array, encoding?: string) => unknown };
    const update = hash.update;
    let hashed = 0;
    vi.spyOn(hash, 'update').mockImplementation(function (this: unknown, data: string | Uint8Array, encoding?: string) {
      hashed += typeof data === 'string' ? data.length : data.byteLength;
      return update.call(this, data, encoding);
    });
    const digestOf = (state: string) => update.call(createHash('sha256'), state) as ReturnType<typeof createHash>;
    try {
      for (let i = 0; i < 40; i++) await both(account(`h${i}-${'z'.repeat(4_000)}`));
      hashed = 0;
      const seq = await engine.saveSnapshot();
      expect(hashed).toBe(0);
      const recorded = async (at: number) => (await engine.db.selectFrom('snapshots').select('digest').where('seq', '=', at).executeTakeFirstOrThrow()).digest;
      expect(await recorded(seq)).toBe(digestOf(twin.snapshot()).digest('hex'));
      await both(account('one more'));
      hashed = 0;
      const inProcess = await engine.saveSnapshot({ inProcess: true });
      expect(hashed).toBeGreaterThanOrEqual(twin.snapshot().length);
      expect(await recorded(inProcess)).toBe(digestOf(twin.snapshot()).digest('hex'));
    } finally {
      vi.restoreAllMocks();
      await engine.close({ snapshot: false });
    }
  }, 60_000);
});

describePostgres("the snapshot worker's own connection lost on PostgreSQL", (postgres) => {
  let target: TestDatabase;
  beforeEach(() => {
    target = postgres.create();
  });
  afterEach(async () => target.cleanup());

  it('is a database outage: reported (unavailable with the reason, then ready by itself), no snapshot taken in-process meanwhile; the next save and a restart are the twin', async () => {
    const application = `pt_snapint_${randomBytes(4).toString('hex')}`;
    const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}application_name=${application}`;
    const statuses: EngineStatus[] = [];
    const reports: SetAsideReport[] = [];
    const errors: unknown[] = [];
    const options: DurableEngineOptions = { databaseUrl: url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0, retry: { minMs: 20, maxMs: 200 } };
    const engine = await DurableEngine.open({ ...options, onError: (e) => errors.push(e), onInputSetAside: (r) => reports.push(r), onStatusChange: (s) => statuses.push(s) });
    const twin = new Kernel(CONFIG);
    const killer = new pg.Client({ connectionString: PG_URL });
    killer.on('error', () => undefined);
    await killer.connect();
    let reopened: DurableEngine | undefined;
    let hold: HeldRow | undefined;
    try {
      // About 2 MB of state: the worker writes it in some 17 transactions.
      for (let a = 0; a < 30; a++) {
        const input = account(`${a}:${'中😀'.repeat(10_000)}`, '1');
        twin.handle(twinInput(input));
        await engine.submit(input);
      }
      await engine.readModelCaughtUp();
      const seq = engine.seq;
      const schema = target.options.schema!;
      const mine = new Set((await killer.query('select pid from pg_stat_activity where application_name = $1', [application])).rows.map((r: { pid: number }) => r.pid));
      // The worker stopped mid-parts (its second transaction's first insert waits on a held part): the kill lands there.
      const held = await holdSnapshotWorker({ killer, pgUrl: PG_URL, schema, seq, partsPerTransaction: workerWritesParts(url)!.partsPerTransaction, application, before: mine, save: () => engine.saveSnapshot() });
      hold = held.hold;
      const { worker, saving } = held;
      // Waits (up to 10 s) for the backend to be gone, so the held row cannot be let go before it is.
      expect((await killer.query('select pg_terminate_backend($1, 10000) as ok', [worker.pid])).rows[0].ok).toBe(true);
      const outcome = await saving;
      await hold.release();
      expect('refused' in outcome && outcome.refused instanceof DatabaseUnavailableError).toBe(true);
      expect(String((outcome as { refused: unknown }).refused)).toMatch(/the snapshot worker lost its database connection/);
      await until(() => engine.ready, 'the engine to be ready again');
      expect(statuses.map((s) => s.state)).toEqual(['unavailable', 'ready']);
      expect(statuses[0]!.reason).toMatch(/the snapshot worker lost its database connection/);
      expect(engine.status.outages).toBe(1);
      expect(errors).toEqual([]);
      // Not taken in-process (that is reported as a SNAPSHOT set aside), and nothing published at that seq.
      expect(reports.filter((r) => r.code === 'SNAPSHOT')).toEqual([]);
      const store = new SnapshotStore(engine.db);
      expect(await store.list()).not.toContain(seq);
      expect(await engine.saveSnapshot()).toBe(seq);
      expect((await store.latest())?.state === twin.snapshot()).toBe(true);
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
});
