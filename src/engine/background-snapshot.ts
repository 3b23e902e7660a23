/**
 * Snapshots off the event loop: the state at a journal seq is rebuilt and serialized in a worker
 * thread (snapshot-worker.ts) from the database alone: the newest snapshot at or before that seq
 * plus the journal up to it, the restart path. The live kernel is never touched, so the engine goes
 * on handling inputs while the worker works (on another core), and the event loop only receives
 * the state, one part (16 Ki characters) at a time, each asked for after the previous one is
 * written: no single step holds it for more than a part's copy and insert.
 *
 * Guarantees: the parts joined are exactly `Kernel.snapshot()` of the kernel at that seq (the
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

/**
 * The kernel state at journal seq `seq`, rebuilt in a worker, as parts in order. The journal must
 * hold every input up to `seq` (committed) and the snapshots table what the engine saved.
 */
export async function* statePartsFromWorker(
  databaseUrl: string,
  database: OpenOptions,
  kernelConfig: KernelConfig,
  seq: number,
  partChars = SNAPSHOT_PART_CHARS,
): AsyncGenerator<string, void, undefined> {
  // Only what a structured clone carries: no connection-error callback.
  const options: OpenOptions = {
    ...(database.schema !== undefined ? { schema: database.schema } : {}),
    ...(database.connectTimeoutMs !== undefined ? { connectTimeoutMs: database.connectTimeoutMs } : {}),
    maxConnections: 1,
  };
  const data: SnapshotWorkerData = { databaseUrl, database: options, kernelConfig, seq, partChars };
  const worker = startWorker({ snapshotWorker: true, data });
  const inbox: SnapshotWorkerMessage[] = [];
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const signal = () => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (message: SnapshotWorkerMessage) => (inbox.push(message), signal()));
  worker.on('error', (error) => ((failure ??= error), signal()));
  worker.on('exit', (code) => ((failure ??= new Error(`the snapshot worker exited (code ${code}) before it was done`)), signal()));
  const next = async (): Promise<SnapshotWorkerMessage> => {
    for (;;) {
      const message = inbox.shift();
      if (message !== undefined) return message;
      if (failure !== undefined) throw failure;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  try {
    for (let message = await next(); ; ) {
      if (message.type === 'error') throw new Error(`the snapshot worker failed: ${message.message}`);
      if (message.type === 'done') return;
      if (message.type === 'part') yield message.state;
      worker.postMessage('next');
      message = await next();
    }
  } finally {
    worker.removeAllListeners('exit');
    await worker.terminate();
  }
}
