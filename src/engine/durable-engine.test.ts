import { afterEach, beforeEach, expect, it } from 'vitest';
import type { KernelEvent } from '../core/kernel/events.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import { findBundledInstrument } from '../core/instruments/bundled-instruments.js';
import { SnapshotConfigError } from '../core/kernel/kernel-snapshot.js';
import { SnapshotStore } from '../persistence/snapshot-store.js';
import { readOrdersFile } from '../market-data/orders-file.js';
import { instrumentForRecording, replayInputs } from '../market-data/replay-session.js';
import { JournalStore } from '../persistence/journal-store.js';
import { BUNDLED_RECORDING, PROJECT_ROOT } from '../test-kit/data-paths.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { describeEachDialect, type TestDatabase } from '../test-kit/test-databases.js';
import { DurableEngine } from './durable-engine.js';
import { InputRefusedError } from './input-guard.js';
import { readModelMismatches } from './read-model-check.js';
import { until } from '../test-kit/wait.js';

const recording = loadRecording(BUNDLED_RECORDING);
const commands = readOrdersFile(`${PROJECT_ROOT}data/demo-orders.jsonl`, [recording.symbol]);
const INPUTS: readonly KernelInput[] = [...replayInputs(recording, commands, { USDT: '100000', BTC: '2' })];
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 50 };

/** A kernel that never stopped: its events per input, and its state after each cut asked for. */
function straightRun(cuts: readonly number[]) {
  const kernel = new Kernel(CONFIG);
  const events: string[] = [];
  const states = new Map<number, string>();
  INPUTS.forEach((input, i) => {
    if (cuts.includes(i)) states.set(i, kernel.snapshot());
    events.push(JSON.stringify(kernel.handle(input)));
  });
  states.set(INPUTS.length, kernel.snapshot());
  return { events, states };
}

const SNAPSHOT_AT = 12_000;
const STOP_AT = 20_000;
const straight = straightRun([SNAPSHOT_AT, STOP_AT]);

/** Submits inputs [from, to) in concurrent waves; returns each input's events as JSON, in order. */
async function submitRange(engine: DurableEngine, from: number, to: number, wave = 500): Promise<string[]> {
  const out: string[] = [];
  for (let i = from; i < to; i += wave) {
    const acks = await Promise.all(INPUTS.slice(i, Math.min(to, i + wave)).map((input) => engine.submitSequenced(input)));
    acks.forEach((ack, k) => expect(ack.seq).toBe(i + k + 1));
    out.push(...acks.map((a) => JSON.stringify(a.events)));
  }
  return out;
}

describeEachDialect((name) => `the durable engine on ${name}`, (dialect) => {
  let target: TestDatabase;
  const open = () => DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0 });
  beforeEach(() => {
    target = dialect.create();
  });
  afterEach(async () => target.cleanup());

  it('a restart after a snapshot plus a journal tail is byte-identical to a run that never stopped', async () => {
    const first = await open();
    expect(first.restored).toMatchObject({ snapshotSeq: 0, replayed: 0, seq: 0 });
    const events = await submitRange(first, 0, SNAPSHOT_AT);
    expect(await first.saveSnapshot()).toBe(SNAPSHOT_AT);
    expect(first.kernel.snapshot()).toBe(straight.states.get(SNAPSHOT_AT));
    events.push(...(await submitRange(first, SNAPSHOT_AT, STOP_AT)));
    await first.close({ snapshot: false });

    const second = await open();
    try {
      expect(second.restored).toMatchObject({ snapshotSeq: SNAPSHOT_AT, replayed: STOP_AT - SNAPSHOT_AT, projected: 0, seq: STOP_AT });
      expect(second.seq).toBe(STOP_AT);
      expect(second.kernel.snapshot()).toBe(straight.states.get(STOP_AT));
      events.push(...(await submitRange(second, STOP_AT, INPUTS.length)));
      expect(events).toEqual(straight.events);
      expect(second.kernel.snapshot()).toBe(straight.states.get(INPUTS.length));
      second.kernel.checkInvariants();
      await second.saveSnapshot();
      expect(second.readModelSeq).toBe(INPUTS.length);
      expect(await readModelMismatches(second.db, second.kernel)).toEqual([]);
      // Every order placed, closed ones included, is in the read tables (the kernel keeps the open ones).
      const placed = events.flatMap((text) => JSON.parse(text) as KernelEvent[]).filter((e) => e.type === 'ORDER_NEW' && e.account === 'demo').length;
      expect(placed).toBeGreaterThan(5);
      expect((await second.db.selectFrom('orders').select('id').where('accountId', '=', 'demo').execute()).length).toBe(placed);
      const equity = await second.db.selectFrom('equity_points').select('accountId').where('accountId', '=', 'demo').execute();
      expect(equity.length).toBeGreaterThan(5);
    } finally {
      await second.close();
    }
    const third = await open();
    expect(third.restored).toMatchObject({ snapshotSeq: INPUTS.length, replayed: 0 });
    expect(third.kernel.snapshot()).toBe(straight.states.get(INPUTS.length));
    await third.close();
  });

  it('the journal compacted behind the oldest snapshot kept still restores byte for byte, and without a snapshot a start says why it cannot', async () => {
    const compacting = await DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0, keepSnapshots: 2, journalRetentionMs: 0 });
    await submitRange(compacting, 0, SNAPSHOT_AT);
    expect(await compacting.saveSnapshot()).toBe(SNAPSHOT_AT);
    await submitRange(compacting, SNAPSHOT_AT, STOP_AT);
    expect(await compacting.saveSnapshot()).toBe(STOP_AT);
    await compacting.close({ snapshot: false });

    // The newest snapshot damaged: the older one kept, and the journal tail behind it, still restore.
    const damage = await open();
    const journal = await JournalStore.open(damage.db);
    expect(await journal.firstSeq()).toBe(SNAPSHOT_AT);
    expect(await journal.latestSeq()).toBe(STOP_AT);
    expect(damage.restored).toMatchObject({ snapshotSeq: STOP_AT, replayed: 0 });
    expect(damage.kernel.snapshot()).toBe(straight.states.get(STOP_AT));
    await damage.db.updateTable('snapshots').set({ state: '{"damaged":true}' }).where('seq', '=', STOP_AT).execute();
    await damage.db.deleteFrom('snapshot_parts').where('seq', '=', STOP_AT).execute();
    await damage.close({ snapshot: false });
    const fallback = await DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0, onInputSetAside: () => undefined });
    expect(fallback.restored).toMatchObject({ snapshotSeq: SNAPSHOT_AT, replayed: STOP_AT - SNAPSHOT_AT, seq: STOP_AT });
    expect(fallback.kernel.snapshot()).toBe(straight.states.get(STOP_AT));
    await fallback.db.deleteFrom('snapshots').execute();
    await fallback.close({ snapshot: false });
    await expect(open()).rejects.toThrow(`the journal starts at seq ${SNAPSHOT_AT} (compacted behind its snapshots)`);
  });

  it('a snapshot the worker cannot rebuild (the one behind it damaged) is taken in-process instead, reported, and restores', async () => {
    const reports: string[] = [];
    const engine = await DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0, onInputSetAside: (r) => reports.push(`${r.code}: ${r.reason}`) });
    await submitRange(engine, 0, SNAPSHOT_AT);
    // The empty-state snapshot at seq 0, which the worker would restore from, damaged.
    await engine.db.updateTable('snapshots').set({ state: '{"damaged":true}' }).where('seq', '=', 0).execute();
    await engine.db.deleteFrom('snapshot_parts').where('seq', '=', 0).execute();
    expect(await engine.saveSnapshot()).toBe(SNAPSHOT_AT);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/^SNAPSHOT: snapshot 12000 could not be rebuilt in a worker \(.+\); taken in-process instead$/);
    await engine.close({ snapshot: false });
    const again = await open();
    expect(again.restored).toMatchObject({ snapshotSeq: SNAPSHOT_AT, replayed: 0 });
    expect(again.kernel.snapshot()).toBe(straight.states.get(SNAPSHOT_AT));
    await again.close({ snapshot: false });
  });

  it('a restart rebuilds read tables that fell behind, from the journal, without doubling a row', async () => {
    const first = await open();
    await submitRange(first, 0, STOP_AT, 2_000);
    await first.close();
    const wiped = await open();
    for (const table of ['orders', 'trades', 'balances', 'accounts', 'read_model_checkpoint'] as const) await wiped.db.deleteFrom(table).execute();
    await wiped.close({ snapshot: false });

    const again = await open();
    try {
      expect(again.restored).toMatchObject({ snapshotSeq: 0, replayed: STOP_AT, projected: STOP_AT });
      expect(again.kernel.snapshot()).toBe(straight.states.get(STOP_AT));
      expect(await readModelMismatches(again.db, again.kernel)).toEqual([]);
    } finally {
      await again.close();
    }
  });

  it('a database is bound to the configuration it was created with, even before its first snapshot', async () => {
    const first = await open();
    await submitRange(first, 0, 100);
    await first.close({ snapshot: false });
    const other = DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: { ...CONFIG, latencyMs: 0 }, snapshotIntervalMs: 0 });
    await expect(other).rejects.toBeInstanceOf(SnapshotConfigError);
    const again = await open();
    try {
      expect(again.restored).toMatchObject({ snapshotSeq: 0, replayed: 100, seq: 100 });
    } finally {
      await again.close();
    }
  });

  it('an input the kernel would throw on is refused before the journal, and nothing changes', async () => {
    const engine = await open();
    try {
      await submitRange(engine, 0, 10);
      const bad: unknown[] = [
        { kind: 'trade', time: 1, symbol: 'ETHUSDT', tradeId: 1, price: '1', quantity: '1', buyerMaker: true },
        { kind: 'trade', time: 1, symbol: 'BTCUSDT', tradeId: 1, price: '1e5', quantity: '1', buyerMaker: true },
        { kind: 'clock', time: -1 },
        { kind: 'launch' },
      ];
      for (const input of bad) await expect(engine.submit(input as KernelInput)).rejects.toBeInstanceOf(InputRefusedError);
      expect(engine.seq).toBe(10);
      const journal = await JournalStore.open(engine.db);
      expect(await journal.latestSeq()).toBe(10);
      await submitRange(engine, 10, 20);
      expect(engine.seq).toBe(20);
    } finally {
      await engine.close();
    }
  });

  it('concurrent submits are handled in journal order and each resolves with its own events', async () => {
    const engine = await open();
    try {
      const n = 3_000;
      const acks = await Promise.all(INPUTS.slice(0, n).map((input) => engine.submitSequenced(input)));
      expect(acks.map((a) => a.seq)).toEqual(INPUTS.slice(0, n).map((_, i) => i + 1));
      expect(acks.map((a) => JSON.stringify(a.events))).toEqual(straight.events.slice(0, n));
      const fills = acks.flatMap((a) => a.events).filter((e): e is Extract<KernelEvent, { type: 'FILL' }> => e.type === 'FILL');
      expect(new Set(fills.map((f) => f.tradeId)).size).toBe(fills.length);
    } finally {
      await engine.close();
    }
  });

  it('a position opening or closing is followed by a snapshot (debounced), and a restart keeps the position', async () => {
    const config: KernelConfig = { instruments: [findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!] };
    const T = 1_723_161_240_000;
    const engine = await DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: config, snapshotIntervalMs: 0, positionSnapshotDebounceMs: 30 });
    const snapshots = new SnapshotStore(engine.db);
    const inputs: KernelInput[] = [
      { kind: 'book.snapshot', time: T, symbol: 'BTCUSDT', lastUpdateId: 1, bids: [['61000.0', '5']], asks: [['61000.1', '5']] },
      { kind: 'account.open', time: T, account: 'f', type: 'futures', leverage: 10, balances: { USDT: '50000' } },
      { kind: 'order.place', time: T + 1, account: 'f', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.5' },
    ];
    let state: string;
    try {
      for (const input of inputs) await engine.submit(input);
      expect(engine.kernel.account('f')?.kind).toBe('futures');
      // 0: the empty state a new engine records its configuration with. The snapshot is rebuilt in
      // a worker thread, which takes its own start.
      await until(async () => (await snapshots.list()).length === 2, 'the snapshot after the position opened');
      expect(await snapshots.list()).toEqual([3, 0]);
      await engine.submit({ kind: 'order.place', time: T + 2, account: 'f', symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.5', reduceOnly: true });
      await until(async () => (await snapshots.list()).length === 3, 'the snapshot after the position closed');
      expect(await snapshots.list()).toEqual([4, 3, 0]);
      state = engine.kernel.snapshot();
    } finally {
      await engine.close({ snapshot: false });
    }
    const again = await DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: config, snapshotIntervalMs: 0 });
    expect(again.restored).toMatchObject({ snapshotSeq: 4, replayed: 0 });
    expect(again.kernel.snapshot()).toBe(state);
    await again.close();
  });
});
