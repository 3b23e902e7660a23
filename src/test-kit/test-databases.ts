/**
 * Test kit: one fresh database per test on every dialect, for suites that run the same cases on
 * SQLite and PostgreSQL (Kysely's `for (const dialect of DIALECTS)`).
 *
 * SQLite: a temp file in its own folder. PostgreSQL: a schema with a random name on
 * PAPERTRADE_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test), dropped on cleanup.
 * An unreachable PostgreSQL is skipped with a warning, except under CI=true, where
 * `describeEachDialect` and `describePostgres` turn it into a failing test (`.ci/run` starts one first).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, it } from 'vitest';
import { openAndMigrate, postgresProblem as probePostgres, type DialectName, type OpenOptions, type PersistenceDatabase } from '../persistence/database.js';

export const PG_URL = process.env.PAPERTRADE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const PG_HOST = new URL(PG_URL).host;

/** Why PostgreSQL cannot be used here, or undefined when it answers. */
export function postgresProblem(url: string = PG_URL): Promise<Error | undefined> {
  return probePostgres(url);
}

/** A database location for one test: open it (as often as a restart test likes), then clean up. */
export interface TestDatabase {
  readonly url: string;
  readonly options: OpenOptions;
  /** Removes the file or drops the schema; call after every connection is closed. */
  cleanup(): Promise<void>;
}

export interface Harness {
  /** Where the database lives (its URL and options, for a second connection or a child process). */
  readonly target: TestDatabase;
  readonly opened: PersistenceDatabase;
  /** Closes `opened`, then removes the database. */
  cleanup(): Promise<void>;
}

export interface DialectCase {
  readonly name: DialectName;
  /** Why this dialect cannot run here, if it cannot. */
  readonly problem?: Error;
  /** A fresh, empty location. */
  create(): TestDatabase;
  /** A fresh database, migrated and open. */
  open(): Promise<Harness>;
}

async function openHarness(target: TestDatabase): Promise<Harness> {
  const opened = await openAndMigrate(target.url, target.options);
  return { target, opened, cleanup: async () => (await opened.close(), await target.cleanup()) };
}

const pgProblem = await postgresProblem();

export const DIALECTS: readonly DialectCase[] = [
  {
    name: 'sqlite',
    create() {
      const dir = mkdtempSync(join(tmpdir(), 'papertrade-persistence-'));
      return { url: `sqlite:${join(dir, 'nested', 'test.db')}`, options: {}, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
    open() {
      return openHarness(this.create());
    },
  },
  {
    name: 'postgres',
    ...(pgProblem !== undefined ? { problem: pgProblem } : {}),
    create() {
      const schema = `papertrade_test_${randomBytes(6).toString('hex')}`;
      const cleanup = async () => {
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        try {
          await client.query(`drop schema if exists "${schema}" cascade`);
        } finally {
          await client.end();
        }
      };
      return { url: PG_URL, options: { schema }, cleanup };
    },
    open() {
      return openHarness(this.create());
    },
  },
];

/**
 * `describe(title, body)` when `dialect` can run here. When it cannot (PostgreSQL not reachable),
 * the suite is one failing test under CI=true, else one skipped test with a plain warning.
 */
function describeIfUsable(title: string, dialect: DialectCase, body: (dialect: DialectCase) => void): void {
  describe(title, () => {
    if (dialect.problem === undefined) return body(dialect);
    if (process.env.CI === 'true') {
      it(`PostgreSQL is reachable at ${PG_HOST}`, () => {
        throw new Error(`PostgreSQL not reachable at ${PG_HOST}: ${dialect.problem!.message}`);
      });
    } else {
      console.warn(`PostgreSQL not reachable at ${PG_HOST}: skipped`);
      it.skip(`PostgreSQL not reachable at ${PG_HOST}: skipped`, () => undefined);
    }
  });
}

/** `describe(title(dialect), body)` for every dialect; an unusable one is skipped (or fails under CI=true). */
export function describeEachDialect(title: (name: DialectName) => string, body: (dialect: DialectCase) => void): void {
  for (const dialect of DIALECTS) describeIfUsable(title(dialect.name), dialect, body);
}

/** The PostgreSQL case of DIALECTS (its `problem` says why it cannot run here, if it cannot). */
export const POSTGRES: DialectCase = DIALECTS.find((d) => d.name === 'postgres')!;

/** `describe(title, body)` for suites that need PostgreSQL itself; skipped (or failing under CI=true) when it is not reachable. */
export function describePostgres(title: string, body: (postgres: DialectCase) => void): void {
  describeIfUsable(title, POSTGRES, body);
}
