/**
 * A defect injected into the kernel for totality tests: the next trade is matched, then its
 * handling throws, once (the rollback's replay of the tail then runs clean).
 */
import { expect, vi } from 'vitest';
import { MatchingEngine } from '../core/matching/matching-engine.js';
import { stateWithoutSequence, type RecordingStepper } from './recording-stepper.js';

/**
 * Steps `s` with `MatchingEngine.onTrade` throwing after it matched, and checks the kernel's answer:
 * one INPUT_REJECTED (INTERNAL) for that trade, a fault that had already changed the state when it
 * struck, and the state the trade found restored (`containedBefore` failures contained earlier).
 */
export function expectTradeFaultContained(s: RecordingStepper, containedBefore = 0): void {
  const before = stateWithoutSequence(s.kernel);
  const original = MatchingEngine.prototype.onTrade;
  let armed = true;
  let mutated = false;
  const spy = vi.spyOn(MatchingEngine.prototype, 'onTrade').mockImplementation(function (this: MatchingEngine, ...args) {
    original.apply(this, args);
    if (!armed) return;
    armed = false;
    mutated = stateWithoutSequence(s.kernel) !== before; // the trade had changed the state when the fault struck
    throw new Error('injected fault after the trade was matched');
  });
  const seq = s.kernel.inputCount;
  const input = s.peek();
  let answer: ReturnType<RecordingStepper['step']>;
  try {
    answer = s.step();
  } finally {
    spy.mockRestore();
  }
  expect(input?.kind).toBe('trade');
  expect(answer?.events).toEqual([
    { type: 'INPUT_REJECTED', at: expect.any(Number), seq: seq + 1, kind: 'trade', code: 'INTERNAL', message: expect.stringContaining('injected fault') },
  ]);
  expect(mutated).toBe(true);
  expect(s.kernel.containedFailures).toBe(containedBefore + 1);
  expect(stateWithoutSequence(s.kernel)).toBe(before);
}
