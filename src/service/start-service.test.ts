import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAndMigrate } from '../persistence/database.js';
import { freePort } from '../test-kit/serve-process.js';
import { startService, StartupError } from './start-service.js';

describe('startService', () => {
  it('refuses a database created under another configuration, and leaves it as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'papertrade-start-'));
    const env = { DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, PORT: String(await freePort()), REPLAY_SPEED: 'max', LOG_LEVEL: 'silent', ADMIN_API_KEY: 'k' };
    const lines: string[] = [];
    const first = await startService(env, { print: (line) => lines.push(line) });
    expect(lines.join('\n')).toMatch(/Market data: replay of BTCUSDT/);
    await first.stop();

    const count = async () => {
      const db = await openAndMigrate(env.DATABASE_URL);
      try {
        const journal = await db.db.selectFrom('journal').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        const snapshots = await db.db.selectFrom('snapshots').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        return { journal: Number(journal.n), snapshots: Number(snapshots.n) };
      } finally {
        await db.close();
      }
    };
    const before = await count();
    expect(before.journal).toBeGreaterThan(0);

    const refused = startService({ ...env, LATENCY_MS: '50' }, { print: () => undefined });
    await expect(refused).rejects.toThrow(StartupError);
    await expect(refused).rejects.toThrow(/belongs to an engine configured otherwise[\s\S]*"latencyMs":0[\s\S]*"latencyMs":50/);
    expect(await count()).toEqual(before);
  }, 60_000);
});
