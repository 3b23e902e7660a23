/**
 * Prices in the tables, the market bar and the fill toast keep the instrument's tick: with a tick of
 * 0.001, an order at 50,000.005 reads 50,000.005, not 50,000.01 (two orders a tick apart would
 * otherwise read the same, and a figure differs from the API's).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFixed } from '../../src/core/money/fixed.js';
import { chromiumOrSkip } from '../../src/test-kit/chromium.js';
import { eventually, startDashboardRig, type DashboardRig } from '../../src/test-kit/dashboard-kit.js';

const runs = chromiumOrSkip('dashboard price decimals e2e');

describe.skipIf(!runs)('prices at the tick of an instrument finer than a cent', () => {
  let rig: DashboardRig;

  beforeAll(async () => {
    rig = await startDashboardRig({ service: { instrument: (recorded) => ({ ...recorded, tickSize: parseFixed('0.001') }) } });
  }, 120_000);

  afterAll(async () => rig?.close());

  it('shows two resting orders a tick apart at their own prices', async () => {
    const { base } = rig;
    const { apiKey } = await rig.createAccount('fine ticks');
    for (const price of ['50000.005', '50000.006']) {
      const res = await fetch(`${base}/api/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price, quantity: '0.01' }),
      });
      expect(await res.json()).toMatchObject({ status: 'NEW', price });
    }
    const page = await rig.page();
    await page.goto(`${base}/?key=${apiKey}`);
    const prices = page.locator('[data-testid="open-orders"] tbody td[data-label="Price"]');
    await eventually(() => prices.count()).toBe(2);
    expect((await prices.allTextContents()).sort()).toEqual(['50,000.005', '50,000.006']);
  });
});
