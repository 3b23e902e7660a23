/**
 * The read tables on PostgreSQL under a backlog. First, their batches: a backlog drains in batches
 * of up to 250 inputs (`maxBatch`), not in the minimum of 8 that the time budget meant for SQLite's
 * synchronous driver gives (PostgreSQL's took 8 inputs at a time, and fell behind the journal under
 * any steady load). Then backpressure: while the read tables are more than `maxProjectionBacklog` inputs behind the
 * kernel, new orders are refused before the journal (503 OVERLOADED, nothing recorded); cancels and
 * reduce-only orders are taken; once the tables catch up, new orders are taken again. The read
 * tables are held back for real: a connection of the test's own locks the projection's checkpoint
 * row on PostgreSQL, so every batch's transaction waits on it.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { binanceBodyOf } from '../api/binance/binance-errors.js';
import { edgeErrorOf } from '../api/edge-errors.js';
import { USDM_RECORDING } from '../test-kit/data-paths.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { describePostgres, PG_URL, type TestDatabase } from '../test-kit/test-databases.js';
import { ReadModel } from '../persistence/read-model.js';
import { ProjectionBehindError } from './engine-status.js';
import type { FuturesAccount } from '../core/accounts/futures-account.js';
import { parseFixed } from '../core/money/fixed.js';

const LIMIT = 5;

/** A connection of the test's own holding the projection's checkpoint row: every read-model batch waits on it until `release`. */
async function holdCheckpoint(schema: string | undefined): Promise<{ release(): Promise<void> }> {
  const lock = new pg.Client({ connectionString: PG_URL });
  await lock.connect();
  await lock.query(`set search_path to "${schema}"`);
  await lock.query('begin');
  expect((await lock.query("select seq from read_model_checkpoint where name = 'main' for update")).rowCount).toBe(1);
  return {
    async release() {
      await lock.query('rollback');
      await lock.end();
    },
  };
}

describePostgres('a backlog of the read tables drains in full batches on PostgreSQL', (postgres) => {
  it('300 inputs (orders placed and canceled) while the tables were held: once free, they are written 250 at a time', async () => {
    const target = postgres.create();
    const service = await startTestService({ recording: USDM_RECORDING, until: 1723161300000, engine: { databaseUrl: target.url, database: target.options, snapshotIntervalMs: 0 } });
    try {
      const f = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'f', type: 'futures', balances: { USDT: '1000000' }, leverage: 10 } })).json();
      await service.engine.readModelCaughtUp();
      const held = await holdCheckpoint(target.options.schema);
      const batches: number[] = [];
      const realApply = ReadModel.prototype.apply;
      const spy = vi.spyOn(ReadModel.prototype, 'apply').mockImplementation(function (this: ReadModel, batch) {
        batches.push(batch.length);
        return realApply.call(this, batch);
      });
      try {
        // 150 orders placed and each canceled: 300 inputs with events (at most 200 open orders a symbol).
        for (let i = 0; i < 150; i++) {
          const placed = await service.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${f.apiKey}` }, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.002', price: String(60000 + i) } });
          expect(placed.statusCode, placed.body).toBe(201);
          const id = placed.json().orderId ?? placed.json().id;
          expect((await service.app.inject({ method: 'DELETE', url: `/api/orders/${id}`, headers: { authorization: `Bearer ${f.apiKey}` } })).statusCode).toBe(200);
        }
      } finally {
        await held.release();
      }
      await service.engine.readModelCaughtUp();
      spy.mockRestore();
      // The batch that waited on the lock, then the 300 − its inputs that queued behind it.
      expect(batches.reduce((a, b) => a + b, 0)).toBe(300);
      expect(Math.max(...batches)).toBe(250);
      expect(batches.length).toBeLessThanOrEqual(4);
    } finally {
      await service.close();
      await target.cleanup();
    }
  }, 120_000);
});

describePostgres('new orders wait for the read tables when they fall behind (PostgreSQL)', (postgres) => {
  let target: TestDatabase;
  let service: TestService;
  let f: { id: string; apiKey: string };
  const headers = () => ({ authorization: `Bearer ${f.apiKey}` });
  const order = (payload: Record<string, unknown>) => service.app.inject({ method: 'POST', url: '/api/orders', headers: headers(), payload: { symbol: 'BTCUSDT', ...payload } });
  const backlog = () => (service.engine as unknown as { projector: { backlog: number } }).projector.backlog;

  beforeAll(async () => {
    target = postgres.create();
    service = await startTestService({
      recording: USDM_RECORDING,
      until: 1723161300000,
      engine: { databaseUrl: target.url, database: target.options, snapshotIntervalMs: 0, maxProjectionBacklog: LIMIT },
    });
    f = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'f', type: 'futures', balances: { USDT: '10000' }, leverage: 10 } })).json();
  }, 120_000);
  afterAll(async () => {
    await service?.close();
    await target?.cleanup();
  });

  it('past the limit a new order is refused and nothing is recorded; a cancel and a reduce-only order go; caught up, new orders go again', async () => {
    expect((await order({ side: 'BUY', type: 'MARKET', quantity: '0.05' })).statusCode).toBe(201);
    const resting = (await order({ side: 'BUY', type: 'LIMIT', quantity: '0.002', price: '60000', clientOrderId: 'resting' })).json();
    await service.engine.readModelCaughtUp();

    const held = await holdCheckpoint(target.options.schema);
    try {
      // Each placement is acknowledged once journaled and applied; its ORDER_NEW waits for the tables.
      for (let i = 1; i <= LIMIT + 1; i++) expect((await order({ side: 'BUY', type: 'LIMIT', quantity: '0.002', price: String(60000 - i), clientOrderId: `w${i}` })).statusCode).toBe(201);
      expect(backlog()).toBe(LIMIT + 1);

      const openBefore = service.engine.kernel.openOrders(f.id).length;
      const inputsBefore = service.engine.kernel.inputCount;
      const refused = await order({ side: 'BUY', type: 'LIMIT', quantity: '0.002', price: '59000', clientOrderId: 'refused' });
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toEqual({
        code: 'OVERLOADED',
        message: `the read tables are ${LIMIT + 1} inputs behind the engine (at most ${LIMIT}): new orders are refused until they catch up, cancels and reduce-only orders are taken; nothing was recorded, retry shortly`,
      });
      expect(service.engine.kernel.inputCount).toBe(inputsBefore);
      expect(service.engine.kernel.openOrders(f.id).length).toBe(openBefore);
      expect(service.engine.kernel.openOrders(f.id).some((o) => o.clientOrderId === 'refused')).toBe(false);

      // What only reduces risk still goes: a cancel, and a reduce-only sell of part of the long.
      expect((await service.app.inject({ method: 'DELETE', url: `/api/orders/${resting.orderId ?? resting.id}`, headers: headers() })).statusCode).toBe(200);
      const reduced = await order({ side: 'SELL', type: 'MARKET', quantity: '0.01', reduceOnly: true });
      expect(reduced.statusCode, reduced.body).toBe(201);
      expect(reduced.json()).toMatchObject({ status: 'FILLED' });
      expect(backlog()).toBe(LIMIT + 3);
    } finally {
      await held.release();
    }
    await service.engine.readModelCaughtUp();
    expect(backlog()).toBe(0);
    expect((await order({ side: 'BUY', type: 'LIMIT', quantity: '0.002', price: '59000', clientOrderId: 'after' })).statusCode).toBe(201);
  }, 120_000);

  it('past the limit a reduce-only order that has nothing to reduce is refused like a new order, and nothing is recorded', async () => {
    // An account with no position: its reduce-only orders cannot reduce anything (the kernel would refuse them, after the journal).
    const g = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'g', type: 'futures', balances: { USDT: '10000' }, leverage: 10 } })).json();
    const asG = (payload: Record<string, unknown>) => service.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${g.apiKey}` }, payload: { symbol: 'BTCUSDT', ...payload } });
    await service.engine.readModelCaughtUp();
    const held = await holdCheckpoint(target.options.schema);
    try {
      for (let i = 1; i <= LIMIT + 1; i++) expect((await asG({ side: 'BUY', type: 'LIMIT', quantity: '0.002', price: String(58000 - i), clientOrderId: `g${i}` })).statusCode).toBe(201);
      expect(backlog()).toBe(LIMIT + 1);
      const inputsBefore = service.engine.kernel.inputCount;
      for (const side of ['SELL', 'BUY']) {
        const refused = await asG({ side, type: 'LIMIT', quantity: '0.002', price: side === 'SELL' ? '70000' : '50000', reduceOnly: true });
        expect(refused.statusCode, refused.body).toBe(503);
        expect(refused.json()).toMatchObject({ code: 'OVERLOADED' });
      }
      expect(service.engine.kernel.inputCount).toBe(inputsBefore);
      expect(backlog()).toBe(LIMIT + 1);
    } finally {
      await held.release();
    }
    await service.engine.readModelCaughtUp();
  }, 120_000);

  it('past the limit a leverage change and a cancel of an order that is not open are refused, nothing recorded; a cancel of an open order goes', async () => {
    const h = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'h', type: 'futures', balances: { USDT: '10000' }, leverage: 10 } })).json();
    const asH = { authorization: `Bearer ${h.apiKey}` };
    const place = (price: number, clientOrderId: string) => service.app.inject({ method: 'POST', url: '/api/orders', headers: asH, payload: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.002', price: String(price), clientOrderId } });
    const cancel = (id: string) => service.app.inject({ method: 'DELETE', url: `/api/orders/${id}`, headers: asH });
    const cancelled = (await place(57000, 'h-cancelled')).json();
    expect((await cancel(cancelled.orderId ?? cancelled.id)).statusCode).toBe(200);
    const open = (await place(56999, 'h-open')).json();
    await service.engine.readModelCaughtUp();
    const held = await holdCheckpoint(target.options.schema);
    try {
      for (let i = 1; i <= LIMIT + 1; i++) expect((await place(56000 - i, `h${i}`)).statusCode).toBe(201);
      expect(backlog()).toBe(LIMIT + 1);
      const inputsBefore = service.engine.kernel.inputCount;
      // A leverage change in a loop would grow the backlog as new orders would; it reduces no risk.
      for (const leverage of [20, 10]) {
        const refused = await service.app.inject({ method: 'POST', url: '/api/account/leverage', headers: asH, payload: { symbol: 'BTCUSDT', leverage } });
        expect(refused.statusCode, refused.body).toBe(503);
        expect(refused.json()).toMatchObject({ code: 'OVERLOADED' });
      }
      // A cancel of the order no longer open (the routes look such an order up in the read tables
      // first, and so wait for them): the kernel would only record the refusal.
      for (const ref of [{ orderId: cancelled.orderId ?? cancelled.id }, { clientOrderId: 'h-cancelled' }, { orderId: '999999' }]) {
        await expect(service.engine.submit({ kind: 'order.cancel', time: service.engine.kernel.now, account: h.id, ...ref })).rejects.toBeInstanceOf(ProjectionBehindError);
      }
      expect(service.engine.kernel.inputCount).toBe(inputsBefore);
      expect(backlog()).toBe(LIMIT + 1);
      expect((await cancel(open.orderId ?? open.id)).statusCode).toBe(200);
      expect(service.engine.kernel.inputCount).toBe(inputsBefore + 1);
    } finally {
      await held.release();
    }
    await service.engine.readModelCaughtUp();
  }, 120_000);

  it('past the limit a reduce-only order of a halted account is refused like a new order: the kernel would only record ACCOUNT_HALTED', async () => {
    const submit = (input: Record<string, unknown>) => service.engine.submit({ time: service.engine.kernel.now, ...input } as never);
    await submit({ kind: 'account.open', account: 'halted', type: 'futures', leverage: 10, balances: { USDT: '10000' }, risk: { maxDrawdown: '0.005' } });
    expect((await submit({ kind: 'order.place', account: 'halted', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.05' })).map((e) => e.type)).toContain('FILL');
    // 0.05 BTC marked some 1,800 lower (above its isolated liquidation price): about 90 USDT, past 0.5 % of the 10,000; the position stays.
    expect((await submit({ kind: 'mark', symbol: 'BTCUSDT', price: '60000' })).map((e) => e.type)).toContain('MAX_DRAWDOWN_REACHED');
    expect(service.engine.kernel.isHalted('halted')).toBe(true);
    expect((service.engine.kernel.account('halted') as FuturesAccount).positions.get('BTCUSDT')?.size).toBe(parseFixed('0.05'));
    await service.engine.readModelCaughtUp();
    const held = await holdCheckpoint(target.options.schema);
    try {
      for (let i = 1; i <= LIMIT + 1; i++) await submit({ kind: 'order.place', account: f.id, symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.002', price: String(55000 - i) });
      expect(backlog()).toBe(LIMIT + 1);
      const inputsBefore = service.engine.kernel.inputCount;
      await expect(submit({ kind: 'order.place', account: 'halted', symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', quantity: '0.01', price: '70000', reduceOnly: true })).rejects.toBeInstanceOf(ProjectionBehindError);
      expect(service.engine.kernel.inputCount).toBe(inputsBefore);
    } finally {
      await held.release();
    }
    await service.engine.readModelCaughtUp();
  }, 120_000);

  it('Binance’s dialects answer the refusal as -1008, their "server is currently overloaded"', () => {
    const edge = edgeErrorOf(new ProjectionBehindError('the read tables are 6 inputs behind'))!;
    expect(binanceBodyOf(edge)).toEqual({ status: 503, body: { code: -1008, msg: 'Server is currently overloaded with other requests. Please try again in a few minutes. (the read tables are 6 inputs behind)' } });
  });
});
