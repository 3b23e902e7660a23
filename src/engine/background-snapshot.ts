/**
 * Snapshots off the event loop: the state at a journal seq is rebuilt and serialized in a worker
 * thread (snapshot-worker.ts) from the database alone: the newest snapshot at or before that seq
 * plus the journal up to it, the restart path. The live kernel is never touched, so the engine goes
 * on handling inputs while the worker works (on another core). The worker also writes the state's
 * parts (16 Ki bytes each, cut between characters: `utf8Slices`) on its own connection
 * (`workerWritesParts`), the engine publishes them (one small transaction), and the worker then
 * deletes the parts no snapshot reads any more: on SQLite, whose driver runs every statement on
 * the calling thread, the event loop writes and deletes none of the state's bytes (ADR 0053). The
 * state's UTF-8 bytes come back to the event loop (no copy, off the collector's heap): they are
 * the kernel's rollback checkpoint, decoded only if a rollback needs it. The bytes are written into
 * a buffer the caller shares with the worker (`into`, reused from one snapshot to the next) when
 * they fit, else into a new buffer moved here: a new 30 MB buffer is a new external allocation of
 * the main isolate, which V8 at times answers with a full collection on the event loop (ADR 0048).
 *
 * Guarantees: the text is exactly `Kernel.snapshot()` of the kernel at that seq (the
 * kernel is deterministic: a restore from snapshot + journal is byte for byte the state the engine
 * had; engine tests compare them), and its digest is hashed in the worker; a failed rebuild
 * rejects, naming the worker's error, as a `DatabaseUnavailableError` when the worker's own
 * connection failed (the engine reports that as a database outage).
 * Not modelled: databases a second connection cannot see (`sqlite::memory:`): the engine
 * serializes in-process there (`canRebuildInWorker`).
 * Cost: one worker start (tens of ms; from the sources, a bundle made once per process), then a restore of the
 * previous snapshot and a replay of the inputs since, on another thread.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { KernelConfig } from '../core/kernel/kernel.js';
import { extend } from '../core/objects.js';
import { DatabaseUnavailableError, parseDatabaseUrl, type OpenOptions } from '../persistence/database.js';
import { SNAPSHOT_PART_CHARS, type WrittenParts } from '../persistence/snapshot-store.js';
import { sourceBundle } from './source-bundle.js';
import type { SnapshotWorkerCommand, SnapshotWorkerData, SnapshotWorkerMessage } from './snapshot-worker.js';

/** True when a worker's own connection sees this database (a file or a server, not `:memory:`). */
export function canRebuildInWorker(databaseUrl: string): boolean {
  const parsed = parseDatabaseUrl(databaseUrl);
  return parsed.dialect === 'postgres' || parsed.path !== ':memory:';
}

/**
 * How the worker writes a snapshot's parts itself, on its own connection. PostgreSQL: a few parts
 * per transaction (each a round trip), no pause. SQLite: one part per transaction, 3 ms apart, so
 * that the engine's transactions, which wait for the worker's write lock on a 1 ms timer
 * (database.ts, ADR 0048), find it free between two; and the WAL's checkpointer keeps up (written
 * back to back, 30 MB of parts passed the backstop, whose checkpoint runs inside a commit: ADR
 * 0046). On SQLite the engine's connection wrote them before (ADR 0046, 0048): each insert and
 * commit there ran on the event loop, at times 25–50 ms on the disk (ADR 0053).
 */
export function workerWritesParts(databaseUrl: string): WorkerParts {
  return parseDatabaseUrl(databaseUrl).dialect === 'postgres' ? { partsPerTransaction: 8, pauseMs: 0 } : { partsPerTransaction: 1, pauseMs: 3 };
}

/** The worker's pause between its transactions when it deletes the parts no snapshot reads after a publish (`SnapshotStore.deleteUnreadParts`): as its writes. */
const DELETE_PAUSE_MS = 3;

const HERE = fileURLToPath(import.meta.url);
const WORKER_FILE = new URL(`./snapshot-worker${extname(HERE)}`, import.meta.url);

/**
 * A worker running `file` (a module next to this one, named without extension): the built JS file;
 * run from TypeScript sources (tsx, vitest), a bundle of the source and its imports
 * (source-bundle.ts).
 */
export async function startWorker(workerData: unknown, file: URL = WORKER_FILE): Promise<Worker> {
  return new Worker(extname(HERE) === '.ts' ? await sourceBundle(file) : file, { workerData });
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
 * The kernel state at journal seq `seq`, rebuilt in a worker, as UTF-8 (a view of `into`, shared
 * with the worker, when the state fits there; else the worker's buffer, moved here without a copy)
 * with its `stateDigest` (hashed in the worker), and its parts written by the worker on its own
 * connection (`SnapshotStore.writeParts`, committed when this resolves). The caller publishes them
 * (`SnapshotStore.publishParts(seq, at, parts, { deleteUnread: false })`) and then calls `finish`
 * with whether the publish landed: the same worker then deletes the parts no snapshot reads, off
 * this thread, and stops; `finish` resolves true once they are gone, false when the worker could
 * not delete them (the caller's own `deleteUnreadParts` is the fallback; the next publish would
 * also delete them). `finish` never rejects; the worker is stopped either way. A worker that fails
 * or is stopped part-way leaves unpublished parts, which the next publish deletes. The journal
 * must hold every input up to `seq` (committed) and the snapshots table what the engine saved.
 * Rejects naming the worker's error: a `DatabaseUnavailableError` when the worker's connection
 * could not be opened or was lost, else an `Error`.
 */
export async function stateAndPartsFromWorker(
  databaseUrl: string,
  database: OpenOptions,
  kernelConfig: KernelConfig,
  seq: number,
  writeParts: WorkerParts,
  into?: SharedArrayBuffer,
): Promise<{ readonly bytes: Uint8Array; readonly digest: string; readonly parts: WrittenParts; finish(published: boolean): Promise<boolean> }> {
  // Only what a structured clone carries: no connection-error callback.
  const options: OpenOptions = extend(database.schema !== undefined ? { schema: database.schema } : {}, extend(database.connectTimeoutMs !== undefined ? { connectTimeoutMs: database.connectTimeoutMs } : {}, {
    maxConnections: 1,
  }));
  const data: SnapshotWorkerData = { databaseUrl, database: options, kernelConfig, seq, writeParts, deleteUnread: { pauseMs: DELETE_PAUSE_MS }, ...(into !== undefined ? { into } : {}) };
  const worker = await startWorker({ snapshotWorker: true, data });
  const stop = async () => {
    worker.removeAllListeners();
    await worker.terminate();
  };
  let answer: { bytes: Uint8Array; digest: string; parts: WrittenParts };
  try {
    answer = await new Promise<typeof answer>((resolve, reject) => {
      worker.on('message', (message: SnapshotWorkerMessage) => {
        if (message.type === 'error') {
          reject(message.unavailable ? new DatabaseUnavailableError(`the snapshot worker lost its database connection: ${message.message.split('\n')[0]}`) : new Error(`the snapshot worker failed: ${message.message}`));
        } else if (message.type === 'state') {
          const bytes = message.shared !== undefined && into !== undefined ? new Uint8Array(into, 0, message.shared) : message.bytes;
          if (bytes === undefined || message.parts === undefined) reject(new Error('the snapshot worker answered without the state or its parts'));
          else resolve({ bytes, digest: message.digest, parts: message.parts });
        }
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`the snapshot worker exited (code ${code}) before it was done`)));
    });
  } catch (error) {
    await stop();
    throw error;
  }
  worker.removeAllListeners();
  // While it waits for the word the worker may end (it crashed, or was stopped): an 'exit' emitted
  // now is not emitted again for `finish`'s listeners, nor would 'published' be answered; and an
  // 'error' with no listener would be thrown in this thread.
  let gone = false;
  worker.once('exit', () => (gone = true));
  worker.on('error', () => undefined);
  let finished: Promise<boolean> | undefined;
  const finish = (published: boolean): Promise<boolean> =>
    (finished ??= (async () => {
      if (!published || gone) {
        await stop();
        return false;
      }
      const deleted = new Promise<boolean>((resolve) => {
        worker.on('message', (message: SnapshotWorkerMessage) => resolve(message.type === 'deleted' && message.error === undefined));
        worker.on('error', () => resolve(false));
        worker.on('exit', () => resolve(false));
      });
      worker.postMessage('published' satisfies SnapshotWorkerCommand);
      const ok = await deleted;
      await stop();
      return ok;
    })());
  return extend(answer, { finish });
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
