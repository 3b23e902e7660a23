/**
 * The trade history's CSV button in real Chromium: it saves the same file the API sends, under the
 * name the API gives, although the key travels in a header a plain link could not carry.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDashboard } from '../../src/api/dashboard-routes.js';
import { buildServer } from '../../src/api/server.js';
import { chromiumOrSkip, ensureDashboardBuilt, launchChromium, type TestBrowser } from '../../src/test-kit/chromium.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../src/test-kit/service-kit.js';

const runs = chromiumOrSkip('dashboard CSV export');

describe.skipIf(!runs)('the trade history CSV button', () => {
  let service: TestService;
  let app: FastifyInstance;
  let browser: TestBrowser;
  let base: string;
  let account: { id: string; apiKey: string };

  beforeAll(async () => {
    await ensureDashboardBuilt();
    service = await startTestService({ until: 1723161300000 });
    app = await buildServer(service.deps, { plugins: [registerDashboard] });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    const post = async (url: string, key: string, body: object) =>
      fetch(`${base}${url}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    account = (await (await post('/api/accounts', ADMIN_KEY, { name: 'csv', balances: { USDT: '10000', BTC: '1' } })).json()) as typeof account;
    expect((await post('/api/orders', account.apiKey, { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' })).status).toBe(201);
    expect((await post('/api/orders', account.apiKey, { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.02' })).status).toBe(201);
    await service.engine.readModelCaughtUp();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await service?.close();
  });

  it('downloads the CSV of GET /api/trades.csv', async () => {
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${base}/?key=${account.apiKey}`);
    const button = page.getByTestId('trades-csv');
    await expect.poll(() => page.locator('[data-testid="trade-history"] tbody tr').count()).toBe(2);
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    expect(download.suggestedFilename()).toBe(`trades_${account.id}.csv`);
    const saved = readFileSync((await download.path())!, 'utf8');
    const fromApi = await (await fetch(`${base}/api/trades.csv`, { headers: { authorization: `Bearer ${account.apiKey}` } })).text();
    expect(saved).toBe(fromApi);
    expect(saved.trim().split('\r\n')).toHaveLength(3);
    expect(errors).toEqual([]);
  });
});
