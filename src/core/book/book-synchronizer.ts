/**
 * Keeps an L2 book in step with the exchange, following Binance's documented procedure
 * ("How to manage a local order book correctly", spot and USD-M):
 *
 * - deltas that arrive before the snapshot are buffered;
 * - on the snapshot, buffered deltas with `u <= lastUpdateId` (spot) or `u < lastUpdateId` (USD-M)
 *   are dropped as stale;
 * - the first applied delta must straddle the snapshot: spot `U <= lastUpdateId + 1 <= u`,
 *   USD-M `U <= lastUpdateId <= u`;
 * - then strict chaining: spot `U == previous u + 1`, USD-M `pu == previous u`.
 *
 * Guarantees: a gap, a snapshot older than its deltas, or a crossed book puts the book in
 * `resync-needed` and it stays unusable until a new snapshot chains again; nothing is papered over.
 * While not synced, deltas keep being buffered (bounded) so that the next snapshot can resume.
 * Cost: O(levels changed) per delta, plus the book's own costs.
 */
import { DecimalLevels } from './decimal-levels.js';
import { OrderBook, setLevels, type Level, type Levels } from './order-book.js';

export type SequenceMode = 'spot' | 'usdm';
export type SyncStatus = 'awaiting-snapshot' | 'synced' | 'resync-needed';

export interface DepthSnapshot {
  readonly lastUpdateId: number;
  readonly bids: Levels;
  readonly asks: Levels;
}

export interface DepthDelta {
  /** First update id in the event (`U`). */
  readonly firstUpdateId: number;
  /** Final update id in the event (`u`). */
  readonly finalUpdateId: number;
  /** Final update id of the previous event (`pu`, USD-M only). */
  readonly previousFinalUpdateId?: number;
  readonly bids: Levels;
  readonly asks: Levels;
}

/** A buffered delta: its levels copied as Fixed pairs (the reader may reuse what it passed). */
interface BufferedDelta extends DepthDelta {
  readonly bids: readonly Level[];
  readonly asks: readonly Level[];
}

/** What one input did to the book. */
export type SyncOutcome =
  | { readonly kind: 'applied'; readonly changed: ChangedLevels; readonly resynced: boolean }
  | { readonly kind: 'buffered' }
  | { readonly kind: 'stale' }
  | { readonly kind: 'gap'; readonly reason: string };

/**
 * The levels an applied delta stated: the delta's own levels, valid until the reader passes the
 * next input. Empty after a snapshot (every level was stated).
 */
export interface ChangedLevels {
  readonly bids: Levels;
  readonly asks: Levels;
}

const NONE: ChangedLevels = { bids: [], asks: [] };

export interface SynchronizerState {
  readonly status: SyncStatus;
  readonly lastUpdateId: number;
  readonly reason: string;
  readonly buffer: readonly BufferedDelta[];
  readonly bids: readonly Level[];
  readonly asks: readonly Level[];
}

const MAX_BUFFER = 20_000;

export class BookSynchronizer {
  readonly book: OrderBook;
  private state: SyncStatus = 'awaiting-snapshot';
  private lastUpdateId = -1;
  private readonly buffer: BufferedDelta[] = [];
  private lastReason = '';

  constructor(
    symbol: string,
    readonly mode: SequenceMode,
  ) {
    this.book = new OrderBook(symbol);
  }

  get status(): SyncStatus {
    return this.state;
  }

  get updateId(): number {
    return this.lastUpdateId;
  }

  /** Why the book last lost sync; empty when it never did. */
  get reason(): string {
    return this.lastReason;
  }

  onDelta(delta: DepthDelta): SyncOutcome {
    if (this.state !== 'synced') {
      this.buffer.push(copied(delta));
      if (this.buffer.length > MAX_BUFFER) this.buffer.shift();
      return { kind: 'buffered' };
    }
    if (this.isStale(delta, this.lastUpdateId)) return { kind: 'stale' };
    const chainError = this.chainError(delta);
    if (chainError !== undefined) return this.lose(chainError, copied(delta));
    this.apply(delta);
    if (this.book.isCrossed()) return this.lose(`book crossed after update ${delta.finalUpdateId}`);
    return { kind: 'applied', changed: { bids: delta.bids, asks: delta.asks }, resynced: false };
  }

  onSnapshot(snapshot: DepthSnapshot): SyncOutcome {
    this.book.replace(snapshot.bids, snapshot.asks);
    this.lastUpdateId = snapshot.lastUpdateId;
    const pending = this.buffer.splice(0).filter((d) => !this.isStale(d, snapshot.lastUpdateId));
    const first = pending[0];
    if (first !== undefined && !this.straddles(first, snapshot.lastUpdateId)) {
      this.buffer.push(...pending);
      return this.lose(
        `snapshot ${snapshot.lastUpdateId} is older than the buffered deltas (first U=${first.firstUpdateId})`,
      );
    }
    this.state = 'synced';
    this.lastReason = '';
    for (const [i, delta] of pending.entries()) {
      if (i > 0) {
        const chainError = this.chainError(delta);
        if (chainError !== undefined) {
          this.buffer.push(...pending.slice(i));
          return this.lose(chainError);
        }
      }
      this.apply(delta);
    }
    if (this.book.isCrossed()) return this.lose(`book crossed after snapshot ${snapshot.lastUpdateId}`);
    return { kind: 'applied', changed: NONE, resynced: true };
  }

  exportState(): SynchronizerState {
    return {
      status: this.state,
      lastUpdateId: this.lastUpdateId,
      reason: this.lastReason,
      buffer: this.buffer.map((d) => ({ ...d })),
      bids: [...this.book.bids.levels()],
      asks: [...this.book.asks.levels()],
    };
  }

  importState(state: SynchronizerState): void {
    this.book.replace(state.bids, state.asks);
    this.state = state.status;
    this.lastUpdateId = state.lastUpdateId;
    this.lastReason = state.reason;
    this.buffer.splice(0, this.buffer.length, ...state.buffer);
  }

  /**
   * Marks a synced book unusable (e.g. the feed went silent or reconnected); a snapshot restores it.
   * Returns the gap it caused, or undefined when the book was not synced (nothing changes).
   */
  invalidate(reason: string): SyncOutcome | undefined {
    if (this.state !== 'synced') return undefined;
    return this.lose(reason);
  }

  private lose(reason: string, pending?: BufferedDelta): SyncOutcome {
    this.state = 'resync-needed';
    this.lastReason = reason;
    if (pending !== undefined) this.buffer.push(pending);
    return { kind: 'gap', reason };
  }

  private isStale(delta: DepthDelta, lastUpdateId: number): boolean {
    return this.mode === 'spot' ? delta.finalUpdateId <= lastUpdateId : delta.finalUpdateId < lastUpdateId;
  }

  private straddles(delta: DepthDelta, lastUpdateId: number): boolean {
    return this.mode === 'spot'
      ? delta.firstUpdateId <= lastUpdateId + 1 && lastUpdateId + 1 <= delta.finalUpdateId
      : delta.firstUpdateId <= lastUpdateId && lastUpdateId <= delta.finalUpdateId;
  }

  private chainError(delta: DepthDelta): string | undefined {
    if (this.mode === 'spot') {
      if (delta.firstUpdateId !== this.lastUpdateId + 1) {
        return `sequence gap: expected U=${this.lastUpdateId + 1}, got U=${delta.firstUpdateId}`;
      }
      return undefined;
    }
    if (delta.previousFinalUpdateId !== this.lastUpdateId) {
      return `sequence gap: expected pu=${this.lastUpdateId}, got pu=${String(delta.previousFinalUpdateId)}`;
    }
    return undefined;
  }

  private apply(delta: DepthDelta): void {
    setLevels(this.book.bids, delta.bids);
    setLevels(this.book.asks, delta.asks);
    this.lastUpdateId = delta.finalUpdateId;
  }
}

function copied(delta: DepthDelta): BufferedDelta {
  const bids = delta.bids instanceof DecimalLevels ? delta.bids.toLevels() : delta.bids;
  const asks = delta.asks instanceof DecimalLevels ? delta.asks.toLevels() : delta.asks;
  return { ...delta, bids, asks };
}
