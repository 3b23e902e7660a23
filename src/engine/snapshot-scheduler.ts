/**
 * When to snapshot: every `intervalMs` of wall time, and soon after a position opens or closes or
 * the engine otherwise wants one (at most once per `debounceMs`), like the seed's auto-save, which
 * now only shortens restarts.
 *
 * Guarantees: timers are unref'd (they never keep the process alive); a position change within
 * `debounceMs` of the last snapshot is folded into one snapshot at the end of that window; `stop()`
 * cancels everything pending. Errors from `take` go to `onError`.
 * Not modelled: durability. Snapshots are an optimisation; the journal alone restores everything.
 * Cost: one interval timer, at most one pending timeout.
 */
export class SnapshotScheduler {
  private interval: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private lastAt = Number.NEGATIVE_INFINITY;
  private stopped = false;

  constructor(
    private readonly take: () => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs: number,
    private readonly debounceMs: number,
  ) {
    for (const [name, ms] of [['snapshotIntervalMs', intervalMs], ['debounceMs', debounceMs]] as const) {
      if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`${name} must be a whole number of ms ≥ 0 (0: off), got ${ms}`);
    }
  }

  start(): void {
    if (this.stopped || this.interval !== undefined || this.intervalMs === 0) return;
    this.interval = setInterval(() => this.fire(), this.intervalMs);
    this.interval.unref();
  }

  /** Record that a snapshot was just taken (by the timer or by anyone else). */
  taken(): void {
    this.lastAt = Date.now();
  }

  /** A position opened or closed. */
  positionChanged(): void {
    if (this.debounceMs > 0) this.wanted();
  }

  /** A snapshot is wanted soon (a position changed, a long rollback tail): at most one per `debounceMs` (0: at once). */
  wanted(): void {
    if (this.stopped || this.debounce !== undefined) return;
    const wait = Math.max(0, this.lastAt + this.debounceMs - Date.now());
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.fire();
    }, wait);
    this.debounce.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.interval);
    clearTimeout(this.debounce);
    this.interval = undefined;
    this.debounce = undefined;
  }

  private fire(): void {
    if (this.stopped) return;
    this.take().catch((error: unknown) => this.onError(error));
  }
}
