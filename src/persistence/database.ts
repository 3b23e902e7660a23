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
 *
 * Commits and fsync (SQLite files): `durableTransaction` commits without SQLite's own fsync and
 * resolves once an `fdatasync` of the write-ahead log, run on libuv's thread pool, has covered the
 * commit. That is what synchronous=FULL promises (the commit's WAL frames are on disk), without
 * stopping the event loop for the disk: a FULL commit blocks the one JS thread for the whole fsync
 * (0.3 ms on an idle disk, 5 ms and more on a busy one). The fsync starts at the next turn of the
 * event loop, so the durable commits of one turn share it. `projectionTransaction` commits without
 * any fsync (a process crash loses nothing; a power loss can lose what no later durable commit
 * covered): for tables rebuilt from the journal. Every other write
 * keeps synchronous=FULL (the setting is switched just before the statement that needs it). On
 * PostgreSQL and `:memory:` both are plain transactions. `directWrites` runs such a transaction's
 * statements on the SQLite driver directly, for the writes made per request.
 * WAL checkpoints (SQLite files): after a connection's first 256 commits, a worker thread with its
 * own connection checkpoints the WAL (PASSIVE, every 200 ms), so that the copy into the database
 * file and its fsyncs leave the event loop (`WalCheckpointer`); the connection's own automatic
 * checkpoint stays as a backstop at 8,000 pages.
 * Another writer (SQLite files): every transaction begins IMMEDIATE; one that finds another
 * connection holding the write lock waits for it on a 1 ms timer, in the order it reached BEGIN, up to 5 s,
 * not in SQLite's busy handler, which sleeps on the calling thread. Statements outside a
 * transaction keep the busy handler (busy_timeout 5,000 ms, set back before the first such
 * statement after a transaction).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CamelCasePlugin, CompiledQuery, Kysely, SqliteDialect, SqliteDriver, type Driver, type PostgresPool, type SqliteDialectConfig, type PostgresPoolClient, type Transaction } from 'kysely';
import { SearchPathPostgresDialect } from './search-path-dialect.js';
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

/** Throws unless `schema` is a name `openDatabase` accepts (it goes into the connection's search_path unquoted). */
export function checkSchemaName(schema: string): void {
  if (!IDENTIFIER.test(schema)) throw new Error(`schema name must match ${IDENTIFIER}: ${schema}`);
}

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

/**
 * `mkdir -p`, one level at a time: Node's `mkdirSync(…, { recursive: true })` never returns when
 * mkdir answers ENOENT under a folder that exists (as anywhere under /proc), so a bad DATABASE_URL
 * hung the start instead of being refused.
 */
function makeDirectory(dir: string): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) makeDirectory(parent);
  try {
    mkdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

function openSqlite(path: string): PersistenceDatabase {
  const inMemory = path === ':memory:';
  let sqlite: SqliteDatabase.Database | undefined;
  try {
    if (!inMemory) makeDirectory(dirname(resolve(path)));
    sqlite = new SqliteDatabase(path);
    if (!inMemory) sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  } catch (error) {
    // SQLite's own words ("unable to open database file", "file is not a database") name no file.
    sqlite?.close();
    throw new Error(`cannot open the SQLite database ${resolve(path)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const checkpointer = inMemory ? undefined : new WalCheckpointer(sqlite, resolve(path));
  const wal = inMemory ? undefined : new WalSync(`${resolve(path)}-wal`);
  const connection = new SqliteConnectionState(sqlite, () => checkpointer?.committed(), wal);
  const db = new Kysely<Database>({ dialect: new WriteLockSqliteDialect({ database: cachingStatements(connection) }, connection), plugins: [new CamelCasePlugin()] });
  sqliteConnections.set(db, connection);
  return {
    db,
    dialect: 'sqlite',
    schema: undefined,
    close: async () => {
      await checkpointer?.close();
      await wal?.close();
      await db.destroy();
    },
  };
}

/** WAL pages at which the main connection checkpoints by itself, when the checkpointer has not (SQLite's default is 1,000). */
const BACKSTOP_AUTOCHECKPOINT_PAGES = 8_000;
/** How often the checkpointer's worker checkpoints the WAL. */
const CHECKPOINT_INTERVAL_MS = 200;
/** Commits on a connection before its checkpointer starts (a short-lived database never needs one). */
const CHECKPOINTER_AFTER_COMMITS = 256;

/** The checkpointer's worker: its own connection, a PASSIVE checkpoint every interval, until told to stop. */
const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('synchronous = FULL');
const timer = setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * SQLite checkpoints the WAL inside the commit that takes it past 1,000 pages, on the committing
 * thread: it copies the pages into the database file and fsyncs the WAL and the database, all on
 * the event loop (10–50 ms on a busy disk). Here a worker thread with its own connection runs
 * PASSIVE checkpoints instead, which never wait for or block the writer; with synchronous=FULL on
 * its connection, SQLite syncs the WAL before copying and the database before it lets a writer
 * restart the WAL, as for any checkpoint. The main connection keeps an automatic checkpoint at
 * 8,000 pages as a backstop, and goes back to SQLite's 1,000 if the worker fails.
 */
class WalCheckpointer {
  private commits = 0;
  private worker: Worker | undefined;
  private exited: Promise<void> | undefined;

  constructor(
    private readonly sqlite: SqliteDatabase.Database,
    private readonly path: string,
  ) {}

  /** A statement ran that may have committed: start the worker once the connection has shown it writes. */
  committed(): void {
    if (this.worker !== undefined || this.commits < 0 || ++this.commits < CHECKPOINTER_AFTER_COMMITS) return;
    this.commits = -1;
    try {
      const driver = createRequire(import.meta.url).resolve('better-sqlite3');
      const worker = new Worker(CHECKPOINTER_SOURCE, { eval: true, workerData: { driver, path: this.path, intervalMs: CHECKPOINT_INTERVAL_MS } });
      worker.unref();
      this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
      worker.once('error', () => this.fallBack());
      this.worker = worker;
      this.sqlite.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
    } catch {
      this.fallBack();
    }
  }

  private fallBack(): void {
    this.worker = undefined;
    if (this.sqlite.open) this.sqlite.pragma('wal_autocheckpoint = 1000');
  }

  /** Stops the worker and waits for its connection to close (before the main one closes, so that the last to close is the writer's). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.commits = -1;
    if (worker === undefined) return;
    this.worker = undefined;
    // Unref'd while it runs (it never keeps a process alive); ref'd while it stops, or a process
    // with nothing else to do would end with this close's promise unsettled (exit code 13).
    worker.ref();
    worker.postMessage('stop');
    await this.exited;
  }
}

/**
 * One fdatasync of a WAL file at a time; callers arriving during one share the next. A sync starts
 * at the next turn of the event loop, not at the first call, so that every commit made in this turn
 * shares it: the journal's group and the audit entries written once its inputs were handled commit
 * in the same turn, and one fsync covers both (each costs a wake-up of the thread pool on the event
 * loop, and the disk's time; ADR 0084).
 * A failed fdatasync fails every later one with the same error, whoever asks: after a failed
 * fdatasync Linux may drop the pages it could not write and report the next one as a success, so
 * nothing written to this WAL since can be vouched for (a restart reads what is on disk).
 */
class WalSync {
  private file: Promise<FileHandle> | undefined;
  private starting: Promise<void> | undefined;
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private failed: { readonly error: unknown } | undefined;

  constructor(private readonly path: string) {}

  /** Resolves once everything written to the WAL before the call is on disk; rejects for good after a failed fdatasync. */
  sync(): Promise<void> {
    if (this.failed !== undefined) return Promise.reject(this.failed.error);
    if (this.running === undefined) {
      this.starting ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.starting = undefined;
        return (this.running = this.run());
      });
      return this.starting;
    }
    // A sync in flight may have started before the caller's write: the caller needs the next one.
    this.next ??= this.running.catch(() => undefined).then(() => {
      this.next = undefined;
      return (this.running = this.run());
    });
    return this.next;
  }

  private async run(): Promise<void> {
    try {
      if (this.failed !== undefined) throw this.failed.error;
      if (this.file === undefined) {
        const opening = open(this.path, 'r+').then(async (handle) => {
          // The WAL file's own directory entry, once: a new file is durable only with it.
          const dir = await open(dirname(this.path), 'r');
          await dir.sync().finally(() => dir.close());
          return handle;
        });
        // A failed open is tried again by the next sync.
        opening.catch(() => (this.file = undefined));
        this.file = opening;
      }
      const file = await this.file;
      try {
        await file.datasync();
      } catch (error) {
        this.failed ??= { error };
        throw error;
      }
    } finally {
      this.running = undefined;
    }
  }

  async close(): Promise<void> {
    await this.starting?.catch(() => undefined);
    await this.next?.catch(() => undefined);
    await this.running?.catch(() => undefined);
    const file = this.file;
    this.file = undefined;
    await file?.then((f) => f.close()).catch(() => undefined);
  }
}

/**
 * A SQLite connection's state, shared by the query builder's statements and the direct writes.
 * Its `synchronous` setting is switched lazily: an unsynced transaction wants NORMAL for its COMMIT,
 * every other write FULL, and the switch is made just before the first statement that needs the
 * other setting (reads need neither). Unsynced transactions in a row (the journal's, the audit
 * log's, the read tables') then switch nothing, where a pragma before and after each cost two
 * statements per transaction.
 */
class SqliteConnectionState {
  private synchronous: 'full' | 'normal' = 'full';
  private readonly toNormal: SqliteDatabase.Statement;
  private readonly toFull: SqliteDatabase.Statement;
  private readonly beginWrite: SqliteDatabase.Statement;
  private readonly busyHandlerOff: SqliteDatabase.Statement;
  private readonly busyHandlerOn: SqliteDatabase.Statement;
  private readonly cache = new Map<string, SqliteDatabase.Statement>();
  /**
   * SQLite's busy handler: on (busy_timeout `BUSY_TIMEOUT_MS`) for statements outside a
   * transaction, off (0) from a BEGIN on. Switched lazily, as `synchronous` is: write transactions
   * in a row (the journal's, the audit log's, the read tables') leave it off and switch nothing,
   * where switching it off before each BEGIN and on after cost two statements per transaction.
   * Inside a transaction begun IMMEDIATE the write lock is held, so no statement there waits for it.
   */
  private busyHandler = true;
  /** Transactions waiting for another connection's write lock, in the order they asked; each returns true once it has run (or failed for good). */
  private readonly waiting: (() => boolean)[] = [];
  private retry: NodeJS.Timeout | undefined;
  /** An unsynced transaction of the query builder holds the connection. */
  unsyncedHeld = false;

  constructor(
    readonly sqlite: SqliteDatabase.Database,
    readonly committed: () => void,
    /** The WAL's fsync, on a file (none in memory). */
    readonly wal: WalSync | undefined,
  ) {
    this.toNormal = sqlite.prepare('pragma synchronous = normal');
    this.toFull = sqlite.prepare('pragma synchronous = full');
    this.beginWrite = sqlite.prepare(BEGIN_WRITE);
    this.busyHandlerOff = sqlite.prepare('pragma busy_timeout = 0');
    this.busyHandlerOn = sqlite.prepare(`pragma busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }

  /**
   * Begins a write transaction (`BEGIN_WRITE`) and runs `then` right after it, in the same turn of
   * the event loop; returns what `then` returns, or a promise of it when the transaction had to
   * wait. `then` owns the transaction from there (its COMMIT or ROLLBACK).
   *
   * SQLite's busy handler would wait for another connection's write lock (the snapshot worker's)
   * by sleeping on this thread, the event loop, 1, 2, 5, 10… ms between tries (ADR 0046). Here
   * BEGIN runs with the handler off: when the lock is free (always, with one writer) it begins at
   * once; when another connection holds it, SQLITE_BUSY comes back at once and the transaction
   * waits on a 1 ms timer and tries again, the event loop free meanwhile. Waiting transactions go
   * in the order they asked, and a transaction asked for while others wait goes behind them.
   * `synchronous` (when given) is set just before each try of BEGIN, not when the transaction is
   * asked for: SQLite refuses to change it inside a transaction, and a transaction asked for while
   * this one waits sets its own (a direct write NORMAL, a plain transaction FULL).
   * Errors: BEGIN's own (thrown, or the promise rejects); SQLITE_BUSY after `BUSY_TIMEOUT_MS` of
   * tries, as the busy handler gave up; `then`'s.
   */
  begin<T>(then: () => T, synchronous?: 'full' | 'normal'): T | Promise<T> {
    if (this.waiting.length === 0 && !this.sqlite.inTransaction) {
      const busy = this.tryBegin(synchronous);
      if (busy === undefined) return then();
    }
    const deadline = performance.now() + BUSY_TIMEOUT_MS;
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => {
        let busy: unknown;
        try {
          busy = this.tryBegin(synchronous);
        } catch (error) {
          reject(error);
          return true;
        }
        if (busy !== undefined) {
          if (performance.now() < deadline) return false;
          reject(busy);
          return true;
        }
        try {
          resolve(then());
        } catch (error) {
          reject(error);
        }
        return true;
      });
      this.scheduleRetry();
    });
  }

  /** BEGIN_WRITE with the busy handler off, `synchronous` set first: undefined once begun, the SQLITE_BUSY error when another connection holds the write lock; other errors thrown. */
  private tryBegin(synchronous: 'full' | 'normal' | undefined): unknown {
    if (synchronous !== undefined) this.want(synchronous);
    if (this.busyHandler) {
      this.busyHandlerOff.get();
      this.busyHandler = false;
    }
    try {
      this.beginWrite.run();
      return undefined;
    } catch (error) {
      if (isBusy(error)) return error;
      throw error;
    }
  }

  /** Before a statement that runs outside a transaction: the busy handler on (a no-op when it is, or inside a transaction). */
  outsideTransaction(): void {
    if (this.busyHandler || this.sqlite.inTransaction) return;
    this.busyHandlerOn.get();
    this.busyHandler = true;
  }

  private scheduleRetry(): void {
    if (this.retry !== undefined) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      // A query builder transaction begun from the queue holds the connection until it ends. On a
      // closed connection BEGIN throws, and each waiting transaction rejects with that.
      while (this.waiting.length > 0 && !this.sqlite.inTransaction) {
        if (!this.waiting[0]!()) break;
        this.waiting.shift();
      }
      if (this.waiting.length > 0) this.scheduleRetry();
    }, 1);
  }

  /** Sets `synchronous` for the statement about to run (a no-op when it already is). */
  want(mode: 'full' | 'normal'): void {
    if (this.synchronous === mode) return;
    (mode === 'normal' ? this.toNormal : this.toFull).run();
    this.synchronous = mode;
  }

  /**
   * The statement for `source`, prepared once per SQL text and reused: preparing cost more than
   * running for the small writes of the journal, the read tables and the audit log. A statement
   * still iterating (a streamed query) is never handed out again: that query gets one of its own.
   */
  prepare(source: string): SqliteDatabase.Statement {
    const cached = this.cache.get(source);
    if (cached !== undefined && !cached.busy) return cached;
    const statement = this.sqlite.prepare(source);
    if (cached === undefined) {
      if (this.cache.size >= STATEMENT_CACHE) this.cache.clear();
      this.cache.set(source, statement);
    }
    return statement;
  }
}

const sqliteConnections = new WeakMap<Kysely<Database>, SqliteConnectionState>();

/** How long a write transaction waits for another connection's write lock before it fails with SQLITE_BUSY (SQLite's `busy_timeout`, and `SqliteConnectionState.begin`'s retries). */
const BUSY_TIMEOUT_MS = 5_000;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** Kysely's SQLite driver with its transactions begun by `SqliteConnectionState.begin` (IMMEDIATE, waiting for another writer on a timer, not in SQLite's busy handler). */
class WriteLockSqliteDriver extends SqliteDriver {
  constructor(
    config: SqliteDialectConfig,
    private readonly state: SqliteConnectionState,
  ) {
    super(config);
  }

  override async beginTransaction(): Promise<void> {
    // As `cachingStatements` does for every statement that may write, but at BEGIN itself: a
    // direct write asked while this one waits sets NORMAL meanwhile.
    await this.state.begin(() => undefined, this.state.unsyncedHeld ? 'normal' : 'full');
  }
}

class WriteLockSqliteDialect extends SqliteDialect {
  constructor(
    private readonly config: SqliteDialectConfig,
    private readonly state: SqliteConnectionState,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return new WriteLockSqliteDriver(this.config, this.state);
  }
}

/** A transaction on the SQLite connection that commits without SQLite's fsync (synchronous=NORMAL for its COMMIT). */
function unsyncedTransaction<T>(db: Kysely<Database>, state: SqliteConnectionState, work: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (connection) => {
    state.unsyncedHeld = true;
    try {
      return await connection.transaction().execute(work);
    } finally {
      state.unsyncedHeld = false;
    }
  });
}

/**
 * Runs `work` in one transaction and resolves once its commit is on disk (see the header: on a
 * SQLite file the fsync runs off the event loop, shared by concurrent callers). A failure after the
 * commit (the fsync) rejects with the commit in place but not known durable.
 */
export async function durableTransaction<T>(db: Kysely<Database>, work: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
  const state = sqliteConnections.get(db);
  if (state?.wal === undefined) return db.transaction().execute(work);
  const result = await unsyncedTransaction(db, state, work);
  await state.wal.sync();
  return result;
}

/** Runs `work` in one transaction whose commit need not reach the disk at once (tables rebuilt from the journal). */
export function projectionTransaction<T>(db: Kysely<Database>, work: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
  const state = sqliteConnections.get(db);
  return state?.wal !== undefined ? unsyncedTransaction(db, state, work) : db.transaction().execute(work);
}

/** Statements on a SQLite connection, run at once (the driver is synchronous). */
export interface DirectStatements {
  /** Runs a statement that returns no rows; returns how many rows it changed (SQLite's `changes`). */
  run(sql: string, parameters: readonly unknown[]): number;
  /** Runs a statement that returns rows (a SELECT, an INSERT … RETURNING); columns as the SQL names them. */
  all<R>(sql: string, parameters: readonly unknown[]): R[];
}

/**
 * Writes on a SQLite database without the query builder: `work` runs its statements (SQL texts
 * the caller compiled once, as for `CompiledQuery.raw`) synchronously in one transaction, which
 * commits as `durableTransaction` (`durable`) or `projectionTransaction` commits. Undefined on
 * PostgreSQL: there callers use those.
 *
 * Each statement through the query builder is a chain of promises, frozen objects and plugin
 * passes around the driver's synchronous call, and a transaction adds its own; for the writes made
 * per request (the journal's group, the audit log's, the read tables' new orders) that cost more
 * than SQLite's work. Here the transaction runs at once when the connection is free, and waits for
 * the query builder's transaction holding it otherwise (one connection: nothing can run between
 * the statements of a synchronous `work`), or for another connection's write lock on a timer
 * (`SqliteConnectionState.begin`), the event loop free meanwhile. `work` must not return a promise. A failed statement
 * rolls the transaction back and rejects; a failed COMMIT rejects with the transaction rolled back.
 */
export function directWrites(db: Kysely<Database>): ((durable: boolean) => <T>(work: (sql: DirectStatements) => T, committed?: () => void) => Promise<T>) | undefined {
  const state = sqliteConnections.get(db);
  if (state === undefined) return undefined;
  const statements: DirectStatements = {
    run: (sql, parameters) => state.prepare(sql).run(parameters).changes,
    all: <R>(sql: string, parameters: readonly unknown[]) => state.prepare(sql).all(parameters) as R[],
  };
  const commit = state.prepare('commit');
  const rollback = state.prepare('rollback');
  const inTransaction = <T>(work: (sql: DirectStatements) => T): T | Promise<T> => {
    // Begun at once, or after another connection's write lock, without holding the event loop.
    return state.begin(() => {
      try {
        const result = work(statements);
        commit.run();
        state.committed();
        return result;
      } catch (error) {
        if (state.sqlite.inTransaction) rollback.run();
        throw error;
      }
    }, state.wal !== undefined ? 'normal' : undefined);
  };
  return (durable) =>
    async <T>(work: (sql: DirectStatements) => T, committed?: () => void): Promise<T> => {
      // The query builder's transaction holds the connection (between its statements): after it.
      const result = state.sqlite.inTransaction ? await db.connection().execute(async () => inTransaction(work)) : await inTransaction(work);
      // Committed and visible, not yet on disk: the caller may act on it now (what it acts on is
      // later in the same WAL, so no later durable write can outlive it), and answer once durable.
      committed?.();
      if (durable) await state.wal?.sync();
      return result;
    };
}

/** One statement: its SQL text (compiled once, as for `CompiledQuery.raw`) and its parameters. */
export type RawStatement = readonly [sql: string, parameters: readonly unknown[]];

const durableDirect = new WeakMap<Kysely<Database>, <T>(work: (sql: DirectStatements) => T, committed?: () => void) => Promise<T>>();

/**
 * Runs `statements` in order in one transaction committed as `durableTransaction` commits, and
 * resolves with each one's rows (`returning`: statements that return rows, an INSERT … RETURNING;
 * otherwise none are read): on SQLite directly on the driver (`directWrites`), elsewhere through
 * the query builder. `ran` is called once every statement has run, before the commit: a failure
 * after it is a commit whose outcome is unknown. `committed` is called once the transaction has
 * committed, before the promise resolves: on a SQLite file before the WAL's fdatasync (the commit is
 * visible, and survives a crash of the process, not yet a power loss; every later durable write to
 * the same WAL covers it), elsewhere when the commit is durable. It must not throw.
 */
export async function durableStatements<R>(
  db: Kysely<Database>,
  statements: readonly RawStatement[],
  options: { readonly returning?: boolean; readonly ran?: () => void; readonly committed?: () => void } = {},
): Promise<R[][]> {
  const { returning = false, ran, committed } = options;
  let direct = durableDirect.get(db);
  if (direct === undefined) {
    direct = directWrites(db)?.(true);
    if (direct !== undefined) durableDirect.set(db, direct);
  }
  if (direct !== undefined) {
    return direct((sql) => {
      const rows = statements.map(([text, parameters]) => (returning ? sql.all<R>(text, parameters) : (sql.run(text, parameters), [])));
      ran?.();
      return rows;
    }, committed);
  }
  const rows = await durableTransaction(db, async (tx) => {
    const rows: R[][] = [];
    for (const [text, parameters] of statements) rows.push((await tx.executeQuery<R>(CompiledQuery.raw(text, [...parameters]))).rows as R[]);
    ran?.();
    return rows;
  });
  committed?.();
  return rows;
}

/** Prepared statements kept at most, by SQL text (a batch INSERT's text varies with its row count). */
const STATEMENT_CACHE = 512;

/**
 * How every transaction on a SQLite connection begins: with the write lock taken at BEGIN. A
 * deferred transaction that reads before it writes (the read model's batches read their checkpoint
 * first) gets SQLITE_BUSY at once, without the busy timeout, when another connection holds the
 * write lock at its first write, and SQLITE_BUSY_SNAPSHOT when another connection committed since
 * its read; an IMMEDIATE one waits for the lock at BEGIN and then reads the newest state, so a
 * second writer (the snapshot worker's parts) only delays it (ADR 0046). The wait is
 * `SqliteConnectionState.begin`'s, on a timer, not SQLite's busy handler on the event loop (ADR
 * 0048). Reads outside a transaction take no lock and never wait.
 */
const BEGIN_WRITE = 'begin immediate';

/** The connection as Kysely's SQLite driver uses it: statements from the connection's cache, `synchronous` set for each (`SqliteConnectionState`), its transactions begun IMMEDIATE (`BEGIN_WRITE`). */
function cachingStatements(state: SqliteConnectionState): { prepare: SqliteDatabase.Database['prepare']; close: () => void } {
  const prepare = ((source: string) => {
    // Outside a transaction a statement waits for another connection's lock in SQLite's busy handler.
    state.outsideTransaction();
    // Reads commit nothing: they run under either setting.
    if (!source.startsWith('select')) state.want(state.unsyncedHeld ? 'normal' : 'full');
    if (source === 'commit') state.committed();
    // A plain (deferred) `begin` run as a statement: IMMEDIATE too. The query builder's own
    // transactions begin through `WriteLockSqliteDriver`, not here.
    if (source === 'begin') return state.prepare(BEGIN_WRITE);
    return state.prepare(source);
  }) as SqliteDatabase.Database['prepare'];
  return { prepare, close: () => state.sqlite.close() };
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
    checkSchemaName(schema);
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
  const db = new Kysely<Database>({ dialect: new SearchPathPostgresDialect({ pool: typedPool(pool) }), plugins: [new CamelCasePlugin()] });
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
