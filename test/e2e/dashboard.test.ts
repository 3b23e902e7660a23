/**
 * The dashboard in real Chromium (Debian's /usr/bin/chromium through playwright-core) against the
 * service in-process: the real engine on the bundled recording, the API and the dashboard plugin
 * on a free port, the market moving while the browser watches.
 *
 * Without Chromium the suite is skipped with a message, except under CI=true, where it fails.
 * Screenshots of the main view at 1280×800 and 390×844 go to test-output/ (not committed).
 *
 * A futures account on the perpetual's recording is then checked at both widths: the leverage the
 * server reports, Cancel and Close inside the page width and working, the price chart's history
 * (the candles API's count) and fill markers on the first load, and no console error or CSP
 * violation.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDashboard } from '../../src/api/dashboard-routes.js';
import { buildServer } from '../../src/api/server.js';
import { chromiumOrSkip, ensureDashboardBuilt, launchChromium, type TestBrowser } from '../../src/test-kit/chromium.js';
import { PROJECT_ROOT, USDM_RECORDING } from '../../src/test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../src/test-kit/service-kit.js';

const OUTPUT = join(PROJECT_ROOT, 'test-output');
const runs = chromiumOrSkip('dashboard e2e');

/** The page updates asynchronously: wait for it (generously, for a loaded CI machine). */
const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { interval: 50 });

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

  it('asks for the key before it reads the body: 401 without one, whatever the body holds', async () => {
    for (const payload of [{}, { mode: 'demo' }, { paper: false }, 'not json']) {
      const res = await app.inject({ method: 'POST', url: '/api/mode', headers: { 'content-type': 'application/json' }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });
      expect([res.statusCode, res.json().code]).toEqual([401, 'UNAUTHORIZED']);
    }
    const unknown = await app.inject({ method: 'POST', url: '/api/mode', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { paper: false } });
    expect([unknown.statusCode, unknown.json().message]).toEqual([400, expect.stringContaining('unknown field "paper"')]);
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

  it('a sell shows the PnL it realized against the average buy price, before fees', async () => {
    await fill('MARKET', { quantity: '0.005' }, 'Sell');
    const rows = page.locator('[data-testid="trade-history"] tbody tr');
    await eventually(() => rows.count()).toBe(2);
    const fills = (await (await fetch(`${base}/api/account/fills`, { headers: { authorization: `Bearer ${apiKey}` } })).json()) as { items: { orderSide: string; price: string; size: string }[] };
    const [sell, buy] = fills.items;
    expect([sell?.orderSide, buy?.orderSide]).toEqual(['SELL', 'BUY']);
    // By hand: 0.005 BTC sold at the sell price against the one buy's price.
    const expected = 0.005 * (Number(sell!.price) - Number(buy!.price));
    const shown = Number((await rows.first().getByTestId('realized-pnl').textContent())!.replaceAll(',', '').replace('+', ''));
    expect(shown).toBeCloseTo(expected, 2);
    expect(await rows.nth(1).getByTestId('realized-pnl').textContent()).toBe('—');
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

/** What the browser reports that a page must never show: console errors, page errors, CSP violations. */
function watchConsole(p: Page): string[] {
  const problems: string[] = [];
  p.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  p.on('pageerror', (e) => problems.push(`page: ${e.message}`));
  p.on('response', (r) => {
    if (r.status() >= 400) problems.push(`response: ${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  return problems;
}

describe.skipIf(!runs)('the dashboard of a futures account in Chromium, at 1280 and 390 px', () => {
  let service: TestService;
  let app: FastifyInstance;
  let browser: TestBrowser;
  let base: string;
  let key: string;
  let feeding = true;
  let paused = false;
  let idle = false;
  let feeder: Promise<void> | undefined;
  const LEVERAGE = 7;

  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
  /** Holds the market still, so that what the page loaded and what the API answers can be compared. */
  const pause = async () => {
    paused = true;
    await expect.poll(() => idle).toBe(true);
  };

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    await ensureDashboardBuilt();
    service = await startTestService({ recording: USDM_RECORDING });
    app = await buildServer(service.deps, { plugins: [registerDashboard] });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    const created = await fetch(`${base}/api/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'futures e2e', type: 'futures', leverage: 3, balances: { USDT: '10000' } }),
    });
    expect(created.status).toBe(201);
    key = ((await created.json()) as { apiKey: string }).apiKey;
    // Not the dashboard's old constant, not the account's default: only the server can know it.
    await api('POST', '/api/account/leverage', { symbol: 'BTCUSDT', leverage: LEVERAGE });

    const start = service.recording.inputs[0]!.time + 5_000;
    feeder = (async () => {
      for (let t = start + 2_000; feeding; t += 2_000) {
        if (paused) {
          idle = true;
          t -= 2_000;
          await new Promise((r) => setTimeout(r, 25));
          continue;
        }
        idle = false;
        await service.feedUntil(t);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    // A few minutes of market first, so that the chart has history to show.
    await service.feedUntil(start + 150_000);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    feeding = false;
    paused = false;
    await feeder;
    await browser?.close();
    await app?.close();
    await service?.close();
  });

  for (const [width, height] of [[1280, 800], [390, 844]] as const) {
    it(`at ${width} px: the server's leverage, history and fill markers on first load, Cancel and Close in view and working`, async () => {
      // A position (two buys, one partial sell: a realized PnL) and a resting order to act on.
      await api('POST', '/api/orders', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.02' });
      await api('POST', '/api/orders', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
      await api('POST', '/api/orders', { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.01' });
      await api('POST', '/api/orders', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: '55000.00', quantity: '0.01' });

      await pause();
      const page = await browser.context.newPage();
      const problems = watchConsole(page);
      try {
        await page.setViewportSize({ width, height });
        await page.goto(`${base}/?key=${key}`);
        const server = await api<{ items: { symbol: string; leverage: number }[] }>('GET', '/api/account/leverage');
        expect(server.items.find((i) => i.symbol === 'BTCUSDT')?.leverage).toBe(LEVERAGE);
        await eventually(() => page.getByTestId('leverage-current').textContent()).toBe(`${LEVERAGE}×`);
        await eventually(() => page.getByTestId('leverage-input').inputValue()).toBe(String(LEVERAGE));

        // The chart's first load: the candles the API has, and a marker per fill.
        const chart = page.getByTestId('price-chart');
        await eventually(() => chart.getAttribute('data-loaded')).toBe('true');
        const candles = await api<{ items: unknown[] }>('GET', '/api/market/candles/BTCUSDT?interval=1m&limit=500');
        expect(candles.items.length).toBeGreaterThan(0);
        expect(Number(await chart.getAttribute('data-candles'))).toBe(candles.items.length);
        const fills = await api<{ items: unknown[] }>('GET', '/api/account/fills?symbol=BTCUSDT&limit=100');
        expect(fills.items.length).toBeGreaterThanOrEqual(3);
        await eventually(async () => Number(await chart.getAttribute('data-markers'))).toBe(fills.items.length);

        // Another timeframe: the API's candles of that timeframe.
        await chart.getByRole('radio', { name: '5m', exact: true }).click();
        const five = await api<{ items: unknown[] }>('GET', '/api/market/candles/BTCUSDT?interval=5m&limit=500');
        await eventually(async () => (await chart.getAttribute('data-timeframe')) === '5m' && (await chart.getAttribute('data-loaded')) === 'true' && Number(await chart.getAttribute('data-candles'))).toBe(five.items.length);
        await chart.getByRole('radio', { name: '1m', exact: true }).click();
        await eventually(() => chart.getAttribute('data-candles')).toBe(String(candles.items.length));

        const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
        expect(overflow).toBeLessThanOrEqual(0);
        const inView = async (button: ReturnType<Page['locator']>) => {
          await button.scrollIntoViewIfNeeded();
          expect(await button.isVisible()).toBe(true);
          const box = (await button.boundingBox())!;
          expect(box.x).toBeGreaterThanOrEqual(0);
          expect(box.x + box.width).toBeLessThanOrEqual(width);
          expect(box.y).toBeGreaterThanOrEqual(0);
          expect(box.y + box.height).toBeLessThanOrEqual(height);
        };
        const cancel = page.locator('[data-testid="open-orders"] tbody tr').first().getByRole('button', { name: /Cancel/ });
        const close = page.locator('[data-testid="positions"] tbody tr').first().getByRole('button', { name: /Close/ });
        await eventually(() => cancel.count()).toBe(1);
        await eventually(() => close.count()).toBe(1);
        await inView(cancel);
        await inView(close);
        await page.screenshot({ path: join(OUTPUT, `dashboard-futures-${width}.png`), fullPage: false });
        await page.screenshot({ path: join(OUTPUT, `dashboard-futures-${width}-full.png`), fullPage: true });
        await page.getByTestId('positions').screenshot({ path: join(OUTPUT, `dashboard-futures-${width}-positions.png`) });
        paused = false;

        await cancel.click();
        await eventually(() => page.locator('[data-testid="open-orders"] tbody tr').count()).toBe(0);
        expect(await api<{ items: unknown[] }>('GET', '/api/orders/open')).toEqual({ items: [] });
        await close.click();
        await eventually(() => page.locator('[data-testid="positions"] tbody tr').count()).toBe(0);
        expect(await api<{ items: unknown[] }>('GET', '/api/account/positions')).toEqual({ items: [] });

        // The close realized PnL: shown as the API computed it, and a marker more on the chart.
        const newest = await api<{ items: { realizedPnl: string | null; orderSide: string }[] }>('GET', '/api/account/fills?limit=1');
        expect(newest.items[0]).toMatchObject({ orderSide: 'SELL', realizedPnl: expect.any(String) });
        const cell = page.locator('[data-testid="trade-history"] tbody tr').first().getByTestId('realized-pnl');
        await eventually(async () => Number((await cell.textContent())!.replaceAll(',', '').replace('+', ''))).toBeCloseTo(Number(newest.items[0]!.realizedPnl), 2);
        await eventually(async () => Number(await chart.getAttribute('data-markers'))).toBeGreaterThan(fills.items.length);
        expect(problems).toEqual([]);
      } finally {
        paused = false;
        await page.close();
      }
    }, 90_000);
  }
});
