/**
 * The snapshot worker's thread (started by background-snapshot.ts): rebuilds the kernel state at
 * journal seq `seq` from the database alone (the newest snapshot at or before it, then the
 * journal up to it, exactly as a restart does), serializes it, and hands it to its parent one part
 * at a time, each when asked. Nothing here writes to the database.
 *
 * Messages to the parent: `{ type: 'ready', chars }` once the state is serialized, then, for each
 * message the parent sends (any: "next"), `{ type: 'part', state }`, and after the last part
 * `{ type: 'done', parts }`; `{ type: 'error', message }` if the rebuild fails.
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
  readonly partChars: number;
}

export type SnapshotWorkerMessage =
  | { readonly type: 'ready'; readonly chars: number }
  | { readonly type: 'part'; readonly state: string }
  | { readonly type: 'done'; readonly parts: number }
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
      let offset = 0;
      let parts = 0;
      port.on('message', () => {
        if (offset >= state.length) {
          port.postMessage({ type: 'done', parts } satisfies SnapshotWorkerMessage);
          port.close();
          return;
        }
        const part = state.slice(offset, offset + data.partChars);
        offset += data.partChars;
        parts += 1;
        port.postMessage({ type: 'part', state: part } satisfies SnapshotWorkerMessage);
      });
      port.postMessage({ type: 'ready', chars: state.length } satisfies SnapshotWorkerMessage);
    },
    (error: unknown) => {
      port.postMessage({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies SnapshotWorkerMessage);
      port.close();
    },
  );
}
