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
import { isAscii } from 'node:buffer';
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
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
/**
 * The same on PostgreSQL, as a binary COPY (a bigint and the text's UTF-8 bytes per row, no escapes):
 * the driver hands over the bytes as they arrive instead of a row array and a decoded string per row.
 */
function postgresPage(from: number, limit: number): string {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`not a page: from ${from}, ${limit} rows`);
  return `copy (select "seq", "input" from "journal" where "seq" >= ${from} order by "seq" limit ${limit}) to stdout (format binary)`;
}

/**
 * A page's rows: `texts` one string per row, or (`text`, `ends`) the rows' texts back to back in one
 * string, row `i` from `ends[i - 1]` (0 for the first) to `ends[i]`, in UTF-16 code units.
 */
type RowPage = { readonly seqs: Float64Array; readonly texts: string[] } | { readonly seqs: Float64Array; readonly text: string; readonly ends: Uint32Array };

/**
 * The journal's rows from `data.fromSeq` on, a page at a time (`JournalStore.textPagesFrom`'s
 * pages: non-empty, in seq order, each row's text as stored). On SQLite the worker reads with the
 * driver on a connection of its own, rows as arrays, not through the query builder: a row object
 * per row, its `at` and the query builder's plugin passes per row were 8 % of the worker's time and
 * most of its garbage, and the worker is the restore's slower thread. On PostgreSQL each page is a
 * binary COPY (`copyOut`, `pageOfCopy`): its bytes whole, an ASCII page decoded as one string
 * instead of a row array and a string per row (the driver's parse of those, the join of the texts
 * and their garbage were about a third of the worker's busy time). Its connection only reads.
 */
async function* rowPages(data: JournalReadWorkerData): AsyncGenerator<RowPage, void, undefined> {
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
  // PostgreSQL: one client of its own, each page one binary COPY, the next page asked for while this one is sent.
  const schema = data.database.schema;
  if (schema !== undefined) checkSchemaName(schema);
  const client = new pg.Client({
    connectionString: parsed.connectionString,
    connectionTimeoutMillis: data.database.connectTimeoutMs ?? 5_000,
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  });
  // A broken connection fails the copy in flight (the parent then reads the rest itself).
  client.on('error', () => undefined);
  await client.connect();
  try {
    // One page's bytes and its texts' bytes, reused from page to page (a page is read once the one before is decoded).
    let spare: Buffer = Buffer.allocUnsafe(COPY_BUFFER_BYTES);
    const scratch: { texts: Buffer } = { texts: Buffer.allocUnsafe(COPY_BUFFER_BYTES) };
    const page = (from: number) => copyOut(client, postgresPage(from, data.pageSize), spare);
    let pending = page(data.fromSeq);
    for (;;) {
      const { bytes, whole } = await pending;
      const rows = pageOfCopy(bytes, scratch);
      // The page's rows are strings and arrays of their own now.
      spare = whole;
      const count = rows.seqs.length;
      if (count === 0) return;
      const full = count === data.pageSize;
      if (full) {
        pending = page(rows.seqs[count - 1]! + 1);
        // Not left unhandled if the parent stops early.
        pending.catch(() => undefined);
      }
      yield rows;
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
      const { seqs } = page;
      let text: string;
      let ends: Uint32Array;
      if ('texts' in page) {
        const { texts } = page;
        ends = new Uint32Array(texts.length);
        let end = 0;
        for (let i = 0; i < texts.length; i++) {
          const row = texts[i]!;
          encoder.add(row, end);
          ends[i] = end += row.length;
        }
        text = texts.join('');
      } else {
        ({ text, ends } = page);
        for (let i = 0, start = 0; i < ends.length; start = ends[i]!, i++) encoder.add(text, start, start, ends[i]);
      }
      const decoded = encoder.take();
      const message: JournalReadWorkerMessage = { type: 'page', seqs, ends, text, decoded };
      port.postMessage(message, [seqs.buffer as ArrayBuffer, ends.buffer as ArrayBuffer, ...transferables(decoded)]);
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

/** The size a page's COPY buffers start at (a page of 10,000 market rows is about 5 MB); each grows as a page needs. */
const COPY_BUFFER_BYTES = 1 << 23;

/** The signature that opens a binary COPY's output. */
const COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * A page from its binary COPY's bytes (PostgreSQL's format: the signature, flags and a header
 * extension, then per row a field count (2), each field's length and bytes, then -1): the seqs, and
 * the texts as one string with their ends when every byte is ASCII (one decode per page), else one
 * string per row decoded as UTF-8 (as the driver decodes them). Throws on bytes not in that form.
 * `scratch.texts` holds the texts' bytes while they are decoded (replaced by a larger one when short).
 */
function pageOfCopy(bytes: Buffer, scratch: { texts: Buffer }): RowPage {
  if (bytes.length < 19 || !bytes.subarray(0, 11).equals(COPY_SIGNATURE)) throw new Error('not a binary COPY');
  const first = 19 + bytes.readUInt32BE(15);
  // First pass: the rows and the texts' length, and the form checked.
  let count = 0;
  let textBytes = 0;
  let at = first;
  for (;;) {
    const fields = bytes.readInt16BE(at);
    if (fields === -1) break;
    if (fields !== 2 || bytes.readInt32BE(at + 2) !== 8) throw new Error(`binary COPY: unexpected row at byte ${at}`);
    const length = bytes.readInt32BE(at + 14);
    if (length < 0) throw new Error(`binary COPY: a null text at byte ${at}`);
    count += 1;
    textBytes += length;
    at += 18 + length;
  }
  const seqs = new Float64Array(count);
  if (scratch.texts.length < textBytes) scratch.texts = Buffer.allocUnsafe(Math.max(textBytes, 2 * scratch.texts.length));
  const joined = scratch.texts.subarray(0, textBytes);
  const ends = new Uint32Array(count);
  at = first;
  for (let i = 0, end = 0; i < count; i++) {
    seqs[i] = bytes.readInt32BE(at + 6) * 2 ** 32 + bytes.readUInt32BE(at + 10);
    const length = bytes.readInt32BE(at + 14);
    bytes.copy(joined, end, at + 18, at + 18 + length);
    ends[i] = end += length;
    at += 18 + length;
  }
  // ASCII: a byte is a code unit, so the byte ends are the string's.
  if (isAscii(joined)) return { seqs, text: joined.toString('latin1', 0, textBytes), ends };
  const texts = new Array<string>(count);
  for (let i = 0, start = 0; i < count; start = ends[i]!, i++) texts[i] = joined.toString('utf8', start, ends[i]);
  return { seqs, texts };
}

/**
 * One COPY … TO STDOUT on `client` (through pg-copy-streams): its output's bytes, whole (`bytes`, a
 * view of `whole`: `into`, or a larger buffer when that was short). Rejects with the server's or the
 * connection's error.
 */
async function copyOut(client: pg.Client, text: string, into: Buffer): Promise<{ readonly bytes: Buffer; readonly whole: Buffer }> {
  let whole = into;
  let length = 0;
  for await (const chunk of client.query(copyTo(text)) as AsyncIterable<Buffer>) {
    if (length + chunk.length > whole.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * whole.length, length + chunk.length));
      whole.copy(grown, 0, 0, length);
      whole = grown;
    }
    chunk.copy(whole, length);
    length += chunk.length;
  }
  return { bytes: whole.subarray(0, length), whole };
}
