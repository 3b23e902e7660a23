/**
 * Host checkpoints under random interleavings: a suspect kernel on host checkpoints (a small
 * tailLimit, so that its own backstop fires too) takes market inputs of the bundled recording,
 * random commands of random accounts (the fuzzer's generator), snapshots of a third kernel adopted
 * at random earlier seqs (in order, out of order, stale, as text and as a function), and faults
 * injected into a MatchingEngine method at random inputs, thrown after the method changed the state.
 *
 * The oracle is independent of the checkpoint code: a twin kernel without rollback, fed the same
 * inputs minus those the suspect answered INTERNAL. After each fault the suspect must answer one
 * INPUT_REJECTED (INTERNAL) and hold the state the input found; its events must equal the twin's
 * (with `seq` masked); the states must agree (with `sequence` masked) along the way and at the end.
 * The third kernel replays the faults as a deterministic defect would recur (as the engine's worker
 * would meet it), so its snapshot at a seq is the suspect's true state there.
 * States are compared byte for byte, field order included (a restored order keeps the field order
 * of a live one, kernel-snapshot.ts `withFeeState`).
 * A failing seed runs alone with PROPERTY_SEED=<seed> (the seed and the last inputs are printed).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { CommandGenerator, importDocument, type FuzzCommand } from '../../test-kit/kernel-fuzz-commands.js';
import { Rng } from '../../test-kit/mulberry32.js';
import { loadRecording, stateWithoutSequence } from '../../test-kit/recording-stepper.js';
import { instrumentForRecording } from '../../market-data/replay-session.js';
import { MatchingEngine } from '../matching/matching-engine.js';
import type { KernelEvent } from './events.js';
import type { KernelInput } from './inputs.js';
import { Kernel, type KernelConfig } from './kernel.js';

const recording = loadRecording(BUNDLED_RECORDING);
const INSTRUMENT = instrumentForRecording(recording);
const CONFIG: KernelConfig = { instruments: [INSTRUMENT] };

const SEEDS = 40;
const STEPS = 200;

type FaultMethod = 'onTrade' | 'arrive' | 'onBookChanged' | 'onTriggerPrice' | 'cancel' | 'cancelAll';
const FAULT_METHODS: readonly FaultMethod[] = ['onTrade', 'arrive', 'onBookChanged', 'onTriggerPrice', 'cancel', 'cancelAll'];

/** The method an input of this kind most likely calls, so that most armed faults strike. */
function likelyMethod(input: KernelInput): FaultMethod | undefined {
  switch (input.kind) {
    case 'trade':
      return 'onTrade';
    case 'book.delta':
    case 'book.snapshot':
      return 'onBookChanged';
    case 'order.place':
    case 'order.list':
      return 'arrive';
    case 'order.cancel':
      return 'cancel';
    case 'account.reset':
    case 'account.close':
      return 'cancelAll';
    default:
      return undefined;
  }
}

const masked = (events: readonly KernelEvent[]) => JSON.stringify(events).replace(/"seq":\d+/g, '"seq":_');

/**
 * The state with what counts inputs masked: the sequence, and each order's `arrivalSeq` (the seq its
 * command was handled at, which counts the inputs the twin never saw; only their order matters).
 */
const stateOf = (kernel: Kernel) => stateWithoutSequence(kernel).replace(/"arrivalSeq":\d+/g, '"arrivalSeq":_');

/** Where two long texts first differ, with some context, for a readable failure. */
function firstDifference(actual: string, expected: string): string {
  let i = 0;
  while (i < actual.length && actual[i] === expected[i]) i++;
  return i === actual.length && i === expected.length ? 'equal' : `at ${i}: actual …${actual.slice(Math.max(0, i - 150), i + 150)}… expected …${expected.slice(Math.max(0, i - 150), i + 150)}…`;
}

function expectSameState(actual: string, expected: string, what: string): void {
  if (actual !== expected) expect.fail(`${what}: ${firstDifference(actual, expected)}`);
}

/** The market in the recording at a few points, each a snapshot of a kernel fed the recording up to there. */
const warmStarts = (() => {
  let cache: Array<{ snapshot: string; next: number }> | undefined;
  return () => {
    if (cache !== undefined) return cache;
    const kernel = new Kernel(CONFIG, { rollback: false });
    const start = recording.inputs[0]!.time;
    const points = [30_000, 150_000, 300_000, 450_000].map((ms) => recording.inputs.findIndex((i) => i.time > start + ms));
    cache = [];
    for (let i = 0; i < recording.inputs.length && cache.length < points.length; i++) {
      if (i === points[cache.length]) cache.push({ snapshot: kernel.snapshot(), next: i });
      kernel.handle(recording.inputs[i]!);
    }
    return cache;
  };
})();

interface Fault {
  readonly method: FaultMethod;
  /** The call of `method` (1st, 2nd, …) within the input that throws. */
  readonly onCall: number;
}

interface Stats {
  faults: number;
  /** Faults looked at when they struck, and those that found the state already changed. */
  lookedAt: number;
  mutatedFaults: number;
  unstruck: number;
  adoptions: number;
  adoptionsTaken: number;
  backstops: number;
  functionCalls: number;
}

/**
 * Handles `input` on `kernel` with `fault` armed: the method runs, then throws on its `onCall`-th
 * call. Returns the events, whether the fault struck, and whether the state had changed when it did.
 */
function handleWithFault(kernel: Kernel, input: KernelInput, fault: Fault, before?: string): { events: KernelEvent[]; struck: boolean; mutated: boolean | undefined } {
  const original = MatchingEngine.prototype[fault.method] as (...args: unknown[]) => unknown;
  let calls = 0;
  let struck = false;
  let mutated: boolean | undefined;
  const spy = vi.spyOn(MatchingEngine.prototype, fault.method).mockImplementation(function (this: MatchingEngine, ...args: unknown[]) {
    const result = original.apply(this, args);
    if (struck) return result;
    calls += 1;
    if (calls < fault.onCall) return result;
    struck = true;
    // The input is half-applied here: the state the rollback must undo.
    if (before !== undefined) mutated = stateWithoutSequence(kernel) !== before;
    throw new Error(`injected fault in ${fault.method} (call ${calls})`);
  } as never);
  let events: KernelEvent[];
  try {
    events = kernel.handle(input);
  } finally {
    spy.mockRestore();
  }
  return { events, struck, mutated };
}

function runSeed(seed: number, stats: Stats, fed: string[]): void {
  const rng = new Rng(seed);
  const warm = rng.pick(warmStarts());
  const suspect = Kernel.restore(CONFIG, warm.snapshot);
  const twin = Kernel.restore(CONFIG, warm.snapshot, { rollback: false });
  // Where the host's snapshots come from (the engine's worker): the same inputs, faults included.
  let elsewhere = Kernel.restore(CONFIG, warm.snapshot);
  const accounts = ['a', 'b', 'c'];
  const commands = new CommandGenerator(rng, twin, INSTRUMENT, accounts, false);
  let market = warm.next;
  const tailLimit = rng.int(3, 40);

  /** The model of the suspect's checkpoint: inputs since it, and the function that holds it, if any. */
  let since = 0;
  let liveFunction: { calls: number } | undefined;
  let expectedFunctionCalls = 0;
  const functionCounters: Array<{ calls: number }> = [];
  const snapshots: Array<{ text: string; seq: number }> = [];

  const both = (input: KernelInput) => {
    const events = suspect.handle(input);
    const twinEvents = twin.handle(input);
    elsewhere.handle(input);
    expect(masked(events), `seed ${seed}: events of ${JSON.stringify(input).slice(0, 200)}`).toBe(masked(twinEvents));
    return events;
  };
  const advanceModel = (events: readonly KernelEvent[], faulted: boolean) => {
    const first = events[0];
    if (first?.type === 'INPUT_REJECTED' && first.code === 'INVALID_INPUT') {
      since += 1;
      return;
    }
    if (since >= tailLimit) {
      since = 0;
      liveFunction = undefined;
      stats.backstops += 1;
    }
    if (faulted) {
      if (liveFunction !== undefined) expectedFunctionCalls += 1;
      since = 0;
      liveFunction = undefined;
    } else since += 1;
  };

  for (const id of accounts) both({ kind: 'account.open', time: suspect.now, account: id, balances: { USDT: String(rng.int(1_000, 200_000)), BTC: String(rng.int(0, 3)) } });
  suspect.useHostCheckpoints(tailLimit);
  since = 0;

  for (let step = 0; step < STEPS; step++) {
    // The next input: the market, or a command.
    let input: KernelInput | undefined;
    if (rng.chance(0.55) && market < recording.inputs.length) input = recording.inputs[market++]!;
    else if (rng.chance(0.85)) {
      const [command, ...more] = commands.next();
      const materialize = (c: FuzzCommand): KernelInput =>
        'input' in c ? c.input : { kind: 'account.import', time: twin.now, document: importDocument(twin, c.importFrom, c.mutation), account: c.as };
      input = materialize(command!);
      // A cancel racing the order goes right after it, below, as its own step.
      if (more.length > 0) {
        const events = both(input);
        fed.push(JSON.stringify(input));
        advanceModel(events, false);
        input = materialize(more[0]!);
      }
    }

    if (input !== undefined) {
      if (rng.chance(0.12)) {
        const method = rng.chance(0.8) ? (likelyMethod(input) ?? rng.pick(FAULT_METHODS)) : rng.pick(FAULT_METHODS);
        const fault: Fault = { method, onCall: rng.chance(0.7) ? 1 : rng.int(2, 3) };
        const before = stateWithoutSequence(suspect);
        const seq = suspect.inputCount;
        const contained = suspect.containedFailures;
        // Whether the state had changed when the fault struck costs a snapshot: looked at for a third of them.
        const { events, struck, mutated } = handleWithFault(suspect, input, fault, rng.chance(0.35) ? before : undefined);
        fed.push(`${struck ? 'FAULT ' : 'unstruck '}${fault.method}#${fault.onCall} ${JSON.stringify(input)}`);
        if (struck) {
          stats.faults += 1;
          if (mutated !== undefined) stats.lookedAt += 1;
          if (mutated === true) stats.mutatedFaults += 1;
          expect(events, `seed ${seed}: the answer to a fault`).toEqual([
            expect.objectContaining({ type: 'INPUT_REJECTED', seq: seq + 1, kind: input.kind, code: 'INTERNAL', message: expect.stringContaining('injected fault') }),
          ]);
          expect(suspect.containedFailures).toBe(contained + 1);
          expect(suspect.inputCount).toBe(seq + 1);
          expectSameState(stateWithoutSequence(suspect), before, `seed ${seed}: the state after a contained fault at seq ${seq + 1}`);
          // The defect recurs wherever the input is handled again (it is deterministic): the third kernel.
          const again = handleWithFault(elsewhere, input, fault);
          expect(again.struck, `seed ${seed}: the fault recurs on the third kernel`).toBe(true);
          advanceModel(events, true);
        } else {
          stats.unstruck += 1;
          const twinEvents = twin.handle(input);
          elsewhere.handle(input);
          expect(masked(events), `seed ${seed}: events of an input whose fault did not strike`).toBe(masked(twinEvents));
          advanceModel(events, false);
        }
      } else {
        const events = both(input);
        fed.push(JSON.stringify(input));
        advanceModel(events, false);
      }
      expect(suspect.inputCount).toBe(elsewhere.inputCount);
      if (rng.chance(0.08)) snapshots.push({ text: elsewhere.snapshot(), seq: elsewhere.inputCount });
      // The host's rebuild is a restore: now and then the third kernel is one.
      if (rng.chance(0.02)) elsewhere = Kernel.restore(CONFIG, elsewhere.snapshot());
    }

    // An adoption: of a random earlier snapshot, the newest, the present, a stale one, or a future one.
    if (snapshots.length > 0 && rng.chance(0.15)) {
      const state = rng.chance(0.25) ? stateWithoutSequence(suspect) : undefined;
      const head = suspect.inputCount;
      const roll = rng.next();
      const chosen = roll < 0.4 ? rng.pick(snapshots) : roll < 0.7 ? snapshots.at(-1)! : roll < 0.85 ? { text: elsewhere.snapshot(), seq: head } : rng.pick(snapshots);
      const checkpointSeq = head - since;
      if (roll >= 0.95) {
        // A seq the kernel has not reached: refused, nothing changes.
        expect(() => suspect.adoptCheckpoint(chosen.text, head + rng.int(1, 5))).toThrow(RangeError);
      } else if (chosen.seq <= checkpointSeq && rng.chance(0.5)) {
        // Stale: ignored, so its text must never be read, whatever it is.
        suspect.adoptCheckpoint(() => {
          throw new Error(`seed ${seed}: a stale checkpoint (seq ${chosen.seq} ≤ ${checkpointSeq}) was read`);
        }, chosen.seq);
      } else {
        const asFunction = rng.chance(0.5);
        const counter = { calls: 0 };
        const bytes = new TextEncoder().encode(chosen.text);
        suspect.adoptCheckpoint(
          asFunction
            ? () => {
                counter.calls += 1;
                return new TextDecoder().decode(bytes);
              }
            : chosen.text,
          chosen.seq,
        );
        stats.adoptions += 1;
        if (asFunction) functionCounters.push(counter);
        if (chosen.seq > checkpointSeq) {
          stats.adoptionsTaken += 1;
          since = head - chosen.seq;
          liveFunction = asFunction ? counter : undefined;
        }
        expect(counter.calls, `seed ${seed}: adopting reads nothing`).toBe(0);
      }
      expect(suspect.inputCount).toBe(head);
      if (state !== undefined) expectSameState(stateWithoutSequence(suspect), state, `seed ${seed}: adopting changes no state`);
    }

    expect(suspect.inputsSinceCheckpoint, `seed ${seed} step ${step}: inputs since the checkpoint (tailLimit ${tailLimit})`).toBe(since);
    if (step % 50 === 49) expectSameState(stateOf(suspect), stateOf(twin), `seed ${seed} step ${step}: the suspect and the twin`);
  }

  const calls = functionCounters.reduce((n, c) => n + c.calls, 0);
  stats.functionCalls += calls;
  expect(calls, `seed ${seed}: a checkpoint function is read once per rollback from it`).toBe(expectedFunctionCalls);
  expectSameState(suspect.snapshot(), elsewhere.snapshot(), `seed ${seed}: the suspect and the third kernel`);
  expectSameState(stateOf(suspect), stateOf(twin), `seed ${seed}: the suspect and the twin at the end`);
  expect(suspect.inputCount - twin.inputCount).toBe(suspect.containedFailures);
  suspect.checkInvariants();
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('host checkpoints under random inputs, adoptions and faults', () => {
  it(`${SEEDS} seeds × ${STEPS} steps: every fault is rolled back to the state it found, and the kernel ends as the twin that never saw the faulting inputs`, () => {
    const stats: Stats = { faults: 0, lookedAt: 0, mutatedFaults: 0, unstruck: 0, adoptions: 0, adoptionsTaken: 0, backstops: 0, functionCalls: 0 };
    const started = performance.now();
    const only = process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED);
    for (let i = 0; i < SEEDS; i++) {
      const seed = only ?? 0x5eed_0000 + i * 7_919;
      if (only !== undefined && i > 0) break;
      const fed: string[] = [];
      try {
        runSeed(seed, stats, fed);
      } catch (error) {
        console.error(`the last inputs (PROPERTY_TRACE=n shows n):\n${fed.slice(-Number(process.env.PROPERTY_TRACE ?? 20)).join('\n')}`);
        console.error(`kernel-host-checkpoints property: seed ${seed} failed (run it alone: PROPERTY_SEED=${seed} npx vitest run ${import.meta.url.replace(/^.*\/src\//, 'src/')})`);
        throw error;
      }
    }
    console.log(JSON.stringify(stats), `${Math.round(performance.now() - started)} ms`);
    if (only !== undefined) return;
    // The run is meaningful: faults struck half-way through many inputs, adoptions were taken, the backstop fired.
    expect(stats.faults).toBeGreaterThan(SEEDS * 6);
    expect(stats.mutatedFaults).toBeGreaterThan(stats.lookedAt / 2);
    expect(stats.adoptionsTaken).toBeGreaterThan(SEEDS * 3);
    expect(stats.backstops).toBeGreaterThan(SEEDS);
    expect(stats.functionCalls).toBeGreaterThan(0);
  }, 240_000);
});

describe('adoptions at the edges', () => {
  it('a snapshot adopted before the kernel took any checkpoint (only refused inputs held), on a kernel keeping its own: a fault still rolls back to the twin', () => {
    const warm = warmStarts()[1]!;
    const suspect = Kernel.restore(CONFIG, warm.snapshot);
    const elsewhere = Kernel.restore(CONFIG, warm.snapshot);
    const twin = Kernel.restore(CONFIG, warm.snapshot, { rollback: false });
    const all = (input: KernelInput) => [suspect, elsewhere, twin].map((k) => k.handle(input));
    const base = suspect.inputCount;
    for (let i = 0; i < 3; i++) all({ kind: 'order.amend', time: suspect.now, account: 'a' } as unknown as KernelInput);
    expect(suspect.inputsSinceCheckpoint).toBe(3);
    suspect.adoptCheckpoint(elsewhere.snapshot(), base + 3);
    expect(suspect.inputsSinceCheckpoint).toBe(0);
    suspect.adoptCheckpoint('not a snapshot', base + 1); // older than the one held: ignored
    all({ kind: 'account.open', time: suspect.now, account: 'a', balances: { USDT: '100000', BTC: '1' } });
    let next = warm.next;
    const trades: KernelInput[] = [];
    while (trades.length < 3) {
      const input = recording.inputs[next++]!;
      if (input.kind === 'trade') {
        trades.push(input);
        continue;
      }
      all(input);
    }
    all({ kind: 'order.place', time: suspect.now, account: 'a', symbol: recording.symbol, side: 'BUY', type: 'LIMIT', price: '61000.00', quantity: '0.5', clientOrderId: 'rest' });
    for (const trade of trades) {
      const before = stateWithoutSequence(suspect);
      const { events, struck } = handleWithFault(suspect, trade, { method: 'onTrade', onCall: 1 });
      expect(struck).toBe(true);
      expect(events).toEqual([expect.objectContaining({ type: 'INPUT_REJECTED', code: 'INTERNAL' })]);
      expectSameState(stateWithoutSequence(suspect), before, 'the state after a fault');
      // Between the faults, an input the twin sees too.
      all({ kind: 'clock', time: suspect.now + 1 });
    }
    expect(suspect.containedFailures).toBe(3);
    expectSameState(stateOf(suspect), stateOf(twin), 'the suspect and the twin');
  });
});
