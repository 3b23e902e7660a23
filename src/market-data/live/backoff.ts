/** Exponential backoff for reconnects: base × 2^attempt, capped, reset after a success. */
export interface BackoffOptions {
  readonly baseMs?: number;
  readonly maxMs?: number;
}

export class Backoff {
  private attempt = 0;
  readonly baseMs: number;
  readonly maxMs: number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 250;
    this.maxMs = options.maxMs ?? 30_000;
  }

  /** The delay before the next attempt; each call doubles the following one. */
  nextDelay(): number {
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return delay;
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
