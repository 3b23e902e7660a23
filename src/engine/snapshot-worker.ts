/**
 * The snapshot worker's thread (started by background-snapshot.ts): rebuilds the kernel state at
 * journal seq `seq` from the database alone (the newest snapshot at or before it, then the
 * journal up to it, exactly as a restart does), serializes it, and hands it to its parent as UTF-8:
 * written into the buffer the parent shares (`into`) when it fits, else in one transferred buffer
 * (moved, not copied: the parent's heap never holds the whole state as a string), with the SHA-256 of those bytes (`stateDigest`, hashed here so that the event loop does
 * not). With `writeParts`, it first writes the state's parts itself on its own connection
 * (`SnapshotStore.writeParts`, all committed before it answers); publishing them is the parent's.
 * With `deleteUnread` it then waits for the parent's word: `'published'` and it deletes the parts no
 * snapshot reads any more (`SnapshotStore.deleteUnreadParts`, paced), `'done'` and it stops.
 * Otherwise nothing here writes to the database. The base snapshot it rebuilds on is checked as a
 * restart checks it: a damaged one fails the rebuild (`SnapshotDamagedError`).
 *
 * Messages to the parent: `{ type: 'state', chars, bytes, shared, digest, parts }` (`bytes`:
 * the transferred buffer, or `shared`: how many bytes of `into` hold the state; `parts`: what it
 * wrote, absent without `writeParts`), or `{ type: 'error', message, unavailable }` if the rebuild
 * or a write fails (`unavailable`: for want of a connection, `isDatabaseUnavailable`); after
 * `'published'`, `{ type: 'deleted', error? }` once the deletes are done or have failed.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Kysely } from 'kysely';
import { Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import { extend } from '../core/objects.js';
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
  /** After the state, wait for the parent's publish and delete the parts no snapshot reads, pausing `pauseMs` between transactions. */
  readonly deleteUnread?: { readonly pauseMs: number };
}

export type SnapshotWorkerMessage =
  | { readonly type: 'state'; readonly chars: number; readonly bytes?: Uint8Array; readonly shared?: number; readonly digest: string; readonly parts?: WrittenParts }
  | { readonly type: 'error'; readonly message: string; readonly unavailable: boolean }
  | { readonly type: 'deleted'; readonly error?: string };

/** The parent's word after the state: its publish landed (delete what no snapshot reads), or stop. */
export type SnapshotWorkerCommand = 'published' | 'done';

/**
 * The kernel state at `seq`, rebuilt from the database (the restart path, without projection), as
 * UTF-8 with its SHA-256 (`stateDigest`), its parts written first when `data.writeParts` asks (on
 * the worker's own connection, recording that digest).
 */
export async function stateAndParts(
  data: SnapshotWorkerData,
  afterState?: (answer: StateAnswer, store: SnapshotStore) => Promise<void>,
): Promise<StateAnswer> {
  const database = await openDatabase(data.databaseUrl, data.database);
  try {
    const state = await rebuild(database.db, data);
    const bytes = encode(state, data.into);
    const digest = stateDigest(bytes);
    const store = new SnapshotStore(database.db);
    const parts = data.writeParts === undefined ? undefined : await store.writeParts(data.seq, utf8Slices(bytes), extend(data.writeParts, { digest }));
    const answer = { chars: state.length, bytes, digest, ...(parts !== undefined ? { parts } : {}) };
    await afterState?.(answer, store);
    return answer;
  } finally {
    await database.close();
  }
}

/** What `stateAndParts` gives: the state's length in UTF-16 units, its UTF-8, their digest, and the parts written. */
export interface StateAnswer {
  readonly chars: number;
  readonly bytes: Uint8Array<ArrayBufferLike>;
  readonly digest: string;
  readonly parts?: WrittenParts;
}

/** Sends `answer` to the parent: in the shared buffer nothing moves; otherwise the new buffer is moved, not copied. */
function sendState(port: MessagePort, answer: StateAnswer, into: SharedArrayBuffer | undefined): void {
  const { bytes, ...rest } = answer;
  if (bytes.buffer === into) port.postMessage({ type: 'state', ...rest, shared: bytes.byteLength } satisfies SnapshotWorkerMessage);
  else port.postMessage({ type: 'state', ...rest, bytes } satisfies SnapshotWorkerMessage, [bytes.buffer as ArrayBuffer]);
}

/** After the state: the parent's word, then (on `'published'`) the deletes, answered with `deleted`. */
async function deleteUnreadOnWord(port: MessagePort, store: SnapshotStore, pauseMs: number): Promise<void> {
  const word = await new Promise<SnapshotWorkerCommand>((resolve) => port.once('message', resolve));
  if (word !== 'published') return;
  try {
    await store.deleteUnreadParts({ pauseMs });
    port.postMessage({ type: 'deleted' } satisfies SnapshotWorkerMessage);
  } catch (error) {
    port.postMessage({ type: 'deleted', error: error instanceof Error ? error.message : String(error) } satisfies SnapshotWorkerMessage);
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
  const deleteUnread = data.deleteUnread;
  let sent = false;
  stateAndParts(
    data,
    deleteUnread === undefined
      ? undefined
      : async (answer, store) => {
          sendState(port, answer, data.into);
          sent = true;
          await deleteUnreadOnWord(port, store, deleteUnread.pauseMs);
        },
  ).then(
    (result) => {
      if (!sent) sendState(port, result, data.into);
      port.close();
    },
    (error: unknown) => {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      port.postMessage({ type: 'error', message, unavailable: isDatabaseUnavailable(error) } satisfies SnapshotWorkerMessage);
      port.close();
    },
  );
}
