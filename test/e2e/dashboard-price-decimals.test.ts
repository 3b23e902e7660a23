/**
 * Prices in the tables, the market bar and the fill toast keep the instrument's tick: with a tick of
 * 0.001, an order at 50,000.005 reads 50,000.005, not 50,000.01 (two orders a tick apart would
 * otherwise read the same, and a figure differs from the API's).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFixed } from '../../src/core/money/fixed.js';
import { registerDashboard } from '../../src/api/dashboard-routes.js';
import { buildServer } from '../../src/api/server.js';
import { chromiumOrSkip, ensureDashboardBuilt, launchChromium, type TestBrowser } from '../../src/test-kit/chromium.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../src/test-kit/service-kit.js';

const runs = chromiumOrSkip('dashboard price decimals e2e');
const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { interval: 50, timeout: 15_000 });

describe.skipIf(!runs)('prices at the tick of an instrument finer than a cent', () => {
  let service: TestService;
  let app: FastifyInstance;
  let browser: TestBrowser;
  let base: string;

  beforeAll(async () => {
    await ensureDashboardBuilt();
    service = await startTestService({ instrument: (recorded) => ({ ...recorded, tickSize: parseFixed('0.001') }) });
    app = await buildServer(service.deps, { plugins: [registerDashboard] });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await service?.close();
  });

  it('shows two resting orders a tick apart at their own prices', async () => {
    const created = await fetch(`${base}/api/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'fine ticks', balances: { USDT: '10000' } }),
    });
    const { apiKey } = (await created.json()) as { apiKey: string };
    for (const price of ['50000.005', '50000.006']) {
      const res = await fetch(`${base}/api/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price, quantity: '0.01' }),
      });
      expect(await res.json()).toMatchObject({ status: 'NEW', price });
    }
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.goto(`${base}/?key=${apiKey}`);
    const prices = page.locator('[data-testid="open-orders"] tbody td[data-label="Price"]');
    await eventually(() => prices.count()).toBe(2);
    expect((await prices.allTextContents()).sort()).toEqual(['50,000.005', '50,000.006']);
  });
});
