import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { parseDecimal, showDecimal } from '../test-kit/ledger-model.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const D = (text: string) => parseDecimal(text)!;
const ONE = 10n ** 18n;
/** n / ONE rounded half away from zero. */
const halfUp = (n: bigint) => (n < 0n ? -((-n + ONE / 2n) / ONE) : (n + ONE / 2n) / ONE);

/**
 * Closing a position never needs fresh funds: a reduce-only order opens nothing, and its fee is paid
 * from what the close releases (ADR 0006: a fill's fee beyond the free cash comes from the position's
 * margin). Binance takes a close whatever the available balance; a reduce-only limit was already taken.
 */
describe('a reduce-only market order closes a position whose closing fee exceeds the free cash', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000 });
  }, 60_000);
  afterAll(async () => service.close());

  it('POST /api/positions/:symbol/close fills, and the wallet is the deposit + realized − fees', async () => {
    const inject = service.app.inject.bind(service.app);
    const account = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'all-in', type: 'futures', leverage: 20, balances: { USDT: '1000' } } })).json<{ apiKey: string }>();
    // 0.32 BTC at about 61,800: margin 1/20 of 19,776 = 988.8, fee 0.05 % = 9.9; about 1.3 USDT stays free.
    const open = await inject({ method: 'POST', url: '/api/orders', headers: bearer(account.apiKey), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.32' } });
    expect(open.json()).toMatchObject({ status: 'FILLED' });
    const before = (await inject({ url: '/api/account', headers: bearer(account.apiKey) })).json<{ balances: { USDT: { free: string } } }>();
    // The close's fee, 0.05 % of about 19,776, is more than what is free.
    expect(D(before.balances.USDT.free) < D('9')).toBe(true);

    const closed = await inject({ method: 'POST', url: '/api/positions/BTCUSDT/close', headers: bearer(account.apiKey) });
    expect(closed.statusCode, closed.body).toBe(200);
    expect(closed.json()).toMatchObject({ orders: [{ side: 'SELL', status: 'FILLED', executedQty: '0.32' }] });

    await service.engine.readModelCaughtUp();
    type Fill = { orderSide: string; size: string; price: string; fee: string };
    const fills = (await inject({ url: '/api/account/fills?limit=500', headers: bearer(account.apiKey) })).json<{ items: Fill[] }>().items;
    const buys = fills.filter((f) => f.orderSide === 'BUY');
    const sells = fills.filter((f) => f.orderSide === 'SELL');
    // By hand: entry = Σ q·p / Σ q over the buys; realized = Σ over the sells of q × (p − entry); fees as charged.
    const bought = buys.reduce((s, f) => s + D(f.size), 0n);
    const cost = buys.reduce((s, f) => s + D(f.size) * D(f.price), 0n);
    const entry = (cost + bought / 2n) / bought;
    const realized = sells.reduce((s, f) => s + halfUp(D(f.size) * (D(f.price) - entry)), 0n);
    const fees = fills.reduce((s, f) => s + D(f.fee), 0n);
    const after = (await inject({ url: '/api/account', headers: bearer(account.apiKey) })).json<{ balances: { USDT: { free: string; locked: string } } }>();
    expect(after.balances.USDT.locked).toBe('0');
    expect(after.balances.USDT.free).toBe(showDecimal(1000n * ONE + realized - fees));
  }, 60_000);
});
