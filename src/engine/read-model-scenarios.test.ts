import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFixed, formatFixed } from '../core/money/fixed.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { readModelMismatches } from './read-model-check.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const d = parseFixed;

describe('the read tables follow the kernel through futures round trips, an import and a close (USD-M recording)', () => {
  let service: TestService;
  const inject = (options: InjectOptions) => service.app.inject(options);
  const projected = async () => {
    await service.engine.readModelCaughtUp();
  };
  const mismatches = async () => {
    await projected();
    return readModelMismatches(service.engine.db, service.engine.kernel);
  };
  let f: { id: string; apiKey: string };

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000 });
    f = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'f', type: 'futures', balances: { USDT: '10000' }, leverage: 10 } })).json();
  });
  afterAll(async () => {
    expect(await mismatches()).toEqual([]);
    await service.close();
  });

  const order = async (payload: Record<string, unknown>) => {
    const res = await inject({ method: 'POST', url: '/api/orders', headers: bearer(f.apiKey), payload: { symbol: 'BTCUSDT', ...payload } });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json();
  };

  it('a long opened, reduced and closed: one positions row OPEN then CLOSED, fills marked OPEN / PARTIAL_CLOSE / CLOSE with the PnL they realized', async () => {
    await order({ side: 'BUY', type: 'MARKET', quantity: '0.1' });
    await service.feedUntil(1723161320000);
    const open = await service.engine.db.selectFrom('positions').selectAll().where('accountId', '=', f.id).execute();
    expect(await mismatches()).toEqual([]);
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ status: 'OPEN', direction: 'LONG', totalSize: '0.1' });
    await order({ side: 'SELL', type: 'MARKET', quantity: '0.04' });
    await service.feedUntil(1723161340000);
    await order({ side: 'SELL', type: 'MARKET', quantity: '0.06' });
    await projected();
    const trades = (await service.engine.db.selectFrom('trades').selectAll().where('accountId', '=', f.id).execute()).sort((a, b) => Number(a.id) - Number(b.id));
    const buys = trades.filter((t) => t.orderSide === 'BUY');
    expect(buys.every((t) => t.side === 'OPEN' && t.pnl === null && t.positionId === open[0]!.id)).toBe(true);
    // Entry = Σ q·p / Σ q of the buys; each sell realizes q × (p − entry) (Binance's long PnL).
    const q = buys.reduce((s, t) => s + d(t.size), 0n);
    const entry = buys.reduce((s, t) => s + d(t.size) * d(t.price), 0n) / q;
    const sells = trades.filter((t) => t.orderSide === 'SELL');
    expect(sells.map((t) => t.side)).toEqual([...sells.slice(0, -1).map(() => 'PARTIAL_CLOSE'), 'CLOSE']);
    for (const t of sells) expect(Number(t.pnl)).toBeCloseTo(Number(formatFixed((d(t.size) * (d(t.price) - entry)) / 10n ** 18n)), 6);
    const rows = await service.engine.db.selectFrom('positions').selectAll().where('accountId', '=', f.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'CLOSED', direction: 'LONG', totalSize: '0' });
    expect(Number(rows[0]!.entryPrice)).toBeCloseTo(Number(formatFixed(entry)), 6);
    expect(await mismatches()).toEqual([]);
    const metrics = (await inject({ url: '/api/account/metrics', headers: bearer(f.apiKey) })).json().metrics;
    expect(metrics.tradeCount).toBe(sells.length);
  });

  it('an imported account has its row, its open orders and its open position in the tables; a deleted account’s row is CLOSED', async () => {
    await order({ side: 'BUY', type: 'MARKET', quantity: '0.02' });
    await order({ side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '60000' });
    await service.feedUntil(1723161360000);
    const document = (await inject({ url: '/api/account/export', headers: bearer(f.apiKey) })).json();
    const copy = (await inject({ method: 'POST', url: '/api/accounts/import', headers: admin, payload: { document, name: 'copy' } })).json();
    expect(copy.id).toEqual(expect.any(String));
    await projected();
    const db = service.engine.db;
    expect(await db.selectFrom('accounts').select(['type', 'status']).where('id', '=', copy.id).executeTakeFirst()).toEqual({ type: 'futures', status: 'ACTIVE' });
    const history = (await inject({ url: '/api/orders?limit=100', headers: bearer(copy.apiKey) })).json().items;
    expect(history.length).toBe(service.engine.kernel.orders(copy.id).length);
    expect(history.some((o: { status: string; price: string }) => o.status === 'NEW' && d(o.price) === d('60000'))).toBe(true);
    expect(await mismatches()).toEqual([]);
    expect((await inject({ method: 'DELETE', url: `/api/accounts/${copy.id}`, headers: admin })).statusCode).toBe(204);
    await projected();
    expect(await db.selectFrom('accounts').select('status').where('id', '=', copy.id).executeTakeFirst()).toEqual({ status: 'CLOSED' });
    expect(await mismatches()).toEqual([]);
  });
});
