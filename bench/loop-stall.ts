/**
 * The main thread's own stalls, measured so that a loaded machine does not count against it.
 *
 * A 1 ms timer ticks on the event loop; between two ticks the loop ran one stretch of work (plus
 * the timer's own turn). The wall-clock gap between ticks is what a request waiting behind that
 * work saw, but on a shared machine it also holds the time the OS ran other threads. Two figures
 * per gap leave that out, both from `/proc/thread-self/schedstat` (Linux, nanoseconds, one pread
 * per tick): its first field, the thread's on-CPU time, and its second, the time the thread waited
 * on a run queue (runnable, while the OS ran something else).
 * - own time = wall gap − run-queue wait − the 1 ms interval: the time the thread itself spent,
 *   running or blocked in a system call (a disk write, an fsync inside a commit on the loop). It is
 *   what a request behind the section waited, less what the machine's other work took. The wait is
 *   added each time the thread gets a CPU back, so the figure is exact to the timer's jitter.
 * - on-CPU time: the running part only; but the kernel adds a running thread's time at each
 *   scheduler tick (4 ms at 250 Hz) or switch, so between two reads 1 ms apart it moves in steps of
 *   up to 4 ms: read it as ±4 ms. It misses a section blocked on the disk. Kept beside the other.
 * Also kept: the thread's CPU time over the whole window and the event loop's utilisation
 * (`performance.eventLoopUtilization`). Compare a window with the work under test against one with
 * the same load without it.
 * The machine's own floor (`startIdleProcess`): the same watch in a child process that does nothing
 * else, over the same window. Its sections are none of the code's: on a virtual machine whose
 * virtual CPU the host deschedules, the guest sees that time neither as a wait on its run queue nor
 * as another thread's, so it counts as own time, in every process alike. A figure under the goal
 * can only be observed where this floor is under it too.
 * Not modelled: other platforms (no per-thread CPU clock there: the CPU figures are NaN).
 * Cost: one timer turn and one pread of a few bytes per ms.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { serveParent, startChild } from './child-process-kit.js';

export interface Section {
  readonly endAt: number;
  readonly wallMs: number;
  readonly ownMs: number;
}

export interface LoopStalls {
  /** Longest own time between ticks (wall gap less run-queue wait, less the 1 ms interval): the longest section the thread ran or blocked. */
  readonly ownMaxMs: number;
  /** Gaps whose own time exceeded 5 ms. */
  readonly ownOver5ms: number;
  /** The first 20 of those: when they ended (ms since the window opened) and their own time. */
  readonly ownOver5: readonly { readonly atMs: number; readonly ownMs: number }[];
  /** Longest wall-clock gap between ticks, less the 1 ms interval. */
  readonly wallMaxMs: number;
  /** Longest on-CPU time of this thread between two ticks (±4 ms, see the header). */
  readonly cpuMaxMs: number;
  /** Gaps whose on-CPU time exceeded 5 ms. */
  readonly cpuOver5ms: number;
  /** The first 20 of those: when they ended (ms since the window opened) and their on-CPU time. */
  readonly over5ms: readonly { readonly atMs: number; readonly cpuMs: number }[];
  /**
   * Every gap whose own time passed 5 ms, and the first 5,000 of 1–5 ms: when it ended, in Unix ms
   * (`performance.timeOrigin` + now, comparable across processes), its wall time less the 1 ms
   * interval, and its own time. What `beyondFloor` compares.
   */
  readonly sections: readonly Section[];
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

/**
 * This thread's `/proc/thread-self/schedstat`, read on demand with one pread: `read()` updates
 * `cpuNs` (on-CPU time) and `waitNs` (time runnable but waiting for a CPU); both NaN where the file
 * is missing (not Linux). `close()` when done.
 */
export class ThreadSchedstat {
  cpuNs = Number.NaN;
  waitNs = Number.NaN;
  private fd: number | undefined;
  private readonly buffer = Buffer.alloc(128);

  constructor() {
    try {
      this.fd = openSync('/proc/thread-self/schedstat', 'r');
    } catch {
      this.fd = undefined;
    }
    this.read();
  }

  get available(): boolean {
    return this.fd !== undefined;
  }

  read(): void {
    if (this.fd === undefined) return;
    const n = readSync(this.fd, this.buffer, 0, this.buffer.length, 0);
    const text = this.buffer.toString('latin1', 0, n);
    const space = text.indexOf(' ');
    this.cpuNs = Number(text.slice(0, space));
    this.waitNs = Number(text.slice(space + 1, text.indexOf(' ', space + 1)));
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Starts watching this thread's event loop; `stop()` ends the window and returns its figures. */
export function watchLoopStalls(): { stop(): LoopStalls } {
  const stat = new ThreadSchedstat();
  // One read gives both fields: on-CPU ns, then run-queue wait ns.
  const cpuNs = (): number => {
    stat.read();
    return stat.cpuNs;
  };
  const elu0: EventLoopUtilization = performance.eventLoopUtilization();
  const wall0 = performance.now();
  const cpu0 = cpuNs();
  let wallMaxMs = 0;
  let cpuMaxNs = 0;
  let cpuOver5ms = 0;
  const over5ms: { atMs: number; cpuMs: number }[] = [];
  let ownMaxMs = 0;
  let ownOver5ms = 0;
  const ownOver5: { atMs: number; ownMs: number }[] = [];
  const sections: Section[] = [];
  let lastWall = wall0;
  let lastCpu = cpu0;
  let lastWait = stat.waitNs;
  const timer = setInterval(() => {
    const wall = performance.now();
    const cpu = cpuNs();
    wallMaxMs = Math.max(wallMaxMs, wall - lastWall - 1);
    const own = wall - lastWall - (stat.waitNs - lastWait) / 1e6 - 1;
    if (own > ownMaxMs) ownMaxMs = own;
    if (own > 5 && ++ownOver5ms <= 20) ownOver5.push({ atMs: wall - wall0, ownMs: own });
    // Every section over 5 ms is kept (what beyondFloor reports on); of the shorter ones, the first 5,000.
    if (own > 5 || (own > 1 && sections.length < 5_000)) sections.push({ endAt: performance.timeOrigin + wall, wallMs: wall - lastWall - 1, ownMs: own });
    lastWait = stat.waitNs;
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
      const measured = stat.available;
      stat.close();
      const elu = performance.eventLoopUtilization(elu0).utilization;
      return { ownMaxMs: measured ? ownMaxMs : Number.NaN, ownOver5ms, ownOver5, sections, wallMaxMs, cpuMaxMs: measured ? cpuMaxNs / 1e6 : Number.NaN, cpuOver5ms, over5ms, cpuMs, wallMs, elu };
    },
  };
}

/**
 * The sections of `main` less what the machine took from every process at the same moments: each
 * section's own time less the idle process's stalls that overlap it (each overlap weighted by that
 * stall's own share of its gap, since where in a gap its own time fell is not known). An estimate,
 * to read beside the raw figure: a section of the code's own that happens to coincide with one of
 * the machine's is shortened by it. NaN where either window's own time was not measured.
 */
export function beyondFloor(main: LoopStalls, floor: LoopStalls): { readonly maxMs: number; readonly over5ms: number } {
  // A window whose own time was not measured (no schedstat: not Linux) has no sections: not a
  // window without stalls.
  if (Number.isNaN(main.ownMaxMs) || Number.isNaN(floor.ownMaxMs)) return { maxMs: Number.NaN, over5ms: Number.NaN };
  let maxMs = 0;
  let over5ms = 0;
  for (const section of main.sections) {
    if (section.ownMs <= 5 && section.ownMs <= maxMs) continue;
    const from = section.endAt - section.wallMs;
    let machine = 0;
    for (const stall of floor.sections) {
      const overlap = Math.min(section.endAt, stall.endAt) - Math.max(from, stall.endAt - stall.wallMs);
      if (overlap > 0 && stall.wallMs > 0) machine += overlap * (stall.ownMs / stall.wallMs);
    }
    const own = Math.max(0, section.ownMs - machine);
    if (own > maxMs) maxMs = own;
    if (own > 5) over5ms += 1;
  }
  return { maxMs, over5ms };
}

/** The idle process: asked 'start', it watches its own loop; asked 'stop', it answers with the window's figures. */
export interface IdleProcess {
  /** Starts a window; `stop()` ends it with the idle process's figures. */
  watch(): Promise<{ stop(): Promise<LoopStalls> }>;
  close(): Promise<void>;
}

/**
 * The machine's floor: `watchLoopStalls` in a child process that does nothing else. Start it before
 * the code under test exists (child-process-kit.ts: a fork leaves the forking process's pages
 * copy-on-write) and open a window over each measured one.
 */
export async function startIdleProcess(): Promise<IdleProcess> {
  const child = await startChild<'start' | 'stop', 'watching' | LoopStalls>(fileURLToPath(import.meta.url), '--idle-watch');
  return {
    watch: async () => {
      await child.ask('start');
      return { stop: async () => (await child.ask('stop')) as LoopStalls };
    },
    close: () => child.close(),
  };
}

if (process.argv.includes('--idle-watch') && process.send !== undefined) {
  let watch: { stop(): LoopStalls } | undefined;
  serveParent<'start' | 'stop', 'watching' | LoopStalls>((job) => {
    if (job === 'start') {
      watch = watchLoopStalls();
      return 'watching';
    }
    const stalls = watch!.stop();
    watch = undefined;
    return stalls;
  });
}
