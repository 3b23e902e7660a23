import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAndMigrate } from '../persistence/database.js';
import { freePort } from '../test-kit/serve-process.js';
import { scratchDir } from '../test-kit/scratch-dir.js';
import { startService, StartupError } from './start-service.js';

describe('startService', () => {
  it('refuses a database created under another configuration, and leaves it as it was', async () => {
    const dir = scratchDir('papertrade-start-');
    const env = { DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, PORT: String(await freePort()), REPLAY_SPEED: 'max', LOG_LEVEL: 'silent', ADMIN_API_KEY: 'start-service-admin-key' };
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

  it('a start on a taken port fails clearly and burns no one-time secret; the next start shows them, and later starts never again', async () => {
    const dir = scratchDir('papertrade-port-');
    const port = await freePort();
    const env = { DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, PORT: String(port), HOST: '127.0.0.1', REPLAY_SPEED: 'max', LOG_LEVEL: 'silent' };
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    const failed: string[] = [];
    try {
      const refused = startService(env, { print: (line) => failed.push(line) });
      await expect(refused).rejects.toThrow(StartupError);
      await expect(refused).rejects.toThrow(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    expect(failed.join('\n')).not.toMatch(/ptadmin_|API key|API secret/);

    const shown: string[] = [];
    const second = await startService(env, { print: (line) => shown.push(line) });
    const text = shown.join('\n');
    const adminKey = /admin API key[^:]*: (ptadmin_\S+)/.exec(text)?.[1];
    const apiKey = /API key: +(\S+)/.exec(text)?.[1];
    expect(adminKey).toBeDefined();
    expect(apiKey).toBeDefined();
    const accounts = await fetch(`${second.url}/api/accounts`, { headers: { authorization: `Bearer ${adminKey}` } });
    expect(accounts.status).toBe(200);
    const balances = await fetch(`${second.url}/api/account/balances`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(await balances.json()).toMatchObject({ balances: { USDT: { free: '10000', locked: '0' } } });
    await second.stop();

    const later: string[] = [];
    const third = await startService(env, { print: (line) => later.push(line) });
    try {
      expect(later.join('\n')).not.toContain(apiKey!);
      expect(later.join('\n')).not.toContain(adminKey!);
      expect(later.join('\n')).toMatch(/Dashboard: http:\/\/127\.0\.0\.1:\d+\/ \(sign in/);
      expect((await fetch(`${third.url}/api/accounts`, { headers: { authorization: `Bearer ${adminKey}` } })).status).toBe(200);
    } finally {
      await third.stop();
    }
  }, 120_000);

  it('live, names the default account a live one without exchange keys and says how to give it some, not a paper account with opening balances', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'papertrade-live-start-'));
    const env = {
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, PORT: String(await freePort()), HOST: '127.0.0.1', REPLAY_SPEED: 'max', LOG_LEVEL: 'silent',
      PAPER_TRADING: 'false', LIVE_TRADING_CONFIRM: 'I_UNDERSTAND_REAL_MONEY', CREDENTIALS_KEY: 'ab'.repeat(32),
    };
    const lines: string[] = [];
    const service = await startService(env, { print: (line) => lines.push(line) });
    try {
      const text = lines.join('\n');
      const id = /Created the default live account "([^"]+)" without exchange keys/.exec(text)?.[1];
      expect(id, text).toBeDefined();
      expect(text).toContain(`until they are set with PUT /api/accounts/${id}/exchange-credentials (admin key)`);
      expect(text).not.toContain('paper account');
      expect(text).toMatch(/papertrade LIVE TRADING on/);
    } finally {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
