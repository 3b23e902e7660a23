/**
 * The audit log: who did what, in paper or live mode, append-only.
 *
 * Guarantees: entries are never updated or deleted through this module; ids increase in append
 * order; `details` is stored as JSON text and returned parsed. Queries return entries oldest first.
 * Group commit: appends made together (before the promise jobs already queued have run) are
 * written in one transaction (one INSERT per 500 entries), and each `append` resolves only once its
 * transaction has committed and is on disk (`durableStatements`; on SQLite the transaction runs
 * directly on the driver, `directWrites`). The transaction commits before the event loop's next
 * turn, so that the WAL's fdatasync, which starts at that turn, covers it together with the
 * journal's commit of the command it records (ADR 0084).
 * Not modelled: retention (an operator's job) and tamper evidence (no hash chain).
 */
import { PostgresAdapter, type Kysely } from 'kysely';
import { durableStatements, type RawStatement } from './database.js';
import type { Database } from './schema.js';

export type AuditMode = 'paper' | 'live';

export interface AuditEntryInput {
  readonly at: number;
  readonly actor: string;
  readonly mode: AuditMode;
  readonly action: string;
  readonly accountId?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface AuditEntry {
  readonly id: number;
  readonly at: number;
  readonly actor: string;
  readonly mode: AuditMode;
  readonly action: string;
  readonly accountId: string | null;
  readonly details: Record<string, unknown>;
}

export interface AuditQuery {
  readonly accountId?: string;
  readonly actor?: string;
  readonly mode?: AuditMode;
  readonly action?: string;
  /** Inclusive lower bound on `at`. */
  readonly from?: number;
  /** Exclusive upper bound on `at`. */
  readonly to?: number;
  /** Only entries with a larger id (for paging). */
  readonly afterId?: number;
  /** Default 100, at most 10,000. */
  readonly limit?: number;
}

interface PendingEntry {
  readonly entry: AuditEntryInput;
  readonly resolve: (id: number) => void;
  readonly reject: (error: unknown) => void;
}

/** Entries per INSERT statement (7 values each, well under SQLite's 32,766 bound values). */
const ROWS_PER_INSERT = 500;

export class AuditLog {
  private queue: PendingEntry[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private readonly insertTexts = new Map<number, string>();
  constructor(private readonly db: Kysely<Database>) {}

  /** Appends one entry; resolves with its id once committed. */
  append(entry: AuditEntryInput): Promise<number> {
    if (!Number.isSafeInteger(entry.at)) return Promise.reject(new RangeError(`audit time must be Unix ms, got ${entry.at}`));
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      if (this.queue.length === 1) this.flushing = this.flushing.then(() => this.flush());
    });
  }

  /** The INSERT … RETURNING of `rows` entries as SQL text, built once per row count (no query builder per commit). */
  private insertText(rows: number): string {
    let text = this.insertTexts.get(rows);
    if (text === undefined) {
      const pg = this.db.getExecutor().adapter instanceof PostgresAdapter;
      const tuples = Array.from({ length: rows }, (_, r) => `(${Array.from({ length: 6 }, (_, c) => (pg ? `$${6 * r + c + 1}` : '?')).join(', ')})`);
      text = `insert into "audit_log" ("at", "actor", "mode", "action", "account_id", "details") values ${tuples.join(', ')} returning "id"`;
      if (this.insertTexts.size >= 64) this.insertTexts.clear();
      this.insertTexts.set(rows, text);
    }
    return text;
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    try {
      // One INSERT per 500 entries. Rows of one statement take increasing ids in VALUES order (one
      // writer), but RETURNING gives them in no promised order: sorted, they pair up with the batch.
      const parametersOf = (rows: readonly PendingEntry[]) => {
        const parameters: unknown[] = [];
        for (const { entry } of rows) parameters.push(entry.at, entry.actor, entry.mode, entry.action, entry.accountId ?? null, JSON.stringify(entry.details ?? {}));
        return parameters;
      };
      const statements: RawStatement[] = [];
      for (let i = 0; i < batch.length; i += ROWS_PER_INSERT) {
        const rows = batch.slice(i, i + ROWS_PER_INSERT);
        statements.push([this.insertText(rows.length), parametersOf(rows)]);
      }
      const returned = await durableStatements<{ id: number | bigint | string }>(this.db, statements, { returning: true });
      const ids = returned.flatMap((rows) => rows.map((r) => Number(r.id)).sort((a, b) => a - b));
      batch.forEach((p, i) => p.resolve(ids[i]!));
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }

  async query(q: AuditQuery = {}): Promise<AuditEntry[]> {
    const limit = Math.min(Math.max(1, q.limit ?? 100), 10_000);
    let query = this.db.selectFrom('audit_log').selectAll();
    if (q.accountId !== undefined) query = query.where('accountId', '=', q.accountId);
    if (q.actor !== undefined) query = query.where('actor', '=', q.actor);
    if (q.mode !== undefined) query = query.where('mode', '=', q.mode);
    if (q.action !== undefined) query = query.where('action', '=', q.action);
    if (q.from !== undefined) query = query.where('at', '>=', q.from);
    if (q.to !== undefined) query = query.where('at', '<', q.to);
    if (q.afterId !== undefined) query = query.where('id', '>', q.afterId);
    const rows = await query.orderBy('id').limit(limit).execute();
    return rows.map((r) => ({ ...r, id: Number(r.id), details: JSON.parse(r.details) as Record<string, unknown> }));
  }
}
