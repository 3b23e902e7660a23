/**
 * The snapshot worker's thread (started by background-snapshot.ts): rebuilds the kernel state at
 * journal seq `seq` from the database alone (the newest snapshot at or before it, then the
 * journal up to it, exactly as a restart does), serializes it, and hands it to its parent as UTF-8
 * in one transferred buffer (moved, not copied: the parent's heap never holds the whole state as a
 * string). Nothing here writes to the database.
 *
 * Messages to the parent: one, `{ type: 'state', chars, bytes }`, or `{ type: 'error', message }` if
 * the rebuild fails.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import { openDatabase, type OpenOptions } from '../persistence/database.js';
import { JournalStore } from '../persistence/journal-store.js';
import { SnapshotStore } from '../persistence/snapshot-store.js';
import { handleJournaled, handleMissing } from './journal-replay.js';

export interface SnapshotWorkerData {
  readonly databaseUrl: string;
  readonly database: OpenOptions;
  readonly kernelConfig: KernelConfig;
  readonly seq: number;
}

export type SnapshotWorkerMessage =
  | { readonly type: 'state'; readonly chars: number; readonly bytes: Uint8Array }
  | { readonly type: 'error'; readonly message: string };

/** The kernel state at `seq`, rebuilt from the database (the restart path, without projection). */
export async function stateAt(data: SnapshotWorkerData): Promise<string> {
  const database = await openDatabase(data.databaseUrl, data.database);
  try {
    const base = await new SnapshotStore(database.db).latestAtOrBefore(data.seq);
    const kernel = base === undefined ? new Kernel(data.kernelConfig) : Kernel.restore(data.kernelConfig, base.state);
    const journal = await JournalStore.open(database.db);
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
  } finally {
    await database.close();
  }
}

if (parentPort !== null && workerData !== undefined && (workerData as { snapshotWorker?: unknown }).snapshotWorker === true) {
  const port = parentPort;
  const data = (workerData as { data: SnapshotWorkerData }).data;
  stateAt(data).then(
    (state) => {
      const bytes = new TextEncoder().encode(state);
      port.postMessage({ type: 'state', chars: state.length, bytes } satisfies SnapshotWorkerMessage, [bytes.buffer]);
      port.close();
    },
    (error: unknown) => {
      port.postMessage({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies SnapshotWorkerMessage);
      port.close();
    },
  );
}
