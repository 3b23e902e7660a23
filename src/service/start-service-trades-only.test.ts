/**
 * `serve` on a trades-only recording (ADR 0041): the feed is synced once the prints arrive, though
 * the book is empty between two of them, so the start neither waits for a book that never stays
 * synced nor says the book is not synced (it did both: 15 s of silence, then "Order books not
 * synced yet"). The recording is the bundled one's trades alone, as `papertrade import` writes one.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { freePort } from '../test-kit/serve-process.js';
import { startService } from './start-service.js';

describe('serve on a trades-only recording', () => {
  const dir = mkdtempSync(join(tmpdir(), 'papertrade-trades-only-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts with its feed synced, without the warning that the book is not', async () => {
    const recording = join(dir, 'recording');
    mkdirSync(recording);
    copyFileSync(join(BUNDLED_RECORDING, 'trades.csv.gz'), join(recording, 'trades.csv.gz'));
    writeFileSync(join(recording, 'recording.json'), JSON.stringify({ symbol: 'BTCUSDT', market: 'spot' }));
    const env = { DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, PORT: String(await freePort()), HOST: '127.0.0.1', REPLAY_RECORDING: recording, LOG_LEVEL: 'silent', ADMIN_API_KEY: 'trades-only-admin-key-0123456789' };
    const lines: string[] = [];
    const service = await startService(env, { print: (line) => lines.push(line) });
    try {
      expect(lines.join('\n')).not.toContain('not synced');
      const feeds = (await (await fetch(`${service.url}/api/market/feeds`)).json()) as { items: { status: string; reason?: string }[] };
      expect(feeds.items).toMatchObject([{ symbol: 'BTCUSDT', status: 'synced', reason: expect.stringContaining('trades-only') }]);
      expect((await fetch(`${service.url}/ready`)).status).toBe(200);
    } finally {
      await service.stop();
    }
  }, 60_000);
});
