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
 * is never published. Parts no snapshot reads any more (a pruned snapshot's, those of a save that
 * did not finish, those of a seq saved again whole) are deleted after the prune, `PARTS_PER_DELETE`
 * per transaction with a turn between, not inside it: a crash before they are gone leaves rows no
 * snapshot reads, which the next save deletes.
 * Durability: parts are committed without a sync of their own; the publish's commit is synced (on
 * SQLite, an fdatasync of the WAL, which holds every frame committed before it, whichever
 * connection wrote them; a WAL torn before the publish's frame has no publish either).
 * Not modelled: what the state means (the kernel owns its format).
 */
import type { Kysely } from 'kysely';
import { directWrites, durableTransaction, projectionTransaction } from './database.js';
import type { Database } from './schema.js';

export interface Snapshot {
  readonly seq: number;
  readonly at: number;
  readonly state: string;
}

export interface SnapshotOptions {
  /** How many snapshots to keep (default 3, at least 1). */
  readonly keep?: number;
}

/**
 * Characters per part for `saveInParts` callers that split a string themselves. With 100,000
 * resting orders, 64 Ki parts left sections of 5–13 ms on the event loop; 16 Ki parts, under 6 ms.
 */
export const SNAPSHOT_PART_CHARS = 16_384;

/** Parts deleted per transaction when parts are cleared: about 1 MB of pages freed per step. */
const PARTS_PER_DELETE = 16;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A part of a state: text, or (from `utf8Slices`) its UTF-8 bytes, never split inside a character. */
export type SnapshotPart = string | Uint8Array;

export interface WritePartsOptions {
  /** Parts per transaction (default 1). */
  readonly partsPerTransaction?: number;
  /** Wait after each transaction, in ms (default: a turn of the event loop). */
  readonly pauseMs?: number;
}

const INSERT_TEXT = 'insert into snapshot_parts (seq, part, state) values (?, ?, ?)';
const INSERT_UTF8 = 'insert into snapshot_parts (seq, part, state) values (?, ?, cast(? as text))';
// ignoreBOM: a part that begins with U+FEFF (text in a name, cut there) keeps it; by default it is dropped as a byte order mark.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const asBuffer = (bytes: Uint8Array) => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

export class SnapshotStore {
  private readonly keep: number;

  constructor(
    private readonly db: Kysely<Database>,
    options: SnapshotOptions = {},
  ) {
    const keep = options.keep ?? 3;
    if (!Number.isSafeInteger(keep) || keep < 1) throw new RangeError(`keep must be a whole number ≥ 1, got ${keep}`);
    this.keep = keep;
  }

  async save(seq: number, at: number, state: string): Promise<void> {
    check(seq, at);
    await this.publish(seq, at, state);
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
   * worker's): deletes any parts of `seq` left by an earlier attempt, writes `parts` in order,
   * `partsPerTransaction` per transaction, waiting `pauseMs` (or a turn of the event loop) after
   * each, and resolves with how many it wrote, all committed. Nothing is visible until
   * `publishParts`; parts never published are deleted by the next publish.
   */
  async writeParts(seq: number, parts: AsyncIterable<SnapshotPart> | Iterable<SnapshotPart>, options: WritePartsOptions = {}): Promise<number> {
    check(seq, 0);
    const perTransaction = options.partsPerTransaction ?? 1;
    if (!Number.isSafeInteger(perTransaction) || perTransaction < 1) throw new RangeError(`partsPerTransaction must be a whole number ≥ 1, got ${perTransaction}`);
    const pause = options.pauseMs === undefined || options.pauseMs <= 0 ? turn : () => new Promise<void>((resolve) => setTimeout(resolve, options.pauseMs));
    await this.deleteParts(seq);
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
      batch.push({ seq, part: written++, state });
      if (batch.length >= perTransaction) await flush();
    }
    await flush();
    return written;
  }

  /**
   * The second half of `saveInParts`: makes the snapshot of `seq`, whose `parts` parts are written
   * and committed (`writeParts`), the latest, as `save` does, then deletes the parts no snapshot
   * reads. Refuses (and publishes nothing) when the database does not hold exactly those parts.
   */
  async publishParts(seq: number, at: number, parts: number): Promise<void> {
    check(seq, at);
    if (parts === 0) throw new Error(`snapshot ${seq} has an empty state`);
    await this.publish(seq, at, '', parts);
  }

  /** The snapshot row (state '' when in parts) and the prune in one transaction; then the parts no snapshot reads. */
  private async publish(seq: number, at: number, state: string, parts?: number): Promise<void> {
    await durableTransaction(this.db, async (tx) => {
      await tx
        .insertInto('snapshots')
        .values({ seq, at, state })
        .onConflict((oc) => oc.column('seq').doUpdateSet({ at, state }))
        .execute();
      // After the write (a transaction that reads first cannot wait for another writer on SQLite).
      if (parts !== undefined) {
        const found = await tx.selectFrom('snapshot_parts').select((eb) => [eb.fn.countAll<number | string | bigint>().as('count'), eb.fn.max('part').as('last')]).where('seq', '=', seq).executeTakeFirst();
        if (Number(found?.count ?? 0) !== parts || Number(found?.last ?? -1) !== parts - 1) throw new Error(`snapshot ${seq} not published: ${parts} parts were written, the database holds ${Number(found?.count ?? 0)}`);
      }
      const kept = await tx.selectFrom('snapshots').select('seq').orderBy('seq', 'desc').offset(this.keep - 1).limit(1).executeTakeFirst();
      if (kept !== undefined) await tx.deleteFrom('snapshots').where('seq', '<', kept.seq).execute();
    });
    // Parts of a seq now saved whole, of pruned snapshots and of saves that never finished (no
    // row). The query reads no `state`: a whole state is megabytes of overflow pages to compare.
    if (state !== '') await this.deleteParts(seq);
    const unread = await this.db
      .selectFrom('snapshot_parts')
      .select('seq')
      .distinct()
      .where('seq', 'not in', (eb) => eb.selectFrom('snapshots').select('seq'))
      .execute();
    for (const row of unread) await this.deleteParts(Number(row.seq));
  }

  /** Deletes the parts of `seq`, a few per transaction with a turn of the event loop between. */
  private async deleteParts(seq: number): Promise<void> {
    const last = await this.db.selectFrom('snapshot_parts').select((eb) => eb.fn.max('part').as('part')).where('seq', '=', seq).executeTakeFirst();
    if (last?.part == null) return;
    for (let from = 0; from <= Number(last.part); from += PARTS_PER_DELETE) {
      await projectionTransaction(this.db, (tx) =>
        tx.deleteFrom('snapshot_parts').where('seq', '=', seq).where('part', '>=', from).where('part', '<', from + PARTS_PER_DELETE).execute(),
      );
      await turn();
    }
  }

  async latest(): Promise<Snapshot | undefined> {
    return this.whole(await this.db.selectFrom('snapshots').select(['seq', 'at', 'state']).orderBy('seq', 'desc').limit(1).executeTakeFirst());
  }

  /** The newest snapshot whose seq is at most `seq` (a restart that must also rebuild events up to `seq`). */
  async latestAtOrBefore(seq: number): Promise<Snapshot | undefined> {
    return this.whole(await this.db.selectFrom('snapshots').select(['seq', 'at', 'state']).where('seq', '<=', seq).orderBy('seq', 'desc').limit(1).executeTakeFirst());
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

  private async whole(row: { seq: number; at: number; state: string } | undefined): Promise<Snapshot | undefined> {
    if (row === undefined) return undefined;
    const snapshot = { seq: Number(row.seq), at: Number(row.at), state: row.state };
    if (row.state !== '') return snapshot;
    const parts = await this.db.selectFrom('snapshot_parts').select('state').where('seq', '=', snapshot.seq).orderBy('part').execute();
    return { ...snapshot, state: parts.map((p) => p.state).join('') };
  }
}

function check(seq: number, at: number): void {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`snapshot seq must be a whole number ≥ 0, got ${seq}`);
  if (!Number.isSafeInteger(at)) throw new RangeError(`snapshot time must be Unix ms, got ${at}`);
}
