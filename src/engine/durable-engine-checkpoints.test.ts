import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import { MatchingEngine } from '../core/matching/matching-engine.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording, stateWithoutSequence } from '../test-kit/recording-stepper.js';
import { describeEachDialect, type TestDatabase } from '../test-kit/test-databases.js';
import { DurableEngine, type SetAsideReport } from './durable-engine.js';

const recording = loadRecording(BUNDLED_RECORDING);
const SYMBOL = recording.symbol;
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };
const MARKET = recording.inputs.slice(0, 400);
const T = MARKET.at(-1)!.time;

const stateOf = stateWithoutSequence;

afterEach(() => {
  vi.restoreAllMocks();
});

describeEachDialect((name) => `the engine's snapshots as the kernel's rollback checkpoints on ${name}`, (dialect) => {
  let target: TestDatabase;
  let reports: SetAsideReport[];
  beforeEach(() => {
    target = dialect.create();
    reports = [];
  });
  afterEach(async () => target.cleanup());

  it('the kernel serializes nothing while inputs flow, and a failing input is still rolled back whole from the snapshot the engine saved', async () => {
    const engine = await DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000, onInputSetAside: (r) => reports.push(r) });
    // The oracle: a kernel of its own, fed the same inputs but the failing one.
    const twin = new Kernel(CONFIG);
    const both = async (input: KernelInput) => {
      twin.handle(JSON.parse(JSON.stringify(input)) as KernelInput);
      return engine.submit(input);
    };
    try {
      for (const input of MARKET.slice(0, 200)) await both(input);
      await both({ kind: 'account.open', time: T, account: 'a', balances: { USDT: '100000', BTC: '1' } });
      await both({ kind: 'order.place', time: T, account: 'a', symbol: SYMBOL, side: 'BUY', type: 'LIMIT', price: '60000.00', quantity: '0.01', clientOrderId: 'rest' });
      // The snapshot is rebuilt in a worker from the journal; the kernel takes it as its checkpoint.
      const snapshotSeq = await engine.saveSnapshot();
      expect(engine.kernel.inputsSinceCheckpoint).toBe(engine.seq - snapshotSeq);
      // More than the max(512, snapshot length / 32) inputs after which a kernel on its own would serialize itself.
      const clocks = Array.from({ length: 5_000 }, (_, i): KernelInput => ({ kind: 'clock', time: MARKET[200]!.time + i }));
      const tails: number[] = [];
      for (let i = 0; i < clocks.length; i += 500) {
        await Promise.all(clocks.slice(i, i + 500).map(both));
        tails.push(engine.kernel.inputsSinceCheckpoint);
      }
      expect(tails).toEqual(tails.map((_, i) => engine.seq - snapshotSeq - (tails.length - 1 - i) * 500));
      for (const input of MARKET.slice(200)) await both(input);

      const before = stateOf(engine.kernel);
      const original = MatchingEngine.prototype.arrive;
      let mutated = false;
      vi.spyOn(MatchingEngine.prototype, 'arrive').mockImplementation(function (this: MatchingEngine, ...args) {
        const result = original.apply(this, args);
        if (args[0].clientOrderId === 'boom') {
          mutated = stateOf(engine.kernel) !== before;
          throw new Error('injected matching fault');
        }
        return result;
      });
      const seq = engine.seq;
      const events = await engine.submit({ kind: 'order.place', time: T, account: 'a', symbol: SYMBOL, side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'boom' });
      vi.restoreAllMocks();
      expect(events).toEqual([expect.objectContaining({ type: 'INPUT_REJECTED', code: 'INTERNAL', seq: seq + 1, account: 'a' })]);
      expect(mutated).toBe(true);
      expect(engine.kernel.containedFailures).toBe(1);
      expect(reports.map((r) => [r.seq, r.code, r.duringRestore])).toEqual([[seq + 1, 'INTERNAL', false]]);
      expect(stateOf(engine.kernel)).toBe(stateOf(twin));

      // The engine goes on, agreeing with the twin.
      const next: KernelInput = { kind: 'order.place', time: T, account: 'a', symbol: SYMBOL, side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'fine' };
      const fills = (await both(next)).filter((e) => e.type === 'FILL');
      expect(fills.length).toBeGreaterThan(0);
      expect(stateOf(engine.kernel)).toBe(stateOf(twin));
    } finally {
      await engine.close();
    }
  });
});

describeEachDialect((name) => `a long rollback tail asks for a snapshot on ${name}`, (dialect) => {
  let target: TestDatabase;
  beforeEach(() => {
    target = dialect.create();
  });
  afterEach(async () => target.cleanup());

  it('after snapshotAfterInputs inputs a snapshot is saved and becomes the checkpoint, with no timer due', async () => {
    const engine = await DurableEngine.open({
      databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000, positionSnapshotDebounceMs: 50, snapshotAfterInputs: 1_000,
    });
    try {
      const first = await engine.saveSnapshot();
      for (const input of MARKET) await engine.submit(input);
      const clocks = Array.from({ length: 1_200 }, (_, i): KernelInput => ({ kind: 'clock', time: T + i }));
      await Promise.all(clocks.map((c) => engine.submit(c)));
      const head = engine.seq;
      expect(head - first).toBeGreaterThan(1_000);
      // The snapshot is asked for, rebuilt and saved in the background; then the tail starts after it.
      await expect.poll(async () => (await engine.db.selectFrom('snapshots').select('seq').orderBy('seq', 'desc').executeTakeFirst())?.seq ?? 0).toBeGreaterThan(first + 999);
      await expect.poll(() => engine.kernel.inputsSinceCheckpoint).toBeLessThan(head - first);
      await expect(DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotAfterInputs: -1 })).rejects.toThrow(RangeError);
    } finally {
      await engine.close();
    }
  });
});
