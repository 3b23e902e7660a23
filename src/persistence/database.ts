/**
 * Opens the database from a URL: `sqlite:<path>` (the default, `sqlite:./data/papertrade.db`),
 * `sqlite::memory:`, or `postgres://…` / `postgresql://…`.
 *
 * Guarantees: a SQLite file lives in WAL mode with synchronous=FULL, so a committed transaction
 * survives a process kill or power loss; its folder is created. PostgreSQL 64-bit integers come back
 * as JS numbers (throwing beyond 2^53) and NUMERIC as decimal strings; nothing money-like ever
 * passes through a float. Opening does not migrate: call `migrateToLatest` (or `openAndMigrate`).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CamelCasePlugin, Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';

export const DEFAULT_DATABASE_URL = 'sqlite:./data/papertrade.db';

export type DialectName = 'sqlite' | 'postgres';

export interface OpenOptions {
  /** PostgreSQL only: use (and create if missing) this schema as the connection's search_path. */
  readonly schema?: string;
  /** PostgreSQL only: pool size (default 10). */
  readonly maxConnections?: number;
}

export interface PersistenceDatabase {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** The PostgreSQL schema in use, when one was given. */
  readonly schema: string | undefined;
  close(): Promise<void>;
}

export type ParsedUrl =
  | { readonly dialect: 'sqlite'; readonly path: string }
  | { readonly dialect: 'postgres'; readonly connectionString: string };

export function parseDatabaseUrl(url: string): ParsedUrl {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path.length === 0) throw new Error(`database URL has no path: ${url}`);
    return { dialect: 'sqlite', path };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { dialect: 'postgres', connectionString: url };
  throw new Error(`unsupported database URL (expected sqlite:<path> or postgres://…): ${redact(url)}`);
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const INT8_OID = 20;

function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`64-bit integer ${text} does not fit a JS number`);
  return n;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

export async function openDatabase(url: string = DEFAULT_DATABASE_URL, options: OpenOptions = {}): Promise<PersistenceDatabase> {
  const parsed = parseDatabaseUrl(url);
  return parsed.dialect === 'sqlite' ? openSqlite(parsed.path) : openPostgres(parsed.connectionString, options);
}

/** Opens the database and brings its schema to the latest version. */
export async function openAndMigrate(url: string = DEFAULT_DATABASE_URL, options: OpenOptions = {}): Promise<PersistenceDatabase> {
  const opened = await openDatabase(url, options);
  try {
    await migrateToLatest(opened.db, opened.schema !== undefined ? { schema: opened.schema } : {});
  } catch (error) {
    await opened.close();
    throw error;
  }
  return opened;
}

function openSqlite(path: string): PersistenceDatabase {
  const inMemory = path === ':memory:';
  if (!inMemory) mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new SqliteDatabase(path);
  if (!inMemory) sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }), plugins: [new CamelCasePlugin()] });
  return { db, dialect: 'sqlite', schema: undefined, close: () => db.destroy() };
}

async function openPostgres(connectionString: string, options: OpenOptions): Promise<PersistenceDatabase> {
  const schema = options.schema;
  if (schema !== undefined) {
    if (!IDENTIFIER.test(schema)) throw new Error(`schema name must match ${IDENTIFIER}: ${schema}`);
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      await client.query(`create schema if not exists "${schema}"`);
    } finally {
      await client.end();
    }
  }
  const pool = new pg.Pool({
    connectionString,
    max: options.maxConnections ?? 10,
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] });
  return { db, dialect: 'postgres', schema, close: () => db.destroy() };
}

/** Why PostgreSQL at `url` cannot be used (connect and `select 1`), or undefined when it answers. */
export async function postgresProblem(url: string): Promise<Error | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  } finally {
    await client.end().catch(() => undefined);
  }
}
