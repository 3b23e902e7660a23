import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { directWrites, openDatabase, type DirectStatements, type PersistenceDatabase } from './database.js';

/** SQLite's WAL format: each frame is a 24-byte header and one page (4,096 bytes by default). */
const FRAME_BYTES = 24 + 4096;

describe('direct writes on SQLite: one transaction per turn of the event loop', () => {
  let opened: PersistenceDatabase | undefined;
  let path = '';
  afterEach(async () => {
    await opened?.close();
    opened = undefined;
  });

  async function open(): Promise<{ write: (durable: boolean) => <T>(work: (sql: DirectStatements) => T) => Promise<T> }> {
    path = join(mkdtempSync(join(tmpdir(), 'papertrade-direct-')), 'test.db');
    opened = await openDatabase(`sqlite:${path}`);
    const write = directWrites(opened.db)!;
    await write(true)((sql) => sql.run('create table t (id integer primary key, tag text not null unique)', []));
    return { write };
  }

  /** The rows another connection sees on disk. */
  const onDisk = () => {
    const reader = new SqliteDatabase(path, { readonly: true });
    try {
      return reader.prepare('select id, tag from t order by id').all();
    } finally {
      reader.close();
    }
  };
  const walBytes = () => statSync(`${path}-wal`).size;

  it('the writes of one turn commit together (one WAL frame for each page they share: the table and its index), in the order asked; writes of two turns commit twice', async () => {
    const { write } = await open();
    await write(true)((sql) => sql.run('insert into t (tag) values (?)', ['warm-up']));
    const before = walBytes();
    const same = await Promise.all([write(true)((sql) => sql.run('insert into t (tag) values (?)', ['a'])), write(false)((sql) => sql.run('insert into t (tag) values (?)', ['b']))]);
    expect(same).toEqual([undefined, undefined]);
    // Table t and its UNIQUE index are one page each: a commit writes both pages once.
    expect(walBytes() - before).toBe(2 * FRAME_BYTES);
    const between = walBytes();
    await write(true)((sql) => sql.run('insert into t (tag) values (?)', ['c']));
    await write(true)((sql) => sql.run('insert into t (tag) values (?)', ['d']));
    expect(walBytes() - between).toBe(4 * FRAME_BYTES);
    expect(onDisk()).toEqual([
      { id: 1, tag: 'warm-up' },
      { id: 2, tag: 'a' },
      { id: 3, tag: 'b' },
      { id: 4, tag: 'c' },
      { id: 5, tag: 'd' },
    ]);
  });

  it('a write that throws rejects alone, none of its statements kept; the others of its turn commit and answer their own values', async () => {
    const { write } = await open();
    const results = await Promise.allSettled([
      write(true)((sql) => (sql.run('insert into t (tag) values (?)', ['first']), 'first done')),
      write(true)((sql) => {
        sql.run('insert into t (tag) values (?)', ['half']);
        sql.run('insert into t (tag) values (?)', ['first']); // UNIQUE constraint
        return 'never';
      }),
      write(false)((sql) => sql.all<{ n: number }>('select count(*) as n from t', [])[0]!.n),
    ]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 'first done' });
    expect(results[1]!.status).toBe('rejected');
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint failed/);
    // The third sees the first's row and not the rolled-back one's.
    expect(results[2]).toEqual({ status: 'fulfilled', value: 1 });
    expect(onDisk()).toEqual([{ id: 1, tag: 'first' }]);
  });

  it('a write that ends the whole transaction: the others run again, each in a transaction of its own, and commit', async () => {
    const { write } = await open();
    const results = await Promise.allSettled([
      write(true)((sql) => sql.run('insert into t (tag) values (?)', ['kept-1'])),
      write(true)((sql) => {
        sql.run('rollback', []);
        throw new Error('gave up');
      }),
      write(true)((sql) => sql.run('insert into t (tag) values (?)', ['kept-2'])),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(onDisk()).toEqual([
      { id: 1, tag: 'kept-1' },
      { id: 2, tag: 'kept-2' },
    ]);
  });
});
