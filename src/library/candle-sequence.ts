/**
 * What `processCandles` has already replayed for one account and symbol, so that each candle is
 * replayed once however the caller hands them over (all at once, growing windows, rolling windows).
 *
 * Rules (docs/adr/0026-candles-once-and-numbers-that-add-up.md):
 * - a batch is oldest first with strictly increasing open times;
 * - a candle at or before the last one replayed is skipped, provided it agrees with the one seen at
 *   that open time (same open, high, low, close, volume as numbers); one that contradicts it is an error;
 * - a batch that does not reach back to the last candle replayed must start one interval after it
 *   (the series' interval: the shortest step it has shown), else candles were missed: an error. Within
 *   a batch, and after the last candle replayed when the batch includes it, the series is as given
 *   (a minute without trades has no candle in most exchanges' files);
 * - a batch with an error is refused whole: nothing of it is replayed;
 * - `accept` only plans: the candles count as replayed once `commit` records them, so that a replay
 *   that stops part-way (a strategy's LookAheadError) leaves the rest to a later batch.
 * Cost: a reference to each batch's new candles, kept as the batch gave them (memory grows with the
 * series, nothing is written per candle); a candle that comes again is found by a binary search, and
 * its canonical string is written only then or when the state is exported.
 */
import { formatFixed, parseFixed } from '../core/money/fixed.js';
import type { Candle } from '../strategy/candles.js';

export class CandleSequenceError extends Error {
  constructor(
    readonly code: 'CANDLE_ORDER' | 'CANDLE_CONFLICT' | 'CANDLE_GAP',
    message: string,
  ) {
    super(message);
    this.name = 'CandleSequenceError';
  }
}

/** What `accept` plans to replay; `commit` records it. */
export interface AcceptedCandles {
  readonly candles: readonly Candle[];
  /** The series' interval once these candles are replayed (the step before the next batch's first). */
  readonly intervalMs: number | undefined;
  /** The step from the candle before each one (in the batch or already replayed), if any. */
  readonly steps: readonly (number | undefined)[];
}

export interface CandleSequenceState {
  readonly last: number | undefined;
  readonly interval: number | undefined;
  readonly seen: readonly (readonly [number, string])[];
}

function canonical(c: Candle): string {
  const n = (v: string): string => formatFixed(parseFixed(v));
  return [n(c.open), n(c.high), n(c.low), n(c.close), n(c.volume)].join(',');
}

export class CandleSequence {
  private last: number | undefined;
  private interval: number | undefined;
  /** Open time → the canonical string of a candle replayed before an import. */
  private readonly imported = new Map<number, string>();
  /** The candles replayed since, as runs of increasing open time, each after the one before (each a batch's new candles). */
  private readonly runs: (readonly Candle[])[] = [];

  /** The series' interval once two candles have been replayed. */
  get intervalMs(): number | undefined {
    return this.interval;
  }

  /**
   * The candles of `batch` not replayed yet, in order, and the series' interval with them; throws
   * CandleSequenceError on a bad batch. Changes nothing: `commit` records what was replayed.
   */
  accept(batch: readonly Candle[]): AcceptedCandles {
    const fresh: Candle[] = [];
    const steps: (number | undefined)[] = [];
    let previous: number | undefined;
    let interval = this.interval;
    // A batch that reaches back to the last candle replayed shows what follows it; one that does not
    // must start right after it, or candles were missed.
    const anchored = this.last !== undefined && batch.some((c) => c.openTime === this.last);
    for (const candle of batch) {
      const t = candle.openTime;
      if (previous !== undefined && t <= previous) {
        throw new CandleSequenceError('CANDLE_ORDER', `candles must be oldest first with increasing open times: ${t} after ${previous}`);
      }
      if (this.last !== undefined && t <= this.last) {
        const seen = this.find(t);
        const known = seen === undefined ? this.imported.get(t) : canonical(seen);
        if (known !== undefined && known !== canonical(candle)) {
          throw new CandleSequenceError('CANDLE_CONFLICT', `the candle at ${t} differs from the one already processed (${known} ≠ ${canonical(candle)})`);
        }
        previous = t;
        continue;
      }
      const before = previous ?? this.last;
      let step: number | undefined;
      if (before !== undefined) {
        step = t - before;
        if (fresh.length === 0 && !anchored && previous === undefined && interval !== undefined && step !== interval) {
          throw new CandleSequenceError('CANDLE_GAP', `candles missing between ${before} and ${t} (interval ${interval} ms): hand over the candles since the last one processed`);
        }
        if (interval === undefined || step < interval) interval = step;
      }
      fresh.push(candle);
      steps.push(step);
      previous = t;
    }
    return { candles: fresh, intervalMs: interval, steps };
  }

  /** Records the first `count` candles of an accepted batch as replayed (all of them by default). */
  commit(accepted: AcceptedCandles, count = accepted.candles.length): void {
    const n = Math.min(count, accepted.candles.length);
    if (n <= 0) return;
    const run = n === accepted.candles.length ? accepted.candles : accepted.candles.slice(0, n);
    this.runs.push(run);
    this.last = run[n - 1]!.openTime;
    // The interval as those candles alone show it: a step to a candle not replayed is not part of the series yet.
    for (let i = 0; i < n; i += 1) {
      const step = accepted.steps[i];
      if (step !== undefined && (this.interval === undefined || step < this.interval)) this.interval = step;
    }
  }

  /** The candle replayed at `t` since the import, if any: the last run that starts at or before `t`, then a binary search in it. */
  private find(t: number): Candle | undefined {
    for (let r = this.runs.length - 1; r >= 0; r -= 1) {
      const run = this.runs[r]!;
      if (run[0]!.openTime > t) continue;
      let lo = 0;
      let hi = run.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const at = run[mid]!.openTime;
        if (at === t) return run[mid];
        if (at < t) lo = mid + 1;
        else hi = mid - 1;
      }
      return undefined;
    }
    return undefined;
  }

  exportState(): CandleSequenceState {
    const seen: (readonly [number, string])[] = [...this.imported];
    for (const run of this.runs) for (const c of run) seen.push([c.openTime, canonical(c)]);
    return { last: this.last, interval: this.interval, seen };
  }

  static from(state: CandleSequenceState): CandleSequence {
    const s = new CandleSequence();
    s.last = state.last;
    s.interval = state.interval;
    for (const [t, c] of state.seen) s.imported.set(t, c);
    return s;
  }
}
