/**
 * The live market feed: ccxt pro streams (several symbols, several exchanges at once) into the
 * kernel, through the same inputs a replay uses (`book.snapshot`, `book.delta`, `trade`).
 *
 * Guarantees: inputs reach the engine one at a time, in the order the streams produced them; a
 * gap, a dropped connection, a crossed book or a silent feed first makes the kernel's book
 * unusable (no fill is computed on it; orders wait) and then resyncs it from a snapshot; the kernel
 * book is never given a view it might disagree with (if the kernel ever reports the book unusable
 * on its own, the next view is sent as a snapshot). Cost: one O(levels) diff per book update.
 */
import type { Exchange } from 'ccxt';
import type { KernelEvent } from '../../core/kernel/events.js';
import type { KernelInput, TradeInput } from '../../core/kernel/inputs.js';
import type { Kernel } from '../../core/kernel/kernel.js';
import type { FeedStatus } from '../../api/service-deps.js';
import { extend } from '../../core/objects.js';
import type { BackoffOptions } from './backoff.js';
import { decimalString, type BookView } from './book-state.js';
import { CcxtBookStream, type InvalidCause, type StreamCounters } from './ccxt-book-stream.js';
import { KernelBookMapper, type BookInput } from './kernel-book-mapper.js';
import type { LiveMarkets, LiveSubscription } from './live-markets.js';

/** What the feed needs from the engine: the EngineHub satisfies it. */
export interface FeedEnginePort {
  readonly kernel: Pick<Kernel, 'bookStatus' | 'now'>;
  submit(input: KernelInput): Promise<KernelEvent[]>;
}

export interface LiveFeedOptions {
  readonly hub: FeedEnginePort;
  readonly markets: LiveMarkets;
  /** Called when a symbol's status changes (for the API/dashboard push). */
  readonly onStatus?: (status: FeedStatus) => void;
  /** A symbol with no book update for this long is stale (default 10 s). */
  readonly staleAfterMs?: number;
  readonly backoff?: BackoffOptions;
  readonly trades?: boolean;
  /** Observes every book input with the exchange nonce it came from (tests, metrics). */
  readonly onBookInput?: (input: BookInput, view: BookView | undefined) => void;
  /** Observes losses of trust (logs). */
  readonly onInvalid?: (kernelSymbol: string, cause: InvalidCause, reason: string) => void;
}

export interface LiveFeed {
  status(): FeedStatus[];
  counters(): Record<string, StreamCounters & { duplicates: number }>;
  stop(): Promise<void>;
}

interface SymbolState {
  readonly sub: LiveSubscription;
  readonly mapper: KernelBookMapper;
  /** True once a snapshot of this run's stream is applied: before it, a synced kernel book is one restored from an earlier run. */
  fresh: boolean;
  readonly stream: CcxtBookStream;
  lastEventAt: number | undefined;
  tradeSeq: number;
  duplicates: number;
  lastStatus: string;
}

export function startLiveFeed(options: LiveFeedOptions): LiveFeed {
  const { hub, markets } = options;
  let queue: Promise<unknown> = Promise.resolve();
  const submit = (input: KernelInput): Promise<void> => {
    const next = queue.then(() => hub.submit(input));
    queue = next.catch(() => undefined);
    return next.then(() => undefined);
  };
  const states = new Map<string, SymbolState>();
  const byMarketId = new Map<string, SymbolState>();

  const statusOf = (s: SymbolState): FeedStatus => {
    const book = hub.kernel.bookStatus(s.sub.kernelSymbol);
    const streamState = s.stream.state;
    // Stale is shown once the kernel has been told (its book no longer synced): whoever reads
    // "stale" and then sends an order finds the kernel's book unusable, however the feed's inputs queue.
    const told = streamState !== 'stale' || book?.status !== 'synced';
    const restored = !s.fresh && book?.status === 'synced';
    const status: FeedStatus['status'] = streamState === 'stale' && told ? 'stale' : restored ? 'awaiting-snapshot' : ((book?.status ?? 'awaiting-snapshot') as FeedStatus['status']);
    const reason = (told ? s.stream.reason : undefined) ?? (book?.reason !== '' ? book?.reason : undefined);
    return {
      symbol: s.sub.kernelSymbol,
      source: 'live',
      status,
      lastEventAt: s.lastEventAt,
      ...(reason !== undefined ? { reason } : {}),
      exchange: s.sub.exchangeId,
      counters: extend(s.stream.counters, { duplicates: s.duplicates }),
    };
  };
  const report = (s: SymbolState) => {
    const status = statusOf(s);
    const key = `${status.status}|${status.reason ?? ''}`;
    if (key === s.lastStatus) return;
    s.lastStatus = key;
    options.onStatus?.(status);
  };

  for (const sub of markets.subscriptions) {
    const exchange = markets.exchanges.get(sub.exchangeId) as Exchange;
    const mapper = new KernelBookMapper(sub.kernelSymbol, hub.kernel.bookStatus(sub.kernelSymbol)?.updateId ?? 0);
    const state: SymbolState = {
      sub,
      mapper,
      lastEventAt: undefined,
      tradeSeq: 0,
      duplicates: 0,
      lastStatus: '',
      fresh: false,
      stream: new CcxtBookStream(
        exchange,
        sub.ccxtSymbol,
        {
          onBook: async (view) => {
            const input = mapper.next(view, Math.max(hub.kernel.now, state.lastEventAt ?? 0));
            if (input === undefined) return;
            state.lastEventAt = input.time;
            options.onBookInput?.(input, view);
            await submit(input);
            if (input.kind === 'book.snapshot') state.fresh = true;
            // The kernel checks too (crossing, chaining): if it lost the book, resend in full.
            if (mapper.synced && hub.kernel.bookStatus(sub.kernelSymbol)?.status !== 'synced') mapper.invalidate(hub.kernel.now, 'the kernel lost the book', false);
            report(state);
          },
          onTrade: async (trade) => {
            state.tradeSeq += 1;
            const numeric = trade.id !== undefined && /^\d+$/.test(trade.id) && Number.isSafeInteger(Number(trade.id)) ? Number(trade.id) : state.tradeSeq;
            const input: TradeInput = {
              kind: 'trade',
              time: trade.time,
              symbol: sub.kernelSymbol,
              tradeId: numeric,
              price: decimalString(trade.price),
              quantity: decimalString(trade.amount),
              buyerMaker: trade.buyerMaker,
            };
            state.lastEventAt = Math.max(state.lastEventAt ?? 0, trade.time);
            await submit(input);
          },
          onInvalid: async (cause, reason) => {
            options.onInvalid?.(sub.kernelSymbol, cause, reason);
            const tellKernel = hub.kernel.bookStatus(sub.kernelSymbol)?.status === 'synced';
            const invalidation = mapper.invalidate(Math.max(hub.kernel.now, state.lastEventAt ?? 0), reason, tellKernel);
            if (invalidation !== undefined) {
              options.onBookInput?.(invalidation, undefined);
              await submit(invalidation);
            }
            report(state);
          },
          onState: () => report(state),
        },
        extend(options.staleAfterMs !== undefined ? { staleAfterMs: options.staleAfterMs } : {}, extend(options.backoff !== undefined ? { backoff: options.backoff } : {}, options.trades !== undefined ? { trades: options.trades } : {})),
      ),
    };
    states.set(sub.kernelSymbol, state);
    byMarketId.set(`${sub.exchangeId}:${sub.marketId}`, state);
    // A book restored from an earlier run is as old as the time the service was down, and the engine's
    // clock did not move meanwhile: by the clock alone it would look fresh. The kernel is told before
    // any request can reach it (the feed starts before the server listens), so nothing fills on it
    // until this run's first snapshot.
    if (hub.kernel.bookStatus(sub.kernelSymbol)?.status === 'synced') {
      submit({ kind: 'book.invalidate', time: hub.kernel.now, symbol: sub.kernelSymbol, reason: 'the book is from before this start; waiting for a fresh snapshot' }).catch((error: unknown) =>
        options.onInvalid?.(sub.kernelSymbol, 'error', `the book from before this start could not be invalidated: ${error instanceof Error ? error.message : String(error)}`),
      );
    }
  }
  for (const [exchangeId, tap] of markets.rawTaps) {
    tap((anomaly) => {
      const s = byMarketId.get(`${exchangeId}:${anomaly.symbol}`);
      if (s !== undefined && anomaly.kind === 'duplicate') s.duplicates += 1;
    });
  }
  for (const s of states.values()) s.stream.start();

  return {
    status: () => [...states.values()].map(statusOf),
    counters: () => Object.fromEntries([...states.values()].map((s) => [s.sub.kernelSymbol, extend(s.stream.counters, { duplicates: s.duplicates })])),
    async stop() {
      for (const s of states.values()) await s.stream.stop();
      await markets.close();
      await Promise.race([Promise.all([...states.values()].map((s) => s.stream.finished())), new Promise((r) => setTimeout(r, 2000))]);
      await queue;
    },
  };
}
