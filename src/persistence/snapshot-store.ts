/**
 * Kernel snapshots: opaque state text tagged with the sequence number of the last input it includes.
 *
 * Guarantees: a snapshot becomes visible in one transaction (its row, then a prune to the newest
 * `keep`, their parts with them), committed to disk before `save`/`saveInParts` resolves, so a crash
 * leaves either the old set or the new one; saving the same seq again replaces it; `latest` returns
 * the snapshot with the highest seq. Recovery is `latest()` plus the journal from `seq + 1`.
 * `saveInParts` writes a large state one part per transaction (rows of `snapshot_parts`) before
 * that last transaction, with a turn of the event loop after each: the database, and SQLite's one
 * connection with the event loop, is never held for longer than one part takes (about a ms for a
 * 16 Ki-character part), however the parts arrive (a worker's messages, read back to back, would
 * otherwise all run in one turn). On SQLite a part given as UTF-8 bytes goes in as a blob cast to
 * text, without a string of it on the caller's heap. `saveInParts` is `writeParts` then
 * `publishParts`, which another connection may split: the parts written and committed there (the
 * snapshot worker's own connection), then published here; `publishParts` checks that the database
 * holds exactly the parts written, in the same transaction as the row, so a set written by half
 * is never published.
 * Integrity: the row records how many parts the state is in, the number of the first, and the
 * SHA-256 of the state's UTF-8 bytes (`stateDigest`, computed by whoever made the state: the
 * snapshot worker hashes its own bytes); every read (`latest`, `latestAtOrBefore`, `read`) checks
 * them and throws `SnapshotDamagedError` (a part missing, changed or cut short) rather than return
 * another state. Rows written before these columns existed (null) are read unchecked, as before;
 * a save of such a row's seq first records the range of parts it reads, so the new parts never join it.
 * A seq saved again never loses its published copy first: `writeParts` deletes nothing and
 * numbers its parts after every part that seq already has, and the publish points the row at the
 * new ones in its transaction; a crash before it leaves the old row on its old parts.
 * Parts no snapshot reads any more (a pruned snapshot's, those of a save that did not finish, those
 * a seq saved again replaced) are deleted after the prune, not inside it, in transactions of at
 * most `PARTS_PER_DELETE` parts (on SQLite, cut short after `cleanupBudgetMs` of deletes) with a
 * turn between: a crash before they are gone leaves rows no snapshot reads, which the next publish
 * deletes.
 * Durability: parts are committed without a sync of their own; the publish's commit is synced (on
 * SQLite, an fdatasync of the WAL, which holds every frame committed before it, whichever
 * connection wrote them; a WAL torn before the publish's frame has no publish either).
 * Not modelled: what the state means (the kernel owns its format); two writers of one seq at once
 * (the engine saves one snapshot at a time).
 * Cost of the check: one SHA-256 pass over the state at each read, on the reading thread (13–85 ms
 * for a 30 MB state on a loaded 2-core machine; ADR 0047).
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import { extend } from '../core/objects.js';
import { directWrites, durableTransaction, projectionTransaction } from './database.js';
import type { Database } from './schema.js';

export interface Snapshot {
  readonly seq: number;
  readonly at: number;
  readonly state: string;
}

/**
 * A snapshot whose stored state fails its check on read: parts missing or out of their range, or a
 * state whose SHA-256 is not the one recorded at its save. `reason` says which; the state is never
 * returned.
 */
export class SnapshotDamagedError extends Error {
  override readonly name = 'SnapshotDamagedError';
  constructor(
    readonly seq: number,
    readonly reason: string,
  ) {
    super(`snapshot ${seq} is damaged: ${reason}`);
  }
}

/** What `writeParts` wrote, for `publishParts`: parts `first` … `first + parts - 1` of the seq, and the state's digest. */
export interface WrittenParts {
  readonly first: number;
  readonly parts: number;
  /** `stateDigest` of the parts joined (lowercase hex), or undefined when not known (the row then records none). */
  readonly digest?: string;
}

/** SHA-256 of a state's UTF-8 bytes (a string is encoded as UTF-8 first), as lowercase hex: what a snapshot row records. */
export function stateDigest(state: string | Uint8Array): string {
  return createHash('sha256').update(state).digest('hex');
}

export interface SnapshotOptions {
  /** How many snapshots to keep (default 3, at least 1). */
  readonly keep?: number;
  /**
   * SQLite: a cleanup transaction (parts no snapshot reads) commits once its deletes have taken
   * this long, in ms, even with fewer than 16 parts (default 1; 0: one part per transaction).
   */
  readonly cleanupBudgetMs?: number;
}

/**
 * Characters per part for `saveInParts` callers that split a string themselves. With 100,000
 * resting orders, 64 Ki parts left sections of 5–13 ms on the event loop; 16 Ki parts, under 6 ms.
 */
export const SNAPSHOT_PART_CHARS = 16_384;

/** Parts deleted per transaction when parts are cleared, at most: about 1 MB of pages freed per step. */
const PARTS_PER_DELETE = 16;

/** On SQLite, a cleanup transaction commits once its deletes have taken this long (ms), even with fewer parts. */
const DELETE_BUDGET_MS = 1;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A wait of `ms` (a timer), or a turn of the event loop when `ms` is not given or not positive. */
const pauseOf = (ms: number | undefined): (() => Promise<void>) => (ms === undefined || ms <= 0 ? turn : () => new Promise<void>((resolve) => setTimeout(resolve, ms)));

/** A part of a state: text, or (from `utf8Slices`) its UTF-8 bytes, never split inside a character. */
export type SnapshotPart = string | Uint8Array;

export interface WritePartsOptions {
  /** Parts per transaction (default 1). */
  readonly partsPerTransaction?: number;
  /** Wait after each transaction, in ms (default: a turn of the event loop). */
  readonly pauseMs?: number;
  /**
   * `stateDigest` of the whole state, when its maker computed it (the snapshot worker, on its own
   * thread): the parts are then not hashed here. Default: they are, as they are written.
   */
  readonly digest?: string;
}

const INSERT_TEXT = 'insert into snapshot_parts (seq, part, state) values (?, ?, ?)';
const NEXT_UNREAD_PARTS = 'select part from snapshot_parts where seq = ? and (part < ? or part >= ?) order by part limit ?';
const DELETE_PART = 'delete from snapshot_parts where seq = ? and part = ?';
const INSERT_UTF8 = 'insert into snapshot_parts (seq, part, state) values (?, ?, cast(? as text))';
// ignoreBOM: a part that begins with U+FEFF (text in a name, cut there) keeps it; by default it is dropped as a byte order mark.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const asBuffer = (bytes: Uint8Array) => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

export class SnapshotStore {
  private readonly keep: number;
  private readonly cleanupBudgetMs: number;

  constructor(
    private readonly db: Kysely<Database>,
    options: SnapshotOptions = {},
  ) {
    const keep = options.keep ?? 3;
    if (!Number.isSafeInteger(keep) || keep < 1) throw new RangeError(`keep must be a whole number ≥ 1, got ${keep}`);
    this.keep = keep;
    const budget = options.cleanupBudgetMs ?? DELETE_BUDGET_MS;
    if (!Number.isFinite(budget) || budget < 0) throw new RangeError(`cleanupBudgetMs must be a number ≥ 0, got ${budget}`);
    this.cleanupBudgetMs = budget;
  }

  /** Saves `state` whole, in the snapshot's row (its digest beside it). An empty state is refused. */
  async save(seq: number, at: number, state: string): Promise<void> {
    check(seq, at);
    if (state === '') throw new Error(`snapshot ${seq} has an empty state`);
    await this.publish(seq, at, { state, parts: 0, firstPart: 0, digest: stateDigest(state) });
  }

  /**
   * Saves the state given as parts, in order (`parts` yields them; it may be slow, e.g. a worker
   * serializing); each part is written in its own transaction (or `options.partsPerTransaction`),
   * and the snapshot appears only once all are written. An empty state is refused.
   */
  async saveInParts(seq: number, at: number, parts: AsyncIterable<SnapshotPart> | Iterable<SnapshotPart>, options: WritePartsOptions = {}): Promise<void> {
    check(seq, at);
    await this.publishParts(seq, at, await this.writeParts(seq, parts, options));
  }

  /**
   * The first half of `saveInParts`, for a writer with a connection of its own (the snapshot
   * worker's): writes `parts` in order, `partsPerTransaction` per transaction, waiting `pauseMs`
   * (or a turn of the event loop) after each, numbered from just after the last part `seq` already
   * has (0 when it has none), so that a published copy of `seq` stays whole until the publish
   * replaces it; deletes nothing. Resolves with what it wrote, all committed, and the state's
   * digest (`options.digest`, or the parts hashed as written). Nothing is visible until
   * `publishParts`; parts never published are deleted by the next publish.
   */
  async writeParts(seq: number, parts: AsyncIterable<SnapshotPart> | Iterable<SnapshotPart>, options: WritePartsOptions = {}): Promise<WrittenParts> {
    check(seq, 0);
    const perTransaction = options.partsPerTransaction ?? 1;
    if (!Number.isSafeInteger(perTransaction) || perTransaction < 1) throw new RangeError(`partsPerTransaction must be a whole number ≥ 1, got ${perTransaction}`);
    const pause = pauseOf(options.pauseMs);
    await this.rangeUnrangedRow(seq);
    // After the published copy of `seq` and any set an earlier attempt left: nothing of it is touched.
    const last = await this.db.selectFrom('snapshot_parts').select((eb) => eb.fn.max('part').as('part')).where('seq', '=', seq).executeTakeFirst();
    const first = last?.part == null ? 0 : Number(last.part) + 1;
    const hash = options.digest === undefined ? createHash('sha256') : undefined;
    const direct = directWrites(this.db)?.(false);
    let written = 0;
    let batch: { seq: number; part: number; state: SnapshotPart }[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const rows = batch;
      batch = [];
      if (direct !== undefined) {
        // SQLite: UTF-8 bytes go in as a blob read as text (the database's encoding): no string is
        // made of them on this thread. A part never splits a character (`utf8Slices`).
        await direct((sql) => {
          for (const row of rows) sql.run(typeof row.state === 'string' ? INSERT_TEXT : INSERT_UTF8, [row.seq, row.part, typeof row.state === 'string' ? row.state : asBuffer(row.state)]);
        });
      } else {
        const values = rows.map((row) => ({ seq: row.seq, part: row.part, state: typeof row.state === 'string' ? row.state : utf8.decode(row.state) }));
        await projectionTransaction(this.db, (tx) => tx.insertInto('snapshot_parts').values(values).execute());
      }
      await pause();
    };
    for await (const state of parts) {
      if (state.length === 0) continue;
      hash?.update(state);
      batch.push({ seq, part: first + written++, state });
      if (batch.length >= perTransaction) await flush();
    }
    await flush();
    const digest = options.digest ?? hash?.digest('hex');
    return { first, parts: written, ...(digest !== undefined ? { digest } : {}) };
  }

  /**
   * A row of `seq` written before 0009 in parts (no range recorded) reads every part of its seq:
   * the parts a save of `seq` writes would join it until their publish. Records the range it reads
   * now (lowest to highest part; a gap then reads as a part missing), its digest still unknown.
   */
  private async rangeUnrangedRow(seq: number): Promise<void> {
    const row = await this.db.selectFrom('snapshots').select(['parts', 'state']).where('seq', '=', seq).executeTakeFirst();
    if (row === undefined || row.parts !== null || row.state !== '') return;
    const range = await this.db
      .selectFrom('snapshot_parts')
      .select((eb) => [eb.fn.min('part').as('lo'), eb.fn.max('part').as('hi')])
      .where('seq', '=', seq)
      .executeTakeFirst();
    if (range?.lo == null || range.hi == null) return;
    const [lo, hi] = [Number(range.lo), Number(range.hi)];
    await projectionTransaction(this.db, (tx) => tx.updateTable('snapshots').set({ parts: hi - lo + 1, firstPart: lo }).where('seq', '=', seq).where('parts', 'is', null).execute());
  }

  /**
   * The second half of `saveInParts`: makes the snapshot of `seq`, whose parts `written` says are
   * written and committed (`writeParts`), the latest, as `save` does (a copy of `seq` already
   * published is replaced in the same transaction), then deletes the parts no snapshot reads.
   * Refuses (and publishes nothing) when the database does not hold exactly those parts, and none
   * of `seq` after them. With `deleteUnread: false` the deletes are left to the caller
   * (`deleteUnreadParts`, on another connection: the snapshot worker's).
   */
  async publishParts(seq: number, at: number, written: WrittenParts, options: { readonly deleteUnread?: boolean } = {}): Promise<void> {
    check(seq, at);
    if (written.parts === 0) throw new Error(`snapshot ${seq} has an empty state`);
    if (!Number.isSafeInteger(written.first) || written.first < 0 || !Number.isSafeInteger(written.parts) || written.parts < 0) throw new RangeError(`snapshot ${seq}: parts must be whole numbers ≥ 0, got first ${written.first}, ${written.parts} parts`);
    await this.publish(seq, at, { state: '', parts: written.parts, firstPart: written.first, digest: written.digest ?? null }, options.deleteUnread ?? true);
  }

  /** The snapshot row (state '' when in parts) and the prune in one transaction; then, with `deleteUnread`, the parts no snapshot reads. */
  private async publish(seq: number, at: number, row: { state: string; parts: number; firstPart: number; digest: string | null }, deleteUnread = true): Promise<void> {
    await durableTransaction(this.db, async (tx) => {
      await tx
        .insertInto('snapshots')
        .values({ seq, at, ...row })
        .onConflict((oc) => oc.column('seq').doUpdateSet({ at, ...row }))
        .execute();
      // After the write (a transaction that reads first cannot wait for another writer on SQLite).
      if (row.parts > 0) {
        const found = await tx
          .selectFrom('snapshot_parts')
          .select((eb) => [eb.fn.countAll<number | string | bigint>().as('count'), eb.fn.max('part').as('last')])
          .where('seq', '=', seq)
          .where('part', '>=', row.firstPart)
          .executeTakeFirst();
        const count = Number(found?.count ?? 0);
        if (count !== row.parts || Number(found?.last ?? -1) !== row.firstPart + row.parts - 1) throw new Error(`snapshot ${seq} not published: ${row.parts} parts were written, the database holds ${count}`);
      }
      const kept = await tx.selectFrom('snapshots').select('seq').orderBy('seq', 'desc').offset(this.keep - 1).limit(1).executeTakeFirst();
      if (kept !== undefined) await tx.deleteFrom('snapshots').where('seq', '<', kept.seq).execute();
    });
    if (deleteUnread) await this.deleteUnreadParts();
  }

  /**
   * Deletes the parts no snapshot row reads: those of pruned snapshots and of saves that never
   * finished, then those outside the range their row reads (a seq saved again), in short
   * transactions (`deleteParts`), waiting `pauseMs` between them (a turn of the event loop when
   * not given: another connection's writer, such as the engine's, gets the write lock between
   * two). What a publish runs after its transaction; safe at any time and from any connection.
   */
  async deleteUnreadParts(options: { readonly pauseMs?: number } = {}): Promise<void> {
    const pause = pauseOf(options.pauseMs);
    // Parts of pruned snapshots and of saves that never finished (no row), then those outside the
    // range a row reads (a seq saved again, whole or in parts). The queries read no `state`: a
    // whole state is megabytes of overflow pages to compare. Rows written before `parts` was
    // recorded read every part of their seq: theirs stay.
    const unread = await this.db
      .selectFrom('snapshot_parts')
      .select('seq')
      .distinct()
      .where('seq', 'not in', (eb) => eb.selectFrom('snapshots').select('seq'))
      .execute();
    for (const { seq: stray } of unread) await this.deleteParts(Number(stray), 0, 0, pause);
    const ranged = await this.db.selectFrom('snapshots').select(['seq', 'parts', 'firstPart']).where('parts', 'is not', null).execute();
    for (const r of ranged) await this.deleteParts(Number(r.seq), Number(r.firstPart ?? 0), Number(r.firstPart ?? 0) + Number(r.parts), pause);
  }

  /**
   * Deletes the parts of `seq` outside `keepFrom` … `keepTo - 1` (all of them when the range is
   * empty), in short transactions with `pause` between. On SQLite (the driver
   * holds the event loop) a transaction deletes one part at a time, lowest first, and commits once
   * `cleanupBudgetMs` (default `DELETE_BUDGET_MS`) have passed or `PARTS_PER_DELETE` parts are gone: a part's delete reads its
   * chain of overflow pages, usually well under a ms but at times tens of ms for 16 parts on a
   * busy disk (ADR 0048), so a batch is cut by time, not by count. Elsewhere `PARTS_PER_DELETE`
   * per transaction. A crash between transactions leaves parts no snapshot reads: the next
   * publish deletes them.
   */
  private async deleteParts(seq: number, keepFrom: number, keepTo: number, pause: () => Promise<void>): Promise<void> {
    const direct = directWrites(this.db)?.(false);
    if (direct !== undefined) {
      for (;;) {
        const deleted = await direct((sql) => {
          const started = performance.now();
          const parts = sql.all<{ part: number | bigint }>(NEXT_UNREAD_PARTS, [seq, keepFrom, keepTo, PARTS_PER_DELETE]);
          let n = 0;
          for (const { part } of parts) {
            sql.run(DELETE_PART, [seq, part]);
            n += 1;
            if (performance.now() - started >= this.cleanupBudgetMs) break;
          }
          return n;
        });
        if (deleted === 0) return;
        await pause();
      }
    }
    for (;;) {
      const next = await this.db
        .selectFrom('snapshot_parts')
        .select((eb) => eb.fn.min('part').as('part'))
        .where('seq', '=', seq)
        .where((eb) => eb.or([eb('part', '<', keepFrom), eb('part', '>=', keepTo)]))
        .executeTakeFirst();
      if (next?.part == null) return;
      const from = Number(next.part);
      const to = from < keepFrom ? Math.min(from + PARTS_PER_DELETE, keepFrom) : from + PARTS_PER_DELETE;
      await projectionTransaction(this.db, (tx) => tx.deleteFrom('snapshot_parts').where('seq', '=', seq).where('part', '>=', from).where('part', '<', to).execute());
      await pause();
    }
  }

  /** The snapshot with the highest seq, checked (throws `SnapshotDamagedError` when it fails its check). */
  async latest(): Promise<Snapshot | undefined> {
    return this.whole(await this.db.selectFrom('snapshots').select(ROW).orderBy('seq', 'desc').limit(1).executeTakeFirst());
  }

  /** The newest snapshot whose seq is at most `seq` (a restart that must also rebuild events up to `seq`), checked as `latest`. */
  async latestAtOrBefore(seq: number): Promise<Snapshot | undefined> {
    return this.whole(await this.db.selectFrom('snapshots').select(ROW).where('seq', '<=', seq).orderBy('seq', 'desc').limit(1).executeTakeFirst());
  }

  /** The snapshot of exactly `seq`, checked as `latest`, or undefined when there is none. */
  async read(seq: number): Promise<Snapshot | undefined> {
    return this.whole(await this.db.selectFrom('snapshots').select(ROW).where('seq', '=', seq).executeTakeFirst());
  }

  /** The time the snapshot of `seq` was published with, or undefined when there is none. */
  async publishedAt(seq: number): Promise<number | undefined> {
    const row = await this.db.selectFrom('snapshots').select('at').where('seq', '=', seq).executeTakeFirst();
    return row === undefined ? undefined : Number(row.at);
  }

  /** Sequence numbers of the snapshots kept, newest first. */
  async list(): Promise<number[]> {
    const rows = await this.db.selectFrom('snapshots').select('seq').orderBy('seq', 'desc').execute();
    return rows.map((r) => Number(r.seq));
  }

  /** The row's state: in it, or its parts joined; checked against the part count and digest it records. */
  private async whole(row: Row | undefined): Promise<Snapshot | undefined> {
    if (row === undefined) return undefined;
    const seq = Number(row.seq);
    const snapshot = { seq, at: Number(row.at) };
    if (row.parts === null) {
      // Written before parts and digests were recorded: every part of the seq, unchecked.
      if (row.state !== '') return extend(snapshot, { state: row.state });
      const parts = await this.db.selectFrom('snapshot_parts').select('state').where('seq', '=', seq).orderBy('part').execute();
      return extend(snapshot, { state: parts.map((p) => p.state).join('') });
    }
    const count = Number(row.parts);
    let state = row.state;
    if (count > 0) {
      if (row.state !== '') throw new SnapshotDamagedError(seq, `its row holds ${row.state.length} characters of state beside its ${count} parts`);
      const first = Number(row.firstPart ?? 0);
      const parts = await this.db.selectFrom('snapshot_parts').select(['part', 'state']).where('seq', '=', seq).where('part', '>=', first).where('part', '<', first + count).orderBy('part').execute();
      if (parts.length !== count) {
        const missing = parts.findIndex((p, i) => Number(p.part) !== first + i);
        throw new SnapshotDamagedError(seq, `it holds ${parts.length} of its ${count} parts (part ${missing < 0 ? parts.length : missing} missing)`);
      }
      state = parts.map((p) => p.state).join('');
    }
    if (state === '') throw new SnapshotDamagedError(seq, 'its state is empty');
    if (row.digest !== null) {
      const digest = stateDigest(state);
      if (digest !== row.digest) throw new SnapshotDamagedError(seq, `its state (${state.length} characters) does not match its digest: SHA-256 ${digest.slice(0, 16)}…, recorded ${row.digest.slice(0, 16)}…`);
    }
    return extend(snapshot, { state });
  }
}

const ROW = ['seq', 'at', 'state', 'parts', 'firstPart', 'digest'] as const;
type Row = Pick<Database['snapshots'], (typeof ROW)[number]>;

function check(seq: number, at: number): void {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`snapshot seq must be a whole number ≥ 0, got ${seq}`);
  if (!Number.isSafeInteger(at)) throw new RangeError(`snapshot time must be Unix ms, got ${at}`);
}
