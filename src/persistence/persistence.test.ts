import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel } from '../core/kernel/kernel.js';
import { findBundledInstrument } from '../core/instruments/bundled-instruments.js';
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect, type Harness } from '../test-kit/test-databases.js';
import { AuditLog } from './audit-log.js';
import type { PersistenceDatabase } from './database.js';
import { JournalStore } from './journal-store.js';
import { migrateToLatest } from './migrations.js';
import { ReadModel, type InputEvents } from './read-model.js';
import { SnapshotStore } from './snapshot-store.js';
import type { Database } from './schema.js';

const T0 = 1_723_161_240_000;
const SCENARIO: readonly KernelInput[] = [
  { kind: 'account.open', time: T0, account: 'alice', balances: { USDT: '100000.00000000', BTC: '1' } },
  { kind: 'book.snapshot', time: T0 + 1, symbol: 'BTCUSDT', lastUpdateId: 100, bids: [['61837.62', '2'], ['61837.00', '3']], asks: [['61837.63', '1.5'], ['61840.00', '4']] },
  { kind: 'order.place', time: T0 + 2, account: 'alice', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' },
  { kind: 'order.place', time: T0 + 3, account: 'alice', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: '61800.00', quantity: '0.02', clientOrderId: 'dip' },
  { kind: 'trade', time: T0 + 4, symbol: 'BTCUSDT', tradeId: 1, price: '61800.00', quantity: '5', buyerMaker: true },
  { kind: 'order.place', time: T0 + 5, account: 'alice', symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', price: '62000.00', quantity: '0.05', clientOrderId: 'tp' },
  { kind: 'order.cancel', time: T0 + 6, account: 'alice', clientOrderId: 'tp' },
  { kind: 'order.place', time: T0 + 7, account: 'alice', symbol: 'BTCUSDT', side: 'BUY', type: 'IMMEDIATE_OR_CANCEL', price: '61000.00', quantity: '0.01' },
  { kind: 'order.place', time: T0 + 8, account: 'alice', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: '61000.00', quantity: '0.000001' },
];

/** Runs the scenario through a real kernel: the events (and balances) of each input, by seq. */
function scenarioEvents(): InputEvents[] {
  const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', 'BTCUSDT')!] });
  return SCENARIO.map((input, i) => {
    const events = kernel.handle(input);
    const touched = 'account' in input && input.account !== undefined ? { [input.account]: kernel.balances(input.account)! } : {};
    return { seq: i + 1, at: input.time, events, balances: touched };
  });
}

const clock = (i: number): KernelInput => ({ kind: 'clock', time: T0 + i });

async function readTables(opened: PersistenceDatabase) {
  const { db } = opened;
  return {
    accounts: await db.selectFrom('accounts').selectAll().orderBy('id').execute(),
    balances: await db.selectFrom('balances').selectAll().orderBy('accountId').orderBy('asset').execute(),
    orders: await db.selectFrom('orders').selectAll().orderBy('id').execute(),
    rejections: await db.selectFrom('order_rejections').selectAll().orderBy('id').execute(),
    trades: await db.selectFrom('trades').selectAll().orderBy('id').execute(),
  };
}

describeEachDialect((name) => `persistence on ${name}`, (dialect) => {
  let harness: Harness;
  let opened: PersistenceDatabase;
  beforeEach(async () => {
    harness = await dialect.open();
    opened = harness.opened;
  });
  afterEach(async () => harness.cleanup());

  it('running the migrations again changes nothing', async () => {
    const again = await migrateToLatest(opened.db, opened.schema !== undefined ? { schema: opened.schema } : {});
    expect(again.applied).toEqual([]);
    // Only this test's schema: other runs on the same PostgreSQL have schemas of their own.
    const tables = (await opened.db.introspection.getTables())
      .filter((t) => opened.schema === undefined || t.schema === opened.schema)
      .map((t) => t.name)
      .sort();
    expect(tables).toEqual(
      ['account_credentials', 'account_exchange_keys', 'accounts', 'audit_log', 'balances', 'equity_points', 'funding_payments', 'journal', 'order_rejections', 'orders', 'positions', 'quarantined_inputs', 'read_model_checkpoint', 'service_settings', 'snapshot_parts', 'snapshots', 'trades', 'webhook_attempts', 'webhook_deliveries', 'webhooks'],
    );
  });

  it('the journal returns inputs byte for byte, in order, from any seq', async () => {
    const journal = await JournalStore.open(opened.db);
    const inputs = [...SCENARIO, clock(9)];
    for (const [i, input] of inputs.entries()) expect(await journal.append(input)).toBe(i + 1);
    expect(await journal.latestSeq()).toBe(inputs.length);
    const all = [];
    for await (const entry of journal.readFrom(1)) all.push(entry);
    expect(all.map((e) => e.seq)).toEqual(inputs.map((_, i) => i + 1));
    expect(all.map((e) => e.input)).toEqual(inputs);
    expect(all.map((e) => e.text)).toEqual(inputs.map((i) => JSON.stringify(i)));
    expect(all.map((e) => e.at)).toEqual(inputs.map((i) => i.time));
    const tail = [];
    for await (const entry of journal.readFrom(6)) tail.push(entry.seq);
    expect(tail).toEqual([6, 7, 8, 9, 10]);
    const reopened = await JournalStore.open(opened.db);
    expect(reopened.nextSeq).toBe(inputs.length + 1);
  });

  it('many concurrent appends commit in a few transactions with contiguous seqs, each durable when it resolves', async () => {
    let journalInserts = 0;
    const counted = opened.db.withPlugin({
      transformQuery: (args) => {
        if (args.node.kind === 'InsertQueryNode' && args.node.into?.table.identifier.name === 'journal') journalInserts++;
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    const journal = await JournalStore.open(counted);
    const n = 2_500;
    const checks: Promise<void>[] = [];
    const seqs = await Promise.all(
      Array.from({ length: n }, (_, i) => {
        const appended = journal.append(clock(i));
        if (i % 500 === 0) checks.push(appended.then(async (seq) => expect(await journal.latestSeq()).toBeGreaterThanOrEqual(seq)));
        return appended;
      }),
    );
    await Promise.all(checks);
    expect(seqs).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(journalInserts).toBeLessThanOrEqual(Math.ceil(n / 1_000) + 2);
    const later = await Promise.all([journal.append(clock(n)), journal.append(clock(n + 1))]);
    expect(later).toEqual([n + 1, n + 2]);
    await journal.flush();
    expect(await journal.latestSeq()).toBe(n + 2);
  });

  it('reading pages through more rows than fit in a page, and stops early when asked', async () => {
    const journal = await JournalStore.open(opened.db);
    await Promise.all(Array.from({ length: 1_050 }, (_, i) => journal.append(clock(i))));
    let expected = 1;
    for await (const entry of journal.readFrom(1, 100)) {
      expect(entry.seq).toBe(expected++);
      expect(entry.input).toEqual(clock(entry.seq - 1));
    }
    expect(expected).toBe(1_051);
    const firstFew = [];
    for await (const entry of journal.readFrom(1_000, 10)) {
      firstFew.push(entry.seq);
      if (firstFew.length === 3) break;
    }
    expect(firstFew).toEqual([1_000, 1_001, 1_002]);
  });

  it('the latest snapshot is the newest, and only the last N are kept', async () => {
    const snapshots = new SnapshotStore(opened.db, { keep: 3 });
    expect(await snapshots.latest()).toBeUndefined();
    for (const seq of [10, 20, 30, 40, 50]) await snapshots.save(seq, T0 + seq, JSON.stringify({ seq, big: 'x'.repeat(10_000) }));
    expect(await snapshots.list()).toEqual([50, 40, 30]);
    const latest = await snapshots.latest();
    expect(latest?.seq).toBe(50);
    expect(latest?.at).toBe(T0 + 50);
    expect(JSON.parse(latest!.state).seq).toBe(50);
    await snapshots.save(50, T0 + 51, '{"again":true}');
    expect(await snapshots.latest()).toEqual({ seq: 50, at: T0 + 51, state: '{"again":true}' });
  });

  it('a snapshot saved in parts reads back whole, replaces its seq, and takes its parts along when pruned', async () => {
    const snapshots = new SnapshotStore(opened.db, { keep: 2 });
    const state = JSON.stringify({ orders: Array.from({ length: 2_000 }, (_, i) => ({ id: `o${i}`, price: '61800.00', note: 'ü€' })) });
    const parts = [state.slice(0, 1_000), state.slice(1_000, 50_000), state.slice(50_000)];
    // A save that stopped after a part (no snapshot row): its part belongs to no snapshot.
    await opened.db.insertInto('snapshot_parts').values({ seq: 5, part: 0, state: 'left over' }).execute();
    await snapshots.saveInParts(10, T0 + 10, parts);
    expect(await snapshots.latest()).toEqual({ seq: 10, at: T0 + 10, state });
    await snapshots.save(20, T0 + 20, '{"small":true}');
    await snapshots.saveInParts(30, T0 + 30, (async function* () {
      yield* ['{"a":', '1}'];
    })());
    expect(await snapshots.list()).toEqual([30, 20]);
    expect(await snapshots.latestAtOrBefore(29)).toEqual({ seq: 20, at: T0 + 20, state: '{"small":true}' });
    expect((await snapshots.latest())?.state).toBe('{"a":1}');
    const left = await opened.db.selectFrom('snapshot_parts').select(['seq', 'part']).orderBy('seq').orderBy('part').execute();
    expect(left.map((r) => [Number(r.seq), r.part])).toEqual([[30, 0], [30, 1]]);
    await expect(snapshots.saveInParts(40, T0 + 40, [])).rejects.toThrow(/empty state/);
  });

  it('a snapshot whose parts arrive back to back is written a part per turn of the event loop, reads back whole, and its parts go when pruned', async () => {
    const snapshots = new SnapshotStore(opened.db, { keep: 1 });
    const parts = Array.from({ length: 40 }, (_, i) => `{"part":${i}}`.repeat(400));
    // A ticker on the event loop: it counts the turns the save leaves it.
    let turns = 0;
    let ticking = true;
    const tick = () => {
      if (!ticking) return;
      turns += 1;
      setImmediate(tick);
    };
    setImmediate(tick);
    // Turns seen between one part's hand-over and the next (each asked for once the last is written).
    const between: number[] = [];
    await snapshots.saveInParts(7, T0 + 7, (async function* () {
      for (const part of parts) {
        const before = turns;
        yield part;
        between.push(turns - before);
      }
    })());
    await snapshots.saveInParts(8, T0 + 8, ['{"small":true}']);
    ticking = false;
    expect(between.every((n) => n >= 1)).toBe(true);
    expect(await snapshots.list()).toEqual([8]);
    const left = await opened.db.selectFrom('snapshot_parts').select(['seq', 'part']).execute();
    expect(left.map((r) => [Number(r.seq), r.part])).toEqual([[8, 0]]);
    await snapshots.saveInParts(9, T0 + 9, parts);
    expect((await snapshots.latest())?.state).toBe(parts.join(''));
  });

  it('compaction deletes the oldest inputs behind the snapshot seq and past the retention, never the head', async () => {
    const journal = await JournalStore.open(opened.db);
    // Seq n at time T0 + n·1,000 ms, n = 1..20.
    for (let n = 1; n <= 20; n++) await journal.append(clock(n * 1_000));
    // Behind seq 15 and more than 8 s before the head (T0 + 20 s): times < T0 + 12 s, seqs 1..11.
    expect(await journal.compact(15, 8_000, 4)).toBe(11);
    expect(await journal.firstSeq()).toBe(12);
    expect(await journal.latestSeq()).toBe(20);
    // Retention 0: up to the snapshot seq, not past it.
    expect(await journal.compact(15, 0)).toBe(3);
    expect(await journal.firstSeq()).toBe(15);
    // A snapshot at the head: everything before it goes, the head stays and numbering goes on.
    expect(await journal.compact(20, 0)).toBe(5);
    expect(await journal.firstSeq()).toBe(20);
    const reopened = await JournalStore.open(opened.db);
    expect(await reopened.append(clock(21_000))).toBe(21);
    const seqs: number[] = [];
    for await (const entry of reopened.readFrom(1)) seqs.push(entry.seq);
    expect(seqs).toEqual([20, 21]);
  });

  it('the read model applied twice to a real event sequence ends in the same rows', async () => {
    const readModel = new ReadModel(opened.db);
    const batches = scenarioEvents();
    for (const batch of batches) await readModel.apply([batch]);
    const once = await readTables(opened);

    expect(await readModel.apply(batches)).toEqual({ applied: 0, skipped: batches.length, checkpoint: batches.length });
    await opened.db.deleteFrom('read_model_checkpoint').execute();
    expect(await readModel.apply(batches)).toMatchObject({ applied: batches.length, skipped: 0 });
    expect(await readTables(opened)).toEqual(once);

    // Opened with 100000 USDT and 1 BTC before the book: valued at the book's first mid,
    // (61837.62 + 61837.63) / 2 down to the 0.01 tick, not at its USDT alone.
    expect(once.accounts).toMatchObject([{ id: 'alice', type: 'spot', initialBalance: '161837.62', status: 'ACTIVE' }]);
    expect(once.orders.map((o) => [o.id, o.type, o.status, o.executedQty, o.reason])).toEqual([
      ['1', 'MARKET', 'FILLED', '0.01', null],
      ['2', 'LIMIT', 'FILLED', '0.02', null],
      ['3', 'LIMIT', 'CANCELED', '0', 'CANCELED_BY_USER'],
      ['4', 'IMMEDIATE_OR_CANCEL', 'EXPIRED', '0', 'IMMEDIATE_OR_CANCEL'],
    ]);
    expect(once.trades.map((t) => [t.orderId, t.orderSide, t.size, t.price, t.quoteQty, t.fee, t.feeAsset, t.liquidity])).toEqual([
      ['1', 'BUY', '0.01', '61837.63', '618.3763', '0.00001', 'BTC', 'TAKER'],
      ['2', 'BUY', '0.02', '61800', '1236', '0.00002', 'BTC', 'MAKER'],
    ]);
    expect(once.rejections).toMatchObject([{ id: '9:0', code: 'INVALID_QUANTITY', clientOrderId: 'papertrade-5' }]);
    expect(once.balances.map((b) => [b.asset, b.free, b.locked])).toEqual([
      ['BTC', '1.02997', '0'],
      ['USDT', '98145.6237', '0'],
    ]);
  });

  it("an order's row keeps its list, trigger, trailing terms and armed stop, and a bracket's exits", async () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', 'BTCUSDT')!] });
    const inputs: KernelInput[] = [
      SCENARIO[0]!,
      SCENARIO[1]!,
      { kind: 'order.place', time: T0 + 2, account: 'alice', symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', price: '63000.00', quantity: '0.1', clientOrderId: 'g1-limit', ocoGroup: 'g1' },
      { kind: 'order.place', time: T0 + 3, account: 'alice', symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', stopPrice: '61000.00', quantity: '0.1', clientOrderId: 'g1-stop', ocoGroup: 'g1' },
      { kind: 'order.place', time: T0 + 4, account: 'alice', symbol: 'BTCUSDT', side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.1', activationPrice: '62000.00', callbackRate: '0.01', clientOrderId: 'trail' },
      { kind: 'trade', time: T0 + 5, symbol: 'BTCUSDT', tradeId: 1, price: '62500.00', quantity: '0.001', buyerMaker: false },
      { kind: 'order.cancel', time: T0 + 6, account: 'alice', clientOrderId: 'trail' },
      { kind: 'order.place', time: T0 + 7, account: 'alice', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: '60000.00', quantity: '0.01', clientOrderId: 'entry', ocoGroup: 'b1', takeProfit: { stopPrice: '65000.00' }, stopLoss: { stopPrice: '59000.00', price: '58900.00' } },
      { kind: 'trade', time: T0 + 8, symbol: 'BTCUSDT', tradeId: 2, price: '60900.00', quantity: '0.001', buyerMaker: true },
    ];
    const readModel = new ReadModel(opened.db);
    for (const [i, input] of inputs.entries()) await readModel.apply([{ seq: i + 1, at: input.time, events: kernel.handle(input) }]);
    const rows = await opened.db.selectFrom('orders').select(['clientOrderId', 'status', 'ocoGroup', 'stopPrice', 'activationPrice', 'callbackRate', 'reduceOnly', 'takeProfit', 'stopLoss', 'triggeredAt']).orderBy('createdAt').orderBy('id').execute();
    expect(rows.map((r) => Object.values(r).map((v) => (typeof v === 'string' && /^\d{13}$/.test(v) ? Number(v) : v)))).toEqual([
      // The trade at 60,900 triggered the stop leg (the limit leg was cancelled with it); the trade
      // had taken the bids above 60,900 out of the book view, so the market sell found none and expired.
      ['g1-limit', 'CANCELED', 'g1', null, null, null, 0, null, null, null],
      ['g1-stop', 'EXPIRED', 'g1', '61000', null, null, 0, null, null, T0 + 8],
      // Activated at 62,500: its stop armed at 62,500 × (1 − 0.01) = 61,875 when it was cancelled.
      ['trail', 'CANCELED', null, '61875', '62000', '0.01', 0, null, null, null],
      ['entry', 'NEW', 'b1', null, null, null, 0, '{"stopPrice":"65000"}', '{"stopPrice":"59000","price":"58900"}', null],
    ]);
  });

  it('event types the read model does not know are skipped', async () => {
    const readModel = new ReadModel(opened.db);
    const unknown = { type: 'FUNDING_PAID', at: T0, account: 'alice' } as unknown as InputEvents['events'][number];
    expect(await readModel.apply([{ seq: 1, events: [unknown] }])).toEqual({ applied: 1, skipped: 0, checkpoint: 1 });
  });

  it('decimal strings round-trip exactly', async () => {
    const values = ['61837.63000000', '0.00000001', '123456789012.123456789012345678', '0', '-42.10'];
    const readModel = new ReadModel(opened.db);
    await readModel.upsertBalances('alice', Object.fromEntries(values.map((v, i) => [`A${i}`, { free: v, locked: v }])), T0);
    const balances = await opened.db.selectFrom('balances').select(['free', 'locked']).orderBy('asset').execute();
    expect(balances).toEqual(values.map((v) => ({ free: v, locked: v })));
    for (const [i, v] of values.entries()) await readModel.recordEquity('alice', T0 + i, v);
    const equity = await opened.db.selectFrom('equity_points').select('equity').orderBy('at').execute();
    expect(equity.map((e) => e.equity)).toEqual(values);
    const row: Database['positions'] = {
      id: 'p1', accountId: 'alice', symbol: 'BTCUSDT', direction: 'LONG', totalSize: values[1]!, entryPrice: values[0]!,
      currentPrice: values[0]!, unrealizedPnl: values[4]!, stopLoss: null, takeProfit: values[2]!, leverage: 10,
      marginUsed: values[2]!, liquidationPrice: null, status: 'OPEN', trailingStop: null, totalFundingPaid: values[3]!,
      openedAt: T0, closedAt: null, realizedPnl: values[4]!, feesPaid: values[1]!, liquidatedSize: values[1]!, bankruptcyPrice: values[0]!,
      liquidationSeq: null, liquidationIndex: null, openingFee: null,
    };
    await opened.db.insertInto('positions').values(row).execute();
    expect(await opened.db.selectFrom('positions').selectAll().executeTakeFirst()).toEqual(row);
  });

  it('the audit log appends and answers queries oldest first', async () => {
    const audit = new AuditLog(opened.db);
    const a = await audit.append({ at: T0, actor: 'api:key1', mode: 'paper', action: 'order.place', accountId: 'alice', details: { price: '61837.63000000' } });
    const b = await audit.append({ at: T0 + 1, actor: 'operator', mode: 'live', action: 'halt' });
    await audit.append({ at: T0 + 2, actor: 'api:key1', mode: 'paper', action: 'order.cancel', accountId: 'alice' });
    expect(b).toBeGreaterThan(a);
    const alice = await audit.query({ accountId: 'alice' });
    expect(alice.map((e) => e.action)).toEqual(['order.place', 'order.cancel']);
    expect(alice[0]).toEqual({ id: a, at: T0, actor: 'api:key1', mode: 'paper', action: 'order.place', accountId: 'alice', details: { price: '61837.63000000' } });
    expect((await audit.query({ mode: 'live' })).map((e) => e.action)).toEqual(['halt']);
    expect((await audit.query({ from: T0 + 1, to: T0 + 2 })).map((e) => e.id)).toEqual([b]);
    expect((await audit.query({ afterId: a, limit: 1 })).map((e) => e.id)).toEqual([b]);
  });

  it('the audit log: each append of a group resolves with the id its own row got, across statements and after a gap in the ids', async () => {
    // A row written past the ids in use (id 1,000, as a restored or hand-edited table may hold):
    // the next ids follow it, never fill below it.
    await opened.db.insertInto('audit_log').values({ id: 1000, at: T0, actor: 'operator', mode: 'paper', action: 'seed', accountId: null, details: '{}' }).execute();
    // PostgreSQL's bigserial takes its next value from its sequence, which an explicit id leaves behind: set it as a restore would.
    if (dialect.name === 'postgres') await sql`select setval(pg_get_serial_sequence('audit_log', 'id'), 1000)`.execute(opened.db);
    const audit = new AuditLog(opened.db);
    // 501 appends in one turn: one group, two INSERT statements (500 rows per statement) in one transaction.
    const ids = await Promise.all(Array.from({ length: 501 }, (_, i) => audit.append({ at: T0 + i, actor: 'api:key1', mode: 'paper', action: 'order.place', accountId: 'alice', details: { n: i } })));
    // By hand: 1,001 for the first append, one more for each after it, 1,501 for the 501st.
    expect(ids).toEqual(Array.from({ length: 501 }, (_, i) => 1001 + i));
    // And each id is the row holding that append's entry (read back independently).
    const rows = await opened.db.selectFrom('audit_log').select(['id', 'details']).where('action', '=', 'order.place').orderBy('id').execute();
    expect(rows.map((r) => [Number(r.id), JSON.parse(r.details) as unknown])).toEqual(ids.map((id, i) => [id, { n: i }]));
    // A later group continues after the last.
    expect(await Promise.all([audit.append({ at: T0, actor: 'a', mode: 'live', action: 'halt' }), audit.append({ at: T0, actor: 'b', mode: 'live', action: 'halt' })])).toEqual([1502, 1503]);
  });
});
