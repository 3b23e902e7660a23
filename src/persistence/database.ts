/**
 * Opens the database from a URL: `sqlite:<path>` (the default, `sqlite:./data/papertrade.db`),
 * `sqlite::memory:`, or `postgres://…` / `postgresql://…`.
 *
 * Guarantees: a SQLite file lives in WAL mode with synchronous=FULL, so a committed transaction
 * survives a process kill or power loss; its folder is created. PostgreSQL 64-bit integers come back
 * as JS numbers (throwing beyond 2^53) and NUMERIC as decimal strings; nothing money-like ever
 * passes through a float. Opening does not migrate: call `migrateToLatest` (or `openAndMigrate`).
 *
 * PostgreSQL connections fail: a restart, a failover, an idle timeout, `pg_terminate_backend`. No
 * such failure ever reaches the process as an unhandled `error` event (every pooled client and the
 * pool itself carry a listener; a broken client is dropped from the pool and replaced on the next
 * query), and every query or connect that fails for want of a connection rejects with
 * `DatabaseUnavailableError` (retryable; the driver's error is its `cause`). Connecting gives up
 * after `connectTimeoutMs`, so an unreachable server fails fast instead of queueing callers forever.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CamelCasePlugin, Kysely, PostgresDialect, SqliteDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
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
  /** PostgreSQL only: how long a new connection may take before the attempt fails (default 5,000 ms). */
  readonly connectTimeoutMs?: number;
  /** PostgreSQL only: told when a connection breaks (the pool drops it; queries on it reject). Default: nothing. */
  readonly onConnectionError?: (error: Error) => void;
}

/**
 * The database cannot be reached now (connection refused, dropped, timed out, server shutting down
 * or starting): nothing in the failed call took effect unless it was a COMMIT, and the same call may
 * succeed later. `cause` holds the driver's error.
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
  readonly retryable = true;
}

/** SQLSTATEs that mean "no usable connection": class 08, admin/crash shutdown, starting up, too many connections. */
const CONNECTION_STATES = /^(08|57P0[123]$|53300$)/;
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const CONNECTION_MESSAGES = /Connection terminated|not queryable|timeout exceeded when trying to connect|Connection closed/i;

/** True when `error` (or an error in its `cause` chain) says the database could not be reached. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth += 1) {
    if (e instanceof DatabaseUnavailableError || isConnectionFailure(e)) return true;
  }
  return false;
}

function isConnectionFailure(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || (code.length === 5 && CONNECTION_STATES.test(code)))) return true;
  if (error instanceof AggregateError && error.errors.some((e) => e instanceof Error && isConnectionFailure(e))) return true;
  return CONNECTION_MESSAGES.test(error.message);
}

/** The driver's error as `DatabaseUnavailableError` when it is a connection failure, else unchanged. */
function typed(error: unknown): unknown {
  if (error instanceof DatabaseUnavailableError || !(error instanceof Error) || !isConnectionFailure(error)) return error;
  return new DatabaseUnavailableError(`database unreachable: ${error.message}`, { cause: error });
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
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  // A broken idle client reports its error both to its own listener and through the pool: tell it once.
  const told = new WeakSet<Error>();
  const tell = options.onConnectionError ?? (() => undefined);
  const onConnectionError = (error: Error) => {
    if (told.has(error)) return;
    told.add(error);
    tell(error);
  };
  if (schema !== undefined) {
    if (!IDENTIFIER.test(schema)) throw new Error(`schema name must match ${IDENTIFIER}: ${schema}`);
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: connectTimeoutMs });
    client.on('error', onConnectionError);
    try {
      await client.connect();
      await client.query(`create schema if not exists "${schema}"`);
    } catch (error) {
      throw typed(error);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  const pool = new pg.Pool({
    connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: connectTimeoutMs,
    keepAlive: true,
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client that breaks is reported here (without a listener Node would throw and exit).
  pool.on('error', onConnectionError);
  // A checked-out client loses its pool listener; a broken socket then fails its queries, and this
  // listener keeps the client's own `error` event from exiting the process.
  pool.on('connect', (client) => client.on('error', onConnectionError));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: typedPool(pool) }), plugins: [new CamelCasePlugin()] });
  return { db, dialect: 'postgres', schema, close: () => db.destroy() };
}

/** The pool as Kysely uses it, with connection failures turned into `DatabaseUnavailableError`. */
function typedPool(pool: pg.Pool): PostgresPool {
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    let broken: Error | undefined;
    const wrapper: PostgresPoolClient = {
      query: ((sqlOrCursor: unknown, parameters?: readonly unknown[]) => {
        if (typeof sqlOrCursor !== 'string') return (client.query as (cursor: unknown) => unknown)(sqlOrCursor);
        return client.query(sqlOrCursor, parameters as unknown[]).catch((error: unknown) => {
          const result = typed(error);
          if (result instanceof DatabaseUnavailableError) broken = result;
          throw result;
        });
      }) as PostgresPoolClient['query'],
      // A client that failed for want of a connection is destroyed rather than pooled again.
      release: () => {
        const error = broken;
        broken = undefined;
        client.release(error);
      },
    };
    return wrapper;
  };
  return {
    async connect() {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw typed(error);
      }
      let wrapper = wrappers.get(client);
      if (wrapper === undefined) {
        wrapper = wrap(client);
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}

/** Why PostgreSQL at `url` cannot be used (connect and `select 1`), or undefined when it answers. */
export async function postgresProblem(url: string): Promise<Error | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
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
