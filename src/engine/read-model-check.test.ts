import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { readModelMismatches } from './read-model-check.js';

/**
 * The consistency check itself: after a real scenario it finds nothing, and each way the read
 * tables can disagree with the kernel (a missing positions row, a closed account still ACTIVE, a
 * lost trade, a missing account or order row) is named, so a test that runs it can fail.
 */
describe('the read-model consistency check names each disagreement (USD-M recording)', () => {
  let service: TestService;
  const admin = { authorization: `Bearer ${ADMIN_KEY}` };
  let f: { id: string; apiKey: string };
  let closed: { id: string };
  const check = async () => {
    await service.engine.readModelCaughtUp();
    return readModelMismatches(service.engine.db, service.engine.kernel);
  };

  beforeAll(async () => {
    service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000 });
    const open = async (name: string) => (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name, type: 'futures', balances: { USDT: '10000' }, leverage: 10 } })).json();
    f = await open('f');
    closed = await open('gone');
    const order = async (payload: Record<string, unknown>) => {
      const res = await service.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${f.apiKey}` }, payload: { symbol: 'BTCUSDT', ...payload } });
      expect(res.statusCode, res.body).toBeLessThan(300);
    };
    await order({ side: 'BUY', type: 'MARKET', quantity: '0.1' });
    await order({ side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '60000', clientOrderId: 'resting' });
    await service.feedUntil(1723161320000);
    expect((await service.app.inject({ method: 'DELETE', url: `/api/accounts/${closed.id}`, headers: admin })).statusCode).toBe(204);
  });
  afterAll(async () => {
    await service?.close();
  });

  it('finds nothing after the scenario', async () => {
    expect(await check()).toEqual([]);
  });

  it('a missing positions row, a closed account still ACTIVE, a lost trade, missing account and order rows: each is named, and restoring them clears it', async () => {
    const db = service.engine.db;
    const positions = await db.selectFrom('positions').selectAll().where('accountId', '=', f.id).execute();
    expect(positions).toEqual([expect.objectContaining({ status: 'OPEN' })]);
    await db.deleteFrom('positions').where('accountId', '=', f.id).execute();
    expect(await check()).toEqual([`account ${f.id}: open BTCUSDT position has no OPEN row`]);
    await db.insertInto('positions').values(positions).execute();
    expect(await check()).toEqual([]);

    await db.updateTable('accounts').set({ status: 'ACTIVE' }).where('id', '=', closed.id).execute();
    expect(await check()).toEqual([`account ${closed.id} is closed in the kernel, its row says ACTIVE`]);
    await db.updateTable('accounts').set({ status: 'CLOSED' }).where('id', '=', closed.id).execute();

    const [trade] = await db.selectFrom('trades').selectAll().where('accountId', '=', f.id).orderBy('id').limit(1).execute();
    await db.deleteFrom('trades').where('id', '=', trade!.id).execute();
    // The market order has closed (the kernel dropped it): its row is what the trades are held to.
    expect(await check()).toEqual([`order ${trade!.orderId}: trades add up to 0, its row executed ${trade!.size}`]);
    await db.insertInto('trades').values(trade!).execute();
    expect(await check()).toEqual([]);

    const account = await db.selectFrom('accounts').selectAll().where('id', '=', f.id).executeTakeFirstOrThrow();
    await db.deleteFrom('accounts').where('id', '=', f.id).execute();
    expect(await check()).toEqual([`account ${f.id} has no row`]);
    await db.insertInto('accounts').values(account).execute();

    const resting = service.engine.kernel.openOrders(f.id).find((o) => o.clientOrderId === 'resting')!;
    const row = await db.selectFrom('orders').selectAll().where('id', '=', resting.id).executeTakeFirstOrThrow();
    await db.deleteFrom('orders').where('id', '=', resting.id).execute();
    expect(await check()).toEqual([`order ${resting.id} (resting) has no row`, '0 open order rows for 1 open kernel orders']);
    await db.insertInto('orders').values(row).execute();
    expect(await check()).toEqual([]);
  });
});

describe('a liquidated position in the read tables (USD-M recording)', () => {
  it('a 125x long bought at the top: the LIQUIDATION event marks its positions row LIQUIDATED, and the check still finds nothing', async () => {
    const service = await startTestService({ recording: USDM_RECORDING, until: 1723161310714 }); // the recording's highest ask
    try {
      const f = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'top', type: 'futures', balances: { USDT: '1000' }, leverage: 125 } })).json();
      const liquidations: string[] = [];
      service.deps.hub.subscribe((events) => {
        for (const e of events) if (e.type === 'LIQUIDATION' && e.account === f.id) liquidations.push(e.positionId);
      });
      const res = await service.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${f.apiKey}` }, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.5' } });
      expect(res.json()).toMatchObject({ status: 'FILLED' });
      await service.feedUntil(Number.MAX_SAFE_INTEGER);
      await service.engine.readModelCaughtUp();
      expect(liquidations).toHaveLength(1);
      const rows = await service.engine.db.selectFrom('positions').select(['id', 'status']).where('accountId', '=', f.id).execute();
      expect(rows).toEqual([{ id: liquidations[0], status: 'LIQUIDATED' }]);
      expect(await readModelMismatches(service.engine.db, service.engine.kernel)).toEqual([]);
    } finally {
      await service.close();
    }
  }, 120_000);
});
