import { expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { DEFAULT_JOURNAL_RETENTION_MS } from './journal-config.js';

const load = (env: Record<string, string>) => loadConfig({ ADMIN_API_KEY: 'a'.repeat(32), ...env }, { envFile: false });

it('JOURNAL_RETENTION_MS keeps one day of journal by default, takes whole milliseconds, and "forever" keeps it all', () => {
  const byDefault = load({});
  expect(byDefault.ok && byDefault.value.journalRetentionMs).toBe(86_400_000);
  expect(DEFAULT_JOURNAL_RETENTION_MS).toBe(24 * 60 * 60 * 1000);
  const zero = load({ JOURNAL_RETENTION_MS: '0' });
  expect(zero.ok && zero.value.journalRetentionMs).toBe(0);
  const week = load({ JOURNAL_RETENTION_MS: '604800000' });
  expect(week.ok && week.value.journalRetentionMs).toBe(604_800_000);
  const forever = load({ JOURNAL_RETENTION_MS: 'forever' });
  expect(forever.ok).toBe(true);
  expect(forever.ok && forever.value.journalRetentionMs).toBeUndefined();
  for (const bad of ['-1', '1.5', '1d', 'never']) {
    const refused = load({ JOURNAL_RETENTION_MS: bad });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.map((e) => e.variable)).toEqual(['JOURNAL_RETENTION_MS']);
  }
});
