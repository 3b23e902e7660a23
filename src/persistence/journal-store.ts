/**
 * The input journal: every state-affecting input, in order, before its effects are acknowledged.
 *
 * Guarantees:
 * - sequence numbers are assigned at `append` time, contiguous and increasing from `latestSeq() + 1`;
 * - group commit: appends made while no write is in flight are written together on the next turn of
 *   the event loop, in one transaction; appends made during a write go into the next one;
 * - `append` resolves only after the transaction holding its input has committed and is on disk
 *   (`durableTransaction`: on SQLite, an fdatasync of the WAL off the event loop), so an
 *   acknowledged input survives a crash; `appendText`'s `committed` is called before that, once the
 *   commit is visible (on a SQLite file: before the fdatasync; see `durableStatements`);
 * - a failed write rejects its appends and every later one until `resume()`: appends made meanwhile
 *   would leave a gap, and a journal with a gap cannot be replayed. `resume()` re-reads the committed
 *   head and continues after it, so whether the failed commit landed or not (a connection lost at
 *   COMMIT leaves it in doubt: `JournalWriteError.inDoubt`), seqs stay contiguous, with no gap and no
 *   duplicate;
 * - `readFrom` pages by key (seq), so reading 1,000,000 inputs holds one or two pages in memory;
 * - `compact` deletes a prefix, never a middle part: the journal is always one contiguous run of
 *   seqs up to its head (deletions need no fsync of their own: one undone by a power loss is redone
 *   by the next compaction).
 * Not modelled: several writers on one journal. One process owns it; a second writer would collide
 * on seq and fail its transaction.
 * Cost: one INSERT per 1,000 inputs per transaction (its SQL text built once per row count, no query
 * builder per commit; `durableStatements`: on SQLite the transaction runs directly on the driver); the
 * input's JSON text is stored byte for byte.
 */
import { performance } from 'node:perf_hooks';
import { PostgresAdapter, type Kysely } from 'kysely';
import type { KernelInput } from '../core/kernel/inputs.js';
import { directWrites, durableStatements, projectionTransaction, type RawStatement } from './database.js';
import type { Database } from './schema.js';

export interface JournalEntry {
  readonly seq: number;
  readonly at: number;
  readonly input: KernelInput;
  /** The input exactly as journaled. */
  readonly text: string;
}

/** A page of journal rows, unparsed, as columns: row i is seq `seqs[i]`, time `ats[i]`, text `texts[i]`. */
export interface JournalTextPage {
  readonly seqs: readonly number[];
  readonly ats: readonly number[];
  readonly texts: readonly string[];
}

/** A journal write failed; `inDoubt`: it failed at COMMIT, so its inputs may be durable all the same. */
export class JournalWriteError extends Error {
  override readonly name = 'JournalWriteError';
  constructor(
    message: string,
    readonly inDoubt: boolean,
    options: { readonly cause: unknown },
  ) {
    super(message, options);
  }
}

export interface JournalOptions {
  /** Rows per page when reading (default 5,000). */
  readonly pageSize?: number;
  /** Rows per INSERT statement within a commit (default 1,000; SQLite binds at most 32,766 values). */
  readonly rowsPerStatement?: number;
}

interface Pending {
  readonly seq: number;
  readonly at: number;
  readonly text: string;
  readonly committed: (() => void) | undefined;
  readonly resolve: (seq: number) => void;
  readonly reject: (error: unknown) => void;
}

export class JournalStore {
  private assigned: number;
  private queue: Pending[] = [];
  private scheduled = false;
  private writing: Promise<void> | undefined;
  private failure: unknown;
  private readonly pageSize: number;
  private readonly rowsPerStatement: number;
  private readonly insertTexts = new Map<number, string>();

  private constructor(
    private readonly db: Kysely<Database>,
    lastSeq: number,
    options: JournalOptions,
  ) {
    this.assigned = lastSeq;
    this.pageSize = positive(options.pageSize ?? 5_000, 'pageSize');
    this.rowsPerStatement = positive(options.rowsPerStatement ?? 1_000, 'rowsPerStatement');
  }

  /** Opens the journal, continuing after the last committed input. */
  static async open(db: Kysely<Database>, options: JournalOptions = {}): Promise<JournalStore> {
    return new JournalStore(db, await latestJournalSeq(db), options);
  }

  /** The sequence number the next `append` will get. */
  get nextSeq(): number {
    return this.assigned + 1;
  }

  /**
   * Journals one input; resolves with its sequence number once it is durable.
   * `at` defaults to the input's own time.
   */
  append(input: KernelInput, at: number = input.time): Promise<number> {
    return this.appendText(JSON.stringify(input), at);
  }

  /**
   * `append` for an input already in its JSON text (stored byte for byte; the caller vouches that it
   * is the input's `JSON.stringify`), so that a caller which needs the text anyway serializes once.
   * `committed` (it must not throw) is called once the input's transaction has committed, before the
   * promise resolves: on a SQLite file before the WAL's fdatasync (`durableStatements`); not at all
   * when the write fails before its COMMIT.
   */
  appendText(text: string, at: number, committed?: () => void): Promise<number> {
    if (this.failure !== undefined) return Promise.reject(this.stopped());
    if (!Number.isSafeInteger(at)) return Promise.reject(new RangeError(`journal time must be Unix ms, got ${at}`));
    const seq = ++this.assigned;
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ seq, at, text, committed, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything appended so far is durable (or rejects if a write failed). */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.writing !== undefined || this.scheduled) {
      if (this.failure !== undefined) throw this.stopped();
      await (this.writing ?? new Promise<void>((r) => setImmediate(r)));
    }
    if (this.failure !== undefined) throw this.stopped();
  }

  /** True after a failed write, until `resume()`. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Resolves once no write is queued or in flight (each append resolved or rejected); never rejects. */
  async settle(): Promise<void> {
    while (this.queue.length > 0 || this.writing !== undefined || this.scheduled) {
      await (this.writing ?? new Promise<void>((r) => setImmediate(r)));
    }
  }

  /**
   * After a failed write: re-reads the committed head and continues after it (the failed group's
   * seqs are handed out again if its commit did not land). Resolves with the head. Rejects, still
   * stopped, when the database cannot be read; call again later.
   */
  async resume(): Promise<number> {
    await this.settle();
    const head = await latestJournalSeq(this.db);
    if (this.queue.length > 0 || this.writing !== undefined || this.scheduled) throw new Error('inputs were appended while the journal resumed');
    this.assigned = head;
    this.failure = undefined;
    return head;
  }

  private stopped(): JournalWriteError {
    return new JournalWriteError('the journal stopped after a failed write', false, { cause: this.failure });
  }

  /** The highest committed sequence number, 0 when the journal is empty. */
  latestSeq(): Promise<number> {
    return latestJournalSeq(this.db);
  }

  /** The lowest seq the journal holds (above 1 once compacted), 0 when it is empty. */
  async firstSeq(): Promise<number> {
    const row = await this.db.selectFrom('journal').select((eb) => eb.fn.min('seq').as('seq')).executeTakeFirst();
    return row?.seq == null ? 0 : Number(row.seq);
  }

  /**
   * Compaction: deletes the oldest inputs, those before `beforeSeq` (the oldest snapshot a restart
   * may start from) whose time is more than `retentionMs` behind the newest input's (the inputs'
   * own clock, so a replay of old data keeps as much as a live run). The journal stays one
   * contiguous run of seqs ending at its head; the head itself is never deleted. Deletes at most
   * `rowsPerDelete` rows per transaction and yields to the event loop between them, so a large
   * compaction never holds the database or the loop for long; on SQLite (whose driver holds the
   * loop) a transaction deletes `COMPACT_CHUNK_ROWS` at a time, oldest first, and commits once
   * `budgetMs` (default 1) has passed: 2,000 rows in one statement took 1–30 ms (ADR 0048).
   * Resolves with the rows deleted.
   * The cut-off is found by binary search over primary-key lookups, taking the inputs' times as
   * non-decreasing in seq (the kernel's clock never runs back; an input stamped earlier than the one
   * before it can move the cut-off by that little).
   */
  async compact(beforeSeq: number, retentionMs: number, rowsPerDelete = 2_000, budgetMs = 1): Promise<number> {
    if (!Number.isSafeInteger(retentionMs) || retentionMs < 0) throw new RangeError(`retentionMs must be a whole number ≥ 0, got ${retentionMs}`);
    if (!Number.isFinite(budgetMs) || budgetMs < 0) throw new RangeError(`budgetMs must be a number ≥ 0, got ${budgetMs}`);
    positive(rowsPerDelete, 'rowsPerDelete');
    const head = await this.db.selectFrom('journal').select(['seq', 'at']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    const first = await this.firstSeq();
    if (head === undefined || first === 0) return 0;
    const cutoff = Number(head.at) - retentionMs;
    const timeAt = async (seq: number) => {
      const row = await this.db.selectFrom('journal').select('at').where('seq', '>=', seq).orderBy('seq').limit(1).executeTakeFirst();
      return row === undefined ? Number.POSITIVE_INFINITY : Number(row.at);
    };
    // The last seq to delete: below `beforeSeq` and below the head, with its time before the cut-off.
    let lo = first - 1;
    let hi = Math.min(beforeSeq, Number(head.seq)) - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi + 1) / 2);
      if ((await timeAt(mid)) < cutoff) lo = mid;
      else hi = mid - 1;
    }
    let deleted = 0;
    const direct = directWrites(this.db)?.(false);
    for (let from = first; from <= lo; ) {
      const last = Math.min(lo, from + rowsPerDelete - 1);
      if (direct !== undefined) {
        // SQLite holds the event loop while it deletes: chunks of `COMPACT_CHUNK_ROWS`, committed
        // once `budgetMs` has passed (or `rowsPerDelete` rows are gone). Each chunk deletes a
        // prefix, so a transaction cut anywhere leaves one contiguous run.
        const [upTo, rows] = await direct((sql) => {
          const started = performance.now();
          let to = from - 1;
          let n = 0;
          while (to < last) {
            to = Math.min(last, to + COMPACT_CHUNK_ROWS);
            // The rows deleted, not the seqs passed: a seq missing from the journal is no row.
            n += sql.run(DELETE_JOURNAL_UP_TO, [to]);
            if (performance.now() - started >= budgetMs) break;
          }
          return [to, n] as const;
        });
        deleted += rows;
        from = upTo + 1;
      } else {
        // Bounded below as well as above: PostgreSQL keeps deleted rows' index entries until a
        // vacuum, and a scan of `seq <= last` alone walks every one of them again, batch after
        // batch (1,000,000 rows in 2,000-row batches: 18.6 s against 3.8 s bounded). Nothing lies
        // below `from`, so the batch still deletes a prefix.
        const result = await projectionTransaction(this.db, (tx) => tx.deleteFrom('journal').where('seq', '>=', from).where('seq', '<=', last).executeTakeFirst());
        deleted += Number(result.numDeletedRows);
        from = last + 1;
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return deleted;
  }

  /** Inputs with seq ≥ `fromSeq`, in order, read a page at a time (the next page is fetched while this one is consumed). */
  async *readFrom(fromSeq: number, pageSize: number = this.pageSize): AsyncGenerator<JournalEntry, void, undefined> {
    for await (const page of this.pagesFrom(fromSeq, pageSize)) yield* page;
  }

  /**
   * `readFrom` a page at a time: one await per page instead of one per input, for callers that go
   * through a million inputs (a restore). Pages are non-empty.
   */
  async *pagesFrom(fromSeq: number, pageSize: number = this.pageSize): AsyncGenerator<JournalEntry[], void, undefined> {
    for await (const page of this.textPagesFrom(fromSeq, pageSize)) {
      const entries = new Array<JournalEntry>(page.seqs.length);
      for (let i = 0; i < entries.length; i++) {
        const text = page.texts[i]!;
        entries[i] = { seq: page.seqs[i]!, at: page.ats[i]!, input: parseJournaled(text), text };
      }
      yield entries;
    }
  }

  /**
   * The journal's rows as text, a page at a time, unparsed: for a replay that parses each input
   * just before the kernel takes it (`parseJournaled`), so that a page of parsed inputs never lives
   * long enough to reach the collector's old space. Pages are non-empty. With `beforeSeq`, only
   * the rows below that seq.
   */
  async *textPagesFrom(fromSeq: number, pageSize: number = this.pageSize, beforeSeq = Number.POSITIVE_INFINITY): AsyncGenerator<JournalTextPage, void, undefined> {
    positive(pageSize, 'pageSize');
    const bounded = Number.isFinite(beforeSeq);
    const page = (from: number) =>
      this.db
        .selectFrom('journal')
        .select(['seq', 'at', 'input'])
        .where('seq', '>=', from)
        .$if(bounded, (query) => query.where('seq', '<', beforeSeq))
        .orderBy('seq')
        .limit(pageSize)
        .execute();
    let rows = await page(fromSeq);
    while (rows.length > 0) {
      const last = rows[rows.length - 1]!;
      const next = rows.length === pageSize && Number(last.seq) + 1 < beforeSeq ? page(Number(last.seq) + 1) : undefined;
      // Keep a rejected prefetch from surfacing as unhandled if the consumer stops early.
      next?.catch(() => undefined);
      const seqs = new Array<number>(rows.length);
      const ats = new Array<number>(rows.length);
      const texts = new Array<string>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        seqs[i] = Number(row.seq);
        ats[i] = Number(row.at);
        texts[i] = row.input;
      }
      yield { seqs, ats, texts };
      if (next === undefined) return;
      rows = await next;
    }
  }

  private schedule(): void {
    if (this.scheduled || this.writing !== undefined) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.writing = this.drain().finally(() => {
        this.writing = undefined;
        if (this.queue.length > 0) this.schedule();
      });
    });
  }

  /**
   * The INSERT of `rows` journal rows, as SQL text: built once per row count and kept, so that a
   * commit group costs its statement's execution and not a query builder's work per row.
   */
  private insertText(rows: number): string {
    let text = this.insertTexts.get(rows);
    if (text === undefined) {
      const pg = this.db.getExecutor().adapter instanceof PostgresAdapter;
      const tuples = Array.from({ length: rows }, (_, r) => (pg ? `($${3 * r + 1}, $${3 * r + 2}, $${3 * r + 3})` : '(?, ?, ?)'));
      text = `insert into "journal" ("seq", "at", "input") values ${tuples.join(', ')}`;
      if (this.insertTexts.size >= 64) this.insertTexts.clear();
      this.insertTexts.set(rows, text);
    }
    return text;
  }

  private async drain(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let written = false;
    const parametersOf = (rows: readonly Pending[]) => {
      const parameters: unknown[] = [];
      for (const { seq, at, text } of rows) parameters.push(seq, at, text);
      return parameters;
    };
    const statements: RawStatement[] = [];
    for (let i = 0; i < batch.length; i += this.rowsPerStatement) {
      const rows = batch.slice(i, i + this.rowsPerStatement);
      statements.push([this.insertText(rows.length), parametersOf(rows)]);
    }
    try {
      await durableStatements(this.db, statements, { ran: () => (written = true), committed: () => batch.forEach((p) => p.committed?.()) });
    } catch (error) {
      this.failure = error;
      const failed = new JournalWriteError(`journal write of seq ${batch[0]!.seq}..${batch.at(-1)!.seq} failed`, written, { cause: error });
      for (const p of batch) p.reject(failed);
      for (const p of this.queue.splice(0)) p.reject(this.stopped());
      return;
    }
    for (const p of batch) p.resolve(p.seq);
  }
}

/** The journal's highest seq as stored, 0 when it holds no row. */
export async function latestJournalSeq(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('journal').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
  return row?.seq == null ? 0 : Number(row.seq);
}

/** Rows per DELETE statement when SQLite compacts (about 0.1–1 ms each). */
const COMPACT_CHUNK_ROWS = 100;
const DELETE_JOURNAL_UP_TO = 'delete from journal where seq <= ?';

function positive(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`${name} must be a positive whole number, got ${n}`);
  return n;
}

/**
 * The journaled input; a row that is not JSON (damaged storage) comes back as its text, which the
 * kernel refuses as INVALID_INPUT, so that the restore sets it aside instead of stopping.
 */
export function parseJournaled(text: string): KernelInput {
  try {
    return JSON.parse(text) as KernelInput;
  } catch {
    return text as unknown as KernelInput;
  }
}
