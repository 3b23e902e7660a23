/**
 * The dashboard after its WebSocket comes back: what happened while the page was disconnected (a
 * server restart, a dropped network) reaches the screen, not only what happens after the reconnect.
 *
 * The account's orders are placed while the server is down for the page (closed and built again on
 * the same engine, the API reached in-process), then the server listens again on the same port.
 */
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDashboard } from '../../src/api/dashboard-routes.js';
import { buildServer } from '../../src/api/server.js';
import { chromiumOrSkip, ensureDashboardBuilt, launchChromium, type TestBrowser } from '../../src/test-kit/chromium.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../src/test-kit/service-kit.js';

const runs = chromiumOrSkip('dashboard reconnect e2e');
const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { interval: 50, timeout: 15_000 });

describe.skipIf(!runs)('the dashboard after a server restart', () => {
  let service: TestService;
  let app: FastifyInstance;
  let browser: TestBrowser;
  let page: Page;
  let base: string;
  let apiKey: string;

  beforeAll(async () => {
    await ensureDashboardBuilt();
    service = await startTestService();
    app = await buildServer(service.deps, { plugins: [registerDashboard] });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    const created = await fetch(`${base}/api/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'reconnect', balances: { USDT: '10000' } }),
    });
    apiKey = ((await created.json()) as { apiKey: string }).apiKey;
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await service?.close();
  });

  it('shows the orders and fills made while it was disconnected once the stream is back', async () => {
    await page.goto(`${base}/?key=${apiKey}`);
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toBe('10,000.00');
    await eventually(() => page.getByTestId('feed-status').textContent()).toContain('Replay');

    await app.close();
    await eventually(() => page.getByTestId('feed-status').textContent()).not.toContain('Replay');
    app = await buildServer(service.deps, { plugins: [registerDashboard] });
    const place = (payload: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${apiKey}` }, payload: { symbol: 'BTCUSDT', side: 'BUY', ...payload } });
    // The market does not move in this test: a limit far below it rests, a market buy meets the best ask.
    const bestAsk = (await app.inject({ url: '/api/market/depth/BTCUSDT?limit=1' })).json<{ asks: [string, string][] }>().asks[0]![0];
    expect((await place({ type: 'LIMIT', price: '50000', quantity: '0.01' })).json()).toMatchObject({ status: 'NEW' });
    expect((await place({ type: 'MARKET', quantity: '0.00100' })).json()).toMatchObject({ status: 'FILLED', executedQty: '0.001' });
    await app.listen({ host: '127.0.0.1', port: Number(new URL(base).port) });

    const openRows = page.locator('[data-testid="open-orders"] tbody tr');
    await eventually(() => openRows.count()).toBe(1);
    expect(await openRows.first().textContent()).toContain('50,000.00');
    const tradeRows = page.locator('[data-testid="trade-history"] tbody tr');
    await eventually(() => tradeRows.count()).toBe(1);
    expect(await tradeRows.first().textContent()).toContain(Number(bestAsk).toLocaleString('en-US', { minimumFractionDigits: 2 }));
    // 0.01 × 50,000 = 500.00 USDT locked; 0.001 × best ask spent (the buy's fee is taken in BTC).
    const spent = (Math.round(Number(bestAsk) * 100) / 100) * 0.001;
    await eventually(() => page.locator('[data-asset="USDT"]').textContent()).toContain('500.00 locked');
    expect(await page.getByTestId('balance-USDT').textContent()).toBe((10_000 - 500 - spent).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
  }, 60_000);
});
