/**
 * The main thread's own stalls, measured so that a loaded machine does not count against it.
 *
 * A 1 ms timer ticks on the event loop; between two ticks the loop ran one stretch of synchronous
 * work (plus the timer's own turn). The wall-clock gap between ticks is what a request waiting
 * behind that work saw, but on a shared machine it also holds the time the OS kept the thread off
 * the CPU. The thread's own on-CPU time between the same ticks (Linux: `/proc/thread-self/schedstat`,
 * nanoseconds, read with one pread per tick) is only the work: the longest such gap is the longest
 * synchronous section the thread ran, whatever the machine's load. Also kept: the thread's CPU time
 * over the whole window and the event loop's utilisation (`performance.eventLoopUtilization`).
 * Compare a window with the work under test against one with the same load without it.
 * Not modelled: other platforms (no per-thread CPU clock there: the CPU figures are NaN).
 * Cost: one timer turn and one pread of a few bytes per ms.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export interface LoopStalls {
  /** Longest wall-clock gap between ticks, less the 1 ms interval. */
  readonly wallMaxMs: number;
  /** Longest on-CPU time of this thread between two ticks: its longest synchronous section. */
  readonly cpuMaxMs: number;
  /** Gaps whose on-CPU time exceeded 5 ms. */
  readonly cpuOver5ms: number;
  /** The first 20 of those: when they ended (ms since the window opened) and their on-CPU time. */
  readonly over5ms: readonly { readonly atMs: number; readonly cpuMs: number }[];
  /** This thread's CPU time over the window. */
  readonly cpuMs: number;
  readonly wallMs: number;
  /** Event-loop utilisation over the window (0..1). */
  readonly elu: number;
}

/** This thread's CPU time so far in ms (Linux; NaN elsewhere). */
export function threadCpuMs(): number {
  try {
    const text = readFileSync('/proc/thread-self/schedstat', 'latin1');
    return Number(text.slice(0, text.indexOf(' '))) / 1e6;
  } catch {
    return Number.NaN;
  }
}

/** Starts watching this thread's event loop; `stop()` ends the window and returns its figures. */
export function watchLoopStalls(): { stop(): LoopStalls } {
  let fd: number | undefined;
  try {
    fd = openSync('/proc/thread-self/schedstat', 'r');
  } catch {
    fd = undefined;
  }
  const buffer = Buffer.alloc(128);
  const cpuNs = (): number => {
    if (fd === undefined) return Number.NaN;
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    const text = buffer.toString('latin1', 0, n);
    return Number(text.slice(0, text.indexOf(' ')));
  };
  const elu0: EventLoopUtilization = performance.eventLoopUtilization();
  const wall0 = performance.now();
  const cpu0 = cpuNs();
  let wallMaxMs = 0;
  let cpuMaxNs = 0;
  let cpuOver5ms = 0;
  const over5ms: { atMs: number; cpuMs: number }[] = [];
  let lastWall = wall0;
  let lastCpu = cpu0;
  const timer = setInterval(() => {
    const wall = performance.now();
    const cpu = cpuNs();
    wallMaxMs = Math.max(wallMaxMs, wall - lastWall - 1);
    const spent = cpu - lastCpu;
    if (spent > cpuMaxNs) cpuMaxNs = spent;
    if (spent > 5e6 && ++cpuOver5ms <= 20) over5ms.push({ atMs: wall - wall0, cpuMs: spent / 1e6 });
    lastWall = wall;
    lastCpu = cpu;
  }, 1);
  return {
    stop(): LoopStalls {
      clearInterval(timer);
      const wallMs = performance.now() - wall0;
      const cpuMs = (cpuNs() - cpu0) / 1e6;
      if (fd !== undefined) closeSync(fd);
      const elu = performance.eventLoopUtilization(elu0).utilization;
      return { wallMaxMs, cpuMaxMs: fd === undefined ? Number.NaN : cpuMaxNs / 1e6, cpuOver5ms, over5ms, cpuMs, wallMs, elu };
    },
  };
}
