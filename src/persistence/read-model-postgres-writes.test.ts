/**
 * The read model's writes on PostgreSQL, sent together per batch with their parameters written in
 * as literals (`ProjectionWrites`, `withLiterals`). Oracles: PostgreSQL itself (a literal read back
 * is the value given), the same inputs' rows written statement by statement on SQLite by a real
 * service, and the consistency check against that service's kernel.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { CompiledQuery } from 'kysely';
import { formatFixed } from '../core/money/fixed.js';
import { readModelMismatches } from '../engine/read-model-check.js';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { SPOT_RECORDING, USDM_RECORDING } from '../test-kit/data-paths.js';
import { mulberry32 } from '../test-kit/mulberry32.js';
import { DIALECTS, describePostgres, type Harness } from '../test-kit/test-databases.js';
import { ReadModel, withLiterals, type InputEvents } from './read-model.js';

const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const TABLES = ['accounts', 'balances', 'orders', 'trades', 'positions', 'equity_points', 'order_rejections', 'quarantined_inputs', 'read_model_checkpoint'] as const;

/** Every row of the read tables, each value as text (PostgreSQL answers bigints as text, SQLite as numbers), sorted. */
async function tables(db: TestService['engine']['db']): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of TABLES) {
    const rows = (await db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(`select * from ${table}`, []))).rows;
    out[table] = rows.map((row) => JSON.stringify(Object.keys(row).sort().map((k) => [k, row[k] === null ? null : String(row[k])]))).sort();
  }
  return out;
}

/**
 * Runs `scenario` on a service whose read tables are SQLite (each statement run as written), and
 * keeps every input the projector applied, in seq order.
 */
async function recorded(recording: string, until: number, scenario: (service: TestService) => Promise<void>) {
  const inputs: InputEvents[] = [];
  const realApply = ReadModel.prototype.apply;
  const capture = vi.spyOn(ReadModel.prototype, 'apply').mockImplementation(function (this: ReadModel, batch) {
    inputs.push(...batch);
    return realApply.call(this, batch);
  });
  const service = await startTestService({ recording, until });
  try {
    await scenario(service);
    await service.engine.readModelCaughtUp();
  } catch (error) {
    capture.mockRestore();
    await service.close();
    throw error;
  }
  capture.mockRestore();
  const byInput = new Map<number, InputEvents>();
  for (const input of inputs) byInput.set(input.seq, input);
  return { service, inputs: [...byInput.values()].sort((a, b) => a.seq - b.seq) };
}

/**
 * Limit orders a few ticks either side of the touch, a second of the recording between rounds, a
 * market order every fourth round: fills on later inputs, partial fills, orders left resting.
 */
async function ladder(service: TestService, who: { apiKey: string }, tick: string, quantity: string, from: number): Promise<void> {
  const headers = { authorization: `Bearer ${who.apiKey}` };
  for (let round = 0; round < 40; round++) {
    const book = service.engine.kernel.depth('BTCUSDT', 1)!;
    const ticks = (round % 4) * Number(tick);
    const price = (side: 'BUY' | 'SELL') => (side === 'BUY' ? Number(book.bids[0]![0]) - ticks : Number(book.asks[0]![0]) + ticks).toFixed(tick.length - 2);
    for (const side of ['BUY', 'SELL'] as const) {
      await service.app.inject({ method: 'POST', url: '/api/orders', headers, payload: { symbol: 'BTCUSDT', side, type: 'LIMIT', quantity, price: price(side) } });
    }
    if (round % 4 === 3) await service.app.inject({ method: 'POST', url: '/api/orders', headers, payload: { symbol: 'BTCUSDT', side: round % 8 === 3 ? 'BUY' : 'SELL', type: 'MARKET', quantity } });
    await service.feedUntil(from + (round + 1) * 1_000);
  }
}

describePostgres('the read model on PostgreSQL sends a batch’s writes together', (postgres) => {
  let futures: Awaited<ReturnType<typeof recorded>>;
  let spot: Awaited<ReturnType<typeof recorded>>;
  const harnesses: Harness[] = [];
  const fresh = async () => {
    const h = await postgres.open();
    harnesses.push(h);
    return h.opened.db;
  };

  beforeAll(async () => {
    futures = await recorded(USDM_RECORDING, 1723161300000, async (service) => {
      const open = async (name: string, balance: string, leverage: number) =>
        (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name, type: 'futures', balances: { USDT: balance }, leverage } })).json();
      const f = await open('f', '10000', 10);
      const top = await open('top', '1000', 125);
      const gone = await open('gone', '5000', 5);
      const order = async (who: { apiKey: string }, payload: Record<string, unknown>) =>
        service.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${who.apiKey}` }, payload: { symbol: 'BTCUSDT', ...payload } });
      await order(f, { side: 'BUY', type: 'MARKET', quantity: '0.1' });
      await order(f, { side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '60000', clientOrderId: 'resting-1' });
      await order(f, { side: 'SELL', type: 'LIMIT', quantity: '0.02', price: '61900', reduceOnly: true });
      await order(f, { side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '1' }); // refused: under the minimum notional
      await order(gone, { side: 'SELL', type: 'MARKET', quantity: '0.05' });
      await service.feedUntil(1723161310714); // the recording's highest ask: a 125x long bought there is liquidated later
      await order(top, { side: 'BUY', type: 'MARKET', quantity: '0.5' });
      await service.feedUntil(1723161320000);
      await order(f, { side: 'SELL', type: 'MARKET', quantity: '0.04' });
      const resting = service.engine.kernel.openOrders(f.id).find((o) => o.clientOrderId === 'resting-1');
      if (resting !== undefined) await service.app.inject({ method: 'DELETE', url: `/api/orders/${resting.id}`, headers: { authorization: `Bearer ${f.apiKey}` } });
      await service.app.inject({ method: 'DELETE', url: `/api/accounts/${gone.id}`, headers: admin });
      await ladder(service, f, '0.1', '0.002', 1723161320000);
      // The rest of the recording in waves of 256: batches of many inputs (equity samples, the liquidation).
      await service.feedUntil(Number.MAX_SAFE_INTEGER);
      // Whatever f holds now, closed by one market order.
      const account = service.engine.kernel.account(f.id);
      for (const p of account?.kind === 'futures' ? account.openPositions() : []) {
        await order(f, { side: p.size > 0n ? 'SELL' : 'BUY', type: 'MARKET', quantity: formatFixed(p.size < 0n ? -p.size : p.size), reduceOnly: true });
      }
      expect(account?.kind === 'futures' ? account.openPositions() : [undefined]).toEqual([]);
    });
    spot = await recorded(SPOT_RECORDING, 1723161300000, async (service) => {
      const open = async (name: string) => (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name, balances: { USDT: '100000', BTC: '1' } } })).json();
      const a = await open('a');
      const b = await open('b');
      const order = async (who: { apiKey: string }, payload: Record<string, unknown>) =>
        service.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${who.apiKey}` }, payload: { symbol: 'BTCUSDT', ...payload } });
      for (let i = 0; i < 6; i++) {
        await order(a, { side: i % 2 === 0 ? 'BUY' : 'SELL', type: 'MARKET', quantity: `0.0${i + 1}` });
        await order(b, { side: 'BUY', type: 'LIMIT', quantity: '0.002', price: '61000' });
        await order(b, { side: 'SELL', type: 'LIMIT', quantity: '0.001', price: '61100' });
        await service.feedUntil(1723161300000 + (i + 1) * 4_000);
      }
      await ladder(service, a, '0.01', '0.001', 1723161300000 + 24_000);
      await service.feedUntil(Number.MAX_SAFE_INTEGER);
    });
  }, 240_000);

  afterAll(async () => {
    await futures?.service.close();
    await spot?.service.close();
    for (const h of harnesses) await h.cleanup();
  });

  it('a literal read back is the value given: quotes, backslashes, placeholders, new lines, non-ASCII text, numbers, booleans, null', async () => {
    const db = await fresh();
    const values = ["it's", 'back\\slash', "\\'; drop table orders; --", '$1 and $2', 'line\nbreak\ttab', 'Ünïcødé ✓ 𝄞', '', 12345678901234, -0.5, 10n ** 30n, true, false, null];
    const text = withLiterals(CompiledQuery.raw(`select ${values.map((_, i) => `$${i + 1}::text as c${i}`).join(', ')}`, values));
    const row = (await db.executeQuery<Record<string, string | null>>(CompiledQuery.raw(text, []))).rows[0]!;
    expect(values.map((_, i) => row[`c${i}`])).toEqual(values.map((v) => (v === null ? null : String(v))));
  });

  it('a value that is not text, a number, a boolean or null is refused before anything is sent', () => {
    expect(() => withLiterals(CompiledQuery.raw('select $1', [{ a: 1 }]))).toThrow('cannot be written as a literal');
    expect(() => withLiterals(CompiledQuery.raw('select $1', [Number.NaN]))).toThrow('not a finite number');
    expect(() => withLiterals(CompiledQuery.raw('select $2', ['x']))).toThrow('parameter $2 has no value');
  });

  it('the same inputs in batches of random sizes (4 seeds on each of two recordings) give SQLite’s rows, row for row, and agree with the kernel', async () => {
    expect(futures.inputs.length).toBeGreaterThan(150);
    expect(spot.inputs.length).toBeGreaterThan(150);
    const kinds = new Set(futures.inputs.flatMap((i) => i.events.map((e) => e.type)));
    for (const kind of ['ORDER_NEW', 'FILL', 'ORDER_CANCELED', 'ORDER_REJECTED', 'POSITION_OPENED', 'POSITION_UPDATED', 'POSITION_CLOSED', 'LIQUIDATION', 'EQUITY', 'ACCOUNT_CLOSED']) expect(kinds).toContain(kind);
    for (const [name, run] of [['futures', futures], ['spot', spot]] as const) {
      const expected = await tables(run.service.engine.db);
      for (let seed = 1; seed <= 4; seed++) {
        const db = await fresh();
        const model = new ReadModel(db, { baseAssetOf: () => 'BTC' });
        const next = mulberry32(seed * 7919);
        for (let i = 0; i < run.inputs.length; ) {
          const size = seed === 1 ? 1 : 1 + Math.floor(next() * (seed === 4 ? 400 : 60));
          await model.apply(run.inputs.slice(i, i + size));
          i += size;
        }
        expect(await tables(db), `${name}, seed ${seed}`).toEqual(expected);
        expect(await readModelMismatches(db, run.service.engine.kernel), `${name}, seed ${seed}`).toEqual([]);
        // The liquidated position: its row says so, though a POSITION_CLOSED for it follows in the same input.
        const liquidated = run.inputs.flatMap((i) => i.events).flatMap((e) => (e.type === 'LIQUIDATION' ? [e.positionId] : []));
        for (const id of liquidated) expect(await db.selectFrom('positions').select('status').where('id', '=', id).executeTakeFirst()).toEqual({ status: 'LIQUIDATED' });
        expect(liquidated.length).toBe(name === 'futures' ? 1 : 0);
      }
    }
  }, 240_000);

  it('a batch whose last statement fails writes nothing of its own, its checkpoint stays, and the same inputs apply afterwards', async () => {
    const db = await fresh();
    const model = new ReadModel(db, { baseAssetOf: () => 'BTC' });
    const inputs = futures.inputs;
    await model.apply(inputs.slice(0, 50));
    const before = await tables(db);
    const broken = inputs.slice(50, 120).concat({ seq: inputs[119]!.seq + 1_000_000, events: [{ ...inputs.find((i) => i.events.some((e) => e.type === 'FILL'))!.events.find((e) => e.type === 'FILL')!, tradeId: null } as never] });
    await expect(model.apply(broken)).rejects.toThrow();
    expect(await tables(db)).toEqual(before);
    expect(await model.checkpoint()).toBe(inputs[49]!.seq);
    await model.apply(inputs.slice(50));
    expect(await tables(db)).toEqual(await tables(futures.service.engine.db));
  }, 120_000);

  // SQLite reads each position's status from its row; PostgreSQL keeps the statuses the batch wrote.
  // A LIQUIDATION of a position with no row (its opening not projected) updates nothing on either:
  // the POSITION_CLOSED after it must then find no row and insert one, as SQLite does.
  it('a liquidation of a position with no row, then its close, in one batch: the row SQLite inserts, on PostgreSQL too', async () => {
    const liquidated = futures.inputs.flatMap((i) => i.events).find((e) => e.type === 'LIQUIDATION')!;
    const id = (liquidated as { positionId: string }).positionId;
    const inputs = futures.inputs.map((i) => ({ ...i, events: i.events.filter((e) => !((e.type === 'POSITION_OPENED' || e.type === 'POSITION_UPDATED') && e.positionId === id)) }));
    const sqlite = await DIALECTS.find((d) => d.name === 'sqlite')!.open();
    harnesses.push(sqlite);
    await new ReadModel(sqlite.opened.db, { baseAssetOf: () => 'BTC' }).apply(inputs);
    const expected = await tables(sqlite.opened.db);
    expect(await sqlite.opened.db.selectFrom('positions').select('status').where('id', '=', id).executeTakeFirst()).toEqual({ status: 'CLOSED' });
    const db = await fresh();
    await new ReadModel(db, { baseAssetOf: () => 'BTC' }).apply(inputs);
    expect(await tables(db)).toEqual(expected);
  }, 120_000);

  // An imported account's position row is written with the import (not noted as written); the
  // trades on the copy that follow read its status back, in the same batch or a later one.
  it('an imported account with an open position, traded, reduced, closed and deleted: the same rows as SQLite in every batching', async () => {
    const run = await recorded(USDM_RECORDING, 1723161300000, async (service) => {
      const original = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: admin, payload: { name: 'o', type: 'futures', balances: { USDT: '10000' }, leverage: 10 } })).json();
      const order = async (who: { apiKey: string }, payload: Record<string, unknown>) =>
        expect((await service.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${who.apiKey}` }, payload: { symbol: 'BTCUSDT', ...payload } })).statusCode).toBeLessThan(300);
      await order(original, { side: 'BUY', type: 'MARKET', quantity: '0.05' });
      await order(original, { side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '60000' });
      await service.feedUntil(1723161310000);
      const document = (await service.app.inject({ url: '/api/account/export', headers: { authorization: `Bearer ${original.apiKey}` } })).json();
      const copy = (await service.app.inject({ method: 'POST', url: '/api/accounts/import', headers: admin, payload: { document, name: 'copy' } })).json();
      await order(copy, { side: 'BUY', type: 'MARKET', quantity: '0.01' });
      await order(copy, { side: 'SELL', type: 'MARKET', quantity: '0.03', reduceOnly: true });
      await service.feedUntil(1723161320000);
      await order(copy, { side: 'SELL', type: 'MARKET', quantity: '0.03', reduceOnly: true });
      const second = (await service.app.inject({ method: 'POST', url: '/api/accounts/import', headers: admin, payload: { document, name: 'second' } })).json();
      await service.feedUntil(1723161330000);
      expect((await service.app.inject({ method: 'DELETE', url: `/api/accounts/${second.id}`, headers: admin })).statusCode).toBe(204);
      await service.feedUntil(1723161340000);
    });
    try {
      const kinds = run.inputs.flatMap((i) => i.events.map((e) => e.type));
      for (const kind of ['ACCOUNT_IMPORTED', 'POSITION_UPDATED', 'POSITION_CLOSED', 'ACCOUNT_CLOSED']) expect(kinds).toContain(kind);
      const expected = await tables(run.service.engine.db);
      expect(expected.positions!.filter((row) => row.includes('"CLOSED"')).length).toBeGreaterThanOrEqual(2);
      for (const size of [1, 2, 3, run.inputs.length]) {
        const db = await fresh();
        const model = new ReadModel(db, { baseAssetOf: () => 'BTC' });
        for (let i = 0; i < run.inputs.length; i += size) await model.apply(run.inputs.slice(i, i + size));
        expect(await tables(db), `batches of ${size}`).toEqual(expected);
        expect(await readModelMismatches(db, run.service.engine.kernel), `batches of ${size}`).toEqual([]);
      }
    } finally {
      await run.service.close();
    }
  }, 120_000);
});
