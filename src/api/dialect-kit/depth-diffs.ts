/**
 * The kernel's order book as a stream of depth diffs with update ids, the way the exchanges'
 * WebSocket depth streams send it (MEXC `fromVersion`/`toVersion`, Binance `U`/`u`): each diff
 * states the absolute quantity of every level it changed ("0" removes the level) and the ids of the
 * first and last update it covers. A client that takes the REST depth (whose `lastUpdateId` is the
 * kernel's book update id) and applies the diffs that follow it, each chaining on the last
 * (`first = previous final + 1`), holds the kernel's book.
 *
 * Guarantees: diffs are published in update-id order and chain without a hole while the kernel's
 * book stays synced; prices and quantities are canonical decimals (as the REST depth prints them).
 * A delta the kernel did not apply (buffered while the book awaited a snapshot, stale, or one that
 * lost the book) is not published. When the kernel resyncs from a snapshot, one diff takes a client
 * from the last published book to the kernel's new book (every level that differs), covering the
 * ids in between, so that a client on the stream does not need to fetch the REST depth again.
 * Not modelled: a snapshot whose id is not above the last published id (the book moved backwards)
 * publishes nothing: a client then holds an older book than the REST depth until it resyncs.
 * Cost: O(levels changed) per delta for the mirror of the published book; O(book) per resync.
 */
import type { FastifyInstance } from 'fastify';
import type { KernelEvent } from '../../core/kernel/events.js';
import type { KernelInput } from '../../core/kernel/inputs.js';
import type { Kernel } from '../../core/kernel/kernel.js';
import { formatFixed, parseFixed } from '../../core/money/fixed.js';
import type { EngineHub } from '../engine-hub.js';
import type { Level } from './market-views.js';
import { sharedPerHub, type HubRegistry } from './shared-tape.js';

export interface DepthDiff {
  readonly symbol: string;
  /** Engine (exchange) time of the input that produced the diff, Unix ms. */
  readonly time: number;
  /** First update id the diff covers (Binance `U`, MEXC `fromVersion`). */
  readonly firstUpdateId: number;
  /** Last update id the diff covers (Binance `u`, MEXC `toVersion`); the REST depth's `lastUpdateId` once applied. */
  readonly finalUpdateId: number;
  readonly bids: readonly Level[];
  readonly asks: readonly Level[];
}

export type DepthDiffListener = (diff: DepthDiff) => void;

interface Mirror {
  synced: boolean;
  lastUpdateId: number;
  readonly bids: Map<string, string>;
  readonly asks: Map<string, string>;
}

const canonical = (text: string): string => formatFixed(parseFixed(text));

/** Follows one engine hub's inputs and events and publishes the depth diffs of every synced book. */
export class DepthDiffFeed {
  private readonly mirrors = new Map<string, Mirror>();
  private readonly listeners = new Set<DepthDiffListener>();

  constructor(private readonly kernel: () => Kernel) {
    for (const instrument of kernel().instruments()) this.adopt(instrument.symbol);
  }

  subscribe(listener: DepthDiffListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The last update id published for `symbol` (the REST depth's id when the feed is in step), or undefined while its book is not synced. */
  lastUpdateId(symbol: string): number | undefined {
    const mirror = this.mirrors.get(symbol);
    return mirror?.synced === true ? mirror.lastUpdateId : undefined;
  }

  /** An EngineHub listener: feed it every input and its events. */
  observe(events: readonly KernelEvent[], input: KernelInput): void {
    // A book is lost by a delta that does not chain, a crossed book, or an invalidation input.
    for (const event of events) if (event.type === 'BOOK_RESYNC_NEEDED') (this.mirrors.get(event.symbol) ?? this.adopt(event.symbol)).synced = false;
    if (input.kind !== 'book.delta' && input.kind !== 'book.snapshot') return;
    const mirror = this.mirrors.get(input.symbol) ?? this.adopt(input.symbol);
    if (events.some((e) => e.type === 'BOOK_RESYNC_NEEDED' && e.symbol === input.symbol)) return;
    const resynced = events.some((e) => e.type === 'BOOK_SYNCED' && e.symbol === input.symbol);
    if (resynced) return this.resync(input.symbol, mirror, input.time);
    if (input.kind !== 'book.delta' || !mirror.synced || input.finalUpdateId <= mirror.lastUpdateId) return;
    const bids = applyLevels(mirror.bids, input.bids);
    const asks = applyLevels(mirror.asks, input.asks);
    const firstUpdateId = mirror.lastUpdateId + 1;
    mirror.lastUpdateId = input.finalUpdateId;
    this.publish({ symbol: input.symbol, time: input.time, firstUpdateId, finalUpdateId: input.finalUpdateId, bids, asks });
  }

  /**
   * The kernel's book as it is now: the hub may call its listeners after the kernel has handled
   * later inputs too (group commits), so the diff goes to the current book and id, and the deltas
   * it already covers are skipped when their turn comes.
   */
  private resync(symbol: string, mirror: Mirror, time: number): void {
    const kernel = this.kernel();
    const status = kernel.bookStatus(symbol);
    if (status?.status !== 'synced') {
      mirror.synced = false;
      return;
    }
    const depth = kernel.depth(symbol, Number.MAX_SAFE_INTEGER)!;
    const bids = replaceLevels(mirror.bids, depth.bids);
    const asks = replaceLevels(mirror.asks, depth.asks);
    const wasAt = mirror.lastUpdateId;
    mirror.synced = true;
    mirror.lastUpdateId = status.updateId;
    // The first snapshot has no published book to lead from; one that went backwards cannot chain.
    if (wasAt >= 0 && status.updateId > wasAt) this.publish({ symbol, time, firstUpdateId: wasAt + 1, finalUpdateId: status.updateId, bids, asks });
  }

  private adopt(symbol: string): Mirror {
    const kernel = this.kernel();
    const status = kernel.bookStatus(symbol);
    const synced = status?.status === 'synced';
    const depth = synced ? kernel.depth(symbol, Number.MAX_SAFE_INTEGER) : undefined;
    const mirror: Mirror = {
      synced,
      lastUpdateId: synced ? status!.updateId : -1,
      bids: new Map(depth?.bids.map(([p, q]) => [p, q])),
      asks: new Map(depth?.asks.map(([p, q]) => [p, q])),
    };
    this.mirrors.set(symbol, mirror);
    return mirror;
  }

  private publish(diff: DepthDiff): void {
    for (const listener of this.listeners) listener(diff);
  }
}

/** Applies absolute levels to a side; returns them canonical. */
function applyLevels(side: Map<string, string>, levels: readonly (readonly [string, string])[]): Level[] {
  const out: Level[] = [];
  for (const [p, q] of levels) {
    const price = canonical(p);
    const quantity = canonical(q);
    if (quantity === '0') side.delete(price);
    else side.set(price, quantity);
    out.push([price, quantity]);
  }
  return out;
}

/** Replaces a side by `levels`; returns what changed (removed levels at "0"). */
function replaceLevels(side: Map<string, string>, levels: readonly (readonly [string, string])[]): Level[] {
  const next = new Map(levels.map(([p, q]) => [p, q]));
  const out: Level[] = [];
  for (const price of side.keys()) if (!next.has(price)) out.push([price, '0']);
  for (const [price, quantity] of next) if (side.get(price) !== quantity) out.push([price, quantity]);
  side.clear();
  for (const [price, quantity] of next) side.set(price, quantity);
  return out;
}

const feeds: HubRegistry<DepthDiffFeed> = new WeakMap();

/** One diff feed per engine hub, shared by every dialect's streams, released when the last server using it closes. */
export function sharedDepthDiffs(app: FastifyInstance, hub: EngineHub): DepthDiffFeed {
  return sharedPerHub(feeds, app, hub, () => new DepthDiffFeed(() => hub.kernel));
}
