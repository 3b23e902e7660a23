/**
 * Signed in with the admin key, an account that is gone does not sign the admin out: picking in the
 * selector an account deleted since the selector was filled, or having the account on screen
 * deleted, says the account no longer exists, keeps the admin signed in and asks the selector's
 * accounts again. (The dashboard of an account key still goes back to the sign-in:
 * dashboard-deleted-account.test.ts.)
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOrSkip } from '../../src/test-kit/chromium.js';
import { eventually, startDashboardRig, type DashboardRig } from '../../src/test-kit/dashboard-kit.js';
import { ADMIN_KEY } from '../../src/test-kit/service-kit.js';

const runs = chromiumOrSkip('dashboard admin deleted-account e2e');

describe.skipIf(!runs)('the admin dashboard when an account is deleted', () => {
  let rig: DashboardRig;
  let page: Page;
  const remove = async (id: string) => {
    const res = await fetch(`${rig.base}/api/accounts/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(res.status).toBe(204);
  };
  const options = () => page.getByTestId('account-select').locator('option').allTextContents();

  beforeAll(async () => {
    rig = await startDashboardRig();
    page = await rig.page();
  }, 120_000);

  afterAll(async () => rig?.close());

  it('picking an account deleted since says it no longer exists, stays signed in on the account shown, and lists the accounts again', async () => {
    await rig.createAccount('first', { USDT: '1111' });
    const second = await rig.createAccount('second', { USDT: '2222' });
    await rig.createAccount('third', { USDT: '3333' });
    await page.goto(`${rig.base}/?key=${ADMIN_KEY}`);
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toBe('1,111.00');
    expect(await options()).toEqual(['first · spot', 'second · spot', 'third · spot']);

    await remove(second.id);
    // The pick asks with the admin key: no refused account key, which would count toward the
    // address's failed-authentication back-off.
    const refused: string[] = [];
    page.on('response', (response) => void (response.status() === 401 && refused.push(response.url())));
    await page.getByTestId('account-select').selectOption({ label: 'second · spot' });
    await eventually(() => page.getByTestId('account-notice').textContent()).toContain('"second" no longer exists');
    expect(refused).toEqual([]);
    await eventually(options).toEqual(['first · spot', 'third · spot']);
    expect(await page.getByTestId('sign-in').count()).toBe(0);
    expect(await page.getByTestId('balance-USDT').textContent()).toBe('1,111.00');
    expect(await page.getByTestId('account-select').inputValue()).not.toBe(second.apiKey);

    // Another account can still be chosen; the notice goes.
    await page.getByTestId('account-select').selectOption({ label: 'third · spot' });
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toBe('3,333.00');
    expect(await page.getByTestId('account-notice').count()).toBe(0);
  }, 60_000);

  it('the account on screen deleted: says so and shows the first account left, still signed in', async () => {
    const fourth = await rig.createAccount('fourth', { USDT: '4444' });
    // The press that opens the selector (its mousedown asks the accounts again), without the native
    // list a click would leave open over the page.
    await page.getByTestId('account-select').dispatchEvent('mousedown');
    await eventually(options).toEqual(['first · spot', 'third · spot', 'fourth · spot']);
    await page.getByTestId('account-select').selectOption({ label: 'fourth · spot' });
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toBe('4,444.00');

    await remove(fourth.id);
    await eventually(() => page.getByTestId('account-notice').textContent()).toContain('"fourth" no longer exists');
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toBe('1,111.00');
    await eventually(options).toEqual(['first · spot', 'third · spot']);
    expect(await page.getByTestId('sign-in').count()).toBe(0);
  }, 60_000);
});

describe.skipIf(!runs)('the admin dashboard when an account is deleted and the accounts cannot be listed', () => {
  let rig: DashboardRig;
  let page: Page;

  beforeAll(async () => {
    rig = await startDashboardRig();
    page = await rig.page();
  }, 120_000);

  afterAll(async () => rig?.close());

  it('says the list could not be read, with the server\'s reason, not that no accounts are left', async () => {
    await rig.createAccount('kept', { USDT: '1111' });
    const shown = await rig.createAccount('shown', { USDT: '2222' });
    await page.goto(`${rig.base}/?key=${ADMIN_KEY}`);
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toBe('1,111.00');
    await page.getByTestId('account-select').selectOption({ label: 'shown · spot' });
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toBe('2,222.00');

    // The address is in the back-off after failed keys (edge-guards.ts: 429 TOO_MANY_AUTH_FAILURES)
    // when the dashboard next asks for the accounts.
    const busy = 'too many failed authentications from this address: retry in 30 s';
    await page.route('**/api/accounts?*', (route) => route.fulfill({ status: 429, contentType: 'application/json', body: JSON.stringify({ code: 'TOO_MANY_AUTH_FAILURES', message: busy }) }));
    const res = await fetch(`${rig.base}/api/accounts/${shown.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(res.status).toBe(204);

    const signIn = page.getByTestId('sign-in').getByRole('alert');
    await eventually(() => signIn.textContent()).toBe(`The account "shown" no longer exists, and the accounts could not be listed: ${busy}. Sign in again.`);
  }, 60_000);
});
