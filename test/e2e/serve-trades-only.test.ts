/**
 * `papertrade serve` on a trades-only recording (the bundled tape without its depth files, ADR 0041):
 * between prints there is no book by design, so the feed is reported synced once its prints arrive,
 * and GET /ready answers 200 — before, it answered 503 MARKET_DATA_NOT_SYNCED for as long as the
 * server ran, so an orchestrator's readiness probe never let traffic in.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SPOT_RECORDING } from '../../src/test-kit/data-paths.js';
import { startServeProcess, stopServeProcess, type ServeProcess } from '../../src/test-kit/serve-process.js';
import { scratchDir } from '../../src/test-kit/scratch-dir.js';

describe('serve on a trades-only recording', () => {
  let server: ServeProcess | undefined;
  afterAll(async () => {
    if (server !== undefined) await stopServeProcess(server);
  });

  it('is ready while the prints arrive, with the feed synced and labelled trades-only, and a market order fills', async () => {
    const recording = scratchDir('papertrade-serve-trades-only-');
    copyFileSync(join(SPOT_RECORDING, 'trades.csv.gz'), join(recording, 'trades.csv.gz'));
    writeFileSync(join(recording, 'recording.json'), JSON.stringify({ symbol: 'BTCUSDT', market: 'spot' }));
    const database = join(scratchDir('papertrade-serve-trades-only-db-'), 'db.sqlite');
    server = await startServeProcess(0, { DATABASE_URL: `sqlite:${database}`, REPLAY_RECORDING: recording, REPLAY_SPEED: '1', LOG_LEVEL: 'error', ADMIN_API_KEY: 'serve-trades-only-admin-key-0123456789abcdef' });
    expect(server.output()).toContain('trades-only replay');
    // Wait for the first print, then probe readiness several times: between prints as well as at them.
    const deadline = Date.now() + 20_000;
    let first = await fetch(`${server.url}/ready`);
    while (first.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      first = await fetch(`${server.url}/ready`);
    }
    expect(first.status, await first.text()).toBe(200);
    const probes: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      probes.push((await fetch(`${server.url}/ready`)).status);
      await new Promise((r) => setTimeout(r, 97));
    }
    expect(probes).toEqual(Array(10).fill(200));
    const ready = (await (await fetch(`${server.url}/ready`)).json()) as { feeds: { status: string; reason?: string }[] };
    expect(ready.feeds[0]).toMatchObject({ status: 'synced', reason: expect.stringContaining('trades-only') });
    // The default account (its key is printed at start) trades: a market buy fills at the next print's quote.
    const key = /Bearer (pt_[A-Za-z0-9_-]+)/.exec(server.output())?.[1];
    expect(key).toBeDefined();
    const order = await fetch(`${server.url}/api/orders`, { method: 'POST', headers: { authorization: `Bearer ${key!}`, 'content-type': 'application/json' }, body: JSON.stringify({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001' }) });
    const placed = (await order.json()) as { orderId: string; status: string };
    expect(order.status, JSON.stringify(placed)).toBe(201);
    const filled = Date.now() + 20_000;
    let status = placed.status;
    while (status !== 'FILLED' && Date.now() < filled) {
      await new Promise((r) => setTimeout(r, 200));
      status = ((await (await fetch(`${server.url}/api/orders/${placed.orderId}`, { headers: { authorization: `Bearer ${key!}` } })).json()) as { status: string }).status;
    }
    expect(status).toBe('FILLED');
  }, 90_000);
});
