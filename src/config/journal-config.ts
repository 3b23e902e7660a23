/**
 * JOURNAL_RETENTION_MS: how far behind the newest input the journal is kept once snapshots cover
 * it (the durable engine's `journalRetentionMs`). After each snapshot, inputs older than the oldest
 * snapshot kept and more than this many ms older than the newest input (the inputs' own clock:
 * exchange time, so a replay of 2024 keeps as much 2024 data as a live run keeps of today) are
 * deleted. `forever` keeps the whole journal; `0` compacts right up to the oldest snapshot kept.
 * Default one day (86,400,000): an idle replay at 1× journals about 600 MB a day, and the candle
 * routes rebuild their history from the journal's trades, so one day of it stays.
 */
export const DEFAULT_JOURNAL_RETENTION_MS = 86_400_000;

/** The retention in ms, `undefined` for `forever`, or an error message for anything else. */
export function parseJournalRetention(text: string | undefined): { readonly ms: number | undefined } | { readonly error: string } {
  if (text === undefined) return { ms: DEFAULT_JOURNAL_RETENTION_MS };
  if (text.toLowerCase() === 'forever') return { ms: undefined };
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n)) return { error: 'must be a whole number of milliseconds ≥ 0 (0: compact up to the oldest snapshot) or "forever" (keep the whole journal)' };
  return { ms: n };
}
