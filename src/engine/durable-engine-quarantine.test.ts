import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import type { KernelConfig } from '../core/kernel/kernel.js';
import { MatchingEngine } from '../core/matching/matching-engine.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { QuarantineStore } from '../persistence/quarantine-store.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { describeEachDialect, type TestDatabase } from '../test-kit/test-databases.js';
import { DurableEngine, type SetAsideReport } from './durable-engine.js';

const recording = loadRecording(BUNDLED_RECORDING);
const SYMBOL = recording.symbol;
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };
const MARKET = recording.inputs.slice(0, 400);
const T = MARKET.at(-1)!.time;

afterEach(() => {
  vi.restoreAllMocks();
});

describeEachDialect((name) => `quarantine on ${name}`, (dialect) => {
  let target: TestDatabase;
  let reports: SetAsideReport[];
  const open = () =>
    DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0, onInputSetAside: (r) => reports.push(r) });
  beforeEach(() => {
    target = dialect.create();
    reports = [];
  });
  afterEach(async () => target.cleanup());

  it('a journal holding damaged, unknown, missing and failing inputs still starts; each is set aside and visible', async () => {
    const first = await open();
    for (const input of MARKET) await first.submit(input);
    await first.submit({ kind: 'account.open', time: T, account: 'a', balances: { USDT: '10000' } });
    await first.close({ snapshot: false });

    // What a damaged or foreign journal can hold, written past the engine: text that is not JSON,
    // an input of a kind no kernel knows, a hole in the sequence, and an order whose matching fails.
    const db = (await import('../persistence/database.js')).openAndMigrate;
    const raw = await db(target.url, target.options);
    const head = Number((await raw.db.selectFrom('journal').select((eb) => eb.fn.max('seq').as('m')).executeTakeFirstOrThrow()).m);
    const rows = [
      { seq: head + 1, at: T, input: '{"kind":"order.place","time":' },
      { seq: head + 2, at: T, input: JSON.stringify({ kind: 'order.amend', time: T, account: 'a' }) },
      // head + 3 is missing
      { seq: head + 4, at: T, input: JSON.stringify({ kind: 'order.place', time: T, account: 'a', symbol: SYMBOL, side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'boom' }) },
      { seq: head + 5, at: T, input: JSON.stringify({ kind: 'order.place', time: T, account: 'a', symbol: SYMBOL, side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'fine' }) },
    ];
    await raw.db.insertInto('journal').values(rows).execute();
    await raw.close();

    // An order whose matching throws in this build (a defect that slipped through, injected).
    const original = MatchingEngine.prototype.arrive;
    vi.spyOn(MatchingEngine.prototype, 'arrive').mockImplementation(function (this: MatchingEngine, ...args) {
      const result = original.apply(this, args);
      if (args[0].clientOrderId === 'boom') throw new Error('injected matching fault');
      return result;
    });

    const second = await open();
    try {
      expect(second.seq).toBe(head + 5);
      expect(reports.map((r) => [r.seq, r.code])).toEqual([
        [head + 1, 'INVALID_INPUT'],
        [head + 2, 'INVALID_INPUT'],
        [head + 3, 'INVALID_INPUT'],
        [head + 4, 'INTERNAL'],
      ]);
      expect(reports.every((r) => r.duringRestore)).toBe(true);
      // The input after them applied: a market buy of 0.01 at the book's asks.
      const fine = second.kernel.orders('a').find((o) => o.clientOrderId === 'fine');
      expect(fine?.status).toBe('FILLED');
      expect(second.kernel.orders('a').some((o) => o.clientOrderId === 'boom')).toBe(false);
      second.kernel.checkInvariants();

      const listed = await new QuarantineStore(second.db).list();
      expect(listed.map((q) => [q.seq, q.code, q.kind])).toEqual([
        [head + 4, 'INTERNAL', 'order.place'],
        [head + 3, 'INVALID_INPUT', 'journal.missing'],
        [head + 2, 'INVALID_INPUT', 'order.amend'],
        [head + 1, 'INVALID_INPUT', 'string'],
      ]);
      expect(listed[0]!.reason).toContain('injected matching fault');
      expect(listed[0]!.accountId).toBe('a');
      expect(listed[0]!.input).toContain('"boom"');
      expect(listed[3]!.input).toBe('{"kind":"order.place","time":');
      expect(listed[1]!.input).toBeNull();

      // Live submits go on after it, and a later restart sets the same inputs aside once more, with
      // no duplicate rows.
      const after = await second.submit({ kind: 'order.place', time: T, account: 'a', symbol: SYMBOL, side: 'SELL', type: 'MARKET', quantity: '0.005', clientOrderId: 'later' });
      expect(after.map((e) => e.type)).toContain('FILL');
    } finally {
      await second.close();
    }
    reports = [];
    const third = await open();
    try {
      expect(reports).toEqual([]); // restored from the final snapshot: nothing replayed, nothing set aside again
      expect(await new QuarantineStore(third.db).count()).toBe(4);
      // Both orders closed: the kernel holds neither, the read tables hold both (and not the one set aside).
      expect(third.kernel.orders('a')).toEqual([]);
      await third.readModelCaughtUp();
      const rows = await third.db.selectFrom('orders').select('clientOrderId').where('accountId', '=', 'a').execute();
      expect(rows.map((r) => r.clientOrderId).sort()).toEqual(['fine', 'later']);
    } finally {
      await third.close();
    }
  });

  it('a snapshot that does not restore is passed over for the journal', async () => {
    const first = await open();
    for (const input of MARKET) await first.submit(input);
    await first.submit({ kind: 'account.open', time: T, account: 'a', balances: { USDT: '10000' } });
    await first.submit({ kind: 'order.place', time: T, account: 'a', symbol: SYMBOL, side: 'BUY', type: 'LIMIT', price: '60000.00', quantity: '0.01', clientOrderId: 'rest' });
    const balances = first.kernel.balances('a');
    await first.close();
    const raw = await (await import('../persistence/database.js')).openAndMigrate(target.url, target.options);
    await sql`update snapshots set state = ${'{"version":1,"config":'}`.execute(raw.db);
    await raw.close();

    const second = await open();
    try {
      expect(reports.map((r) => r.code)).toContain('SNAPSHOT');
      expect(second.restored.snapshotSeq).toBe(0);
      expect(second.kernel.balances('a')).toEqual(balances);
      expect(second.kernel.openOrders('a').map((o) => o.clientOrderId)).toEqual(['rest']);
    } finally {
      await second.close();
    }
  });
});
