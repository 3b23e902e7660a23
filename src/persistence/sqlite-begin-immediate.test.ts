/**
 * A second SQLite writer on another thread (as the snapshot worker's connection is) against the
 * engine connection's transactions that read before they write. The oracle is SQLite's own
 * locking, stated in its documentation: a deferred transaction that reads first fails with
 * SQLITE_BUSY when it must upgrade while another connection holds the write lock, and with
 * SQLITE_BUSY_SNAPSHOT when another connection committed since its read; with every transaction
 * begun IMMEDIATE, both wait for the lock (busy_timeout) and read the other writer's commit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { directWrites, openAndMigrate, projectionTransaction, type PersistenceDatabase } from './database.js';

/**
 * Another thread's connection: on 'hold', takes the write lock, writes snapshot `seq`, keeps the
 * lock `ms`, commits; on 'write', writes `seq` (waiting for the lock). `holding[0]` is 1 from the
 * moment it has the lock until its commit has returned.
 */
const WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
const insert = db.prepare("insert into snapshots (seq, at, state) values (?, 0, 'other')");
const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const holding = new Int32Array(workerData.holding);
parentPort.on('message', (m) => {
  if (m.kind === 'hold') {
    db.prepare('begin immediate').run();
    Atomics.store(holding, 0, 1);
    insert.run(m.seq);
    parentPort.postMessage('held');
    pause(m.ms);
    db.prepare('commit').run();
    Atomics.store(holding, 0, 0);
  } else {
    insert.run(m.seq);
  }
  parentPort.postMessage('done');
});
parentPort.postMessage('ready');
`;

describe('SQLite: the engine connection begins its transactions IMMEDIATE, so a second writer delays them and never fails them', () => {
  let dir: string;
  let opened: PersistenceDatabase;
  let writer: Worker;
  const holding = new Int32Array(new SharedArrayBuffer(4));
  const next = () => new Promise<string>((resolve) => writer.once('message', resolve));

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'papertrade-immediate-'));
    const path = join(dir, 'test.db');
    opened = await openAndMigrate(`sqlite:${path}`);
    writer = new Worker(WRITER_SOURCE, { eval: true, workerData: { path, holding: holding.buffer, driver: createRequire(import.meta.url).resolve('better-sqlite3') } });
    expect(await next()).toBe('ready');
  });
  afterEach(async () => {
    await writer.terminate();
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const seqs = async () => (await opened.db.selectFrom('snapshots').select('seq').orderBy('seq').execute()).map((r) => Number(r.seq));

  it("a query builder transaction that reads first, begun while the other connection holds the write lock, waits for it and reads its commit", async () => {
    const held = next();
    writer.postMessage({ kind: 'hold', seq: 1, ms: 150 });
    expect(await held).toBe('held');
    const done = next();
    const started = performance.now();
    const seen = await projectionTransaction(opened.db, async (tx) => {
      const before = (await tx.selectFrom('snapshots').select('seq').execute()).map((r) => Number(r.seq));
      await tx.insertInto('snapshots').values({ seq: 2, at: 0, state: 'mine' }).execute();
      return before;
    });
    const waited = performance.now() - started;
    await done;
    expect(seen).toEqual([1]); // began after the other's commit
    expect(waited).toBeGreaterThanOrEqual(100);
    expect(await seqs()).toEqual([1, 2]);
  }, 30_000);

  it("a direct write that reads first, begun while the other connection holds the write lock, waits for it and reads its commit", async () => {
    const held = next();
    writer.postMessage({ kind: 'hold', seq: 1, ms: 150 });
    expect(await held).toBe('held');
    const done = next();
    const seen = await directWrites(opened.db)!(false)((sql) => {
      const before = sql.all<{ seq: number }>('select seq from snapshots', []).map((r) => Number(r.seq));
      sql.run("insert into snapshots (seq, at, state) values (?, 0, 'mine')", [2]);
      return before;
    });
    await done;
    expect(seen).toEqual([1]);
    expect(await seqs()).toEqual([1, 2]);
  }, 30_000);

  it('another connection that writes between the read and the write of a query builder transaction waits for its commit instead of failing it', async () => {
    const done = next();
    await projectionTransaction(opened.db, async (tx) => {
      const before = await tx.selectFrom('snapshots').select('seq').execute();
      expect(before).toEqual([]);
      writer.postMessage({ kind: 'write', seq: 1 });
      // Deferred, the other thread would commit now and the insert below would get SQLITE_BUSY_SNAPSHOT.
      await new Promise((r) => setTimeout(r, 150));
      await tx.insertInto('snapshots').values({ seq: 2, at: 0, state: 'mine' }).execute();
    });
    expect(await done).toBe('done');
    expect(await seqs()).toEqual([1, 2]);
  }, 30_000);

  it('reads outside a transaction do not wait for the other connection’s write lock', async () => {
    const held = next();
    writer.postMessage({ kind: 'hold', seq: 1, ms: 300 });
    expect(await held).toBe('held');
    const started = performance.now();
    expect(await seqs()).toEqual([]); // the last commit's state, not the held transaction's
    expect(performance.now() - started).toBeLessThan(100);
    await next();
    expect(await seqs()).toEqual([1]);
  }, 30_000);

  // SQLite's busy handler sleeps on the calling thread until the lock frees: a BEGIN that waited in
  // it would hold the event loop for the whole hold, and no timer would run while the other
  // connection still holds the lock.
  it('a transaction waiting for the other connection’s write lock leaves the event loop free, and runs once the lock is free', async () => {
    const held = next();
    writer.postMessage({ kind: 'hold', seq: 1, ms: 300 });
    expect(await held).toBe('held');
    const done = next();
    let ticksWhileHeld = 0;
    const ticker = setInterval(() => {
      if (Atomics.load(holding, 0) === 1) ticksWhileHeld += 1;
    }, 1);
    try {
      const direct = directWrites(opened.db)!(false)((sql) => sql.run("insert into snapshots (seq, at, state) values (?, 0, 'direct')", [2]));
      // Returned while the lock is still held: the direct transaction did not wait on this thread.
      expect(Atomics.load(holding, 0)).toBe(1);
      const built = projectionTransaction(opened.db, (tx) => tx.insertInto('snapshots').values({ seq: 3, at: 0, state: 'built' }).execute());
      await Promise.all([direct, built]);
      expect(Atomics.load(holding, 0)).toBe(0); // neither ran before the other's commit
    } finally {
      clearInterval(ticker);
    }
    await done;
    expect(ticksWhileHeld).toBeGreaterThanOrEqual(3);
    expect(await seqs()).toEqual([1, 2, 3]);
  }, 30_000);

  it('transactions that wait for the lock run in the order they were asked, and one asked while others wait goes behind them', async () => {
    const held = next();
    writer.postMessage({ kind: 'hold', seq: 1, ms: 150 });
    expect(await held).toBe('held');
    const done = next();
    // Each appends the next seq after the highest it reads, tagged with its name: the seqs give the order they ran in.
    const append = (name: string) => (sql: { all<R>(s: string, p: readonly unknown[]): R[]; run(s: string, p: readonly unknown[]): void }) => {
      const [{ top }] = sql.all<{ top: number }>('select max(seq) as top from snapshots', []) as [{ top: number }];
      sql.run('insert into snapshots (seq, at, state) values (?, 0, ?)', [Number(top) + 1, name]);
    };
    const direct = directWrites(opened.db)!(false);
    const first = direct(append('first'));
    const second = projectionTransaction(opened.db, async (tx) => {
      const top = (await tx.selectFrom('snapshots').select((eb) => eb.fn.max('seq').as('top')).executeTakeFirstOrThrow()).top;
      await tx.insertInto('snapshots').values({ seq: Number(top) + 1, at: 0, state: 'second' }).execute();
    });
    // The builder's transaction asks for BEGIN after a few promise turns (its connection, then its
    // transaction): by the next turn of the event loop it waits behind `first`.
    await new Promise((resolve) => setImmediate(resolve));
    expect(Atomics.load(holding, 0)).toBe(1);
    const third = direct(append('third'));
    await Promise.all([first, second, third]);
    await done;
    const rows = await opened.db.selectFrom('snapshots').select(['seq', 'state']).orderBy('seq').execute();
    expect(rows.map((r) => [Number(r.seq), r.state])).toEqual([
      [1, 'other'],
      [2, 'first'],
      [3, 'second'],
      [4, 'third'],
    ]);
  }, 30_000);
});
