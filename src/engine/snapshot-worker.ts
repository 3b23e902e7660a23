/**
 * The snapshot worker's thread (started by background-snapshot.ts): rebuilds the kernel state at
 * journal seq `seq` from the database alone (the newest snapshot at or before it, then the
 * journal up to it, exactly as a restart does), serializes it, and hands it to its parent as UTF-8:
 * written into the buffer the parent shares (`into`) when it fits, else in one transferred buffer
 * (moved, not copied: the parent's heap never holds the whole state as a string), with the SHA-256 of those bytes (`stateDigest`, hashed here so that the event loop does
 * not). With `writeParts`, it first writes the state's parts itself on its own connection
 * (`SnapshotStore.writeParts`, all committed before it answers); publishing them is the parent's.
 * Otherwise nothing here writes to the database. The base snapshot it rebuilds on is checked as a
 * restart checks it: a damaged one fails the rebuild (`SnapshotDamagedError`).
 *
 * Messages to the parent: one, `{ type: 'state', chars, bytes, shared, digest, parts }` (`bytes`:
 * the transferred buffer, or `shared`: how many bytes of `into` hold the state; `parts`: what it
 * wrote, absent without `writeParts`), or `{ type: 'error', message, unavailable }` if the rebuild
 * or a write fails (`unavailable`: for want of a connection, `isDatabaseUnavailable`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Kysely } from 'kysely';
import { Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import { isDatabaseUnavailable, openDatabase, type OpenOptions } from '../persistence/database.js';
import { JournalStore } from '../persistence/journal-store.js';
import { SnapshotStore, stateDigest, type WrittenParts } from '../persistence/snapshot-store.js';
import type { Database } from '../persistence/schema.js';
import { handleJournaled, handleMissing } from './journal-replay.js';
import { utf8Slices, type WorkerParts } from './background-snapshot.js';

export interface SnapshotWorkerData {
  readonly databaseUrl: string;
  readonly database: OpenOptions;
  readonly kernelConfig: KernelConfig;
  readonly seq: number;
  /** Write the parts here (`SnapshotStore.writeParts`), in transactions of this many parts, pausing `pauseMs` after each. */
  readonly writeParts?: WorkerParts;
  /** A buffer shared with the parent: the UTF-8 goes there when it fits (from byte 0), else into a new buffer, transferred. */
  readonly into?: SharedArrayBuffer;
}

export type SnapshotWorkerMessage =
  | { readonly type: 'state'; readonly chars: number; readonly bytes?: Uint8Array; readonly shared?: number; readonly digest: string; readonly parts?: WrittenParts }
  | { readonly type: 'error'; readonly message: string; readonly unavailable: boolean };

/**
 * The kernel state at `seq`, rebuilt from the database (the restart path, without projection), as
 * UTF-8 with its SHA-256 (`stateDigest`), its parts written first when `data.writeParts` asks (on
 * the worker's own connection, recording that digest).
 */
export async function stateAndParts(
  data: SnapshotWorkerData,
): Promise<{ readonly chars: number; readonly bytes: Uint8Array<ArrayBufferLike>; readonly digest: string; readonly parts?: WrittenParts }> {
  const database = await openDatabase(data.databaseUrl, data.database);
  try {
    const state = await rebuild(database.db, data);
    const bytes = encode(state, data.into);
    const digest = stateDigest(bytes);
    if (data.writeParts === undefined) return { chars: state.length, bytes, digest };
    const parts = await new SnapshotStore(database.db).writeParts(data.seq, utf8Slices(bytes), { ...data.writeParts, digest });
    return { chars: state.length, bytes, digest, parts };
  } finally {
    await database.close();
  }
}

/** `state` as UTF-8: in `into` (a view of its first bytes) when it fits, else in a new buffer. */
function encode(state: string, into: SharedArrayBuffer | undefined): Uint8Array<ArrayBufferLike> {
  if (into !== undefined) {
    const view = new Uint8Array(into);
    const { read, written } = new TextEncoder().encodeInto(state, view);
    if (read === state.length) return view.subarray(0, written);
  }
  return new TextEncoder().encode(state);
}

async function rebuild(db: Kysely<Database>, data: SnapshotWorkerData): Promise<string> {
  const base = await new SnapshotStore(db).latestAtOrBefore(data.seq);
  const kernel = base === undefined ? new Kernel(data.kernelConfig) : Kernel.restore(data.kernelConfig, base.state);
  const journal = await JournalStore.open(db);
  replay: for await (const { seqs, texts } of journal.textPagesFrom(kernel.inputCount + 1, 10_000)) {
    for (let i = 0; i < seqs.length; i++) {
      const seq = seqs[i]!;
      if (seq > data.seq) break replay;
      // A seq missing from the journal takes its place set aside, as in the engine's restore.
      while (seq > kernel.inputCount + 1) handleMissing(kernel);
      handleJournaled(kernel, texts[i]!);
    }
  }
  if (kernel.inputCount !== data.seq) throw new Error(`rebuilt the kernel to seq ${kernel.inputCount}, not ${data.seq}`);
  return kernel.snapshot();
}

if (parentPort !== null && workerData !== undefined && (workerData as { snapshotWorker?: unknown }).snapshotWorker === true) {
  const port = parentPort;
  const data = (workerData as { data: SnapshotWorkerData }).data;
  stateAndParts(data).then(
    (result) => {
      const { bytes, ...rest } = result;
      // In the shared buffer: nothing to move. Otherwise the new buffer is moved, not copied.
      if (bytes.buffer === data.into) port.postMessage({ type: 'state', ...rest, shared: bytes.byteLength } satisfies SnapshotWorkerMessage);
      else port.postMessage({ type: 'state', ...rest, bytes } satisfies SnapshotWorkerMessage, [bytes.buffer as ArrayBuffer]);
      port.close();
    },
    (error: unknown) => {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      port.postMessage({ type: 'error', message, unavailable: isDatabaseUnavailable(error) } satisfies SnapshotWorkerMessage);
      port.close();
    },
  );
}
