/**
 * The journal's rows for a restore, read on another thread: the worker (journal-read-worker.ts)
 * queries the database and the main thread only parses each row and runs the kernel, so on two
 * cores the reading overlaps the replay instead of taking turns with it.
 *
 * Guarantees: the pages are exactly `JournalStore.textPagesFrom(fromSeq)`'s rows, in order (each
 * row's text byte for byte; a row's text is a slice of its page's string). A page from the worker
 * also carries its market rows decoded (journal-row-decoder.ts), parsed on the worker's thread. If the worker cannot do
 * its part (a thread that will not start, a read that fails) the rest is read on this thread from
 * the first seq not yet yielded, so a failure surfaces as the database's own error, the same as
 * without the worker.
 * Not modelled: `sqlite::memory:` (no second connection sees it), and short replays (a snapshot's
 * tail, where the worker's start would cost more than the reading): read on this thread.
 * Cost: one worker start (tens of ms; under tsx, the loader's start too, about half a second,
 * which a head start read here fills); at most `ahead` pages in memory beyond the one being replayed.
 */
import { extend } from '../core/objects.js';
import type { OpenOptions } from '../persistence/database.js';
import type { JournalStore } from '../persistence/journal-store.js';
import { DecodedRowReader } from './journal-row-decoder.js';
import { canRebuildInWorker, siblingModule, startWorker } from './background-snapshot.js';
import type { JournalReadWorkerData, JournalReadWorkerMessage } from './journal-read-worker.js';

const WORKER_FILE = siblingModule('journal-read-worker');

/** A page as the replay reads it: seqs and texts, and from the worker its market rows decoded. */
export interface JournalRows {
  readonly seqs: ArrayLike<number>;
  readonly texts: readonly string[];
  readonly decoded?: DecodedRowReader;
}

/**
 * Rows to replay from which a worker pays for its start (tens of ms, more under tsx or a loaded
 * machine): a snapshot's short tail is read here.
 */
export const WORKER_READ_MIN_ROWS = 100_000;

/**
 * The journal's rows from `fromSeq` on, read by a worker when the database allows it and about
 * `rows` rows are to come (at least `WORKER_READ_MIN_ROWS`), else by `journal`. With `headStart`,
 * the rows below seq `fromSeq + headStart` are read here while the worker starts (it reads from that
 * seq on): a replay has rows to apply instead of waiting out the worker's start.
 */
export async function* journalRows(
  journal: JournalStore,
  databaseUrl: string,
  database: OpenOptions,
  fromSeq: number,
  pageSize: number,
  rows: number,
  ahead = 2,
  headStart = 0,
): AsyncGenerator<JournalRows, void, undefined> {
  let next = fromSeq;
  if (rows >= WORKER_READ_MIN_ROWS && canRebuildInWorker(databaseUrl)) {
    const boundary = fromSeq + Math.max(0, Math.floor(headStart));
    const pages = fromWorker(databaseUrl, database, boundary, pageSize, ahead);
    // Started now (the generator runs to its first wait), its first page awaited after the head start.
    const first = pages.next();
    let gaveUp = false;
    try {
      if (boundary > fromSeq) {
        yield* journal.textPagesFrom(fromSeq, Math.min(pageSize, boundary - fromSeq), boundary);
        next = boundary;
      }
      for (let step = await first; step.done !== true; step = await pages.next()) {
        const page = step.value;
        if (page === undefined) {
          gaveUp = true;
          break;
        }
        yield page;
        next = page.seqs[page.seqs.length - 1]! + 1;
      }
    } finally {
      // Stops the worker when the reading ends early (a consumer that stops, a head start that fails).
      first.catch(() => undefined);
      await pages.return();
    }
    if (!gaveUp) return;
  }
  // Here, from the first seq not yet yielded.
  yield* journal.textPagesFrom(next, pageSize);
}

/** Pages from the worker; `undefined` once it failed (the caller reads the rest itself), then the end. */
async function* fromWorker(databaseUrl: string, database: OpenOptions, fromSeq: number, pageSize: number, ahead: number): AsyncGenerator<JournalRows | undefined, void, undefined> {
  const options: OpenOptions = extend(database.schema !== undefined ? { schema: database.schema } : {}, extend(database.connectTimeoutMs !== undefined ? { connectTimeoutMs: database.connectTimeoutMs } : {}, {
    maxConnections: 1,
  }));
  const data: JournalReadWorkerData = { databaseUrl, database: options, fromSeq, pageSize, ahead };
  let worker;
  try {
    worker = await startWorker({ journalReader: true, data }, WORKER_FILE);
  } catch {
    yield undefined;
    return;
  }
  const inbox: JournalReadWorkerMessage[] = [];
  let failed = false;
  let wake: (() => void) | undefined;
  const signal = () => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (message: JournalReadWorkerMessage) => (inbox.push(message), signal()));
  worker.on('error', () => ((failed = true), signal()));
  worker.on('exit', () => ((failed = true), signal()));
  try {
    for (;;) {
      const message = inbox.shift();
      if (message === undefined) {
        if (failed) return yield undefined;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if (message.type === 'error') return yield undefined;
      if (message.type === 'done') return;
      worker.postMessage('next');
      const { seqs, ends, text, decoded } = message;
      const texts = new Array<string>(ends.length);
      for (let i = 0, start = 0; i < ends.length; start = ends[i]!, i++) texts[i] = text.slice(start, ends[i]);
      yield { seqs, texts, decoded: new DecodedRowReader(decoded, text) };
    }
  } finally {
    // Its 'error' listener stays: an error while it stops must not surface unhandled.
    worker.removeAllListeners('message');
    worker.removeAllListeners('exit');
    await worker.terminate();
  }
}
