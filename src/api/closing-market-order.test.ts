import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { parseDecimal } from '../test-kit/ledger-model.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const D = (text: string) => parseDecimal(text)!;

/**
 * One-way mode: an order against the position reduces it first, and only what it opens beyond the
 * position needs margin (Binance USD-M; the kernel's taker check of a crossing limit order already
 * counts it so). A plain market order that only closes must be taken even when a cross account's
 * unrealized loss has taken its available balance below zero.
 */
describe('a market order that closes a cross position needs no margin', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000 });
  }, 60_000);
  afterAll(async () => service.close());

  it('is taken with the available balance below zero; one that would open beyond the position is still checked', async () => {
    const inject = service.app.inject.bind(service.app);
    const account = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'cross', type: 'futures', leverage: 20, marginMode: 'cross', balances: { USDT: '1000' } } })).json<{ apiKey: string }>();
    const order = (payload: Record<string, unknown>) => inject({ method: 'POST', url: '/api/orders', headers: bearer(account.apiKey), payload: { symbol: 'BTCUSDT', type: 'MARKET', ...payload } });
    // 0.32 BTC at about 61,800 at 20x: margin 988.8 and fee 9.9 leave about 1.2 USDT free.
    expect((await order({ side: 'BUY', quantity: '0.32' })).json()).toMatchObject({ status: 'FILLED' });
    // The mark falls under the entry: the unrealized loss is more than the free cash.
    await service.feedUntil(1723161515000);
    const summary = (await inject({ url: '/api/account', headers: bearer(account.apiKey) })).json<{ availableMargin: string }>();
    expect(D(summary.availableMargin) < 0n, summary.availableMargin).toBe(true);

    // Selling 0.5 would open a 0.18 short, which needs margin the account does not have.
    const flip = await order({ side: 'SELL', quantity: '0.5' });
    expect(flip.statusCode).toBe(400);
    expect(flip.json()).toMatchObject({ code: 'INSUFFICIENT_BALANCE' });
    // Selling 0.32 only closes.
    const close = await order({ side: 'SELL', quantity: '0.32' });
    expect(close.statusCode, close.body).toBe(201);
    expect(close.json()).toMatchObject({ status: 'FILLED', executedQty: '0.32' });
    const after = (await inject({ url: '/api/account', headers: bearer(account.apiKey) })).json<{ balances: { USDT: { locked: string } } }>();
    expect(after.balances.USDT.locked).toBe('0');
  }, 60_000);
});
