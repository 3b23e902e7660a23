/**
 * The dashboard's "Stop market" buy, placed through the order form in real Chromium: the request
 * that once stopped the engine for every account (a STOP_LOSS without a price). It is accepted and
 * reserves quantity × stop (ADR 0020: 0.001 × 70,000 = 70 USDT on Binance spot, whose buy fee is
 * in BTC); the engine stays ready, a market order from the same form fills, and a restart on the
 * same database shows the same balances with the stop still open — on SQLite and PostgreSQL.
 */
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { registerDashboard } from '../../src/api/dashboard-routes.js';
import { buildServer } from '../../src/api/server.js';
import { chromiumOrSkip, ensureDashboardBuilt, launchChromium, type TestBrowser } from '../../src/test-kit/chromium.js';
import { ADMIN_KEY, startTestService, type TestService } from '../../src/test-kit/service-kit.js';
import { describeEachDialect, type TestDatabase } from '../../src/test-kit/test-databases.js';

const T = 1723161300000;
const runs = chromiumOrSkip('dashboard stop market');
const eventually = <V>(read: () => Promise<V> | V) => expect.poll(read, { interval: 50 });

describeEachDialect((name) => `the dashboard's Stop market buy, on ${name}`, (dialect) => {
  let target: TestDatabase;
  let service: TestService | undefined;
  let app: FastifyInstance | undefined;
  let browser: TestBrowser | undefined;
  const start = (until: number) => startTestService({ until, engine: { databaseUrl: target.url, database: target.options, snapshotIntervalMs: 0 } });

  beforeEach(() => {
    target = dialect.create();
  });
  afterEach(async () => {
    await browser?.close();
    await app?.close();
    await service?.close();
    browser = undefined;
    app = undefined;
    service = undefined;
    await target.cleanup();
  });

  it.skipIf(!runs)('is accepted with its reservation, the engine goes on, and a restart works', async () => {
    await ensureDashboardBuilt();
    service = await start(T);
    app = await buildServer(service.deps, { plugins: [registerDashboard] });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const created = await app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'stops', balances: { USDT: '1000' } } });
    expect(created.statusCode).toBe(201);
    const { id, apiKey } = created.json() as { id: string; apiKey: string };

    browser = await launchChromium();
    const page: Page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.goto(`${base}/?key=${apiKey}`);
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toBe('1,000.00');
    const form = page.locator('[data-testid="order-form"]');
    await form.getByRole('radio', { name: 'Buy' }).click();
    await form.locator('select[name="type"]').selectOption({ label: 'Stop market' });
    expect(await form.locator('input[name="price"]').count()).toBe(0); // the form asks for no limit price
    await form.locator('input[name="stopPrice"]').fill('70000.00');
    await form.locator('input[name="quantity"]').fill('0.001');
    await form.locator('[data-testid="submit-order"]').click();
    await eventually(() => page.getByTestId('order-result').textContent()).toContain('NEW');
    await eventually(() => page.getByTestId('balance-USDT').textContent()).toBe('930.00');
    expect(service.engine.kernel.balances(id)!.USDT).toEqual({ free: '930', locked: '70' });
    const open = (await app.inject({ url: '/api/orders/open', headers: { authorization: `Bearer ${apiKey}` } })).json() as { items: Array<Record<string, unknown>> };
    expect(open.items).toEqual([expect.objectContaining({ type: 'STOP_LOSS', side: 'BUY', status: 'NEW', stopPrice: '70000', quantity: '0.001' })]);
    expect(open.items[0]!.price ?? null).toBeNull();

    expect((await app.inject({ url: '/ready' })).statusCode).toBe(200);
    await form.locator('select[name="type"]').selectOption({ label: 'Market' });
    await form.locator('input[name="quantity"]').fill('0.001');
    await form.locator('[data-testid="submit-order"]').click();
    await eventually(() => page.getByTestId('toast').textContent()).toMatch(/Filled: bought 0\.001 BTC/);
    expect((await app.inject({ url: '/api/admin/quarantine', headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json().total).toBe(0);
    const balances = service.engine.kernel.balances(id);

    await browser.close();
    browser = undefined;
    await app.close();
    app = undefined;
    await service.close();
    service = await start(0);
    expect((await service.app.inject({ url: '/ready' })).statusCode).toBe(200);
    expect(service.engine.kernel.balances(id)).toEqual(balances);
    expect(service.engine.kernel.openOrders(id).map((o) => [o.type, o.side])).toEqual([['STOP_LOSS', 'BUY']]);
  }, 180_000);
});
