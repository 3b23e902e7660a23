/**
 * Inputs set aside: every journaled input the kernel answered with INPUT_REJECTED (a malformed
 * input, or one whose application broke an invariant and was rolled back), with its journal text.
 * Written by the read-model projection of INPUT_REJECTED events, so a restart that replays the same
 * input records it once (keyed by seq).
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface QuarantinedInput {
  readonly seq: number;
  /** Kernel (exchange) time in Unix ms when it was handled. */
  readonly at: number;
  readonly kind: string;
  readonly code: string;
  readonly reason: string;
  readonly accountId: string | null;
  /** The input as journaled (JSON text); null when the journal no longer holds it. */
  readonly input: string | null;
}

export class QuarantineStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Newest first; `limit` rows (default 100, at most 1,000) with seq below `before` when given. */
  async list(options: { readonly limit?: number; readonly before?: number } = {}): Promise<QuarantinedInput[]> {
    const limit = Math.min(Math.max(Math.trunc(options.limit ?? 100), 1), 1_000);
    let query = this.db
      .selectFrom('quarantined_inputs as q')
      .leftJoin('journal as j', 'j.seq', 'q.seq')
      .select(['q.seq', 'q.at', 'q.kind', 'q.code', 'q.reason', 'q.accountId', 'j.input'])
      .orderBy('q.seq', 'desc')
      .limit(limit);
    if (options.before !== undefined) query = query.where('q.seq', '<', options.before);
    const rows = await query.execute();
    return rows.map((r) => ({ seq: Number(r.seq), at: Number(r.at), kind: r.kind, code: r.code, reason: r.reason, accountId: r.accountId, input: r.input ?? null }));
  }

  async count(): Promise<number> {
    const row = await this.db.selectFrom('quarantined_inputs').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
