/**
 * A database outage as the durable engine lives through it: when it began, its last cause, and the
 * retry loop that ends it.
 *
 * Guarantees: one retry loop at a time (a second `begin` only records the newer cause); waits
 * between attempts double from `minMs` up to `maxMs`; an attempt that fails for want of a
 * connection (`isDatabaseUnavailable`) is retried, any other failure ends the outage through
 * `giveUp`; `end()` (the engine failed or closed) stops the loop at once. Timers are unref'd.
 * Not modelled: what an attempt does (the engine's catch-up) or whom to tell (its `changed` hook).
 */
import { isDatabaseUnavailable } from '../persistence/database.js';

export interface OutageHooks {
  /** One attempt to bring the engine back; throws while the database cannot be reached. */
  readonly attempt: () => Promise<void>;
  /** True once retrying is pointless (the engine closed or failed). */
  readonly stopped: () => boolean;
  /** An attempt failed for another reason than the database: the engine must stop. */
  readonly giveUp: (error: unknown) => void;
  /** The outage began (`ended` undefined) or ended (after `ended` ms). */
  readonly changed: (ended: number | undefined) => void;
}

export class DatabaseOutage {
  private current: { since: number; cause: unknown } | undefined;
  private began = 0;
  private wake: (() => void) | undefined;

  constructor(
    private readonly hooks: OutageHooks,
    private readonly minMs = 100,
    private readonly maxMs = 5_000,
  ) {
    for (const [name, ms] of [['minMs', minMs], ['maxMs', maxMs]] as const) {
      if (!Number.isSafeInteger(ms) || ms <= 0) throw new RangeError(`retry ${name} must be a whole number of ms > 0, got ${ms}`);
    }
  }

  get active(): boolean {
    return this.current !== undefined;
  }

  /** Wall time the outage began, while there is one. */
  get since(): number | undefined {
    return this.current?.since;
  }

  /** The last error that kept the database out of reach. */
  get cause(): unknown {
    return this.current?.cause;
  }

  /** Outages begun so far. */
  get count(): number {
    return this.began;
  }

  /** The database could not be reached: start retrying (or, during an outage, note the newer cause). */
  begin(cause: unknown): void {
    if (this.current !== undefined) {
      this.current.cause = cause;
      return;
    }
    this.current = { since: Date.now(), cause };
    this.began += 1;
    this.tell(undefined);
    void this.retry();
  }

  /** Forget the outage and stop retrying (the engine failed or closed). */
  end(): void {
    this.current = undefined;
    this.wake?.();
  }

  /** A listener that throws must not end the retry loop (or reach the process as an unhandled rejection). */
  private tell(ended: number | undefined): void {
    try {
      this.hooks.changed(ended);
    } catch (error) {
      console.error('papertrade: a database outage listener failed:', error);
    }
  }

  private async retry(): Promise<void> {
    let wait = this.minMs;
    for (;;) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        timer.unref();
        this.wake = () => (clearTimeout(timer), resolve());
      });
      this.wake = undefined;
      if (this.current === undefined || this.hooks.stopped()) return;
      try {
        await this.hooks.attempt();
      } catch (error) {
        if (this.current === undefined || this.hooks.stopped()) return;
        if (!isDatabaseUnavailable(error)) {
          this.current = undefined;
          return this.hooks.giveUp(error);
        }
        this.current.cause = error;
        wait = Math.min(wait * 2, this.maxMs);
        continue;
      }
      if (this.current === undefined || this.hooks.stopped()) return;
      const since = this.current.since;
      this.current = undefined;
      this.tell(Date.now() - since);
      return;
    }
  }
}
