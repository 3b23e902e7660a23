/**
 * WAL checkpoints of a SQLite file off the event loop: a worker thread with its own connection runs
 * `PRAGMA wal_checkpoint(PASSIVE)` every `intervalMs`.
 *
 * Why: SQLite checkpoints on the connection that commits, inside its COMMIT, once the WAL holds
 * `wal_autocheckpoint` pages (1,000 by default): the commit copies those 4 MiB into the database
 * file and fsyncs both, on the calling thread. Under a steady write load (every order commits the
 * journal, the audit log and the read tables) that stopped the event loop for tens of ms every few
 * hundred ms, every request behind it waiting.
 *
 * Guarantees: a PASSIVE checkpoint never blocks the writer or a reader (it copies what no reader
 * still needs and leaves the rest for the next one); it fsyncs the WAL before copying and the
 * database file after, as SQLite always does, so durability is SQLite's own. The writer's connection
 * keeps an automatic checkpoint at `fallbackPages` (10,000 pages, 40 MiB): if the worker falls behind
 * (a long read pinning old frames) or dies, the WAL is still bounded, checkpointed the old way.
 * Cost: one thread per SQLite file opened on the main thread, mostly asleep.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Pages the WAL may reach before the writer checkpoints it itself (the worker's fallback). */
export const FALLBACK_CHECKPOINT_PAGES = 10_000;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
let closed = false;
const checkpoint = () => {
  if (closed) return;
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: another checkpoint runs; the next tick tries again */ }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  closed = true;
  clearInterval(timer);
  try { db.close(); } finally { parentPort.postMessage('closed'); }
});
`;

export class WalCheckpointer {
  private readonly worker: Worker;
  private closing: Promise<void> | undefined;
  private exited = false;

  /** Starts checkpointing the SQLite file at `path` (already open, in WAL mode). */
  constructor(path: string, intervalMs = 100) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver, intervalMs } });
    // A worker that fails leaves the writer's fallback checkpoint in charge; nothing to stop for.
    this.worker.on('error', () => undefined);
    this.worker.once('exit', () => (this.exited = true));
    this.worker.unref();
  }

  /** Stops the worker after its checkpoint in progress, if any, and closes its connection. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.exited) return resolve();
      const done = () => {
        void this.worker.terminate().finally(resolve);
      };
      this.worker.once('message', done);
      this.worker.once('exit', () => resolve());
      this.worker.postMessage('close');
    });
    return this.closing;
  }
}
