/**
 * The engine's snapshots as the kernel's rollback checkpoints, attacked: a fault right after a worker
 * snapshot was adopted, a fault while one is in flight, two faults in a row, a fault after a restart
 * before any snapshot, and a burst of submits with `snapshotAfterInputs` small, so the engine asks for
 * snapshots again and again while inputs flow.
 *
 * The oracle is a twin kernel fed the same inputs minus those the engine answered INTERNAL; after
 * each step the engine's kernel must hold the twin's state (counts of inputs masked), and a restart
 * must give the state the engine had when it closed.
 *
 * The fault is injected in this thread only (a spy on `MatchingEngine.prototype.arrive` for orders
 * whose client id starts with "boom"); the snapshot worker replays the journal without it. A real
 * defect is deterministic and would strike the worker's replay too, so no worker snapshot here is
 * taken over a faulted input: the snapshots in flight are taken before the faults they race.
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { KernelEvent } from '../core/kernel/events.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import { MatchingEngine } from '../core/matching/matching-engine.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording, stateWithoutSequence } from '../test-kit/recording-stepper.js';
import { describeEachDialect, type TestDatabase } from '../test-kit/test-databases.js';
import { DatabaseUnavailableError } from '../persistence/database.js';
import { SnapshotStore } from '../persistence/snapshot-store.js';
import { DurableEngine, type DurableEngineOptions, type SetAsideReport } from './durable-engine.js';

const recording = loadRecording(BUNDLED_RECORDING);
const SYMBOL = recording.symbol;
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };
const MARKET = recording.inputs.slice(0, 1_200);

/** The state with what counts inputs masked: the sequence, and each order's `arrivalSeq`. */
const stateOf = (kernel: Kernel) => stateWithoutSequence(kernel).replace(/"arrivalSeq":\d+/g, '"arrivalSeq":_');

/** Byte for byte, field order included (a restored order keeps a live one's, kernel-snapshot.ts `withFeeState`). */
function expectSameState(actual: string, expected: string, what: string): void {
  if (actual === expected) return;
  let i = 0;
  while (actual[i] === expected[i]) i++;
  expect.fail(`${what}: at ${i}: actual …${actual.slice(Math.max(0, i - 200), i + 200)}… expected …${expected.slice(Math.max(0, i - 200), i + 200)}…`);
}

/** Orders whose client id starts with "boom" are matched, then their handling throws (this thread only). */
function injectFaults(): { struck: () => number } {
  const original = MatchingEngine.prototype.arrive;
  let struck = 0;
  vi.spyOn(MatchingEngine.prototype, 'arrive').mockImplementation(function (this: MatchingEngine, ...args) {
    const result = original.apply(this, args);
    if (args[0].clientOrderId.startsWith('boom')) {
      struck += 1;
      throw new Error(`injected matching fault on ${args[0].clientOrderId}`);
    }
    return result;
  });
  return { struck: () => struck };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describeEachDialect((name) => `the engine's rollback checkpoints under attack on ${name}`, (dialect) => {
  let target: TestDatabase;
  let reports: SetAsideReport[];
  let engine: DurableEngine | undefined;
  let twin: Kernel;
  let market: number;
  let time: number;
  let orders: number;

  beforeEach(() => {
    target = dialect.create();
    reports = [];
    twin = new Kernel(CONFIG, { rollback: false });
    market = 0;
    time = 0;
    orders = 0;
  });
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    await target.cleanup();
  });

  const open = async (options: Partial<DurableEngineOptions> = {}) => {
    engine = await DurableEngine.open({
      databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000, onInputSetAside: (r) => reports.push(r), ...options,
    });
    return engine;
  };
  const live = () => engine!;
  const copy = (input: KernelInput) => JSON.parse(JSON.stringify(input)) as KernelInput;

  /** Submits to the engine and the twin; the twin is spared inputs the engine answered INTERNAL. */
  const both = async (input: KernelInput): Promise<KernelEvent[]> => {
    const events = await live().submit(input);
    if (!(events.length === 1 && events[0]!.type === 'INPUT_REJECTED' && events[0].code === 'INTERNAL')) twin.handle(copy(input));
    return events;
  };
  const nextMarket = (n: number): KernelInput[] => {
    const out = MARKET.slice(market, market + n);
    market += out.length;
    if (out.length > 0) time = Math.max(time, out.at(-1)!.time);
    return out;
  };
  const feedMarket = async (n: number) => {
    for (const input of nextMarket(n)) await both(input);
  };
  /** A marketable order of `account` (it matches against the book, so `arrive` changes the state before the fault). */
  const order = (account: string, clientOrderId = `o${++orders}`): KernelInput => ({
    kind: 'order.place', time, account, symbol: SYMBOL, side: orders % 2 === 0 ? 'BUY' : 'SELL', type: 'MARKET', quantity: '0.01', clientOrderId,
  });
  const resting = (account: string): KernelInput => ({
    kind: 'order.place', time, account, symbol: SYMBOL, side: 'BUY', type: 'LIMIT', price: '60000.00', quantity: '0.01', clientOrderId: `r${++orders}`,
  });
  const expectTwin = (what: string) => expectSameState(stateOf(live().kernel), stateOf(twin), what);
  const expectInternal = (events: KernelEvent[], seq: number) =>
    expect(events).toEqual([expect.objectContaining({ type: 'INPUT_REJECTED', code: 'INTERNAL', seq, message: expect.stringContaining('injected matching fault') })]);

  const setUp = async (options: Partial<DurableEngineOptions> = {}) => {
    await open(options);
    await feedMarket(200);
    for (const account of ['a', 'b']) await both({ kind: 'account.open', time, account, balances: { USDT: '100000', BTC: '2' } });
    await both(resting('a'));
    await both(order('b'));
  };

  /** Closes (with its final snapshot unless told not to) and opens again: the state must be the one it had. */
  const restart = async (options: { snapshot?: boolean } = {}, reopen: Partial<DurableEngineOptions> = {}) => {
    const before = live().kernel.snapshot();
    const seq = live().seq;
    await live().close(options);
    engine = undefined;
    await open(reopen);
    expect(live().seq).toBe(seq);
    expectSameState(live().kernel.snapshot(), before, 'the state after a restart');
  };

  it('a fault right after a worker snapshot was adopted rolls back from that snapshot; the engine goes on as the twin and restarts the same', async () => {
    await setUp();
    const faults = injectFaults();
    const snapshotSeq = await live().saveSnapshot();
    expect(snapshotSeq).toBe(live().seq);
    expect(live().kernel.inputsSinceCheckpoint).toBe(0);
    const seq = live().seq;
    expectInternal(await both(order('a', 'boom-1')), seq + 1);
    expect(faults.struck()).toBe(1);
    expect(reports.map((r) => [r.seq, r.code])).toEqual([[seq + 1, 'INTERNAL']]);
    expectTwin('after the fault');
    await feedMarket(100);
    await both(order('a'));
    expectTwin('after the inputs that followed');
    vi.restoreAllMocks();
    await restart();
    expect(reports.filter((r) => r.duringRestore)).toEqual([]);
  });

  it('a worker snapshot that fails after its state arrived leaves the checkpoint before it whole: a fault then rolls back from that one', async () => {
    await setUp({ retry: { minMs: 5, maxMs: 20 } });
    // Three worker snapshots: the first moves its own buffer here, the next two go into the
    // buffers shared with the worker, one after the other (the one the checkpoint reads is never written).
    for (let i = 0; i < 3; i++) {
      await feedMarket(20);
      await both(resting('a'));
      expect(await live().saveSnapshot()).toBe(live().seq);
    }
    await feedMarket(20);
    await both(order('b'));
    // The fourth: its state is written by the worker, then the database "goes away" at the publish.
    const publish = vi.spyOn(SnapshotStore.prototype, 'publishParts').mockRejectedValueOnce(new DatabaseUnavailableError('the database went away at the publish'));
    await expect(live().saveSnapshot()).rejects.toThrow(/went away at the publish/);
    expect(publish).toHaveBeenCalledTimes(1);
    publish.mockRestore();
    for (let waited = 0; live().status.state !== 'ready' && waited < 5_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    expect(live().status.state).toBe('ready');
    // The checkpoint is still the third snapshot's: a fault rolls back from it, and the engine is the twin.
    expect(live().kernel.inputsSinceCheckpoint).toBe(21);
    const faults = injectFaults();
    const seq = live().seq;
    expectInternal(await both(order('a', 'boom-after-failed-snapshot')), seq + 1);
    expect(faults.struck()).toBe(1);
    expectTwin('after a rollback from the checkpoint before the failed snapshot');
    vi.restoreAllMocks();
    await feedMarket(20);
    expectTwin('after the inputs that followed');
  });

  it('a fault while a worker snapshot is in flight: the snapshot of an earlier seq is not taken over the checkpoint of the fault; a second fault rolls back from that one', async () => {
    await setUp();
    injectFaults();
    const head = live().seq;
    const saving = live().saveSnapshot();
    // Submitted while the worker rebuilds the state at `head`.
    const during = [...nextMarket(20).map((input) => both(input)), both(order('b')), both(order('a', 'boom-during')), ...nextMarket(20).map((input) => both(input))];
    const answers = await Promise.all(during);
    const faultSeq = head + 22;
    expectInternal(answers[21]!, faultSeq);
    expect(await saving).toBe(head);
    // The kernel's own checkpoint at the fault is newer than the snapshot, which is ignored.
    expect(live().kernel.inputsSinceCheckpoint).toBe(live().seq - faultSeq);
    expectTwin('after the fault raced by the snapshot');
    await feedMarket(30);
    const seq = live().seq;
    expectInternal(await both(order('b', 'boom-after')), seq + 1);
    expectTwin('after a second fault, rolled back from the checkpoint of the first');
    expect(live().kernel.containedFailures).toBe(2);
    vi.restoreAllMocks();
    await restart();
  });

  it('two faults in a row, right behind an adopted snapshot and again deep in its tail', async () => {
    await setUp();
    injectFaults();
    await live().saveSnapshot();
    let seq = live().seq;
    const [first, second] = await Promise.all([both(order('a', 'boom-1')), both(order('b', 'boom-2'))]);
    expectInternal(first!, seq + 1);
    expectInternal(second!, seq + 2);
    expectTwin('after two faults in a row');
    await feedMarket(150);
    await both(order('a'));
    await both(resting('b'));
    seq = live().seq;
    const burst = await Promise.all([both(order('b', 'boom-3')), both(order('a', 'boom-4')), both(order('a'))]);
    expectInternal(burst[0]!, seq + 1);
    expectInternal(burst[1]!, seq + 2);
    expect(burst[2]!.some((e) => e.type === 'FILL')).toBe(true);
    expectTwin('after two more faults in a row');
    expect(live().kernel.containedFailures).toBe(4);
    vi.restoreAllMocks();
    await restart();
  });

  it('a fault after a restart, before any snapshot: the kernel rolls back from the checkpoint it took at the start', async () => {
    await setUp();
    await feedMarket(50);
    await restart();
    injectFaults();
    // No snapshot since the start: the kernel's own checkpoint of the restore holds.
    expect(live().kernel.inputsSinceCheckpoint).toBe(0);
    await feedMarket(30);
    const seq = live().seq;
    expectInternal(await both(order('a', 'boom-restarted')), seq + 1);
    expectTwin('after a fault before any snapshot of this run');
    await feedMarket(30);
    await both(order('b'));
    expectTwin('after the inputs that followed');
    // A rolled-back input asks for a snapshot of the live state (a rebuild from the journal would
    // replay the input): closed without a final one, the restart starts from it, past the fault.
    await expect.poll(async () => (await live().db.selectFrom('snapshots').select('seq').orderBy('seq', 'desc').executeTakeFirst())?.seq ?? 0).toBeGreaterThan(seq);
    const before = live().kernel.snapshot();
    await live().close({ snapshot: false });
    engine = undefined;
    reports = [];
    await open();
    expectSameState(live().kernel.snapshot(), before, 'the state after a restart past the fault');
    expect(live().restored.snapshotSeq).toBeGreaterThan(seq);
    expect(reports).toEqual([]);
    vi.restoreAllMocks();
    await restart();
  });

  it('snapshotAfterInputs small under a burst of submits: snapshots are asked for again and again, each adopted, and the engine stays the twin', async () => {
    await setUp({ snapshotAfterInputs: 40, positionSnapshotDebounceMs: 10 });
    const adopted: number[] = [];
    for (let round = 0; round < 5; round++) {
      const inputs: KernelInput[] = [];
      for (const input of nextMarket(90)) {
        inputs.push(input);
        if (inputs.length % 7 === 0) inputs.push(inputs.length % 14 === 0 ? order(round % 2 === 0 ? 'a' : 'b') : resting('a'));
      }
      const head = live().seq + inputs.length;
      await Promise.all(inputs.map((input) => both(input)));
      expect(live().seq).toBe(head);
      expectTwin(`after burst ${round}`);
      // A snapshot was asked for during the burst (the tail passed 40): it lands and is adopted.
      await expect.poll(() => live().kernel.inputsSinceCheckpoint, { timeout: 30_000, interval: 20 }).toBeLessThan(head - (adopted.at(-1) ?? 0) - 1);
      adopted.push(live().seq - live().kernel.inputsSinceCheckpoint);
      expectTwin(`after the snapshot of burst ${round} was adopted`);
    }
    expect(new Set(adopted).size).toBe(adopted.length);
    const rows = await live().db.selectFrom('snapshots').select('seq').orderBy('seq', 'desc').execute();
    expect(rows.map((r) => Number(r.seq))).toContain(adopted.at(-1));
    // Once the snapshots in flight have landed, a fault rolls back from the newest one adopted.
    const settled = await live().saveSnapshot();
    injectFaults();
    await feedMarket(10);
    const seq = live().seq;
    expect(live().kernel.inputsSinceCheckpoint).toBeLessThanOrEqual(seq - settled);
    expectInternal(await both(order('b', 'boom-burst')), seq + 1);
    expectTwin('after a fault behind the burst');
    vi.restoreAllMocks();
    await restart({}, { snapshotAfterInputs: 40 });
  });
});
