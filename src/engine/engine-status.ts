/**
 * What the durable engine can do right now, and the error a submit gets when it cannot.
 *
 * - `restoring`: a restore runs (at start, or asked for); submits are refused until it is done;
 * - `ready`: inputs are journaled, applied and projected;
 * - `unavailable`: the database cannot be reached; submits are refused while the engine retries it
 *   with back-off, and it goes back to `ready` by itself once the database answers;
 * - `failed`: a failure that retrying cannot cure (a kernel error, a journal that disagrees with the
 *   kernel); only a restart, which rebuilds from what is durable, brings it back;
 * - `closed`.
 */
export type EngineState = 'restoring' | 'ready' | 'unavailable' | 'failed' | 'closed';

export interface EngineStatus {
  readonly state: EngineState;
  /** True only in `ready`: the engine can apply and persist. */
  readonly ready: boolean;
  /** Wall time (Unix ms) the engine entered this state. */
  readonly since: number;
  /** Why it is not ready (the last database error while unavailable). */
  readonly reason?: string;
  /** Database outages since the engine opened. */
  readonly outages: number;
}

/**
 * A submit the engine did not acknowledge because it cannot apply or persist now. HTTP answers it
 * with 503. `outcome` tells what became of the input:
 * - `not-applied`: it was refused before the journal (the database unreachable, a restore running,
 *   or, with the state `ready`, a new order while the read tables are too far behind), or its
 *   journal write failed before COMMIT.
 *   Nothing happened; the same submit may be sent again;
 * - `unknown`: the connection was lost at COMMIT. If the commit landed, the input is in the journal
 *   and the engine applies it as soon as the database answers again (a restart would too); if not,
 *   nothing happened. Look it up (an order by its clientOrderId) before sending it again.
 */
export class EngineUnavailableError extends Error {
  override readonly name = 'EngineUnavailableError';
  readonly code: 'UNAVAILABLE' | 'OVERLOADED' = 'UNAVAILABLE';

  constructor(
    readonly state: EngineState,
    message: string,
    readonly outcome: 'not-applied' | 'unknown' = 'not-applied',
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }

  /** True when the same submit may succeed later without a restart (refused while `ready`: the read tables were behind). */
  get retryable(): boolean {
    return this.state === 'unavailable' || this.state === 'restoring' || this.state === 'ready';
  }
}

/**
 * A new order refused, before the journal, while the read tables are too far behind the kernel
 * (`DurableEngineOptions.maxProjectionBacklog`): nothing was recorded; retry shortly. Code
 * `OVERLOADED`; Binance's dialects answer it as -1008, their "server is currently overloaded".
 */
export class ProjectionBehindError extends EngineUnavailableError {
  override readonly code = 'OVERLOADED';

  constructor(message: string) {
    super('ready', message, 'not-applied');
  }
}
