/**
 * A back-off on failed authentications, per client address: after `failureLimit` wrong keys or
 * signatures, the address is refused (429) for `backoffMs`, twice as long after each further
 * failure, at most `maxBackoffMs`. While refused, no key it sends is even checked, so guessing
 * keys costs time, not only requests.
 *
 * Guarantees: an address that stops failing is forgotten `maxBackoffMs` after its last failure; a
 * success does not wipe the count (a holder of one valid key cannot interleave it to keep guessing
 * the admin key); memory is bounded (`maxTracked` addresses, the oldest dropped first).
 * Not modelled: a shared proxy address (set no proxy trust; all clients behind it share one count).
 */
export interface AuthThrottleOptions {
  /** Failures allowed before the first refusal (0 = no back-off at all). */
  readonly failureLimit: number;
  /** The first refusal's length; each further failure doubles it. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly maxTracked?: number;
}

interface Entry {
  failures: number;
  lastFailureAt: number;
  blockedUntil: number;
}

export class AuthThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly options: AuthThrottleOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.options.failureLimit > 0;
  }

  /** Milliseconds this address must still wait, or 0 when it may try. */
  retryAfterMs(address: string): number {
    const entry = this.live(address);
    if (entry === undefined) return 0;
    return Math.max(0, entry.blockedUntil - this.clock());
  }

  /** Records a wrong key or signature from this address. */
  failed(address: string): void {
    if (!this.enabled) return;
    const now = this.clock();
    const entry = this.live(address) ?? { failures: 0, lastFailureAt: now, blockedUntil: 0 };
    entry.failures += 1;
    entry.lastFailureAt = now;
    const over = entry.failures - this.options.failureLimit;
    if (over >= 0) entry.blockedUntil = now + Math.min(this.options.maxBackoffMs, this.options.backoffMs * 2 ** Math.min(over, 40));
    this.entries.delete(address);
    this.entries.set(address, entry);
    const cap = this.options.maxTracked ?? 100_000;
    while (this.entries.size > cap) this.entries.delete(this.entries.keys().next().value!);
  }

  /** The entry, unless it has been quiet long enough to be forgotten. */
  private live(address: string): Entry | undefined {
    const entry = this.entries.get(address);
    if (entry === undefined) return undefined;
    const now = this.clock();
    if (now - entry.lastFailureAt > this.options.maxBackoffMs && now >= entry.blockedUntil) {
      this.entries.delete(address);
      return undefined;
    }
    return entry;
  }
}
