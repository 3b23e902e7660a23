/**
 * The engine connection's write transactions against a second SQLite writer on another thread
 * that holds the write lock: what happens to transactions waiting for it when their work fails,
 * when the connection closes, when the wait runs out, and which `synchronous` setting each COMMIT
 * actually runs under. Oracles: SQLite's locking and pragmas as documented (a transaction begun
 * while another connection holds the write lock cannot commit before that lock is released;
 * `pragma synchronous` reads 2 for FULL, 1 for NORMAL; `pragma busy_timeout` reads the ms set),
 * and the rows each transaction wrote, counted by hand.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { directWrites, durableTransaction, openAndMigrate, projectionTransaction, type PersistenceDatabase } from './database.js';

/** Another thread's connection: on 'hold', takes the write lock, writes snapshot `seq`, keeps the lock `ms`, commits. `holding[0]` is 1 while it holds the lock. */
const WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
const insert = db.prepare("insert into snapshots (seq, at, state) values (?, 0, 'other')");
const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const holding = new Int32Array(workerData.holding);
parentPort.on('message', (m) => {
  db.prepare('begin immediate').run();
  Atomics.store(holding, 0, 1);
  insert.run(m.seq);
  parentPort.postMessage('held');
  pause(m.ms);
  db.prepare('commit').run();
  Atomics.store(holding, 0, 0);
  parentPort.postMessage('released');
});
parentPort.postMessage('ready');
`;

/** Each COMMIT run on this thread: the highest snapshot seq it commits and the `synchronous` setting in effect as it ran (2 FULL, 1 NORMAL). */
const commits: [seq: number, synchronous: number][] = [];
const statementPrototype = Object.getPrototypeOf(new SqliteDatabase(':memory:').prepare('select 1')) as { run: (...args: unknown[]) => unknown };
const run = statementPrototype.run;
statementPrototype.run = function (this: { source: string; database: SqliteDatabase.Database }, ...args: unknown[]) {
  if (this.source === 'commit') {
    // The transactions of one connection run one after another: its last insert is this transaction's.
    const last = this.database.prepare('select seq from snapshots where rowid = last_insert_rowid()').get() as { seq: number } | undefined;
    commits.push([Number(last?.seq), Number(this.database.pragma('synchronous', { simple: true }))]);
  }
  return run.apply(this, args);
};

describe('SQLite: write transactions waiting for another connection’s write lock (hostile)', () => {
  let dir: string;
  let opened: PersistenceDatabase;
  let closed = false;
  let writer: Worker;
  const holding = new Int32Array(new SharedArrayBuffer(4));
  const next = () => new Promise<string>((resolve) => writer.once('message', resolve));
  const hold = async (seq: number, ms: number) => {
    const held = next();
    writer.postMessage({ seq, ms });
    expect(await held).toBe('held');
    return { released: next() };
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'papertrade-wait-'));
    const path = join(dir, 'test.db');
    opened = await openAndMigrate(`sqlite:${path}`);
    closed = false;
    writer = new Worker(WRITER_SOURCE, { eval: true, workerData: { path, holding: holding.buffer, driver: createRequire(import.meta.url).resolve('better-sqlite3') } });
    expect(await next()).toBe('ready');
  });
  afterEach(async () => {
    await writer.terminate();
    if (!closed) await opened.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = async () => (await opened.db.selectFrom('snapshots').select(['seq', 'state']).orderBy('seq').execute()).map((r) => `${Number(r.seq)}:${r.state}`);
  const insertText = "insert into snapshots (seq, at, state) values (?, 0, ?)";

  it('a direct transaction whose work throws after waiting is rolled back, rejects with that error, and the next one runs', async () => {
    const { released } = await hold(1, 100);
    const direct = directWrites(opened.db)!(false);
    const failing = direct((s) => {
      s.run(insertText, [2, 'rolled back']);
      throw new Error('work failed');
    });
    const after = direct((s) => s.run(insertText, [3, 'after']));
    await expect(failing).rejects.toThrow('work failed');
    await after;
    await released;
    expect(await rows()).toEqual(['1:other', '3:after']);
  }, 30_000);

  it('a query builder transaction whose work throws after waiting is rolled back, and a direct one asked behind it runs', async () => {
    const { released } = await hold(1, 100);
    const failing = projectionTransaction(opened.db, async (tx) => {
      await tx.insertInto('snapshots').values({ seq: 2, at: 0, state: 'rolled back' }).execute();
      throw new Error('work failed');
    });
    await new Promise((resolve) => setImmediate(resolve));
    const after = directWrites(opened.db)!(false)((s) => s.run(insertText, [3, 'after']));
    await expect(failing).rejects.toThrow('work failed');
    await after;
    await released;
    expect(await rows()).toEqual(['1:other', '3:after']);
  }, 30_000);

  it('closing the connection while transactions wait rejects them all, promptly, with nothing written', async () => {
    const { released } = await hold(1, 600);
    const direct = directWrites(opened.db)!(true)((s) => s.run(insertText, [2, 'direct']));
    const built = durableTransaction(opened.db, (tx) => tx.insertInto('snapshots').values({ seq: 3, at: 0, state: 'built' }).execute());
    const outcomes = Promise.allSettled([direct, built]);
    await new Promise((resolve) => setImmediate(resolve));
    const started = performance.now();
    closed = true;
    await opened.close();
    const [a, b] = await outcomes;
    // Settled while the other connection still holds the lock: they did not wait for it.
    expect(Atomics.load(holding, 0)).toBe(1);
    expect(performance.now() - started).toBeLessThan(400);
    expect(a.status).toBe('rejected');
    expect(b.status).toBe('rejected');
    await released;
    const check = new SqliteDatabase(join(dir, 'test.db'), { readonly: true });
    try {
      expect(check.prepare('select seq from snapshots order by seq').all()).toEqual([{ seq: 1 }]);
    } finally {
      check.close();
    }
  }, 30_000);

  it('every COMMIT runs under the setting its transaction needs, whatever was asked for while it waited', async () => {
    const { released } = await hold(1, 150);
    const direct = directWrites(opened.db)!;
    const plain = (seq: number) => opened.db.transaction().execute((tx) => tx.insertInto('snapshots').values({ seq, at: 0, state: 'full' }).execute());
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    commits.length = 0;
    // A plain transaction (FULL), an unsynced direct one (NORMAL) asked while it waits, a plain
    // one behind that, and an unsynced builder one. With the setting made when a transaction is
    // asked for, the direct one's NORMAL is in effect when the first plain one begins, and its
    // INSERT's switch to FULL fails: "Safety level may not be changed inside a transaction".
    const waited: Promise<unknown>[] = [plain(2)];
    await turn();
    waited.push(direct(false)((s) => s.run(insertText, [3, 'normal'])));
    waited.push(plain(4));
    await turn();
    waited.push(projectionTransaction(opened.db, (tx) => tx.insertInto('snapshots').values({ seq: 5, at: 0, state: 'normal' }).execute()));
    waited.push(direct(false)((s) => s.run(insertText, [6, 'normal'])));
    waited.push(plain(7));
    await Promise.all(waited);
    await released;
    expect(await rows()).toEqual(['1:other', '2:full', '3:normal', '4:full', '5:normal', '6:normal', '7:full']);
    // The plain transactions' COMMITs fsync (FULL); the others may run under either.
    const full = new Set([2, 4, 7]);
    expect(commits.map(([seq]) => seq).sort()).toEqual([2, 3, 4, 5, 6, 7]);
    for (const [seq, synchronous] of commits) if (full.has(seq)) expect(synchronous, `commit of ${seq}`).toBe(2);
  }, 30_000);

  it('after a wait that ran out, statements outside transactions still wait for the lock (busy_timeout 5,000 ms), and the wait fails with SQLITE_BUSY', async () => {
    const { released } = await hold(1, 5_400);
    const started = performance.now();
    const direct = directWrites(opened.db)!(false)((s) => s.run(insertText, [2, 'direct']));
    const built = projectionTransaction(opened.db, (tx) => tx.insertInto('snapshots').values({ seq: 3, at: 0, state: 'built' }).execute());
    const [a, b] = await Promise.allSettled([direct, built]);
    const waited = performance.now() - started;
    expect(a.status).toBe('rejected');
    expect(b.status).toBe('rejected');
    expect(((a as PromiseRejectedResult).reason as { code?: string }).code).toBe('SQLITE_BUSY');
    expect(((b as PromiseRejectedResult).reason as { code?: string }).code).toBe('SQLITE_BUSY');
    expect(waited).toBeGreaterThanOrEqual(4_900);
    const timeout = await sql<{ timeout: number }>`pragma busy_timeout`.execute(opened.db);
    expect(Number(Object.values(timeout.rows[0]!)[0])).toBe(5_000);
    await released;
    await directWrites(opened.db)!(false)((s) => s.run(insertText, [4, 'after']));
    expect(await rows()).toEqual(['1:other', '4:after']);
  }, 30_000);
  it('after write transactions that began at once, a write outside a transaction waits for the other connection’s lock in the busy handler and lands', async () => {
    // Transactions in a row leave SQLite's busy handler off between them; a statement outside a
    // transaction must find it on again (busy_timeout 5,000 ms), or it fails with SQLITE_BUSY at once.
    await directWrites(opened.db)!(true)((s) => s.run(insertText, [2, 'direct']));
    await projectionTransaction(opened.db, (tx) => tx.insertInto('snapshots').values({ seq: 3, at: 0, state: 'built' }).execute());
    await directWrites(opened.db)!(false)((s) => s.run(insertText, [4, 'direct']));
    const { released } = await hold(1, 300);
    const started = performance.now();
    // Autocommit: no BEGIN, the statement takes the write lock itself.
    await sql`insert into snapshots (seq, at, state) values (5, 0, 'autocommit')`.execute(opened.db);
    const waited = performance.now() - started;
    await released;
    expect(waited).toBeGreaterThanOrEqual(200);
    expect(await rows()).toEqual(['1:other', '2:direct', '3:built', '4:direct', '5:autocommit']);
  }, 30_000);
});
