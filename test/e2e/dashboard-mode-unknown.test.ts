/**
 * The mode banner never claims a mode the server has not stated: a live server whose /api/mode
 * answer does not arrive (429 under the rate limit, a 503 behind a proxy) must not be shown as
 * "PAPER TRADING — no real money moves"; the page keeps asking and shows LIVE once it answers.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDashboard } from '../../src/api/dashboard-routes.js';
import { buildServer } from '../../src/api/server.js';
import { chromiumOrSkip, ensureDashboardBuilt, launchChromium, type TestBrowser } from '../../src/test-kit/chromium.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../src/test-kit/service-kit.js';

const runs = chromiumOrSkip('dashboard mode e2e');
const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { interval: 50, timeout: 15_000 });

describe.skipIf(!runs)('the mode banner when the server has not said its mode', () => {
  let service: TestService;
  let app: FastifyInstance;
  let browser: TestBrowser;
  let base: string;

  beforeAll(async () => {
    await ensureDashboardBuilt();
    service = await startTestService();
    app = await buildServer({ ...service.deps, mode: { mode: 'live', liveRefusedBecause: [] } }, { plugins: [registerDashboard] });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await service?.close();
  });

  it('does not say PAPER for a live server whose mode answer failed, and shows LIVE once it comes', async () => {
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    let refused = 0;
    await page.route('**/api/mode', async (route) => {
      if (refused < 2) {
        refused += 1;
        await route.fulfill({ status: 429, contentType: 'application/json', body: '{"code":"RATE_LIMITED","message":"Too many requests"}' });
      } else {
        await route.continue();
      }
    });
    await page.goto(`${base}/?key=${ADMIN_KEY}`);
    const banner = page.getByTestId('mode-banner');
    await eventually(() => refused).toBe(1);
    expect(await banner.textContent()).not.toContain('PAPER');
    expect(await page.locator('.mode-chip').textContent()).not.toBe('PAPER');
    expect(await page.title()).not.toContain('PAPER');
    await eventually(() => banner.getAttribute('data-mode')).toBe('live');
    expect(await banner.textContent()).toContain('LIVE TRADING');
    expect(refused).toBe(2);
  }, 60_000);
});
