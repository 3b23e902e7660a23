/**
 * The dashboard's first load and its first WebSocket subscription: what the account does between
 * the two (an order placed, a fill) reaches the screen, although the stream never sends it.
 *
 * The page's subscribe frame is held back (Playwright's WebSocket route stands between the page
 * and the server) until the page has loaded the account and orders were placed and filled over
 * the API; then the frame goes on to the server.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatFixed, parseFixed, roundToDecimals } from '../../src/core/money/fixed.js';
import { chromiumOrSkip } from '../../src/test-kit/chromium.js';
import { eventually, startDashboardRig, type DashboardRig } from '../../src/test-kit/dashboard-kit.js';

const runs = chromiumOrSkip('dashboard subscribe gap e2e');
/** A decimal as the dashboard writes an amount: two places, half up, thousands grouped. */
const shown = (text: string) => {
  const [whole, fraction = ''] = formatFixed(roundToDecimals(parseFixed(text), 2, 'half-up')).split('.');
  return `${whole!.replace(/\B(?=(\d{3})+$)/g, ',')}.${fraction.padEnd(2, '0')}`;
};

describe.skipIf(!runs)('the dashboard between its first load and its first subscription', () => {
  let rig: DashboardRig;
  let page: Page;
  let base: string;
  let apiKey: string;

  beforeAll(async () => {
    rig = await startDashboardRig();
    base = rig.base;
    apiKey = (await rig.createAccount('subscribe gap')).apiKey;
    page = await rig.page();
  }, 120_000);

  afterAll(async () => rig?.close());

  it('shows the order and the fill made before the stream was subscribed', async () => {
    let subscribeHeld!: () => void;
    const held = new Promise<void>((resolve) => (subscribeHeld = resolve));
    let releaseSubscribe!: () => void;
    const released = new Promise<void>((resolve) => (releaseSubscribe = resolve));
    await page.routeWebSocket(`${base.replace(/^http/, 'ws')}/ws`, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((frame) => {
        if (typeof frame === 'string' && frame.includes('"subscribe"')) {
          subscribeHeld();
          void released.then(() => server.send(frame));
        } else {
          server.send(frame);
        }
      });
    });
    const loaded = ['/api/account', '/api/orders/open', '/api/account/fills'].map((path) => page.waitForResponse((r) => new URL(r.url()).pathname === path));

    await page.goto(`${base}/?key=${apiKey}`);
    await Promise.all([held, ...loaded]);
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toBe('10,000.00');

    const place = async (payload: Record<string, string>) => {
      const res = await fetch(`${base}/api/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ symbol: 'BTCUSDT', side: 'BUY', ...payload }),
      });
      return (await res.json()) as Record<string, unknown>;
    };
    // The market does not move in this test: a limit far below it rests, a market buy meets the best ask.
    const bestAsk = ((await (await fetch(`${base}/api/market/depth/BTCUSDT?limit=1`)).json()) as { asks: [string, string][] }).asks[0]![0];
    expect(await place({ type: 'LIMIT', price: '50000', quantity: '0.01' })).toMatchObject({ status: 'NEW' });
    expect(await place({ type: 'MARKET', quantity: '0.001' })).toMatchObject({ status: 'FILLED', executedQty: '0.001' });
    // Before the subscription the page still shows its first load.
    expect(await page.locator('[data-testid="trade-history"] tbody tr').count()).toBe(0);
    releaseSubscribe();

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
