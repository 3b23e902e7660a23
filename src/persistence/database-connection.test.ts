import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { describePostgres, PG_URL, POSTGRES, type TestDatabase } from '../test-kit/test-databases.js';
import { startTcpProxy, type TcpProxy } from '../test-kit/tcp-proxy.js';
import { DatabaseUnavailableError, isDatabaseUnavailable, openDatabase } from './database.js';
import { until } from '../test-kit/wait.js';

/** An error as pg builds one from a server ErrorResponse: message and SQLSTATE code. */
const serverError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('which database errors mean "no connection, retry later"', () => {
  // SQLSTATEs from the PostgreSQL manual, appendix A (PostgreSQL Error Codes).
  it.each([
    ['08006', 'connection_failure'],
    ['08001', 'sqlclient_unable_to_establish_sqlconnection'],
    ['57P01', 'admin_shutdown (pg_terminate_backend, a fast shutdown)'],
    ['57P02', 'crash_shutdown'],
    ['57P03', 'cannot_connect_now (the server is starting)'],
    ['53300', 'too_many_connections'],
  ])('SQLSTATE %s, %s, is one', (code, message) => {
    expect(isDatabaseUnavailable(serverError(code, message))).toBe(true);
  });

  it.each([
    ['23505', 'unique_violation'],
    ['42P01', 'undefined_table'],
    ['40001', 'serialization_failure'],
    ['57014', 'query_canceled'],
  ])('SQLSTATE %s, %s, is not', (code, message) => {
    expect(isDatabaseUnavailable(serverError(code, message))).toBe(false);
  });

  it('socket errors and the driver\'s own connection messages are; SQLite\'s errors and plain bugs are not', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('wrapper', { cause: new DatabaseUnavailableError('down') }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('UNIQUE constraint failed: journal.seq'), { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(isDatabaseUnavailable('a string')).toBe(false);
  });
});

describePostgres('a PostgreSQL pool whose connections break', () => {
  let target: TestDatabase | undefined;
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    await target?.cleanup();
    proxy = undefined;
    target = undefined;
  });

  it('an idle connection terminated by the server is dropped and replaced, and the process goes on', async () => {
    target = POSTGRES.create();
    const application = `papertrade_idle_${randomBytes(4).toString('hex')}`;
    const errors: Error[] = [];
    const opened = await openDatabase(`${PG_URL}?application_name=${application}`, { ...target.options, onConnectionError: (e) => errors.push(e) });
    try {
      const pids = await Promise.all([1, 2, 3].map(() => sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(opened.db)));
      expect(pids.length).toBe(3);
      const killer = new pg.Client({ connectionString: PG_URL });
      await killer.connect();
      const killed = await killer.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [application]);
      await killer.end();
      expect(killed.rowCount).toBeGreaterThan(0);
      await until(() => errors.length >= (killed.rowCount ?? 0), 'an error reported for each killed connection');
      expect(errors.length).toBe(killed.rowCount);
      // The pool dropped the dead clients: the next query gets a fresh connection.
      expect((await sql<{ one: number }>`select 1 as one`.execute(opened.db)).rows).toEqual([{ one: 1 }]);
    } finally {
      await opened.close();
    }
  });

  it('a server that cannot be reached rejects with DatabaseUnavailableError, and works again once it can', async () => {
    target = POSTGRES.create();
    proxy = await startTcpProxy({ host: new URL(PG_URL).hostname, port: Number(new URL(PG_URL).port || 5432) });
    const opened = await openDatabase(proxy.through(PG_URL), { ...target.options, connectTimeoutMs: 500 });
    try {
      await sql`select 1`.execute(opened.db);
      proxy.cut();
      const failure = await sql`select 1`.execute(opened.db).then(() => undefined, (error: unknown) => error);
      expect(failure).toBeInstanceOf(DatabaseUnavailableError);
      expect(failure).toMatchObject({ retryable: true, cause: expect.any(Error) });
      proxy.restore();
      expect((await sql<{ one: number }>`select 1 as one`.execute(opened.db)).rows).toEqual([{ one: 1 }]);
    } finally {
      await opened.close();
    }
  });
});
