/**
 * A dashboard left open on an account that is then deleted stops showing that account: it goes back
 * to the sign-in with the reason, instead of keeping the last balances and equity on screen as if
 * the account still traded, and it stops sending a key the server refuses (each refusal counts
 * towards the address's authentication back-off, ADR 0019).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EDGE_LIMITS } from '../../src/config/limits-config.js';
import { chromiumOrSkip } from '../../src/test-kit/chromium.js';
import { eventually, startDashboardRig, type DashboardRig } from '../../src/test-kit/dashboard-kit.js';
import { ADMIN_KEY } from '../../src/test-kit/service-kit.js';

const runs = chromiumOrSkip('dashboard deleted-account e2e');

describe.skipIf(!runs)('the dashboard of a deleted account', () => {
  let rig: DashboardRig;
  let base: string;
  let feeding = true;
  let feeder: Promise<void> | undefined;
  const create = (name: string) => rig.createAccount(name);

  beforeAll(async () => {
    rig = await startDashboardRig({ server: { limits: { ...DEFAULT_EDGE_LIMITS, rateLimitMax: 0 } } });
    base = rig.base;
    const { service } = rig;
    // The market moves while the page is open, as it does on a running server.
    feeder = (async () => {
      for (let t = service.fedUntil + 500; feeding; t += 500) {
        await service.feedUntil(t);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  }, 120_000);

  afterAll(async () => {
    feeding = false;
    await feeder;
    await rig?.close();
  });

  it('goes back to the sign-in and says why, and other keys of the same address still work', async () => {
    const shown = await create('shown then deleted');
    const bot = await create('bot on the same machine');
    const page = await rig.page();
    await page.goto(`${base}/?key=${shown.apiKey}`);
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toBe('10,000.00');
    await eventually(() => page.getByTestId('last-price').textContent()).toMatch(/\d/);

    const deleted = await fetch(`${base}/api/accounts/${shown.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(deleted.status).toBeLessThan(300);
    await eventually(() => page.getByTestId('sign-in').isVisible()).toBe(true);
    expect(await page.getByTestId('sign-in').getByRole('alert').textContent()).toContain('no longer accepts');
    expect(await page.getByTestId('summary').count()).toBe(0);
    expect((await fetch(`${base}/api/account`, { headers: { authorization: `Bearer ${bot.apiKey}` } })).status).toBe(200);
  }, 60_000);
});
