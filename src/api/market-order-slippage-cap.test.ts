/**
 * `POST /api/orders` with `maxSlippage` on the bundled recording: the cap is the best ask of the
 * moment × (1 + maxSlippage), rounded down to the tick; the fills stop there and the rest expires.
 * The oracle is the depth the same service shows before the order, capped by hand in bigint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDecimal } from '../test-kit/ledger-model.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const D = (text: string) => parseDecimal(text)!;

describe('a market order with a slippage cap, through the API', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  }, 60_000);
  afterAll(async () => service.close());

  it('buys the asks up to the cap and no further; the answer and the order read back name the cap', async () => {
    const inject = service.app.inject.bind(service.app);
    const { id, apiKey } = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'capped', balances: { USDT: '10000000' } } })).json<{ id: string; apiKey: string }>();
    const auth = { authorization: `Bearer ${apiKey}` };
    const asks = (await inject({ url: '/api/market/depth/BTCUSDT?limit=100' })).json<{ asks: [string, string][] }>().asks;
    // 0.0001 = 0.01 %: best ask × 1.0001, down to the 0.01 tick.
    const tick = D('0.01');
    const best = D(asks[0]![0]);
    const cap = ((best * (10n ** 18n + D('0.0001'))) / (tick * 10n ** 18n)) * tick;
    const within = asks.filter(([p]) => D(p) <= cap);
    expect(within.length).toBeGreaterThan(1);
    expect(within.length).toBeLessThan(asks.length);
    const reachable = within.reduce((sum, [, q]) => sum + D(q), 0n);
    const answer = await inject({ method: 'POST', url: '/api/orders', headers: auth, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '50', maxSlippage: '0.0001' } });
    expect(answer.statusCode, answer.body).toBe(201);
    const view = answer.json<{ orderId: string; status: string; executedQty: string; maxSlippage: string }>();
    // MEXC's status of a market order filled in part whose rest expired.
    expect(view).toMatchObject({ status: 'PARTIALLY_CANCELED', maxSlippage: '0.0001' });
    expect(D(view.executedQty)).toBe(reachable);
    const fills = (await inject({ url: '/api/account/fills?limit=500', headers: auth })).json<{ items: { price: string; quantity: string }[] }>().items;
    expect(fills.length).toBe(within.length);
    for (const f of fills) expect(D(f.price) <= cap, f.price).toBe(true);
    const read = (await inject({ url: `/api/orders/${view.orderId}`, headers: auth })).json();
    expect(read).toMatchObject({ status: 'PARTIALLY_CANCELED', maxSlippage: '0.0001' });
    // Later inputs: the kernel lets the closed order go, and its row answers, cap included.
    await service.feedUntil(service.fedUntil + 2_000);
    expect(service.engine.kernel.orders(id)).toEqual([]);
    const fromRow = (await inject({ url: `/api/orders/${view.orderId}`, headers: auth })).json();
    expect(fromRow).toMatchObject({ orderId: view.orderId, status: 'PARTIALLY_CANCELED', executedQty: view.executedQty, maxSlippage: '0.0001' });
  }, 60_000);

  it('refuses a cap on a limit order and a cap that is not a fraction below 1, changing nothing', async () => {
    const inject = service.app.inject.bind(service.app);
    const { apiKey } = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'refused', balances: { USDT: '1000' } } })).json<{ apiKey: string }>();
    const auth = { authorization: `Bearer ${apiKey}` };
    const limit = await inject({ method: 'POST', url: '/api/orders', headers: auth, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '50000', maxSlippage: '0.01' } });
    expect(limit.statusCode).toBe(400);
    expect(limit.json()).toMatchObject({ code: 'INVALID_ORDER', message: expect.stringContaining('takes no maxSlippage') });
    const whole = await inject({ method: 'POST', url: '/api/orders', headers: auth, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001', maxSlippage: '1.5' } });
    expect(whole.statusCode).toBe(400);
    const negative = await inject({ method: 'POST', url: '/api/orders', headers: auth, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001', maxSlippage: '-0.1' } });
    expect(negative.statusCode).toBe(400);
    expect((await inject({ url: '/api/account/balances', headers: auth })).json()).toMatchObject({ balances: { USDT: { free: '1000', locked: '0' } } });
    expect((await inject({ url: '/api/orders/open', headers: auth })).json()).toMatchObject({ items: [] });
  }, 60_000);
});
