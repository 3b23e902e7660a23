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
