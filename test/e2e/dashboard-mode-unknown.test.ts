/**
 * The mode banner never claims a mode the server has not stated: a live server whose /api/mode
 * answer does not arrive (429 under the rate limit, a 503 behind a proxy) must not be shown as
 * "PAPER TRADING — no real money moves"; the page keeps asking and shows LIVE once it answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOrSkip } from '../../src/test-kit/chromium.js';
import { eventually, startDashboardRig, type DashboardRig } from '../../src/test-kit/dashboard-kit.js';
import { ADMIN_KEY } from '../../src/test-kit/service-kit.js';

const runs = chromiumOrSkip('dashboard mode e2e');

describe.skipIf(!runs)('the mode banner when the server has not said its mode', () => {
  let rig: DashboardRig;

  beforeAll(async () => {
    rig = await startDashboardRig({ deps: (deps) => ({ ...deps, mode: { mode: 'live', liveRefusedBecause: [] } }) });
  }, 120_000);

  afterAll(async () => rig?.close());

  it('does not say PAPER for a live server whose mode answer failed, and shows LIVE once it comes', async () => {
    const page = await rig.page();
    let refused = 0;
    await page.route('**/api/mode', async (route) => {
      if (refused < 2) {
        refused += 1;
        await route.fulfill({ status: 429, contentType: 'application/json', body: '{"code":"RATE_LIMITED","message":"Too many requests"}' });
      } else {
        await route.continue();
      }
    });
    await page.goto(`${rig.base}/?key=${ADMIN_KEY}`);
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
