/**
 * Snapshots off the event loop: the state at a journal seq is rebuilt and serialized in a worker
 * thread (snapshot-worker.ts) from the database alone: the newest snapshot at or before that seq
 * plus the journal up to it, the restart path. The live kernel is never touched, so the engine goes
 * on handling inputs while the worker works (on another core). The worker also writes the state's
 * parts on its own connection (`workerWritesParts`) and the engine only publishes them (one small
 * transaction). Without that, the event loop receives the state as one buffer of UTF-8 moved from
 * the worker (no copy, off the collector's heap) and writes it one part (16 Ki bytes, cut between
 * characters: `utf8Slices`) at a time, as bytes. Either way the buffer comes back: it is the
 * kernel's rollback checkpoint, decoded only if a rollback needs it.
 *
 * Guarantees: the text is exactly `Kernel.snapshot()` of the kernel at that seq (the
 * kernel is deterministic: a restore from snapshot + journal is byte for byte the state the engine
 * had; engine tests compare them); a failed rebuild rejects, naming the worker's error.
 * Not modelled: databases a second connection cannot see (`sqlite::memory:`): the engine
 * serializes in-process there (`canRebuildInWorker`).
 * Cost: one worker start (tens of ms; under tsx, the loader's start too), then a restore of the
 * previous snapshot and a replay of the inputs since, on another thread.
 */
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { KernelConfig } from '../core/kernel/kernel.js';
import { parseDatabaseUrl, type OpenOptions } from '../persistence/database.js';
import { SNAPSHOT_PART_CHARS } from '../persistence/snapshot-store.js';
import type { SnapshotWorkerData, SnapshotWorkerMessage } from './snapshot-worker.js';

/** True when a worker's own connection sees this database (a file or a server, not `:memory:`). */
export function canRebuildInWorker(databaseUrl: string): boolean {
  const parsed = parseDatabaseUrl(databaseUrl);
  return parsed.dialect === 'postgres' || parsed.path !== ':memory:';
}

/**
 * How the worker writes a snapshot's parts itself, on its own connection. PostgreSQL: a few parts per transaction (each a round trip), rows nobody else writes.
 * SQLite: one part per transaction, 3 ms apart, so that the engine's transactions, which begin
 * IMMEDIATE and wait for the worker's write lock on a timer rather than in SQLite's busy handler
 * (database.ts, `SqliteConnectionState.begin`), find it free within about a ms. Before that wait
 * left the event loop, the busy handler's sleeps held it 28 ms at p99 with 500 orders/s, and the
 * engine's connection wrote the parts itself (`ENGINE_WRITES_PARTS`; ADR 0046).
 */
export function workerWritesParts(databaseUrl: string): WorkerParts {
  return parseDatabaseUrl(databaseUrl).dialect === 'postgres' ? { partsPerTransaction: 8, pauseMs: 0 } : WORKER_WRITES_SQLITE_PARTS;
}

/** The SQLite worker's pacing: one part per transaction, then 3 ms for the engine's transactions. */
const WORKER_WRITES_SQLITE_PARTS: WorkerParts = { partsPerTransaction: 1, pauseMs: 3 };

/**
 * How the engine's own connection writes a worker's state when the worker wrote no parts (its
 * caller asked for none): one part per transaction, 3 ms apart. Written back to back, 30 MB of
 * parts outran the WAL's checkpointer and the WAL passed the main connection's backstop, whose
 * checkpoint then ran inside one of its commits (100–350 ms); spaced out, the longest section fell
 * from 146 to 59 ms (median of 4 interleaved rounds, ADR 0046).
 */
export const ENGINE_WRITES_PARTS: WorkerParts = { partsPerTransaction: 1, pauseMs: 3 };

const HERE = fileURLToPath(import.meta.url);
const WORKER_FILE = new URL(`./snapshot-worker${extname(HERE)}`, import.meta.url);

/**
 * A worker running `file` (a module next to this one, named without extension): the built JS file;
 * run from TypeScript sources (tsx, vitest), a stub that registers tsx's loader in the thread first.
 */
export function startWorker(workerData: unknown, file: URL = WORKER_FILE): Worker {
  if (extname(HERE) !== '.ts') return new Worker(file, { workerData });
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const stub = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(file.href)}); })`;
  return new Worker(stub, { eval: true, workerData });
}

/** The URL of the module `name` (without extension) next to this one, as built or as source. */
export function siblingModule(name: string): URL {
  return new URL(`./${name}${extname(HERE)}`, import.meta.url);
}

/** How the worker writes the parts itself (`SnapshotStore.writeParts`): what `stateAndPartsFromWorker` passes on. */
export interface WorkerParts {
  readonly partsPerTransaction: number;
  readonly pauseMs: number;
}

/**
 * The kernel state at journal seq `seq`, rebuilt in a worker, as UTF-8 (the worker's buffer, moved
 * here without a copy), and with `writeParts` the state's parts written by the worker on its own
 * connection (`SnapshotStore.writeParts`, committed when this resolves): the caller publishes them
 * (`SnapshotStore.publishParts(seq, at, parts)`). A worker that fails or is stopped part-way leaves
 * unpublished parts, which the next publish deletes. The journal must hold every input up to `seq`
 * (committed) and the snapshots table what the engine saved. Rejects naming the worker's error.
 */
export async function stateAndPartsFromWorker(
  databaseUrl: string,
  database: OpenOptions,
  kernelConfig: KernelConfig,
  seq: number,
  writeParts?: WorkerParts,
): Promise<{ readonly bytes: Uint8Array; readonly parts: number }> {
  // Only what a structured clone carries: no connection-error callback.
  const options: OpenOptions = {
    ...(database.schema !== undefined ? { schema: database.schema } : {}),
    ...(database.connectTimeoutMs !== undefined ? { connectTimeoutMs: database.connectTimeoutMs } : {}),
    maxConnections: 1,
  };
  const data: SnapshotWorkerData = { databaseUrl, database: options, kernelConfig, seq, ...(writeParts !== undefined ? { writeParts } : {}) };
  const worker = startWorker({ snapshotWorker: true, data });
  try {
    return await new Promise<{ bytes: Uint8Array; parts: number }>((resolve, reject) => {
      worker.on('message', (message: SnapshotWorkerMessage) => {
        if (message.type === 'error') reject(new Error(`the snapshot worker failed: ${message.message}`));
        else resolve({ bytes: message.bytes, parts: message.parts });
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`the snapshot worker exited (code ${code}) before it was done`)));
    });
  } finally {
    worker.removeAllListeners('exit');
    await worker.terminate();
  }
}

/**
 * UTF-8 text decoded in parts of at most `partBytes` bytes (so at most that many characters), each
 * cut at a character boundary: the parts joined are the text. Each part is decoded when asked for.
 */
export function* utf8Parts(bytes: Uint8Array, partBytes: number = SNAPSHOT_PART_CHARS): Generator<string, void, undefined> {
  // ignoreBOM: each part is decoded alone, and one that begins with U+FEFF must keep it.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  for (const slice of utf8Slices(bytes, partBytes)) yield decoder.decode(slice);
}

/** `utf8Parts` undecoded: views of `bytes` (no copy) of at most `partBytes` bytes, each cut at a character boundary. */
export function* utf8Slices(bytes: Uint8Array, partBytes: number = SNAPSHOT_PART_CHARS): Generator<Uint8Array, void, undefined> {
  if (!Number.isSafeInteger(partBytes) || partBytes < 4) throw new RangeError(`partBytes must be a whole number ≥ 4 (a character's longest encoding), got ${partBytes}`);
  for (let start = 0; start < bytes.length; ) {
    let end = Math.min(start + partBytes, bytes.length);
    // Back off continuation bytes (10xxxxxx): a character is never split between two parts.
    while (end < bytes.length && end > start && (bytes[end]! & 0xc0) === 0x80) end -= 1;
    yield bytes.subarray(start, end);
    start = end;
  }
}
