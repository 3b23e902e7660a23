/**
 * Order lists in the dashboard, in real Chromium at 1280 and 390 px: an OCO pair and a bracket's
 * entry each shown as one group under a header with Cancel group, the action inside the page
 * width, and Cancel group ending the whole list on the server.
 */
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDashboard } from '../../src/api/dashboard-routes.js';
import { buildServer } from '../../src/api/server.js';
import { chromiumOrSkip, ensureDashboardBuilt, launchChromium, type TestBrowser } from '../../src/test-kit/chromium.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../src/test-kit/service-kit.js';

const runs = chromiumOrSkip('dashboard order groups');
const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { interval: 50 });

describe.skipIf(!runs)('order groups in the dashboard', () => {
  let service: TestService;
  let app: FastifyInstance;
  let browser: TestBrowser;
  let base: string;
  let page: Page;
  let account: { id: string; apiKey: string };
  const errors: string[] = [];

  const call = async (method: string, url: string, key: string, body?: object) => {
    const res = await fetch(`${base}${url}`, { method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  beforeAll(async () => {
    await ensureDashboardBuilt();
    service = await startTestService({ until: 1723161300000 });
    app = await buildServer(service.deps, { plugins: [registerDashboard] });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    account = (await call('POST', '/api/accounts', ADMIN_KEY, { name: 'groups', balances: { USDT: '10000', BTC: '1' } })).body as typeof account;
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await service?.close();
  });

  const groups = () => page.locator('[data-testid="open-orders"] [data-testid="order-group"]');
  const group = (id: string) => page.locator(`[data-testid="open-orders"] [data-group="${id}"]`);

  for (const [width, height] of [[1280, 800], [390, 844]] as const) {
    it(`at ${width} px shows an OCO and a bracket as one group each, and Cancel group ends the whole list`, async () => {
      const oco = `oco${width}`;
      const bracket = `brk${width}`;
      expect((await call('POST', '/api/orders/oco', account.apiKey, { symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', takeProfit: { stopPrice: '65000.00' }, stopLoss: { stopPrice: '60000.00' }, listClientOrderId: oco })).status).toBe(201);
      expect((await call('POST', '/api/orders', account.apiKey, { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '61000.00', clientOrderId: bracket, takeProfit: { stopPrice: '62500.00' }, stopLoss: { stopPrice: '60500.00' } })).status).toBe(201);
      await page.setViewportSize({ width, height });
      await page.goto(`${base}/?key=${account.apiKey}`);

      await eventually(() => groups().count()).toBe(2);
      await expect.poll(() => group(oco).locator('tr[data-order-id]').count()).toBe(2);
      expect(await group(oco).locator('.group-head').innerText()).toContain('OCO');
      expect(await group(bracket).locator('tr[data-order-id]').count()).toBe(1);
      const head = await group(bracket).locator('.group-head').innerText();
      expect(head).toContain('Bracket');
      expect(head).toContain('TP 62,500');
      expect(head).toContain('SL 60,500');

      // Every Cancel group is inside the page, without a horizontal scroll.
      for (const id of [oco, bracket]) {
        const button = group(id).getByRole('button', { name: `Cancel group ${id}` });
        await button.scrollIntoViewIfNeeded();
        const box = (await button.boundingBox())!;
        expect(box.x).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width).toBeLessThanOrEqual(width);
      }
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);

      await group(oco).getByRole('button', { name: `Cancel group ${oco}` }).click();
      await eventually(() => group(oco).count()).toBe(0);
      const ocoAfter = (await call('GET', `/api/orders/oco/${oco}`, account.apiKey)).body;
      expect(ocoAfter).toMatchObject({ listOrderStatus: 'ALL_DONE', orders: [{ status: 'CANCELED' }, { status: 'CANCELED' }] });

      await group(bracket).getByRole('button', { name: `Cancel group ${bracket}` }).click();
      await eventually(() => groups().count()).toBe(0);
      expect((await call('GET', `/api/orders/oco/${bracket}`, account.apiKey)).body).toMatchObject({ contingencyType: 'BRACKET', listOrderStatus: 'ALL_DONE', orders: [{ clientOrderId: bracket, status: 'CANCELED' }] });
      expect((await call('GET', '/api/account/balances', account.apiKey)).body.balances).toEqual({ BTC: { free: '1', locked: '0' }, USDT: { free: '10000', locked: '0' } });
      expect(errors).toEqual([]);
    });
  }
});
