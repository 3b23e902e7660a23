/**
 * Kernel snapshots: opaque state text tagged with the sequence number of the last input it includes.
 *
 * Guarantees: `save` is one transaction (write, then prune to the newest `keep`), so a crash leaves
 * either the old set or the new one; saving the same seq again replaces it; `latest` returns the
 * snapshot with the highest seq. Recovery is `latest()` plus the journal from `seq + 1`.
 * Not modelled: what the state means (the kernel owns its format).
 */
import type { Kysely } from 'kysely';
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
    if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`snapshot seq must be a whole number ≥ 0, got ${seq}`);
    if (!Number.isSafeInteger(at)) throw new RangeError(`snapshot time must be Unix ms, got ${at}`);
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('snapshots')
        .values({ seq, at, state })
        .onConflict((oc) => oc.column('seq').doUpdateSet({ at, state }))
        .execute();
      const kept = await tx.selectFrom('snapshots').select('seq').orderBy('seq', 'desc').offset(this.keep - 1).limit(1).executeTakeFirst();
      if (kept !== undefined) await tx.deleteFrom('snapshots').where('seq', '<', kept.seq).execute();
    });
  }

  async latest(): Promise<Snapshot | undefined> {
    return this.db.selectFrom('snapshots').select(['seq', 'at', 'state']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  }

  /** The newest snapshot whose seq is at most `seq` (a restart that must also rebuild events up to `seq`). */
  async latestAtOrBefore(seq: number): Promise<Snapshot | undefined> {
    return this.db.selectFrom('snapshots').select(['seq', 'at', 'state']).where('seq', '<=', seq).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  }

  /** Sequence numbers of the snapshots kept, newest first. */
  async list(): Promise<number[]> {
    const rows = await this.db.selectFrom('snapshots').select('seq').orderBy('seq', 'desc').execute();
    return rows.map((r) => r.seq);
  }
}
