/**
 * What the kernel benchmarks share: interleaved timing, the goal table, and the results file.
 *
 * Method: warm-up rounds first, then interleaved rounds (each contender once per round, in turn);
 * the figure is the median round, so that other work on a shared machine hits every contender alike.
 * The warm-up is long enough for the steady state a long run works at (V8 compiles the hot code in
 * tiers over the first passes; docs/adr/0054); the first round's time is kept beside the figure.
 * Time is the process's CPU time (user + system, `process.cpuUsage`): on a shared machine the wall
 * clock also counts the time other processes held the cores. The work is single-threaded, so on an
 * idle machine the two agree; the CPU time also counts the garbage collector's helper threads, which
 * only makes the figures more cautious.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * For the paired scripts (old code against new in one process): the checkout named by BENCH_BASE
 * and this one, as absolute roots, and `at(root, path)` importing a module of either. Throws when
 * BENCH_BASE is not set.
 */
export function comparedRoots(): { readonly base: string; readonly here: string } {
  const base = process.env.BENCH_BASE;
  if (base === undefined) throw new Error('BENCH_BASE: a checkout of the code to compare with');
  return { base: resolve(base), here: resolve(import.meta.dirname, '..') };
}

export const at = (root: string, path: string): Promise<unknown> => import(pathToFileURL(join(root, path)).href);

/**
 * Both checkouts loaded by `load`, the base first unless BENCH_NEW_FIRST=1 (the loading order can
 * favour one side: run both orders).
 */
export async function loadPair<T>(load: (root: string) => Promise<T>): Promise<{ readonly oldCode: T; readonly newCode: T }> {
  const { base, here } = comparedRoots();
  const newFirst = process.env.BENCH_NEW_FIRST === '1';
  const first = await load(newFirst ? here : base);
  const second = await load(newFirst ? base : here);
  return newFirst ? { oldCode: second, newCode: first } : { oldCode: first, newCode: second };
}

/** The median of `xs` (the mean of the two middle values of an even count). */
export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** CPU time of this process so far, in ms. */
export function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

export interface Contender {
  readonly name: string;
  /** Untimed set-up; returns the work to time. */
  readonly prepare: () => () => void;
}

export interface Timing {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** The first round's time, warm-up included: the code as cold as this process left it. */
  readonly firstMs: number;
}

export interface Rounds {
  readonly warmup: number;
  readonly rounds: number;
  readonly repeat: number;
}

/** Milliseconds per run for each contender: median (and range) of `rounds` interleaved samples of `repeat` runs, after `warmup` rounds. */
export function measure(contenders: readonly Contender[], o: Rounds): Timing[] {
  const samples = contenders.map((): number[] => []);
  const first = contenders.map(() => Number.NaN);
  for (let round = 0; round < o.warmup + o.rounds; round += 1) {
    contenders.forEach((contender, i) => {
      let ms = 0;
      for (let r = 0; r < o.repeat; r += 1) {
        const work = contender.prepare();
        const start = cpuMs();
        work();
        ms += cpuMs() - start;
      }
      if (round === 0) first[i] = ms / o.repeat;
      if (round >= o.warmup) samples[i]!.push(ms / o.repeat);
    });
  }
  return samples.map((s, i) => {
    const sorted = [...s].sort((a, b) => a - b);
    return { medianMs: sorted[sorted.length >> 1]!, minMs: sorted[0]!, maxMs: sorted[sorted.length - 1]!, firstMs: first[i]! };
  });
}

export const perSecond = (count: number, ms: number): number => Math.round((count * 1000) / ms);
export const n = (x: number): string => x.toLocaleString('en');
export const ms = (t: Timing): string => `${t.medianMs.toFixed(1)} (${t.minMs.toFixed(1)}–${t.maxMs.toFixed(1)})`;

/** A plain-text table: first column left-aligned, the rest right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** One line of the goal table, measured in this run. */
export interface GoalLine {
  readonly what: string;
  /** The figure, as printed (with its unit). */
  readonly figure: string;
  /** The peer or baseline measured in the same run, as printed; '' when the goal is absolute. */
  readonly peer: string;
  /** Ours ÷ peer where a peer ran (higher is better), else undefined. */
  readonly ratio: number | undefined;
  readonly goal: string;
  readonly met: boolean;
}

export function goalTable(lines: readonly GoalLine[]): string {
  return table(
    ['goal line', 'measured', 'peer / baseline in this run', 'ratio', 'goal', 'met'],
    lines.map((l) => [l.what, l.figure, l.peer, l.ratio === undefined ? '' : `${l.ratio < 0.1 ? l.ratio.toPrecision(2) : l.ratio.toFixed(2)}×`, l.goal, l.met ? 'yes' : 'no']),
  );
}
