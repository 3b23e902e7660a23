/**
 * Watches one symbol on one ccxt pro exchange: its order book (`watchOrderBook`) and its trades
 * (`watchTrades`), and reports book views, trades and losses of trust to a listener.
 *
 * Guarantees:
 * - a ccxt sequence error (Binance: a delta that does not chain, raised as ChecksumError or
 *   InvalidNonce) is reported as `gap`; a dropped connection as `disconnect`, once per drop, whether
 *   a watch was pending (it rejects with a NetworkError) or not (the listener was busy: ccxt's
 *   `onClose` for a working connection the server closed tells it, see connection-drops.ts); both
 *   re-watch after an exponential backoff (reset by the next good book), which makes ccxt subscribe
 *   again and take a fresh REST snapshot; after a gap ccxt's book is first dropped
 *   (`unWatchOrderBook`, plus any rejection ccxt stored for the symbol) so that the re-watch is a
 *   fresh subscription, not one raced by the half-torn-down one (ccxt can still reject twice for
 *   one gap: each rejection is reported, the kernel is told once); the unsubscription is sent
 *   before the re-watch subscribes again (sent after, it would cancel the new subscription);
 * - when ccxt's book moved on while the listener was busy, its current state is taken at once
 *   (ccxt resolves a watch only for an update that arrives while the watch is pending);
 * - a resync (after a gap, a disconnect, a crossed book), or the first subscription, that delivers nothing for `staleAfterMs`,
 *   and meanwhile buffers no new frame in ccxt's book (ccxt's MEXC class waits for 25 before its
 *   REST snapshot: a quiet market takes longer than `staleAfterMs`), is torn down the same way and
 *   watched afresh, at most once per `staleAfterMs`;
 * - a crossed view or a nonce that goes backwards is reported (`crossed`, `gap`) and ccxt's book is
 *   dropped (unWatchOrderBook, else the connection is closed) so that it resyncs from a snapshot,
 *   watched again after the same backoff as a failed watch;
 * - no book update for `staleAfterMs` of wall time is reported once as `stale`;
 * - after any report, the next view the listener sees comes from a book ccxt rebuilt or kept in
 *   sequence: the listener treats it as a snapshot;
 * - a listener that fails (its engine refused the input: a database outage, ADR 0014) never ends
 *   the stream: a book view not taken is reported as `error` (the listener resyncs from the next
 *   view), a trade not taken is lost alone; a ccxt book with a level that is not a number (NaN,
 *   Infinity, negative) is reported as `error` and dropped like a crossed one.
 * Not modelled: a duplicated delta is dropped by ccxt itself (u ≤ nonce); the Binance raw tap
 * (see live-exchanges.ts) counts it. Cost: one view (O(levels)) per book update.
 */
import type { Exchange, OrderBook, Trade } from 'ccxt';
import { Backoff, type BackoffOptions } from './backoff.js';
import { isCrossed, viewOf, type BookView } from './book-state.js';
import { onServerClose } from './connection-drops.js';

export type InvalidCause = 'gap' | 'disconnect' | 'crossed' | 'stale' | 'error';
export type StreamState = 'connecting' | 'live' | 'resyncing' | 'stale' | 'stopped' | 'failed';

export interface LiveTrade {
  readonly id: string | undefined;
  readonly time: number;
  readonly price: number;
  readonly amount: number;
  /** True when the aggressor sold (the buyer was resting). */
  readonly buyerMaker: boolean;
}

export interface StreamListener {
  onBook(view: BookView): Promise<void> | void;
  onTrade(trade: LiveTrade): Promise<void> | void;
  onInvalid(cause: InvalidCause, reason: string): Promise<void> | void;
  onState?(state: StreamState, reason: string | undefined): void;
}

export interface StreamOptions {
  readonly staleAfterMs?: number;
  readonly backoff?: BackoffOptions;
  readonly trades?: boolean;
  /** Wall clock (ms); injectable for tests. */
  readonly wallClock?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Told of each wait before the book is watched again: the delay (ms) and why (the last failure). */
  readonly onRetry?: (delayMs: number, reason: string) => void;
}

export interface StreamCounters {
  gaps: number;
  disconnects: number;
  stale: number;
  crossed: number;
  errors: number;
  books: number;
  trades: number;
}

const PERMANENT = new Set(['BadSymbol', 'NotSupported', 'AuthenticationError', 'PermissionDenied']);

export class CcxtBookStream {
  private running = false;
  private stateValue: StreamState = 'connecting';
  private reasonValue: string | undefined;
  private lastBookAt = 0;
  private lastNonce: number | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  readonly staleAfterMs: number;
  readonly counters: StreamCounters = { gaps: 0, disconnects: 0, stale: 0, crossed: 0, errors: 0, books: 0, trades: 0 };
  private loops: Promise<void>[] = [];
  /** The drop of ccxt's book in progress, if any (the book loop waits for it before re-watching). */
  private dropping: Promise<void> | undefined;
  /** Wall time of the last watch started afresh (drop + re-watch), for the watchdog's rate. */
  private lastRenewAt = 0;
  /** Frames ccxt held buffered for its snapshot at the last watchdog check (-1: no book), and when that count last grew. */
  private buffered = -1;
  private lastBufferedAt = 0;
  /** A server-side close was reported since the last good book (the watch's NetworkError is the same drop). */
  private dropReported = false;
  private unhookClose: (() => void) | undefined;

  constructor(
    readonly exchange: Exchange,
    /** ccxt's unified symbol, e.g. BTC/USDT. */
    readonly symbol: string,
    private readonly listener: StreamListener,
    private readonly options: StreamOptions = {},
  ) {
    this.backoff = new Backoff(options.backoff);
    this.clock = options.wallClock ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.staleAfterMs = options.staleAfterMs ?? 10_000;
  }

  get state(): StreamState {
    return this.stateValue;
  }

  get reason(): string | undefined {
    return this.reasonValue;
  }

  /** Wall time of the last book update (ms), 0 before the first. */
  get lastUpdateAt(): number {
    return this.lastBookAt;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.lastBookAt = this.clock();
    this.lastRenewAt = this.lastBookAt;
    this.unhookClose = onServerClose(this.exchange, (url) => void this.connectionClosed(url));
    this.loops = [this.bookLoop()];
    if (this.options.trades !== false) this.loops.push(this.tradeLoop());
    const every = Math.max(10, Math.min(1000, Math.floor(this.staleAfterMs / 4)));
    this.watchdog = setInterval(() => void this.checkStale(), every);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.watchdog !== undefined) clearInterval(this.watchdog);
    this.unhookClose?.();
    this.unhookClose = undefined;
    this.setState('stopped', undefined);
  }

  /** Resolves when both loops have ended (after stop() and the exchange's close()). */
  async finished(): Promise<void> {
    await Promise.allSettled(this.loops);
  }

  private setState(state: StreamState, reason: string | undefined): void {
    if (state === this.stateValue && reason === this.reasonValue) return;
    this.stateValue = state;
    this.reasonValue = reason;
    this.listener.onState?.(state, reason);
  }

  private async invalid(cause: InvalidCause, reason: string): Promise<void> {
    this.counters[cause === 'error' ? 'errors' : cause === 'gap' ? 'gaps' : cause === 'disconnect' ? 'disconnects' : cause === 'crossed' ? 'crossed' : 'stale'] += 1;
    this.lastNonce = undefined;
    this.setState(cause === 'stale' ? 'stale' : 'resyncing', `${cause}: ${reason}`);
    try {
      await this.listener.onInvalid(cause, reason);
    } catch {
      // The listener could not pass the report on (its engine refused it): the book is distrusted
      // all the same, and the next view it gets is a resync.
      this.counters.errors += 1;
    }
  }

  /**
   * The exchange closed one of ccxt's connections to it (possibly not this symbol's: the book is
   * distrusted all the same until the next book, which ccxt takes from a fresh subscription if the
   * connection was this symbol's). Reported once; the pending watch's NetworkError is the same drop.
   */
  private async connectionClosed(url: string): Promise<void> {
    if (!this.running || this.dropReported) return;
    this.dropReported = true;
    try {
      await this.invalid('disconnect', `the exchange closed the connection ${url}`);
    } catch {
      this.counters.errors += 1;
    }
  }

  private async checkStale(): Promise<void> {
    if (!this.running) return;
    const now = this.clock();
    const buffered = this.ccxtBuffered();
    if (buffered > this.buffered) this.lastBufferedAt = now;
    this.buffered = buffered;
    const silent = now - this.lastBookAt;
    if (silent <= this.staleAfterMs) return;
    if (this.stateValue === 'live') await this.invalid('stale', `no book update for ${silent} ms (limit ${this.staleAfterMs} ms)`);
    // A resync that has delivered nothing for this long, and buffered no new frame either, is
    // renewed: ccxt's book is dropped (which also rejects the pending watch) and the loop
    // subscribes afresh; so is a first subscription that never delivered a book (an exchange that
    // ignored it). One still buffering is left to reach its snapshot: renewing it would throw its
    // frames away. A stale (silent) feed is not renewed: a REST snapshot would make the book usable
    // while the stream is still silent.
    const waiting = this.stateValue === 'resyncing' || this.stateValue === 'connecting';
    if (this.running && waiting && now - this.lastRenewAt > this.staleAfterMs && now - this.lastBufferedAt > this.staleAfterMs) {
      this.lastRenewAt = now;
      await this.dropCcxtBook();
    }
  }

  /** How many frames ccxt's book for the symbol holds buffered for its snapshot; -1 when ccxt has no book (or no buffer). */
  private ccxtBuffered(): number {
    const book = (this.exchange as unknown as { orderbooks?: Record<string, { cache?: unknown } | undefined> }).orderbooks?.[this.symbol];
    return Array.isArray(book?.cache) ? book.cache.length : -1;
  }

  private async bookLoop(): Promise<void> {
    while (this.running) {
      let book: OrderBook;
      try {
        book = this.caughtUpBook() ?? (await this.exchange.watchOrderBook(this.symbol));
      } catch (error) {
        if (!this.running) return;
        if (this.dropping !== undefined || errorName(error) === 'UnsubscribeError') {
          // Our own drop of ccxt's book rejected the pending watch: wait for it, then watch afresh.
          await this.dropping;
          continue;
        }
        await this.onWatchError(error);
        continue;
      }
      if (!this.running) return;
      let view: BookView;
      try {
        view = viewOf(book);
      } catch (error) {
        // A level ccxt could not parse into a price or size (NaN, Infinity, negative): its book is wrong.
        await this.invalid('error', `ccxt's book has a level that is not a price and size: ${errorMessage(error)}`);
        await this.renewAfterBackoff();
        continue;
      }
      this.lastBookAt = this.clock();
      if (isCrossed(view)) {
        await this.invalid('crossed', `best bid ${[...view.bids.keys()][0]} ≥ best ask ${[...view.asks.keys()][0]}`);
        await this.renewAfterBackoff();
        continue;
      }
      if (view.nonce !== undefined && this.lastNonce !== undefined && view.nonce < this.lastNonce) {
        await this.invalid('gap', `nonce went back from ${this.lastNonce} to ${view.nonce}`);
        await this.renewAfterBackoff();
        continue;
      }
      this.lastNonce = view.nonce;
      this.dropReported = false;
      this.backoff.reset();
      this.counters.books += 1;
      this.setState('live', undefined);
      try {
        await this.listener.onBook(view);
      } catch (error) {
        // The listener did not take this view (its engine refused the input: a database outage, an
        // input that cannot be stored). Whatever it holds now is behind: it resyncs from the next view.
        await this.invalid('error', `a book update was not taken: ${errorMessage(error)}`);
      }
    }
  }

  /**
   * Drops ccxt's book (a fresh subscription and snapshot at the next watch) and waits the backoff
   * first, as after a watch error: a book that comes back wrong every time (an exchange whose own
   * snapshot is crossed) must not become a loop of subscriptions and snapshots as fast as they answer.
   */
  private async renewAfterBackoff(): Promise<void> {
    await this.dropCcxtBook();
    await this.backOff(this.reasonValue ?? 'the book was dropped');
  }

  /** Waits the next backoff delay, said first to `onRetry`. */
  private async backOff(reason: string): Promise<void> {
    const delay = this.backoff.nextDelay();
    this.options.onRetry?.(delay, reason);
    await this.sleep(delay);
  }

  /**
   * ccxt's book when it has moved on since the view last delivered (its updates arrived while the
   * listener was busy: ccxt resolves a watch only for an update that arrives while it is pending,
   * so without this the last updates before a quiet spell would wait for the next one), else
   * undefined. Only while live, with a nonce to compare and a book ccxt has synced.
   */
  private caughtUpBook(): OrderBook | undefined {
    if (this.stateValue !== 'live' || this.lastNonce === undefined || this.dropping !== undefined) return undefined;
    const book = (this.exchange as unknown as { orderbooks?: Record<string, OrderBook & { limit?: () => OrderBook }> }).orderbooks?.[this.symbol];
    if (book === undefined || typeof book.nonce !== 'number' || book.nonce <= this.lastNonce) return undefined;
    return typeof book.limit === 'function' ? book.limit() : book;
  }

  private async tradeLoop(): Promise<void> {
    // Compared as integers of any size: 19-digit ids (Bitget's) are not exact as doubles, and two
    // trades a few ids apart would compare equal (the second dropped as seen).
    let lastNumericId = -1n;
    while (this.running) {
      let trades: Trade[];
      try {
        trades = await this.exchange.watchTrades(this.symbol);
      } catch (error) {
        if (!this.running) return;
        // The book loop reports losses of trust; trades just wait and re-watch.
        if (PERMANENT.has(errorName(error))) return;
        await this.sleep(this.backoff.baseMs);
        continue;
      }
      for (const t of trades) {
        if (!this.running) return;
        if (typeof t.price !== 'number' || typeof t.amount !== 'number' || typeof t.timestamp !== 'number') continue;
        const numeric = t.id !== undefined && /^\d+$/.test(t.id) ? BigInt(t.id) : undefined;
        if (numeric !== undefined) {
          if (numeric <= lastNumericId) continue; // delivered again after a reconnect
          lastNumericId = numeric;
        }
        this.counters.trades += 1;
        try {
          await this.listener.onTrade({ id: t.id, time: t.timestamp, price: t.price, amount: t.amount, buyerMaker: t.side === 'sell' });
        } catch {
          // Refused (the engine is unavailable, the trade cannot be stored): that trade is lost, not the stream.
          this.counters.errors += 1;
        }
      }
    }
  }

  private async onWatchError(error: unknown): Promise<void> {
    const name = errorName(error);
    const message = error instanceof Error ? error.message : String(error);
    if (PERMANENT.has(name)) {
      await this.invalid('error', `${name}: ${message}`);
      this.setState('failed', `${name}: ${message}`);
      this.running = false;
      return;
    }
    const cause: InvalidCause = name === 'ChecksumError' || name === 'InvalidNonce' ? 'gap' : isNetworkError(error) ? 'disconnect' : 'error';
    if (cause === 'disconnect' && this.dropReported) {
      // The drop was reported when the connection closed; this is its rejection of the watch.
    } else {
      if (cause === 'disconnect') this.dropReported = true;
      await this.invalid(cause, `${name}: ${message.slice(0, 200)}`);
    }
    // After a gap, subscribe afresh: drop what is left of ccxt's book and subscription state.
    if (cause === 'gap') {
      this.lastRenewAt = this.clock();
      await this.dropCcxtBook();
    }
    // Every failure waits (exponential backoff, reset by the next good book) before re-watching:
    // a watch that keeps rejecting at once must never become a microtask loop that starves timers.
    await this.backOff(`${name}: ${message.slice(0, 200)}`);
  }

  /**
   * Drops ccxt's book for the symbol so that the next watch subscribes afresh and takes a new
   * snapshot: `unWatchOrderBook` (which unsubscribes and rejects a pending watch), then whatever
   * per-symbol state ccxt may still hold (the book, the subscription, a stored rejection). Without
   * `unWatchOrderBook` (or if it fails or hangs), the connection is closed.
   */
  private dropCcxtBook(): Promise<void> {
    if (this.dropping !== undefined) return this.dropping;
    const drop = (async () => {
      let unwatched = false;
      try {
        if (this.exchange.has['unWatchOrderBook'] === true) {
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<false>((resolve) => {
            timer = setTimeout(() => resolve(false), UNWATCH_TIMEOUT_MS);
          });
          unwatched = await Promise.race([this.exchange.unWatchOrderBook(this.symbol).then(() => true), timeout]);
          clearTimeout(timer);
        }
      } catch {
        // fall through to closing the connection
      }
      // ccxt's mexc class sends its UNSUBSCRIPTION from a timer (`spawn`, setTimeout 0) and
      // returns before it is sent; a watch started in the meantime (the rejected watch retries at
      // once) would send its SUBSCRIPTION first, which the later UNSUBSCRIPTION then cancels at
      // the exchange: no frame would come again. One turn of the timers lets it go first.
      if (unwatched) await new Promise((resolve) => setTimeout(resolve, 0));
      this.forgetCcxtBook();
      if (!unwatched) await this.exchange.close().catch(() => undefined);
    })();
    this.dropping = drop.finally(() => {
      this.dropping = undefined;
    });
    return this.dropping;
  }

  /** Clears ccxt's per-symbol book state, the way its binance pro class does on an unsubscription. */
  private forgetCcxtBook(): void {
    const ex = this.exchange as unknown as {
      orderbooks?: Record<string, unknown>;
      clients?: Record<string, { subscriptions?: Record<string, unknown>; rejections?: Record<string, unknown> }>;
    };
    if (ex.orderbooks !== undefined) delete ex.orderbooks[this.symbol];
    const hash = `orderbook::${this.symbol}`;
    for (const client of Object.values(ex.clients ?? {})) {
      if (client.rejections !== undefined) delete client.rejections[hash];
      if (client.subscriptions !== undefined) delete client.subscriptions[hash];
    }
  }
}

const UNWATCH_TIMEOUT_MS = 2_000;

function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 200);
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.constructor.name : typeof error;
}

function isNetworkError(error: unknown): boolean {
  // ccxt's NetworkError family (RequestTimeout, ExchangeNotAvailable, ...) and socket closes.
  let proto: unknown = error === null || typeof error !== 'object' ? undefined : Object.getPrototypeOf(error);
  while (proto !== null && proto !== undefined) {
    if ((proto as { constructor?: { name?: string } }).constructor?.name === 'NetworkError') return true;
    proto = Object.getPrototypeOf(proto);
  }
  return false;
}
