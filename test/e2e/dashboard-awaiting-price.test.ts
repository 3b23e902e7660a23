/**
 * The dashboard of an account whose holdings have no price yet says its equity awaits a price,
 * instead of the figure with them counted as zero (100,000 for 100,000 USDT and 2 BTC), and shows
 * the equity once the first price comes (core/kernel/account-health.ts, ADR 0028).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOrSkip } from '../../src/test-kit/chromium.js';
import { eventually, startDashboardRig, type DashboardRig } from '../../src/test-kit/dashboard-kit.js';
import { SPOT_RECORDING } from '../../src/test-kit/data-paths.js';

const runs = chromiumOrSkip('dashboard awaiting-price e2e');

describe.skipIf(!runs)('the dashboard of an account made before any price', () => {
  let rig: DashboardRig;

  beforeAll(async () => {
    // Nothing of the recording fed yet: no book, no print.
    rig = await startDashboardRig({ service: { recording: SPOT_RECORDING, until: 0 } });
  }, 120_000);

  afterAll(async () => rig?.close());

  it('says "Awaiting price" for its BTC, then shows 100,000 + 2 × the first print', async () => {
    const account = await rig.createAccount('early', { USDT: '100000', BTC: '2' });
    const page = await rig.page();
    await page.goto(`${rig.base}/?key=${account.apiKey}`);
    await eventually(() => page.getByTestId('balance-BTC').textContent()).toBe('2');
    await eventually(() => page.getByTestId('equity').textContent()).toBe('Awaiting price BTC');

    // The recording's first print, at 1723161255342: 61837.63. 100,000 + 2 × 61,837.63 = 223,675.26.
    await rig.service.feedUntil(1723161255342);
    await eventually(() => page.getByTestId('equity').textContent()).toBe('223,675.26 USDT');
    expect(await page.getByTestId('equity').textContent()).not.toContain('Awaiting');
  }, 60_000);
});
