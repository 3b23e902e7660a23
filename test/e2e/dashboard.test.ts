/**
 * The dashboard in real Chromium (Debian's /usr/bin/chromium through playwright-core) against the
 * service in-process: the real engine on the bundled recording, the API and the dashboard plugin
 * on a free port, the market moving while the browser watches.
 *
 * Without Chromium the suite is skipped with a message, except under CI=true, where it fails.
 * Screenshots of the main view at 1280×800 and 390×844 go to test-output/ (not committed).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDashboard } from '../../src/api/dashboard-routes.js';
import { buildServer } from '../../src/api/server.js';
import { chromiumOrSkip, ensureDashboardBuilt, launchChromium, type TestBrowser } from '../../src/test-kit/chromium.js';
import { PROJECT_ROOT } from '../../src/test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../src/test-kit/service-kit.js';

const OUTPUT = join(PROJECT_ROOT, 'test-output');
const runs = chromiumOrSkip('dashboard e2e');

/** The page updates asynchronously: wait for it (generously, for a loaded CI machine). */
const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 15_000, interval: 50 });

const backgroundOf = async (p: Page): Promise<string> => String(await p.evaluate('getComputedStyle(document.body).backgroundColor'));

describe('POST /api/mode', () => {
  let service: TestService;
  let app: FastifyInstance;
  beforeAll(async () => {
    service = await startTestService();
    app = await buildServer(service.deps, { plugins: [registerDashboard] });
  });
  afterAll(async () => {
    await app.close();
    await service.close();
  });
  const ask = (mode: string, key?: string) =>
    app.inject({ method: 'POST', url: '/api/mode', headers: key !== undefined ? { authorization: `Bearer ${key}` } : {}, payload: { mode } });

  it("refuses live with the interlock's missing pieces and says a restart is needed", async () => {
    const res = await ask('live', ADMIN_KEY);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ code: 'LIVE_TRADING_REFUSED', message: expect.stringContaining('restart'), missing: service.deps.mode.liveRefusedBecause });
  });

  it('answers the mode in force as it is, and asks for a key', async () => {
    expect((await ask('paper', ADMIN_KEY)).json()).toEqual({ mode: 'paper', changed: false });
    expect((await ask('live')).statusCode).toBe(401);
    expect((await ask('demo', ADMIN_KEY)).statusCode).toBe(400);
  });
});

describe.skipIf(!runs)('the dashboard in Chromium', () => {
  let service: TestService;
  let app: FastifyInstance;
  let browser: TestBrowser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let apiKey: string;
  let feeding = true;
  let feeder: Promise<void> | undefined;

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    await ensureDashboardBuilt();
    service = await startTestService();
    app = await buildServer(service.deps, { plugins: [registerDashboard] });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    const created = await fetch(`${base}/api/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'dashboard e2e', balances: { USDT: '10000' } }),
    });
    expect(created.status).toBe(201);
    apiKey = ((await created.json()) as { apiKey: string }).apiKey;

    // The market moves: two seconds of the recording every 100 ms, while the browser watches.
    const start = service.recording.inputs[0]!.time + 5_000;
    feeder = (async () => {
      for (let t = start + 2_000; feeding; t += 2_000) {
        await service.feedUntil(t);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    browser = await launchChromium();
    context = browser.context;
    page = context.pages()[0] ?? (await context.newPage());
  }, 120_000);

  afterAll(async () => {
    feeding = false;
    await feeder;
    await browser?.close();
    await app?.close();
    await service?.close();
  });

  const openOrderRows = () => page.locator('[data-testid="open-orders"] tbody tr');
  const equityPoints = async () => Number(await page.getAttribute('[data-testid="equity-chart"]', 'data-points'));
  const form = () => page.locator('[data-testid="order-form"]');
  const fill = async (type: string, fields: { price?: string; quantity: string }, side: 'Buy' | 'Sell' = 'Buy') => {
    await form().getByRole('radio', { name: side }).click();
    await form().locator('select[name="type"]').selectOption(type);
    if (fields.price !== undefined) await form().locator('input[name="price"]').fill(fields.price);
    await form().locator('input[name="quantity"]').fill(fields.quantity);
    await form().locator('[data-testid="submit-order"]').click();
  };

  it('loads with the PAPER TRADING banner, signs in from ?key= and shows the live market', async () => {
    await page.goto(`${base}/?key=${apiKey}`);
    const banner = page.getByTestId('mode-banner');
    await eventually(() => banner.textContent()).toContain('PAPER TRADING');
    expect(await banner.getAttribute('data-mode')).toBe('paper');
    expect(page.url()).not.toContain('key=');
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toBe('10,000.00');
    await eventually(() => page.locator('[data-testid="order-book"] .book-row.bid').count()).toBeGreaterThan(0);
    await eventually(() => page.getByTestId('last-price').textContent()).toMatch(/\d/);
    await eventually(() => page.getByTestId('feed-status').textContent()).toContain('Replay');
    await eventually(() => page.locator('a[href*="tradingview"]').count()).toBeGreaterThan(0);
  });

  it('places a limit order through the form, shows it in open orders, and cancelling removes it', async () => {
    await fill('LIMIT', { price: '50000.00', quantity: '0.01' });
    await eventually(() => page.getByTestId('order-result').textContent()).toContain('NEW');
    await eventually(() => openOrderRows().count()).toBe(1);
    expect(await openOrderRows().first().textContent()).toContain('50,000.00');
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toBe('9,500.00');

    await openOrderRows().first().getByRole('button', { name: /Cancel/ }).click();
    await eventually(() => openOrderRows().count()).toBe(0);
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toBe('10,000.00');
  });

  it('a market order shows the fill, a new balance and a new point on the equity chart', async () => {
    const pointsBefore = await equityPoints();
    await page.waitForTimeout(1_200); // the chart keeps one point per second
    await fill('MARKET', { quantity: '0.01' });
    await eventually(() => page.getByTestId('toast').textContent()).toMatch(/Filled: bought 0\.01 BTC at [\d,]+\.\d\d/);
    await eventually(() => page.locator('[data-testid="trade-history"] tbody tr').count()).toBe(1);
    await eventually(() => page.getByTestId('balance-BTC').count()).toBe(1);
    const usdt = Number((await page.getByTestId('balance-USDT').textContent())!.replaceAll(',', ''));
    expect(usdt).toBeLessThan(9_500);
    expect(usdt).toBeGreaterThan(9_000);
    await eventually(equityPoints).toBeGreaterThan(pointsBefore);
    await page.screenshot({ path: join(OUTPUT, 'dashboard-1280x800.png'), fullPage: false });
    await page.screenshot({ path: join(OUTPUT, 'dashboard-1280x800-full.png'), fullPage: true });
  });

  it('checks the instrument rules inline and shows the exchange reason for a rejected order', async () => {
    await fill('LIMIT', { price: '50000.00', quantity: '0.00001' });
    await eventually(() => page.getByTestId('error-form').textContent()).toContain('MIN_NOTIONAL');
    await fill('LIMIT', { price: '50000.005', quantity: '0.01' });
    await eventually(() => page.getByTestId('error-price').textContent()).toContain('tick size 0.01');

    // Passes the pre-checks; the exchange refuses it (10 BTC is far more than 10,000 USDT buys).
    await fill('MARKET', { quantity: '10' });
    const rejection = page.getByTestId('order-rejection');
    await eventually(() => rejection.textContent()).toContain('INSUFFICIENT_BALANCE (10101)');
    expect(await rejection.textContent()).toContain('Insufficient balance');
  });

  it('the mode toggle asks for confirmation, then shows why the server refuses live trading', async () => {
    await page.getByTestId('open-settings').click();
    await page.getByTestId('mode-toggle').click();
    await eventually(() => page.getByTestId('mode-confirm').textContent()).toContain('Switch to LIVE trading?');
    await page.getByTestId('mode-confirm-yes').click();
    const refusal = page.getByTestId('mode-refusal');
    await eventually(() => refusal.textContent()).toContain('LIVE_TRADING_REFUSED');
    const missing = await page.locator('[data-testid="mode-missing"] li').allTextContents();
    expect(missing).toEqual(service.deps.mode.liveRefusedBecause);
    expect(await page.getByTestId('mode-toggle').getAttribute('aria-checked')).toBe('false');
    expect(await page.getByTestId('mode-banner').getAttribute('data-mode')).toBe('paper');
    await page.screenshot({ path: join(OUTPUT, 'dashboard-settings-1280x800.png') });
    await page.getByRole('button', { name: 'Close settings' }).click();
  });

  it('gives the admin key an account selector', async () => {
    await page.goto(`${base}/?key=${ADMIN_KEY}`);
    const select = page.getByTestId('account-select');
    await eventually(() => select.locator('option').allTextContents()).toContain('dashboard e2e · spot');
    await select.selectOption({ label: 'dashboard e2e · spot' });
    await eventually(() => page.locator('[data-testid="trade-history"] tbody tr').count()).toBe(1);
    await eventually(() => page.getByTestId('balance-BTC').count()).toBe(1);
  });

  it('looks unmistakably different when the server trades live', async () => {
    const paperBackground = await backgroundOf(page);
    const live = await buildServer({ ...service.deps, mode: { mode: 'live', liveRefusedBecause: [] } }, { plugins: [registerDashboard] });
    try {
      const liveBase = await live.listen({ host: '127.0.0.1', port: 0 });
      const livePage = await context.newPage();
      await livePage.goto(`${liveBase}/?key=${apiKey}`);
      const banner = livePage.getByTestId('mode-banner');
      await eventually(() => banner.getAttribute('data-mode')).toBe('live');
      expect(await banner.textContent()).toContain('LIVE TRADING');
      expect(await banner.textContent()).not.toContain('PAPER');
      const liveBackground = await backgroundOf(livePage);
      expect(liveBackground).not.toBe(paperBackground);
      await eventually(() => livePage.getByTestId('balance-USDT').count()).toBe(1);
      await livePage.screenshot({ path: join(OUTPUT, 'dashboard-live-1280x800.png') });
      await livePage.close();
    } finally {
      await live.close();
    }
  });

  it('works at phone width', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toMatch(/\d/);
    await eventually(() => page.locator('[data-testid="order-book"] .book-row.bid').count()).toBeGreaterThan(0);
    // The page's own code runs in the browser; strings keep the DOM out of this Node-typed file.
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(OUTPUT, 'dashboard-390x844.png') });
    await page.screenshot({ path: join(OUTPUT, 'dashboard-390x844-full.png'), fullPage: true });
  });

  it('serves the built files with their content types and falls back to the page for app paths', async () => {
    const index = await fetch(`${base}/some/app/path`);
    expect(index.headers.get('content-type')).toContain('text/html');
    const html = await index.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect((await fetch(`${base}${script!}`)).headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
    const unknownApi = await fetch(`${base}/api/nope`);
    expect(unknownApi.status).toBe(404);
    expect(await unknownApi.json()).toMatchObject({ code: 'NOT_FOUND' });
    expect((await fetch(`${base}/..%2Fpackage.json`)).status).toBe(404);
  });
});
