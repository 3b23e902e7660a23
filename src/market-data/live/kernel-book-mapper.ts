/**
 * Turns the successive views of one live book into kernel book inputs.
 *
 * The mapping (see docs/adr/0010-live-market-data.md): ccxt keeps the exchange book and checks the
 * exchange's sequence itself; papertrade receives views of that book. The first view after a
 * (re)sync becomes a `book.snapshot`; every later view becomes a `book.delta` holding only the
 * levels that changed. Update ids are the exchange's own where ccxt exposes a rising nonce
 * (Binance: `u`, so kernel ids line up with the exchange's), otherwise synthetic; either way each
 * delta chains onto the previous input (`U = last + 1`, `pu = last`), for both sequence modes.
 *
 * `invalidate` produces a `book.invalidate` input: the kernel marks the book `resync-needed` and
 * computes no fill on it until the next snapshot, which this mapper makes of the next view.
 *
 * Guarantees: ids strictly increase; no input is produced for a crossed view (the caller resyncs).
 */
import type { BookDeltaInput, BookInvalidateInput, BookSnapshotInput } from '../../core/kernel/inputs.js';
import { diffSide, levelsOf, type BookView } from './book-state.js';

export type BookInput = BookSnapshotInput | BookDeltaInput | BookInvalidateInput;

export class KernelBookMapper {
  private last: BookView | undefined;
  private lastId: number;
  private needsSnapshot = true;

  /** `startAfterId`: the kernel's current update id for the symbol (a restarted engine keeps its own). */
  constructor(
    readonly symbol: string,
    startAfterId = 0,
  ) {
    // +2: leave room above anything a previous run may have left buffered in the kernel.
    this.lastId = Math.max(0, startAfterId) + 2;
  }

  get updateId(): number {
    return this.lastId;
  }

  get synced(): boolean {
    return !this.needsSnapshot;
  }

  /** The next input for a fresh view of the book; undefined when nothing changed. */
  next(view: BookView, fallbackTime: number): BookSnapshotInput | BookDeltaInput | undefined {
    const time = view.time ?? fallbackTime;
    const id = view.nonce !== undefined && view.nonce > this.lastId ? view.nonce : this.lastId + 1;
    if (this.needsSnapshot || this.last === undefined) {
      this.needsSnapshot = false;
      this.last = view;
      this.lastId = id;
      return { kind: 'book.snapshot', time, symbol: this.symbol, lastUpdateId: id, bids: levelsOf(view.bids), asks: levelsOf(view.asks) };
    }
    const bids = diffSide(this.last.bids, view.bids);
    const asks = diffSide(this.last.asks, view.asks);
    if (bids.length === 0 && asks.length === 0) return undefined;
    const input: BookDeltaInput = {
      kind: 'book.delta',
      time,
      symbol: this.symbol,
      firstUpdateId: this.lastId + 1,
      finalUpdateId: id,
      previousFinalUpdateId: this.lastId,
      bids,
      asks,
    };
    this.last = view;
    this.lastId = id;
    return input;
  }

  /**
   * Marks the book unusable; the next view becomes a snapshot. Returns the input that tells the
   * kernel (see the header), or undefined when `tellKernel` is false (the kernel already knows).
   */
  invalidate(time: number, reason: string, tellKernel: boolean): BookInvalidateInput | undefined {
    this.needsSnapshot = true;
    return tellKernel ? { kind: 'book.invalidate', time, symbol: this.symbol, reason } : undefined;
  }
}
