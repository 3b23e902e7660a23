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
 * - a batch with an error is refused whole: nothing of it is replayed.
 * Cost: a reference to each candle seen (memory grows with the series); its canonical string is
 * written only when a candle comes again or the state is exported.
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
  /** Open time → the candle replayed there (or its canonical string, after an import). */
  private readonly seen = new Map<number, Candle | string>();

  /** The series' interval once two candles have been replayed. */
  get intervalMs(): number | undefined {
    return this.interval;
  }

  /** The candles of `batch` not replayed yet, in order; throws CandleSequenceError (and keeps its state) on a bad batch. */
  accept(batch: readonly Candle[]): Candle[] {
    const fresh: Candle[] = [];
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
        const seen = this.seen.get(t);
        const known = seen === undefined || typeof seen === 'string' ? seen : canonical(seen);
        if (known !== undefined && known !== canonical(candle)) {
          throw new CandleSequenceError('CANDLE_CONFLICT', `the candle at ${t} differs from the one already processed (${known} ≠ ${canonical(candle)})`);
        }
        previous = t;
        continue;
      }
      const before = previous ?? this.last;
      if (before !== undefined) {
        const step = t - before;
        if (fresh.length === 0 && !anchored && previous === undefined && interval !== undefined && step !== interval) {
          throw new CandleSequenceError('CANDLE_GAP', `candles missing between ${before} and ${t} (interval ${interval} ms): hand over the candles since the last one processed`);
        }
        if (interval === undefined || step < interval) interval = step;
      }
      fresh.push(candle);
      previous = t;
    }
    for (const c of fresh) this.seen.set(c.openTime, c);
    if (fresh.length > 0) this.last = fresh[fresh.length - 1]!.openTime;
    this.interval = interval;
    return fresh;
  }

  exportState(): CandleSequenceState {
    return { last: this.last, interval: this.interval, seen: [...this.seen].map(([t, c]) => [t, typeof c === 'string' ? c : canonical(c)] as const) };
  }

  static from(state: CandleSequenceState): CandleSequence {
    const s = new CandleSequence();
    s.last = state.last;
    s.interval = state.interval;
    for (const [t, c] of state.seen) s.seen.set(t, c);
    return s;
  }
}
