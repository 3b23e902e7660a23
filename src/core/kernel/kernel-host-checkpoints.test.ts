import { afterEach, describe, expect, it, vi } from 'vitest';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { expectTradeFaultContained } from '../../test-kit/injected-faults.js';
import { loadRecording, openedStepper, RecordingStepper, stateWithoutSequence } from '../../test-kit/recording-stepper.js';
import type { KernelEvent } from './events.js';
import type { KernelInput } from './inputs.js';

const recording = loadRecording(BUNDLED_RECORDING);
const SYMBOL = recording.symbol;
const START = recording.inputs[0]!.time;

const stateOf = (s: RecordingStepper) => stateWithoutSequence(s.kernel);

function opened(): RecordingStepper {
  const s = openedStepper(recording);
  s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: SYMBOL, side: 'BUY', type: 'LIMIT', price: '61700.00', quantity: '0.5', clientOrderId: 'rest' });
  return s;
}

const rest = (s: RecordingStepper) => {
  const events: KernelEvent[] = [];
  while (!s.done) events.push(...s.step()!.events);
  return events;
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('rollback checkpoints handed in by the host', () => {
  it('takes none of its own while inputs flow, where the default kernel checkpoints every max(512, snapshot length / 32)', () => {
    const host = opened();
    const own = opened();
    host.kernel.useHostCheckpoints();
    const hostTails: number[] = [];
    const ownTails: number[] = [];
    for (let i = 0; i < 10_000 && !host.done; i++) {
      host.step();
      own.step();
      hostTails.push(host.kernel.inputsSinceCheckpoint);
      ownTails.push(own.kernel.inputsSinceCheckpoint);
    }
    expect(hostTails).toEqual(hostTails.map((_, i) => i + 1)); // never reset: no snapshot taken
    const resets = ownTails.filter((t, i) => i > 0 && t < ownTails[i - 1]!).length;
    expect(resets).toBeGreaterThan(0);
    expect(stateOf(host)).toBe(stateOf(own));
  });

  it('rolls a failing input back from the checkpoint it was handed, then goes on as a twin that never saw it', () => {
    const suspect = opened();
    const twin = opened();
    // The host's snapshot comes from elsewhere (a worker's rebuild): a third kernel on the same inputs.
    const elsewhere = opened();
    suspect.kernel.useHostCheckpoints();
    const faultAt = recording.inputs.findIndex((i) => i.kind === 'trade' && i.time > START + 120_000 && i.buyerMaker);
    const handedAt = recording.inputs.findIndex((i) => i.time > START + 90_000);
    expect(handedAt).toBeGreaterThan(0);
    expect(faultAt).toBeGreaterThan(handedAt);
    for (const s of [suspect, twin, elsewhere]) while (s.peek() !== recording.inputs[handedAt]) s.step();
    suspect.kernel.adoptCheckpoint(elsewhere.kernel.snapshot(), elsewhere.kernel.inputCount);
    expect(suspect.kernel.inputsSinceCheckpoint).toBe(0);
    const fault = recording.inputs[faultAt]!;
    for (const s of [suspect, twin]) while (s.peek() !== fault) s.step();
    expect(suspect.kernel.inputsSinceCheckpoint).toBe(suspect.kernel.inputCount - elsewhere.kernel.inputCount);
    expectTradeFaultContained(suspect);

    twin.skip();
    expect(JSON.stringify(rest(suspect))).toBe(JSON.stringify(rest(twin)));
    expect(suspect.kernel.orders('a')).toEqual(twin.kernel.orders('a'));
    expect(suspect.kernel.balances('a')).toEqual(twin.kernel.balances('a'));
  });

  it('adopting lets go of exactly the inputs up to the checkpoint, ignores older ones, refuses a future one, and changes no state', () => {
    const s = opened();
    s.kernel.useHostCheckpoints();
    const snapshots: Array<[string, number]> = [];
    for (let i = 0; i < 300; i++) {
      s.step();
      if (i % 100 === 99) snapshots.push([s.kernel.snapshot(), s.kernel.inputCount]);
    }
    const head = s.kernel.inputCount;
    const state = stateOf(s);
    expect(s.kernel.inputsSinceCheckpoint).toBe(300);
    s.kernel.adoptCheckpoint(...snapshots[1]!);
    expect(s.kernel.inputsSinceCheckpoint).toBe(head - snapshots[1]![1]); // 100
    s.kernel.adoptCheckpoint(...snapshots[0]!); // older: the tail no longer reaches back to it
    expect(s.kernel.inputsSinceCheckpoint).toBe(100);
    s.kernel.adoptCheckpoint(...snapshots[2]!);
    expect(s.kernel.inputsSinceCheckpoint).toBe(0);
    expect(() => s.kernel.adoptCheckpoint(snapshots[2]![0], head + 1)).toThrow(RangeError);
    expect(stateOf(s)).toBe(state);
    expect(s.kernel.inputCount).toBe(head);
  });

  it('takes a checkpoint itself when the host hands none in for tailLimit inputs', () => {
    const s = opened();
    s.kernel.useHostCheckpoints(100);
    const tails: number[] = [];
    for (let i = 0; i < 350; i++) {
      s.step();
      tails.push(s.kernel.inputsSinceCheckpoint);
    }
    // Checked before each input: at 100 held, the next input first checkpoints, then joins the tail.
    expect(Math.max(...tails)).toBe(100);
    expect(tails.filter((t) => t === 1).length).toBe(4);
    expect(() => s.kernel.useHostCheckpoints(0)).toThrow(RangeError);
  });

  it('a rejected input joins the tail too, so a rollback replays it in its place', () => {
    const s = opened();
    s.kernel.useHostCheckpoints();
    s.handle({ kind: 'order.amend', time: s.kernel.now, account: 'a' } as unknown as KernelInput);
    expect(s.kernel.inputsSinceCheckpoint).toBe(1);
  });
});
