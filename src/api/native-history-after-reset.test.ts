/**
 * The native histories after the account is reset: the read tables keep the earlier account's
 * orders and fills under the same id, and `GET /api/orders`, `/api/trades`, `/api/orders/:id`,
 * `/api/account/fills`, the CSV exports and the metrics show only the current account's, as the
 * dialects' histories do (persistence/account-life.ts, ADR 0070).
 * Oracle: the orders placed here on the bundled recording (BTCUSDT spot): before the reset a buy of
 * 0.002 and a sell of 0.001 (two orders, two fills: each market order of this size takes the best
 * level only), after it, the account reset to 10000 USDT and 0.001 BTC, one sell of 0.001 (one order,
 * one fill). The earlier account's BTC, bought at the earlier buy's price, is not this account's:
 * the sell sells coins its fills never bought and realizes nothing (core/accounts/realized-pnl-view.ts),
 * where, counted with the earlier fills, it would close the 0.001 BTC the earlier account had left.
 */
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { describeEachDialect, type TestDatabase } from '../test-kit/test-databases.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** The data rows of a CSV body whose cells hold no comma or quote (the columns here), header first. */
function csvRows(body: string): Record<string, string>[] {
  const [header, ...rows] = body.trimEnd().split('\r\n').map((line) => line.split(','));
  return rows.map((cells) => Object.fromEntries(header!.map((name, i) => [name, cells[i]!])));
}

// On both databases: the bound is a SQL condition that compares ids as text (account-life.ts).
describeEachDialect((name) => `native histories after a reset (${name})`, (dialect) => {
  let service: TestService;
  let target: TestDatabase | undefined;
  let account: { id: string; apiKey: string };
  const inject = (options: InjectOptions) => service.app.inject(options);
  const get = async (url: string) => inject({ url, headers: bearer(account.apiKey) });
  const place = async (side: 'BUY' | 'SELL', quantity: string) => {
    const answer = (await inject({ method: 'POST', url: '/api/orders', headers: bearer(account.apiKey), payload: { symbol: 'BTCUSDT', side, type: 'MARKET', quantity } })).json<{ orderId: string; status: string }>();
    expect(answer.status).toBe('FILLED');
    return answer.orderId;
  };
  let before: string[] = [];
  let after = '';

  beforeAll(async () => {
    target = dialect.create();
    service = await startTestService({ until: 1723161300000, engine: { databaseUrl: target.url, database: target.options, snapshotIntervalMs: 0 } });
    account = (await inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'reset', balances: { USDT: '10000' } } })).json();
    before = [await place('BUY', '0.002'), await place('SELL', '0.001')];
    await service.engine.readModelCaughtUp();
    // The earlier account's rows are listed before the reset (the routes read what is there).
    expect((await get('/api/orders')).json<{ items: unknown[] }>().items).toHaveLength(2);
    await service.feedUntil(1723161310000);
    const reset = await inject({ method: 'POST', url: `/api/accounts/${account.id}/reset`, headers: admin, payload: { balances: { USDT: '10000', BTC: '0.001' } } });
    expect(reset.statusCode, reset.body).toBeLessThan(300);
    await service.feedUntil(1723161320000);
    after = await place('SELL', '0.001');
    await service.engine.readModelCaughtUp();
    // The read tables keep all three orders under the id.
    expect(await service.engine.db.selectFrom('orders').select('id').where('accountId', '=', account.id).execute()).toHaveLength(3);
  }, 60_000);
  afterAll(async () => {
    await service?.close();
    await target?.cleanup();
  });

  it('GET /api/orders lists only the order placed since the reset', async () => {
    const page = (await get('/api/orders?limit=10')).json<{ items: { id: string }[]; nextOffset: number | null }>();
    expect(page.items.map((o) => o.id)).toEqual([after]);
    expect(page.nextOffset).toBeNull();
    expect((await get('/api/orders?limit=10&symbol=BTCUSDT')).json<{ items: { id: string }[] }>().items.map((o) => o.id)).toEqual([after]);
  });

  it('GET /api/trades lists only the fill since the reset', async () => {
    const page = (await get('/api/trades?limit=10')).json<{ items: { orderId: string; size: string }[] }>();
    expect(page.items.map((t) => [t.orderId, t.size])).toEqual([[after, '0.001']]);
  });

  it('GET /api/orders/:id of the earlier account’s order is an unknown order; the current one’s is found', async () => {
    for (const id of before) {
      const answer = await get(`/api/orders/${id}`);
      expect(answer.statusCode, answer.body).toBe(404);
      expect(answer.json()).toMatchObject({ code: 'UNKNOWN_ORDER' });
    }
    expect((await get(`/api/orders/${after}`)).json()).toMatchObject({ orderId: after, status: 'FILLED' });
  });

  it('GET /api/account/fills lists only the fill since the reset, which closed nothing', async () => {
    const page = (await get('/api/account/fills?limit=10')).json<{ items: { orderId: string; realizedPnl: string | null }[] }>();
    expect(page.items.map((f) => [f.orderId, f.realizedPnl])).toEqual([[after, null]]);
  });

  it('the CSV exports hold only the rows since the reset', async () => {
    const trades = csvRows((await get('/api/trades.csv')).body);
    expect(trades.map((r) => [r.order_id, r.quantity, r.realized_pnl])).toEqual([[after, '0.001', '']]);
    const orders = csvRows((await get('/api/orders.csv')).body);
    expect(orders.map((r) => r.order_id)).toEqual([after]);
  });

  it('GET /api/account/metrics counts no closed trade: neither the earlier account’s sell nor this one’s', async () => {
    const { metrics } = (await get('/api/account/metrics')).json<{ metrics: { tradeCount: number; wins: number; losses: number } }>();
    expect(metrics).toMatchObject({ tradeCount: 0, wins: 0, losses: 0 });
  });
});
