/**
 * The order form in Chromium with what a user types: bad input is refused on the spot with a message
 * and changes nothing on the server; a number written the way people write it (".01", " 0.01 ",
 * "1.") is sent in the form the API takes.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOrSkip } from '../../src/test-kit/chromium.js';
import { eventually, startDashboardRig, type DashboardRig } from '../../src/test-kit/dashboard-kit.js';

const runs = chromiumOrSkip('dashboard order input e2e');

describe.skipIf(!runs)('the order form with what users type', () => {
  let rig: DashboardRig;
  let page: Page;
  let base: string;
  let apiKey: string;
  const get = async (path: string) => (await (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${apiKey}` } })).json()) as { items: unknown[]; balances: Record<string, { free: string; locked: string }> };

  beforeAll(async () => {
    rig = await startDashboardRig();
    base = rig.base;
    apiKey = (await rig.createAccount('order input')).apiKey;
    page = await rig.page();
  }, 120_000);

  afterAll(async () => rig?.close());

  const form = () => page.locator('[data-testid="order-form"]');
  const submit = async (type: string, quantity: string, price?: string) => {
    await form().locator('select[name="type"]').selectOption(type);
    if (price !== undefined) await form().locator('input[name="price"]').fill(price);
    await form().locator('input[name="quantity"]').fill(quantity);
    await form().locator('[data-testid="submit-order"]').click();
  };

  it('refuses empty, zero, negative, non-numeric, too precise, huge and too small orders with a message, and sends none', async () => {
    await page.goto(`${base}/?key=${apiKey}`);
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toBe('10,000.00');
    await eventually(() => page.locator('[data-testid="order-book"] .book-row.ask').count()).toBeGreaterThan(0);
    const cases: Array<[string, string, string | undefined, string, RegExp]> = [
      ['MARKET', '', undefined, 'error-quantity', /Enter a quantity/],
      ['MARKET', '0', undefined, 'error-quantity', /positive number/],
      ['MARKET', '-1', undefined, 'error-quantity', /positive number/],
      ['MARKET', 'abc', undefined, 'error-quantity', /positive number/],
      ['MARKET', '1e3', undefined, 'error-quantity', /positive number/],
      ['MARKET', '0.000001', undefined, 'error-quantity', /step size 0\.00001/],
      ['MARKET', '99999999999999999999999', undefined, 'error-quantity', /above the maximum 9000/],
      ['LIMIT', '0.01', '', 'error-price', /Enter a limit price/],
      ['LIMIT', '0.01', '-5', 'error-price', /positive number/],
      ['LIMIT', '0.01', '50000.001', 'error-price', /tick size 0\.01/],
      // 0.0001 × 50,000 = 5 USDT, under the 10 USDT minimum.
      ['LIMIT', '0.0001', '50000', 'error-form', /MIN_NOTIONAL: the order value 5 USDT is below the minimum 10 USDT/],
    ];
    for (const [type, quantity, price, testId, message] of cases) {
      await submit(type, quantity, price);
      await eventually(() => page.getByTestId(testId).textContent()).toMatch(message);
    }
    expect((await get('/api/orders/open')).items).toEqual([]);
    expect((await get('/api/account/fills')).items).toEqual([]);
    expect((await get('/api/account')).balances.USDT).toEqual({ free: '10000', locked: '0' });
  });

  it('takes a quantity written ".01" as 0.01', async () => {
    await submit('LIMIT', '.01', '50000');
    await eventually(() => page.getByTestId('order-result').or(page.getByTestId('order-rejection')).textContent()).toMatch(/^Accepted.*: NEW$/);
    // 0.01 × 50,000 = 500 USDT held for the order.
    expect((await get('/api/account')).balances.USDT).toEqual({ free: '9500', locked: '500' });
  });

  it('takes a quantity and a price written "1." and "50000." as 1 and 50,000', async () => {
    const rich = await rig.createAccount('trailing dots', { USDT: '100000' });
    await page.goto(`${base}/?key=${rich.apiKey}`);
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toBe('100,000.00');
    await submit('LIMIT', '1.', '50000.');
    await eventually(() => page.getByTestId('order-result').or(page.getByTestId('order-rejection')).textContent()).toBe('Accepted — Limit buy 1 BTC @ 50000: NEW');
    expect(await page.getByTestId('error-quantity').count()).toBe(0);
    expect(await page.getByTestId('error-price').count()).toBe(0);
    // 1 × 50,000 = 50,000 USDT held for the order, half of the 100,000.
    const read = async (path: string) => (await (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${rich.apiKey}` } })).json()) as { items: Array<{ price: string; quantity: string }>; balances: Record<string, unknown> };
    expect((await read('/api/account')).balances.USDT).toEqual({ free: '50000', locked: '50000' });
    expect((await read('/api/orders/open')).items).toMatchObject([{ price: '50000', quantity: '1' }]);
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toBe('50,000.00');
  });
});
