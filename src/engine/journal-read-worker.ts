/**
 * The journal reader's thread (started by journal-reader.ts): reads the journal from a seq on its
 * own connection and hands the rows to its parent a page at a time, unparsed, as one string per
 * page (the rows' texts back to back) with their seqs and end offsets in transferred typed arrays:
 * the parent copies one string per page instead of building thousands of row objects. Market rows
 * (book deltas, trades) are parsed here and sent decoded beside the text (journal-row-decoder.ts). It keeps at
 * most `ahead` pages unacknowledged (each parent message acknowledges one). Nothing here writes.
 *
 * Messages to the parent: `{ type: 'page', seqs, ends, text }` per page, then `{ type: 'done' }`;
 * `{ type: 'error', message }` if a read fails.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase, type OpenOptions } from '../persistence/database.js';
import { JournalStore } from '../persistence/journal-store.js';
import { RowEncoder, transferables, type DecodedRows } from './journal-row-decoder.js';

export interface JournalReadWorkerData {
  readonly databaseUrl: string;
  readonly database: OpenOptions;
  readonly fromSeq: number;
  readonly pageSize: number;
  readonly ahead: number;
}

export type JournalReadWorkerMessage =
  | { readonly type: 'page'; readonly seqs: Float64Array; readonly ends: Uint32Array; readonly text: string; readonly decoded: DecodedRows }
  | { readonly type: 'done' }
  | { readonly type: 'error'; readonly message: string };

if (parentPort !== null && workerData !== undefined && (workerData as { journalReader?: unknown }).journalReader === true) {
  const port = parentPort;
  const data = (workerData as { data: JournalReadWorkerData }).data;
  let credit = data.ahead;
  let wake: (() => void) | undefined;
  port.on('message', () => {
    credit += 1;
    wake?.();
    wake = undefined;
  });
  const read = async () => {
    const database = await openDatabase(data.databaseUrl, data.database);
    try {
      const journal = await JournalStore.open(database.db);
      const encoder = new RowEncoder();
      for await (const page of journal.textPagesFrom(data.fromSeq, data.pageSize)) {
        while (credit === 0) await new Promise<void>((resolve) => (wake = resolve));
        credit -= 1;
        const seqs = Float64Array.from(page.seqs);
        const ends = new Uint32Array(page.texts.length);
        let end = 0;
        for (let i = 0; i < page.texts.length; i++) {
          const text = page.texts[i]!;
          encoder.add(text, end);
          ends[i] = end += text.length;
        }
        const decoded = encoder.take();
        const message: JournalReadWorkerMessage = { type: 'page', seqs, ends, text: page.texts.join(''), decoded };
        port.postMessage(message, [seqs.buffer, ends.buffer, ...transferables(decoded)]);
      }
      port.postMessage({ type: 'done' } satisfies JournalReadWorkerMessage);
    } finally {
      await database.close();
    }
  };
  read().then(
    () => port.close(),
    (error: unknown) => {
      port.postMessage({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies JournalReadWorkerMessage);
      port.close();
    },
  );
}
