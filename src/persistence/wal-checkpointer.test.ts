import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import { openAndMigrate, projectionTransaction, type PersistenceDatabase } from './database.js';
import { FALLBACK_CHECKPOINT_PAGES } from './wal-checkpointer.js';

let dir: string | undefined;
let database: PersistenceDatabase | undefined;
afterEach(async () => {
  await database?.close();
  database = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const until = async (check: () => boolean, ms: number) => {
  for (const end = Date.now() + ms; !check() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
  return check();
};

it('the WAL reaches the database file without the writer checkpointing it: a worker copies it there', async () => {
  dir = mkdtempSync(join(tmpdir(), 'papertrade-checkpoint-'));
  const path = join(dir, 'db.sqlite');
  database = await openAndMigrate(`sqlite:${path}`);
  const db = database.db;
  // The writer's own automatic checkpoint is pushed far out: without the worker, these pages
  // would stay in the WAL and the database file would not grow.
  const [setting] = (await sql<{ walAutocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db)).rows;
  expect(setting?.walAutocheckpoint).toBe(FALLBACK_CHECKPOINT_PAGES);
  const before = statSync(path).size;
  // About 3 MiB in 300 small commits (well under the writer's 10,000-page threshold of 40 MiB).
  const text = 'x'.repeat(10_000);
  for (let c = 0; c < 300; c += 1) {
    await projectionTransaction(db, (tx) => tx.insertInto('journal').values({ seq: c + 1, at: c, input: text }).execute());
  }
  expect(await until(() => statSync(path).size - before > 2_000_000, 5_000)).toBe(true);
  // And the rows read back whole through the writer's connection.
  const count = await db.selectFrom('journal').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  expect(Number(count.n)).toBe(300);
});

it('a database closes with its checkpoint worker, and opens again with every committed row', async () => {
  dir = mkdtempSync(join(tmpdir(), 'papertrade-checkpoint-'));
  const url = `sqlite:${join(dir, 'db.sqlite')}`;
  const first = await openAndMigrate(url);
  await first.db.insertInto('journal').values({ seq: 1, at: 1, input: '{}' }).execute();
  await first.close();
  database = await openAndMigrate(url);
  const rows = await database.db.selectFrom('journal').select('seq').execute();
  expect(rows.map((r) => Number(r.seq))).toEqual([1]);
});
