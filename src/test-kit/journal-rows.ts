/**
 * The journal's rows as stored, for tests whose oracle is what was journaled and in which order:
 * `journalHead` (the highest seq) and `journalAfter` (every row after a seq, its input parsed).
 */
import { latestJournalSeq } from '../persistence/journal-store.js';
import type { TestService } from './service-kit.js';

/** A journaled input with its seq; the fields tests read (others are kept as stored). */
export interface JournalRow {
  readonly seq: number;
  readonly kind: string;
  readonly time: number;
  readonly account?: string;
  readonly symbol?: string;
  readonly orderId?: string;
  readonly clientOrderId?: string;
  readonly side?: string;
  readonly quantity?: string;
  readonly reduceOnly?: boolean;
}

export function journalHead(service: TestService): Promise<number> {
  return latestJournalSeq(service.engine.db);
}

/** The journal's rows after `seq`, in seq order, each its stored input and its seq. */
export async function journalAfter(service: TestService, seq: number): Promise<JournalRow[]> {
  const rows = await service.engine.db.selectFrom('journal').select(['seq', 'input']).where('seq', '>', seq).orderBy('seq').execute();
  return rows.map((row) => ({ ...(JSON.parse(row.input) as Omit<JournalRow, 'seq'>), seq: Number(row.seq) }));
}
