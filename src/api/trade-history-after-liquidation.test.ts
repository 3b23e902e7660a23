import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiquidationEvent } from '../core/kernel/events.js';
import { formatFixed, mul, parseFixed } from '../core/money/fixed.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/**
 * A liquidation closes a position with no fill. The trade history's realized PnL must not go on
 * holding the liquidated position: the next fill opens a new one and realizes nothing.
 */
describe('trade history after a liquidation (fills route and trades.csv)', () => {
  let service: TestService;
  beforeAll(async () => {
    // The recording's highest ask, 61,839.9: a 125x long bought there is liquidated a few minutes later.
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161310714 });
  }, 60_000);
  afterAll(async () => service.close());

  it('the first fill after the liquidation opens a position and realizes nothing; the close after it realizes against its own price', async () => {
    const inject = service.app.inject.bind(service.app);
    const account = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'liq', type: 'futures', leverage: 125, balances: { USDT: '1000' } } })).json<{ id: string; apiKey: string }>();
    const liquidations: LiquidationEvent[] = [];
    const stop = service.deps.hub.subscribe((events) => {
      for (const e of events) if (e.type === 'LIQUIDATION' && e.account === account.id) liquidations.push(e);
    });
    const market = async (side: 'BUY' | 'SELL', quantity: string) => {
      const res = await inject({ method: 'POST', url: '/api/orders', headers: bearer(account.apiKey), payload: { symbol: 'BTCUSDT', side, type: 'MARKET', quantity } });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ status: 'FILLED' });
    };
    try {
      await market('BUY', '0.5');
      await service.feedUntil(1723161600000);
      // By hand: entry = (0.262 × 61839.9 + 0.187 × 61840 + 0.051 × 61840.2) / 0.5 = 61839.968.
      expect(liquidations).toMatchObject([{ direction: 'LONG', size: '0.5', entryPrice: '61839.968' }]);
      await market('SELL', '0.01'); // opens a short
      await market('BUY', '0.01'); // closes it
    } finally {
      stop();
    }
    await service.engine.readModelCaughtUp();
    type Fill = { orderSide: string; size: string; price: string; realizedPnl: string | null };
    const fills = (await inject({ url: '/api/account/fills', headers: bearer(account.apiKey) })).json<{ items: Fill[] }>().items.reverse();
    const [sell, buy] = fills.slice(-2);
    expect(sell).toMatchObject({ orderSide: 'SELL', size: '0.01', realizedPnl: null });
    // By hand: a short of 0.01 opened at the sell's price and closed at the buy's.
    const realized = formatFixed(mul(parseFixed('0.01'), parseFixed(sell!.price) - parseFixed(buy!.price)));
    expect(buy).toMatchObject({ orderSide: 'BUY', size: '0.01' });
    expect(formatFixed(parseFixed(buy!.realizedPnl!))).toBe(realized);

    const csv = (await inject({ url: '/api/trades.csv', headers: bearer(account.apiKey) })).body.trim().split('\r\n').map((line) => line.split(','));
    const column = csv[0]!.indexOf('realized_pnl');
    const [sellRow, buyRow] = csv.slice(-2);
    expect(sellRow![column]).toBe('');
    expect(formatFixed(parseFixed(buyRow![column]!))).toBe(realized);
  }, 60_000);
});
