/**
 * The writer lease: one row (`service_settings.writer_lease`) naming the one process that owns a
 * database's journal. `serve` and `papertrade accounts` take it before they open the engine, so two
 * writers can never both append to one journal; the server also records its URL in it, so that a
 * command line tool finds the running server and goes through its API instead.
 *
 * Guarantees:
 * - taking the lease is a compare-and-swap on the row (insert if absent, update only the exact
 *   value read), so of two processes racing for it exactly one wins, on SQLite and PostgreSQL alike;
 * - a lease is live while its holder is: on the same host, while its process exists (a zombie or a
 *   vanished pid frees it at once, so a killed server restarts without waiting); on another host,
 *   while its heartbeat (renewed every 10 s while the engine is open) is younger than 60 s;
 * - release deletes the row only if it is still ours; a lease found taken over by someone else is
 *   reported through `onLost` (the engine then stops: it is no longer the writer).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Database } from '../persistence/schema.js';

export const WRITER_LEASE_KEY = 'writer_lease';
export const LEASE_HEARTBEAT_MS = 10_000;
export const LEASE_STALE_MS = 60_000;

/** Who holds the lease, as stored. */
export interface LeaseHolder {
  /** What kind of process: `server`, `accounts`, … */
  readonly role: string;
  readonly pid: number;
  readonly host: string;
  readonly since: number;
  readonly heartbeat: number;
  /** The server's base URL, once it listens. */
  readonly url?: string;
  readonly token: string;
}

export class WriterLeaseHeldError extends Error {
  override readonly name = 'WriterLeaseHeldError';
  constructor(readonly holder: LeaseHolder) {
    super(`the database is in use by ${describeHolder(holder)}`);
  }
}

export function describeHolder(holder: LeaseHolder): string {
  const where = holder.host === hostname() ? `pid ${holder.pid}` : `pid ${holder.pid} on ${holder.host}`;
  return `papertrade ${holder.role} (${where}${holder.url !== undefined ? `, ${holder.url}` : ''}, since ${new Date(holder.since).toISOString()})`;
}

/** True while the holder's process is there (same host) or its heartbeat is recent (another host). */
export function isLive(holder: LeaseHolder, now: number = Date.now()): boolean {
  if (holder.host === hostname()) return processExists(holder.pid);
  return now - holder.heartbeat < LEASE_STALE_MS;
}

/** The current live holder, if any. */
export async function currentWriter(db: Kysely<Database>): Promise<LeaseHolder | undefined> {
  const row = await db.selectFrom('service_settings').select('value').where('key', '=', WRITER_LEASE_KEY).executeTakeFirst();
  if (row === undefined) return undefined;
  const holder = parseHolder(row.value);
  return holder !== undefined && isLive(holder) ? holder : undefined;
}

export interface AcquireOptions {
  /** Keep trying this long while a live holder has it (default 0: fail at once). */
  readonly waitMs?: number;
  /** Called once, when a live holder is found and `waitMs` leaves time to wait for it: who it is and how long the wait may be (ms). */
  readonly onWait?: (holder: LeaseHolder, waitMs: number) => void;
  readonly onLost?: (error: Error) => void;
}

export class WriterLease {
  private value: string;
  private timer: NodeJS.Timeout | undefined;
  private released = false;
  private renewing: Promise<void> = Promise.resolve();

  private constructor(
    private db: Kysely<Database>,
    private holder: LeaseHolder,
    private readonly onLost: (error: Error) => void,
  ) {
    this.value = JSON.stringify(holder);
  }

  /** Takes the lease for `role`, or throws `WriterLeaseHeldError` naming who has it. */
  static async acquire(db: Kysely<Database>, role: string, options: AcquireOptions = {}): Promise<WriterLease> {
    const deadline = Date.now() + (options.waitMs ?? 0);
    let told = false;
    for (;;) {
      const now = Date.now();
      const mine: LeaseHolder = { role, pid: process.pid, host: hostname(), since: now, heartbeat: now, token: randomUUID() };
      const value = JSON.stringify(mine);
      const row = await db.selectFrom('service_settings').select('value').where('key', '=', WRITER_LEASE_KEY).executeTakeFirst();
      let held: LeaseHolder | undefined;
      if (row === undefined) {
        const result = await db.insertInto('service_settings').values({ key: WRITER_LEASE_KEY, value }).onConflict((c) => c.column('key').doNothing()).executeTakeFirst();
        if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 1) return new WriterLease(db, mine, options.onLost ?? (() => undefined));
      } else {
        const holder = parseHolder(row.value);
        if (holder !== undefined && isLive(holder, now)) held = holder;
        else {
          const result = await db.updateTable('service_settings').set({ value }).where('key', '=', WRITER_LEASE_KEY).where('value', '=', row.value).executeTakeFirst();
          if (Number(result.numUpdatedRows) === 1) return new WriterLease(db, mine, options.onLost ?? (() => undefined));
        }
      }
      if (held !== undefined && Date.now() >= deadline) throw new WriterLeaseHeldError(held);
      if (held !== undefined && !told) {
        told = true;
        options.onWait?.(held, deadline - Date.now());
      }
      if (held !== undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  get current(): LeaseHolder {
    return this.holder;
  }

  /** Renews (every 10 s) and releases through `db` from now on: the engine's own connection, once it is open. */
  useDatabase(db: Kysely<Database>): void {
    this.db = db;
    if (!this.released && this.timer === undefined) {
      this.timer = setInterval(() => void this.rewrite({ ...this.holder, heartbeat: Date.now() }).catch(() => undefined), LEASE_HEARTBEAT_MS);
      this.timer.unref();
    }
  }

  /** Stops renewing (before the connection it renews through closes); `release` still works. */
  async pause(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.renewing;
  }

  /** Records the server's URL in the lease, for command line tools to find it. */
  announce(url: string): Promise<void> {
    return this.rewrite({ ...this.holder, url, heartbeat: Date.now() });
  }

  /** Gives the lease up (deletes the row if it is still ours). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.renewing;
    await this.db.deleteFrom('service_settings').where('key', '=', WRITER_LEASE_KEY).where('value', '=', this.value).execute();
  }

  private rewrite(next: LeaseHolder): Promise<void> {
    const run = this.renewing.then(async () => {
      if (this.released) return;
      const value = JSON.stringify(next);
      const result = await this.db.updateTable('service_settings').set({ value }).where('key', '=', WRITER_LEASE_KEY).where('value', '=', this.value).executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) {
        this.released = true;
        if (this.timer !== undefined) clearInterval(this.timer);
        const error = new Error('the writer lease was taken over by another process; this one no longer owns the journal');
        this.onLost(error);
        throw error;
      }
      this.value = value;
      this.holder = next;
    });
    this.renewing = run.catch(() => undefined);
    return run;
  }
}

function parseHolder(value: string): LeaseHolder | undefined {
  try {
    const holder = JSON.parse(value) as Partial<LeaseHolder>;
    if (typeof holder.pid !== 'number' || typeof holder.host !== 'string' || typeof holder.heartbeat !== 'number' || typeof holder.role !== 'string') return undefined;
    return holder as LeaseHolder;
  } catch {
    return undefined;
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A killed child its parent has not reaped yet still answers signal 0: a zombie holds nothing.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
