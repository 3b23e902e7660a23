/**
 * The journal reader's thread (started by journal-reader.ts): reads the journal from a seq on its
 * own connection (the driver's own, not the query builder's: see `rowPages`) and hands the rows to
 * its parent a page at a time, unparsed, as one string per page (the rows' texts back to back)
 * with their seqs and end offsets in transferred typed arrays: the parent copies one string per
 * page instead of building thousands of row objects. Market rows (book deltas, trades) are parsed
 * here and sent decoded beside the text (journal-row-decoder.ts). It keeps at most `ahead` pages
 * unacknowledged (each parent message acknowledges one). Nothing here writes.
 *
 * Messages to the parent: `{ type: 'page', seqs, ends, text }` per page, then `{ type: 'done' }`;
 * `{ type: 'error', message }` if a read fails.
 */
import SqliteDatabase from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { checkSchemaName, parseDatabaseUrl, type OpenOptions } from '../persistence/database.js';
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

/** The page query on SQLite's driver: rows as arrays (`raw`), only the columns the reader sends. */
const SQLITE_PAGE = 'select "seq", "input" from "journal" where "seq" >= ? order by "seq" limit ?';
/** The same on PostgreSQL (`seq` as its text: a bigint, read with `Number`). */
const POSTGRES_PAGE = 'select "seq", "input" from "journal" where "seq" >= $1 order by "seq" limit $2';

/**
 * The journal's rows from `data.fromSeq` on, a page at a time (`JournalStore.textPagesFrom`'s
 * pages: non-empty, in seq order, each row's text as stored). On SQLite the worker reads with the
 * driver on a connection of its own, rows as arrays, not through the query builder: a row object
 * per row, its `at` and the query builder's plugin passes per row were 8 % of the worker's time and
 * most of its garbage, and the worker is the restore's slower thread. Its connection only reads.
 */
async function* rowPages(data: JournalReadWorkerData): AsyncGenerator<{ readonly seqs: Float64Array; readonly texts: string[] }, void, undefined> {
  const parsed = parseDatabaseUrl(data.databaseUrl);
  if (parsed.dialect === 'sqlite') {
    const sqlite = new SqliteDatabase(parsed.path, { fileMustExist: true });
    try {
      sqlite.pragma('busy_timeout = 5000');
      const page = sqlite.prepare<[number, number], [number, string]>(SQLITE_PAGE).raw(true);
      for (let from = data.fromSeq; ; ) {
        const rows = page.all(from, data.pageSize);
        if (rows.length === 0) return;
        const { seqs, texts } = pageOf(rows);
        // Before the yield: the reader transfers the page's seqs to the parent.
        from = seqs[rows.length - 1]! + 1;
        yield { seqs, texts };
        if (rows.length < data.pageSize) return;
      }
    } finally {
      sqlite.close();
    }
  }
  // PostgreSQL: one client of its own, rows as arrays, the next page asked for while this one is sent.
  const schema = data.database.schema;
  if (schema !== undefined) checkSchemaName(schema);
  const client = new pg.Client({
    connectionString: parsed.connectionString,
    connectionTimeoutMillis: data.database.connectTimeoutMs ?? 5_000,
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  });
  // A broken connection fails the query in flight (the parent then reads the rest itself).
  client.on('error', () => undefined);
  await client.connect();
  try {
    const page = (from: number) => client.query<[string, string]>({ text: POSTGRES_PAGE, values: [from, data.pageSize], rowMode: 'array' });
    let pending = page(data.fromSeq);
    for (;;) {
      const { rows } = await pending;
      if (rows.length === 0) return;
      const { seqs, texts } = pageOf(rows);
      const full = rows.length === data.pageSize;
      if (full) {
        pending = page(seqs[rows.length - 1]! + 1);
        // Not left unhandled if the parent stops early.
        pending.catch(() => undefined);
      }
      yield { seqs, texts };
      if (!full) return;
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

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
    const encoder = new RowEncoder();
    for await (const page of rowPages(data)) {
      while (credit === 0) await new Promise<void>((resolve) => (wake = resolve));
      credit -= 1;
      const { seqs, texts } = page;
      const ends = new Uint32Array(texts.length);
      let end = 0;
      for (let i = 0; i < texts.length; i++) {
        const text = texts[i]!;
        encoder.add(text, end);
        ends[i] = end += text.length;
      }
      const decoded = encoder.take();
      const message: JournalReadWorkerMessage = { type: 'page', seqs, ends, text: texts.join(''), decoded };
      port.postMessage(message, [seqs.buffer as ArrayBuffer, ends.buffer, ...transferables(decoded)]);
    }
    port.postMessage({ type: 'done' } satisfies JournalReadWorkerMessage);
  };
  read().then(
    () => port.close(),
    (error: unknown) => {
      port.postMessage({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies JournalReadWorkerMessage);
      port.close();
    },
  );
}

/** A page's rows as the driver gives them (`[seq, text]`, seq a number or, from pg, a string) as seqs and texts. */
function pageOf(rows: ReadonlyArray<readonly [number | string, string]>): { seqs: Float64Array; texts: string[] } {
  const seqs = new Float64Array(rows.length);
  const texts = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    seqs[i] = Number(row[0]);
    texts[i] = row[1];
  }
  return { seqs, texts };
}
