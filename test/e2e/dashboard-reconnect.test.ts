/**
 * The dashboard after its WebSocket comes back: what happened while the page was disconnected (a
 * server restart, a dropped network) reaches the screen, not only what happens after the reconnect.
 *
 * The account's orders are placed while the server is down for the page (closed and built again on
 * the same engine, the API reached in-process), then the server listens again on the same port.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatFixed, parseFixed, roundToDecimals } from '../../src/core/money/fixed.js';
import { chromiumOrSkip } from '../../src/test-kit/chromium.js';
import { eventually, startDashboardRig, type DashboardRig } from '../../src/test-kit/dashboard-kit.js';

const runs = chromiumOrSkip('dashboard reconnect e2e');
/** A decimal as the dashboard writes an amount: two places, half up, thousands grouped. */
const shown = (text: string) => {
  const [whole, fraction = ''] = formatFixed(roundToDecimals(parseFixed(text), 2, 'half-up')).split('.');
  return `${whole!.replace(/\B(?=(\d{3})+$)/g, ',')}.${fraction.padEnd(2, '0')}`;
};

describe.skipIf(!runs)('the dashboard after a server restart', () => {
  let rig: DashboardRig;
  let page: Page;
  let base: string;
  let apiKey: string;

  beforeAll(async () => {
    rig = await startDashboardRig();
    base = rig.base;
    apiKey = (await rig.createAccount('reconnect')).apiKey;
    page = await rig.page();
  }, 120_000);

  afterAll(async () => rig?.close());

  it('shows the orders and fills made while it was disconnected once the stream is back', async () => {
    await page.goto(`${base}/?key=${apiKey}`);
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toBe('10,000.00');
    await eventually(() => page.getByTestId('feed-status').textContent()).toContain('Replay');

    let bestAsk = '';
    await rig.restart(async (app) => {
      await eventually(() => page.getByTestId('feed-status').textContent()).not.toContain('Replay');
      const place = (payload: Record<string, string>) =>
        app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${apiKey}` }, payload: { symbol: 'BTCUSDT', side: 'BUY', ...payload } });
      // The market does not move in this test: a limit far below it rests, a market buy meets the best ask.
      bestAsk = (await app.inject({ url: '/api/market/depth/BTCUSDT?limit=1' })).json<{ asks: [string, string][] }>().asks[0]![0];
      expect((await place({ type: 'LIMIT', price: '50000', quantity: '0.01' })).json()).toMatchObject({ status: 'NEW' });
      expect((await place({ type: 'MARKET', quantity: '0.00100' })).json()).toMatchObject({ status: 'FILLED', executedQty: '0.001' });
    });

    const openRows = page.locator('[data-testid="open-orders"] tbody tr');
    await eventually(() => openRows.count()).toBe(1);
    expect(await openRows.first().textContent()).toContain('50,000.00');
    const tradeRows = page.locator('[data-testid="trade-history"] tbody tr');
    await eventually(() => tradeRows.count()).toBe(1);
    expect(await tradeRows.first().textContent()).toContain(shown(bestAsk));
    // 0.01 × 50,000 = 500.00 USDT locked; 0.001 × best ask spent (the buy's fee is taken in BTC).
    const free = parseFixed('9500') - parseFixed(bestAsk) / 1000n;
    await eventually(() => page.locator('[data-asset="USDT"]').textContent()).toContain('500.00 locked');
    expect(await page.getByTestId('balance-USDT').textContent()).toBe(shown(formatFixed(free)));
  }, 60_000);
});
