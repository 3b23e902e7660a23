import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { SnapshotScheduler } from './snapshot-scheduler.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function scheduler(intervalMs: number, debounceMs: number) {
  const taken: number[] = [];
  const s: SnapshotScheduler = new SnapshotScheduler(
    async () => {
      taken.push(Date.now());
      s.taken();
    },
    (e) => {
      throw e;
    },
    intervalMs,
    debounceMs,
  );
  return { s, taken };
}

it('snapshots every interval of wall time', async () => {
  const { s, taken } = scheduler(300_000, 5_000);
  s.start();
  await vi.advanceTimersByTimeAsync(900_000);
  expect(taken).toHaveLength(3);
  s.stop();
  await vi.advanceTimersByTimeAsync(900_000);
  expect(taken).toHaveLength(3);
});

it('position changes within the debounce window fold into one snapshot at its end', async () => {
  const { s, taken } = scheduler(0, 5_000);
  const t0 = Date.now();
  s.positionChanged();
  await vi.advanceTimersByTimeAsync(0);
  expect(taken).toEqual([t0]);
  for (let i = 0; i < 10; i += 1) {
    await vi.advanceTimersByTimeAsync(100);
    s.positionChanged();
  }
  await vi.advanceTimersByTimeAsync(3_900);
  expect(taken).toEqual([t0]);
  await vi.advanceTimersByTimeAsync(100);
  expect(taken).toEqual([t0, t0 + 5_000]);
});

it('zero turns a trigger off', async () => {
  const { s, taken } = scheduler(0, 0);
  s.start();
  s.positionChanged();
  await vi.advanceTimersByTimeAsync(1_000_000);
  expect(taken).toEqual([]);
});

it('a snapshot wanted for another reason (a long rollback tail) folds like a position change, and with no debounce comes at once', async () => {
  const debounced = scheduler(0, 5_000);
  const t0 = Date.now();
  debounced.s.wanted();
  debounced.s.positionChanged();
  await vi.advanceTimersByTimeAsync(0);
  expect(debounced.taken).toEqual([t0]);
  debounced.s.wanted();
  await vi.advanceTimersByTimeAsync(5_000);
  expect(debounced.taken).toEqual([t0, t0 + 5_000]);
  const immediate = scheduler(0, 0);
  immediate.s.positionChanged(); // off
  immediate.s.wanted();
  await vi.advanceTimersByTimeAsync(0);
  expect(immediate.taken).toEqual([t0 + 5_000]);
  immediate.s.stop();
  immediate.s.wanted();
  await vi.advanceTimersByTimeAsync(10_000);
  expect(immediate.taken).toHaveLength(1);
});
