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

/** Another thread's connection: on 'hold', takes the write lock, writes snapshot `seq`, keeps the lock `ms`, commits; on 'write', writes `seq` (waiting for the lock). */
const WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
const insert = db.prepare("insert into snapshots (seq, at, state) values (?, 0, 'other')");
const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
parentPort.on('message', (m) => {
  if (m.kind === 'hold') {
    db.prepare('begin immediate').run();
    insert.run(m.seq);
    parentPort.postMessage('held');
    pause(m.ms);
    db.prepare('commit').run();
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
  const next = () => new Promise<string>((resolve) => writer.once('message', resolve));

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'papertrade-immediate-'));
    const path = join(dir, 'test.db');
    opened = await openAndMigrate(`sqlite:${path}`);
    writer = new Worker(WRITER_SOURCE, { eval: true, workerData: { path, driver: createRequire(import.meta.url).resolve('better-sqlite3') } });
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
});
