/**
 * An equity point that comes over the stream while the equity curve is being loaded again is kept
 * on the chart: the answer of that load, read before the point was recorded, is merged with it by
 * time instead of replacing it.
 */
import type { Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOrSkip } from '../../src/test-kit/chromium.js';
import { eventually, startDashboardRig, type DashboardRig } from '../../src/test-kit/dashboard-kit.js';

const runs = chromiumOrSkip('dashboard equity reload e2e');

/** The bundled recording starts at 1723161255208; the kernel samples equity each whole minute (60,000 ms), first at 1723161300000. */
const FIRST_SAMPLE_AT = 1723161300000;

describe.skipIf(!runs)('the equity chart while its curve is reloaded', () => {
  let rig: DashboardRig;

  beforeAll(async () => {
    rig = await startDashboardRig();
  }, 120_000);

  afterAll(async () => rig?.close());

  it('keeps the sample that arrived over the stream while the curve loads: the opening point and the sample, two points', async () => {
    expect(rig.service.fedUntil).toBeLessThan(FIRST_SAMPLE_AT);
    const account = await rig.createAccount('reloaded');
    const page = await rig.page();
    // Each load of the curve is read from the server when asked, then held: its answer lacks
    // anything recorded after that, as a load in flight when a point comes does.
    const held: Array<() => Promise<void>> = [];
    await page.route('**/api/account/equity*', async (route: Route) => {
      const response = await route.fetch();
      held.push(() => route.fulfill({ response }));
    });
    await page.goto(`${rig.base}/?key=${account.apiKey}`);
    // The load as the view opens and the one once the stream's subscription is confirmed.
    await eventually(() => held.length).toBe(2);
    const chart = page.getByTestId('equity-chart');
    expect(await chart.getAttribute('data-points')).toBe('0');

    // The minute's sample reaches the page over the stream while both loads are in flight.
    await rig.service.feedUntil(FIRST_SAMPLE_AT + 500);
    await eventually(() => chart.getAttribute('data-points')).toBe('1');

    for (const release of held.splice(0)) await release();
    await page.unroute('**/api/account/equity*');
    // The server's curve: the opening point and the sample at the minute.
    const curve = (await (await fetch(`${rig.base}/api/account/equity`, { headers: { authorization: `Bearer ${account.apiKey}` } })).json()) as { items: Array<{ at: number }> };
    expect(curve.items.map((p) => p.at).slice(1)).toEqual([FIRST_SAMPLE_AT]);
    await eventually(() => chart.getAttribute('data-points')).toBe('2');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await chart.getAttribute('data-points')).toBe('2');
  }, 60_000);
});
