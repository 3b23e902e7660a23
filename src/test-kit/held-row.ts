/**
 * A PostgreSQL writer stopped at a chosen row, for tests that must cut its connection mid-write
 * whatever the machine's speed: a connection of the test's own inserts, in a transaction it leaves
 * open, a row with the primary key the writer will insert later. The writer's insert of that key
 * then waits on that transaction (a unique check waits for the inserting transaction to end) as
 * long as it stays open, and `pg_blocking_pids` names the waiting backend. Uncommitted, the row is
 * invisible to every other transaction: what the writer reads before (a highest part number, a
 * count) is unchanged by it, and the writer's own earlier transactions commit as usual.
 *
 * The waiter is looked for on a second connection: a transaction reads pg_stat_activity once, at
 * its first look, and sees that copy until it ends, so the holding transaction would never see a
 * backend that came after that look.
 */
import pg from 'pg';
import { expect } from 'vitest';
import { until } from './wait.js';

/** A backend waiting on the held row. */
export interface HeldWriter {
  readonly pid: number;
  readonly applicationName: string;
  /** The statement it waits in (pg_stat_activity's `query`). */
  readonly query: string;
}

export interface HeldRow {
  /** The one backend waiting on the row, once there is one (`until`'s bound); throws if several wait. */
  waiter(): Promise<HeldWriter>;
  /** Rolls the held row back and closes both connections; a writer still waiting goes on. Idempotent. */
  release(): Promise<void>;
}

/**
 * Holds `row` of `table` (schema-qualified and quoted as needed) uncommitted until `release`.
 * `row` maps column names to values and must fill the table's primary key.
 */
export async function holdRow(url: string, table: string, row: Readonly<Record<string, unknown>>): Promise<HeldRow> {
  const holder = new pg.Client({ connectionString: url });
  const watcher = new pg.Client({ connectionString: url });
  const end = () => Promise.all([holder.end(), watcher.end()]).then(() => undefined);
  let holderPid: number;
  try {
    for (const client of [holder, watcher]) {
      client.on('error', () => undefined);
      await client.connect();
    }
    const columns = Object.keys(row);
    await holder.query('begin');
    await holder.query(
      `insert into ${table} (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
      columns.map((c) => row[c]),
    );
    holderPid = (await holder.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
  } catch (error) {
    await end().catch(() => undefined);
    throw error;
  }
  let released = false;
  return {
    async waiter() {
      let waiting: HeldWriter[] = [];
      await until(async () => {
        const { rows } = await watcher.query<{ pid: number; application_name: string; query: string }>(
          'select pid, application_name, query from pg_stat_activity where $1 = any(pg_blocking_pids(pid))',
          [holderPid],
        );
        waiting = rows.map((r) => ({ pid: r.pid, applicationName: r.application_name, query: r.query }));
        return waiting.length > 0;
      }, `a backend to wait on the row held in ${table}`);
      if (waiting.length !== 1) throw new Error(`${waiting.length} backends wait on the row held in ${table}, not one`);
      return waiting[0]!;
    },
    async release() {
      if (released) return;
      released = true;
      try {
        await holder.query('rollback');
      } finally {
        await end();
      }
    },
  };
}

/** A save started with the snapshot worker held mid-parts (`holdSnapshotWorker`). */
export interface HeldSave {
  readonly hold: HeldRow;
  /** The worker's own backend, waiting in its insert of the second transaction's parts. */
  readonly worker: HeldWriter;
  /** The save's outcome: saved (its seq) or refused (the error), never rejected. */
  readonly saving: Promise<{ saved: unknown } | { refused: unknown }>;
}

/**
 * Starts `save` (an engine's `saveSnapshot`) on PostgreSQL with the snapshot worker stopped
 * mid-parts: the worker writes `seq`'s parts `partsPerTransaction` to a transaction from part 0, so
 * part `partsPerTransaction`, held uncommitted on a connection of the test's own, stops its second
 * transaction at its first insert with the first one committed, however fast or slow the machine.
 * Resolves once the worker waits there, having checked that the waiter is the worker's own connection
 * (`application`, none of `before`, the engine's connections before the save), inserting parts, with
 * exactly `partsPerTransaction` parts committed. Release `hold` once the worker is gone.
 */
export async function holdSnapshotWorker(o: {
  readonly killer: pg.Client;
  readonly pgUrl: string;
  readonly schema: string;
  readonly seq: number;
  readonly partsPerTransaction: number;
  readonly application: string;
  readonly before: ReadonlySet<number>;
  readonly save: () => Promise<unknown>;
}): Promise<HeldSave> {
  const committedParts = async () => Number((await o.killer.query(`select count(*) as n from "${o.schema}".snapshot_parts where seq = $1`, [o.seq])).rows[0].n);
  expect(await committedParts()).toBe(0);
  const hold = await holdRow(o.pgUrl, `"${o.schema}".snapshot_parts`, { seq: o.seq, part: o.partsPerTransaction, state: 'held' });
  const saving = o.save().then(
    (s) => ({ saved: s }),
    (e: unknown) => ({ refused: e }),
  );
  const worker = await hold.waiter();
  expect(worker.applicationName).toBe(o.application);
  expect(o.before.has(worker.pid)).toBe(false);
  expect(worker.query).toMatch(/^insert into "snapshot_parts"/);
  expect(await committedParts()).toBe(o.partsPerTransaction);
  return { hold, worker, saving };
}
