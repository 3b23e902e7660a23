import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiquidationEvent } from '../core/kernel/events.js';
import { formatFixed, mul, parseFixed } from '../core/money/fixed.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/**
 * The metrics measure from what the account was opened (or last reset) with, not from the first
 * equity point after a trade: an account opened and filled in the same millisecond keeps its deposit
 * as the baseline, and a reset starts a new one.
 */
describe('/api/account/metrics baseline', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161310714 });
  }, 60_000);
  afterAll(async () => service.close());

  it('a 1000 USDT futures account at 125x that buys 0.5 BTC and is liquidated measures from its 1000 USDT; a reset measures from the new deposit', async () => {
    const inject = service.app.inject.bind(service.app);
    const account = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'base', type: 'futures', leverage: 125, balances: { USDT: '1000' } } })).json<{ id: string; apiKey: string }>();
    const liquidations: LiquidationEvent[] = [];
    const stop = service.deps.hub.subscribe((events) => {
      for (const e of events) if (e.type === 'LIQUIDATION' && e.account === account.id) liquidations.push(e);
    });
    try {
      // Opened and filled at the same exchange time (the clock does not move between the two requests).
      const res = await inject({ method: 'POST', url: '/api/orders', headers: bearer(account.apiKey), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.5' } });
      expect(res.json()).toMatchObject({ status: 'FILLED' });
      await service.feedUntil(1723161600000);
    } finally {
      stop();
    }
    await service.engine.readModelCaughtUp();
    expect(liquidations).toHaveLength(1);
    // Liquidated, the account is flat: its equity is its wallet, and everything it lost since the
    // 1000 USDT deposit is the wallet's fall. By hand: the three taker fills at 0.05 % (0.262 @ 61839.9,
    // 0.187 @ 61840, 0.051 @ 61840.2) cost 8.1010269 + 5.78204 + 1.5769251 = 15.459992 USDT; the
    // liquidation realizes 0.5 × (mark − 61839.968) and takes its clearance fee.
    const liquidation = liquidations[0]!;
    const byHand = parseFixed('1000') - parseFixed('15.459992') + mul(parseFixed('0.5'), parseFixed(liquidation.markPrice) - parseFixed('61839.968')) - parseFixed(liquidation.liquidationFee);
    const summary = (await inject({ url: '/api/account', headers: bearer(account.apiKey) })).json<{ balances: Record<string, { free: string; locked: string }> }>();
    const wallet = parseFixed(summary.balances['USDT']!.free) + parseFixed(summary.balances['USDT']!.locked);
    expect(wallet).toBe(byHand);
    const metrics = (await inject({ url: '/api/account/metrics', headers: bearer(account.apiKey) })).json<{ metrics: Record<string, string> }>().metrics;
    expect(parseFixed(metrics['initialEquity']!)).toBe(parseFixed('1000'));
    expect(parseFixed(metrics['finalEquity']!)).toBe(wallet);
    expect(parseFixed(metrics['totalPnl']!)).toBe(wallet - parseFixed('1000'));
    expect(metrics['return']).toBe(formatFixed((wallet - parseFixed('1000')) / 1000n));
    // The deepest fall is from the 1000 deposited, not from the equity after the first fee.
    expect(parseFixed(metrics['maxDrawdownAmount']!)).toBe(parseFixed('1000') - wallet);

    // A reset to 500 USDT: a new baseline, nothing of the liquidated account's fall or fees.
    const reset = await inject({ method: 'POST', url: `/api/accounts/${account.id}/reset`, headers: admin, payload: { balances: { USDT: '500' } } });
    expect(reset.statusCode, reset.body).toBeLessThan(300);
    await service.engine.readModelCaughtUp();
    const after = (await inject({ url: '/api/account/metrics', headers: bearer(account.apiKey) })).json<{ metrics: Record<string, string | number> }>().metrics;
    expect(after).toMatchObject({ initialEquity: '500', finalEquity: '500', totalPnl: '0', return: '0', maxDrawdown: '0', maxDrawdownAmount: '0', feesPaid: '0', tradeCount: 0 });
  }, 60_000);
});
