/**
 * The admin's account selector with more accounts than one page of the API (500) and with an
 * account created after sign-in: every account can be reached and chosen, and the new one shows
 * when the selector is opened again.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOrSkip } from '../../src/test-kit/chromium.js';
import { eventually, startDashboardRig, type DashboardRig } from '../../src/test-kit/dashboard-kit.js';
import { ADMIN_KEY } from '../../src/test-kit/service-kit.js';

const runs = chromiumOrSkip('dashboard accounts e2e');

describe.skipIf(!runs)('the account selector of the admin key', () => {
  let rig: DashboardRig;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    rig = await startDashboardRig();
    base = rig.base;
    // 500 accounts fill the first page; the 501st, made after them all, is on the second.
    const names = Array.from({ length: 500 }, (_, i) => `filler ${String(i + 1).padStart(3, '0')}`);
    for (let i = 0; i < names.length; i += 20) await Promise.all(names.slice(i, i + 20).map((name) => rig.createAccount(name, { USDT: '100' })));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await rig.createAccount('number 501', { USDT: '777' });
    page = await rig.page();
  }, 180_000);

  afterAll(async () => rig?.close());

  const select = () => page.getByTestId('account-select');
  const range = () => page.getByTestId('accounts-range');

  it('reaches the 501st account on the next page and shows its balance', async () => {
    await page.goto(`${base}/?key=${ADMIN_KEY}`);
    await eventually(() => range().textContent()).toBe('1–500 of 501');
    const firstPage = await select().locator('option').allTextContents();
    expect(firstPage).toHaveLength(500);
    expect(firstPage).not.toContain('number 501 · spot');
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toBe('100.00');

    await page.getByTestId('accounts-next').click();
    await eventually(() => range().textContent()).toBe('501–501 of 501');
    // The account on screen (the first) stays listed beside the page's one.
    expect(await select().locator('option').allTextContents()).toEqual(['filler 001 · spot', 'number 501 · spot']);
    expect(await page.getByTestId('accounts-next').isDisabled()).toBe(true);
    await select().selectOption({ label: 'number 501 · spot' });
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toBe('777.00');
  });

  it('lists an account created after sign-in once the selector is opened again', async () => {
    await rig.createAccount('made later', { USDT: '4321.5' });
    expect(await select().locator('option').allTextContents()).not.toContain('made later · spot');
    await select().click();
    await eventually(() => range().textContent()).toBe('501–502 of 502');
    await page.keyboard.press('Escape');
    expect(await select().locator('option').allTextContents()).toEqual(['number 501 · spot', 'made later · spot']);
    await select().selectOption({ label: 'made later · spot' });
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toBe('4,321.50');

    await page.getByTestId('accounts-previous').click();
    await eventually(() => range().textContent()).toBe('1–500 of 502');
    // 500 of the first page and the account on screen, from the second.
    const options = await select().locator('option').allTextContents();
    expect(options).toHaveLength(501);
    expect(options[0]).toBe('made later · spot');
    expect(options[1]).toBe('filler 001 · spot');
  });
});
