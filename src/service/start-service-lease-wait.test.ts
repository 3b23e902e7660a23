/**
 * `serve` on a database another papertrade process writes to waits up to 10 s for it to let go, and
 * says so at once (who holds it, how long the wait may be), not after 10 s of silence.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { WriterLease } from '../engine/writer-lease.js';
import { openAndMigrate } from '../persistence/database.js';
import { freePort } from '../test-kit/serve-process.js';
import { startService } from './start-service.js';

it('serve says at once that it waits for the process holding the database, then starts once it lets go', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'papertrade-lease-wait-'));
  const url = `sqlite:${join(dir, 'db.sqlite')}`;
  const held = await openAndMigrate(url);
  try {
    const lease = await WriterLease.acquire(held.db, 'accounts');
    const lines: { at: number; line: string }[] = [];
    const started = Date.now();
    const env = { DATABASE_URL: url, PORT: String(await freePort()), HOST: '127.0.0.1', REPLAY_SPEED: 'max', LOG_LEVEL: 'silent', ADMIN_API_KEY: 'lease-wait-admin-key' };
    const service = startService(env, { print: (line) => lines.push({ at: Date.now() - started, line }) });
    // The holder lets go after 1.5 s: before that, serve has said why it waits.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const waiting = lines.find((l) => l.line.includes('in use by'));
    expect(waiting?.line).toMatch(new RegExp(`^the database is in use by papertrade accounts \\(pid ${process.pid}, since .+\\); waiting up to 10 s for it to let go$`));
    expect(waiting!.at).toBeLessThan(1_500);
    await lease.release();
    const running = await service;
    await running.stop();
  } finally {
    await held.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
