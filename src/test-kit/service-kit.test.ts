/**
 * The test service leaves nothing behind: its SQLite database lives in a temporary directory of its
 * own, kept across a restart and removed when the service closes (a bench run used to leave 172 MB
 * per run in the system's temp directory, a suite hundreds of directories).
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService } from './service-kit.js';

describe('startTestService', () => {
  it('keeps its database across a restart and removes its directory on close', async () => {
    const first = await startTestService();
    expect(first.databaseUrl).toMatch(/^sqlite:.*papertrade-api-[^/]+\/test\.db$/);
    const file = first.databaseUrl.slice('sqlite:'.length);
    expect(existsSync(file)).toBe(true);
    const created = await first.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'kept', balances: { USDT: '5' } } });
    const id = (created.json() as { id: string }).id;
    const restarted = await first.restart();
    expect(restarted.databaseUrl).toBe(first.databaseUrl);
    expect(existsSync(file)).toBe(true);
    expect(restarted.engine.kernel.balances(id)).toEqual({ USDT: { free: '5', locked: '0' } });
    await restarted.close();
    expect(existsSync(dirname(file))).toBe(false);
  });
});
