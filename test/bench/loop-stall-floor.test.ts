/**
 * The bench's figure "longest section less the machine's floor" (bench/loop-stall.ts, beyondFloor)
 * and its helper processes (bench/child-process-kit.ts), against hand-worked windows.
 */
import { describe, expect, it } from 'vitest';
import { beyondFloor, startIdleProcess, type LoopStalls, type Section } from '../../bench/loop-stall.js';

const stalls = (sections: Section[]): LoopStalls => ({
  ownMaxMs: Math.max(0, ...sections.map((s) => s.ownMs)),
  ownOver5ms: sections.filter((s) => s.ownMs > 5).length,
  ownOver5: [],
  sections,
  wallMaxMs: Math.max(0, ...sections.map((s) => s.wallMs)),
  cpuMaxMs: 0,
  cpuOver5ms: 0,
  over5ms: [],
  cpuMs: 0,
  wallMs: 10_000,
  elu: 0,
});

describe('beyondFloor', () => {
  it('takes from each section what the idle process lost at the same moments, weighted by that stall’s own share', () => {
    const main = stalls([
      // [980, 1000], own 18: the floor's stall [985, 995] has 8 ms own in 10 ms of gap, all inside: 18 − 8 = 10.
      { endAt: 1_000, wallMs: 20, ownMs: 18 },
      // [1993, 2000], own 7: nothing of the floor's overlaps it: 7.
      { endAt: 2_000, wallMs: 7, ownMs: 7 },
      // [2994, 3000], own 6: the floor's stall [2994, 3001] overlaps 6 ms at a share of 1: 0.
      { endAt: 3_000, wallMs: 6, ownMs: 6 },
      // [3990, 4000], own 9: the floor's stall [3995, 4005], 4 ms own of 10, overlaps 5 ms: 9 − 2 = 7.
      { endAt: 4_000, wallMs: 10, ownMs: 9 },
    ]);
    const floor = stalls([
      { endAt: 995, wallMs: 10, ownMs: 8 },
      { endAt: 3_001, wallMs: 7, ownMs: 7 },
      { endAt: 4_005, wallMs: 10, ownMs: 4 },
      // Far from every section of the main thread: takes nothing.
      { endAt: 9_000, wallMs: 50, ownMs: 50 },
    ]);
    expect(beyondFloor(main, floor)).toEqual({ maxMs: 10, over5ms: 3 });
  });

  it('leaves every section whole against a floor that never stalled, and a section no longer than the floor’s stall at 0', () => {
    const main = stalls([{ endAt: 500, wallMs: 12, ownMs: 12 }]);
    expect(beyondFloor(main, stalls([]))).toEqual({ maxMs: 12, over5ms: 1 });
    expect(beyondFloor(main, stalls([{ endAt: 510, wallMs: 40, ownMs: 40 }]))).toEqual({ maxMs: 0, over5ms: 0 });
  });

  it('is not known (NaN) where either window could not measure its own time, rather than a window without stalls', () => {
    const unmeasured: LoopStalls = { ...stalls([]), ownMaxMs: Number.NaN };
    const measured = stalls([{ endAt: 500, wallMs: 12, ownMs: 12 }]);
    expect(beyondFloor(unmeasured, stalls([]))).toEqual({ maxMs: Number.NaN, over5ms: Number.NaN });
    expect(beyondFloor(measured, unmeasured)).toEqual({ maxMs: Number.NaN, over5ms: Number.NaN });
  });
});

describe('the idle process', () => {
  it('answers one window after another from one process, its clock comparable with this one’s', async () => {
    const idle = await startIdleProcess();
    try {
      for (let window = 0; window < 2; window += 1) {
        const before = performance.timeOrigin + performance.now();
        const watch = await idle.watch();
        await new Promise((resolve) => setTimeout(resolve, 300));
        const figures = await watch.stop();
        const after = performance.timeOrigin + performance.now();
        expect(figures.wallMs).toBeGreaterThan(250);
        expect(figures.wallMs).toBeLessThan(after - before);
        for (const section of figures.sections) {
          expect(section.endAt).toBeGreaterThan(before);
          expect(section.endAt).toBeLessThan(after);
        }
      }
    } finally {
      await idle.close();
    }
  });
});
