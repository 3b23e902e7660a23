import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelEvent } from '../core/kernel/events.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/**
 * `GET /api/account/equity` after a reset: the curve starts at the reset. The points before it are
 * the account it was (another deposit, its trades), as the metrics already count them. The position
 * the reset dropped ends with it in the read tables, and the next one is another position.
 */
describe('/api/account/equity after a reset', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161310714 });
  }, 60_000);
  afterAll(async () => service.close());

  it('a 1000 USDT account that traded for three minutes, reset to 500 USDT, shows 500 at the reset and at each minute after, nothing before', async () => {
    const inject = service.app.inject.bind(service.app);
    const account = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'curve', type: 'futures', leverage: 1, balances: { USDT: '1000' } } })).json<{ id: string; apiKey: string }>();
    const bought = await inject({ method: 'POST', url: '/api/orders', headers: bearer(account.apiKey), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' } });
    expect(bought.json()).toMatchObject({ status: 'FILLED' });
    // Samples at 23:56, 23:57 and 23:58 (the kernel's minute boundaries) value the long.
    await service.feedUntil(1723161500000);
    await service.engine.readModelCaughtUp();
    type Point = { at: number; equity: string };
    const curve = async () => (await inject({ url: '/api/account/equity?limit=500', headers: bearer(account.apiKey) })).json<{ items: Point[] }>().items;
    const before = await curve();
    expect(before.map((p) => p.at)).toEqual(expect.arrayContaining([1723161360000, 1723161420000, 1723161480000]));

    const resets: KernelEvent[] = [];
    const stop = service.deps.hub.subscribe((events) => {
      for (const e of events) if (e.type === 'ACCOUNT_RESET' && e.account === account.id) resets.push(e);
    });
    try {
      const reset = await inject({ method: 'POST', url: `/api/accounts/${account.id}/reset`, headers: admin, payload: { balances: { USDT: '500' } } });
      expect(reset.statusCode, reset.body).toBeLessThan(300);
    } finally {
      stop();
    }
    expect(resets).toHaveLength(1);
    const resetAt = resets[0]!.at;
    expect(resetAt).toBeGreaterThanOrEqual(1723161480000);
    expect(resetAt).toBeLessThan(1723161540000);
    await service.engine.readModelCaughtUp();
    // By hand: the reset account holds 500 USDT and nothing else, so it is worth 500 at the reset.
    expect(await curve()).toEqual([{ at: resetAt, equity: '500' }]);

    // One more minute: the sample at 23:59 values it at 500 too.
    await service.feedUntil(1723161560000);
    await service.engine.readModelCaughtUp();
    expect(await curve()).toEqual([
      { at: resetAt, equity: '500' },
      { at: 1723161540000, equity: '500' },
    ]);

    // The long the reset dropped ends with it; a long opened after the reset is a position of its own.
    const again = await inject({ method: 'POST', url: '/api/orders', headers: bearer(account.apiKey), payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.005' } });
    expect(again.json()).toMatchObject({ status: 'FILLED' });
    await service.engine.readModelCaughtUp();
    const rows = await service.engine.db.selectFrom('positions').select(['id', 'status', 'closedAt', 'totalSize']).where('accountId', '=', account.id).orderBy('openedAt').execute();
    expect(rows.map((r) => ({ ...r, closedAt: r.closedAt === null ? null : Number(r.closedAt) }))).toEqual([
      { id: `${account.id}:BTCUSDT:1`, status: 'CLOSED', closedAt: resetAt, totalSize: '0.01' },
      { id: `${account.id}:BTCUSDT:2`, status: 'OPEN', closedAt: null, totalSize: '0.005' },
    ]);
  }, 60_000);
});
