/**
 * A durable engine opened under the database's writer lease (writer-lease.ts): what `serve` and
 * `papertrade accounts` use, so that two processes never both write one journal.
 *
 * Guarantees: the lease is taken before the engine opens (before it restores, projects or
 * snapshots anything) and given up only after it has closed (final snapshot included); if the
 * engine fails to open, the lease is given back. It is taken and given up over a short-lived
 * connection of its own, and renewed over the engine's connection while the engine is open (a
 * second SQLite connection writing beside the engine's could block it). An in-memory database
 * has no other writer and takes no lease.
 */
import { DEFAULT_DATABASE_URL, openAndMigrate } from '../persistence/database.js';
import { DurableEngine, type DurableEngineOptions } from './durable-engine.js';
import { WriterLease, type AcquireOptions } from './writer-lease.js';

export interface ExclusiveEngine {
  readonly engine: DurableEngine;
  /** Undefined for an in-memory database. */
  readonly lease: WriterLease | undefined;
  /** Closes the engine (`DurableEngine.close`), then gives the lease up. */
  close(options?: { readonly snapshot?: boolean }): Promise<void>;
}

export async function openExclusiveEngine(options: DurableEngineOptions, role: string, acquire: AcquireOptions = {}): Promise<ExclusiveEngine> {
  const url = options.databaseUrl ?? DEFAULT_DATABASE_URL;
  if (url === 'sqlite::memory:') {
    const engine = await DurableEngine.open(options);
    return { engine, lease: undefined, close: (o) => engine.close(o) };
  }
  const lease = await withConnection(url, options, (db) => WriterLease.acquire(db, role, acquire));
  let engine: DurableEngine;
  try {
    engine = await DurableEngine.open(options);
  } catch (error) {
    await giveUp(lease, url, options);
    throw error;
  }
  lease.useDatabase(engine.db);
  let closing: Promise<void> | undefined;
  return {
    engine,
    lease,
    close(o) {
      closing ??= (async () => {
        await lease.pause();
        try {
          await engine.close(o);
        } finally {
          await giveUp(lease, url, options);
        }
      })();
      return closing;
    },
  };
}

async function giveUp(lease: WriterLease, url: string, options: DurableEngineOptions): Promise<void> {
  await lease.pause();
  await withConnection(url, options, async (db) => {
    lease.useDatabase(db);
    await lease.release();
  });
}

async function withConnection<T>(url: string, options: DurableEngineOptions, use: (db: Awaited<ReturnType<typeof openAndMigrate>>['db']) => Promise<T>): Promise<T> {
  const database = await openAndMigrate(url, options.database ?? {});
  try {
    return await use(database.db);
  } finally {
    await database.close();
  }
}
