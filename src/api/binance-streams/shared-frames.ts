/**
 * Binance market stream frames built once per engine hub, whatever the number of connections: one
 * producer per market and stream name (`btcusdt@depth@100ms`, `btcusdt@trade`, …) builds each
 * frame once and serializes it once per form (raw, and combined `{"stream":…,"data":…}`; each also
 * with its times in microseconds, for spot's `timeUnit=MICROSECOND`), and every
 * connection subscribed to the name is handed the same bytes (market-stream-session.ts).
 *
 * Guarantees: two connections subscribed to one stream receive byte-identical frames from the
 * moment both are subscribed. A depth stream has one pending diff and one timer, on a grid of its
 * interval (the wall clock's multiples of 100, 250, 500 or 1000 ms): a connection that subscribes
 * mid-interval gets the grid's next frame, which covers every diff since the frame before, so its
 * `U`/`u` (and `pu`) still chain onto the REST depth's `lastUpdateId` taken after subscribing.
 * bookTicker is sent when the top of the book changes from the producer's last one; trades as the
 * hub delivers them. A producer lives while it has subscribers: the last one leaving stops its
 * timer and drops its pending diff.
 * Cost: per market input, one map look-up by symbol; per frame, one build and one serialization per
 * form used, then one socket write per subscriber.
 */
import type { FastifyInstance } from 'fastify';
import type { KernelEvent } from '../../core/kernel/events.js';
import type { KernelInput } from '../../core/kernel/inputs.js';
import type { Kernel } from '../../core/kernel/kernel.js';
import type { DepthDiff, DepthDiffFeed } from '../dialect-kit/depth-diffs.js';
import { sharedPerHub, type HubObserver, type HubRegistry } from '../dialect-kit/shared-tape.js';
import type { EngineHub } from '../engine-hub.js';
import type { StreamMarket } from './listen-keys.js';
import { aggTradeFrame, bookTickerFrame, inMicroseconds, PendingDiff, tradeFrame } from './market-frames.js';
import type { StreamName } from './stream-names.js';

/** One frame of one stream, serialized on first use of each form and then shared. */
export class SharedFrame {
  private rawBytes: Buffer | undefined;
  private combinedBytes: Buffer | undefined;
  private micros: SharedFrame | undefined;

  constructor(
    readonly stream: string,
    readonly data: Record<string, unknown>,
  ) {}

  /** The payload alone, as `/ws` sends it (UTF-8 of its JSON). */
  get raw(): Buffer {
    return (this.rawBytes ??= Buffer.from(JSON.stringify(this.data)));
  }

  /** `{"stream":<name>,"data":<payload>}`, as `/stream` sends it. */
  get combined(): Buffer {
    return (this.combinedBytes ??= Buffer.from(`{"stream":${JSON.stringify(this.stream)},"data":${JSON.stringify(this.data)}}`));
  }

  /** The same frame with its time fields in microseconds (`timeUnit=MICROSECOND`), built once and shared too. */
  get inMicroseconds(): SharedFrame {
    return (this.micros ??= new SharedFrame(this.stream, inMicroseconds(this.data)));
  }
}

/** A connection's side of a subscription. */
export interface FrameSubscriber {
  deliver(frame: SharedFrame): void;
}

class Producer {
  readonly subscribers = new Set<FrameSubscriber>();
  /** bookTicker: the last top sent. */
  lastTop: string | undefined;
  private readonly pending = new PendingDiff();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly key: string,
    readonly stream: StreamName,
    readonly market: StreamMarket,
  ) {}

  publish(data: Record<string, unknown>): void {
    const frame = new SharedFrame(this.stream.name, data);
    for (const subscriber of this.subscribers) subscriber.deliver(frame);
  }

  /** Depth: merges the diff into the interval's; the timer fires at the grid's next tick. */
  queue(diff: DepthDiff): void {
    this.pending.add(diff);
    if (this.timer !== undefined) return;
    const interval = this.stream.intervalMs;
    this.timer = setTimeout(() => this.flush(), interval - (Date.now() % interval));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private flush(): void {
    this.timer = undefined;
    const data = this.pending.take(this.stream.symbol, this.market);
    if (data !== undefined) this.publish(data);
  }
}

/** The producers of one engine hub, for both markets; follows the hub (trades, tops) and its depth diff feed. */
export class MarketFrameHub implements HubObserver {
  private readonly producers = new Map<string, Producer>();
  /** Trade, aggTrade and bookTicker producers by symbol. */
  private readonly bySymbol = new Map<string, Set<Producer>>();
  private readonly depthBySymbol = new Map<string, Set<Producer>>();
  private stopDiffs: (() => void) | undefined;

  constructor(
    private readonly kernel: () => Kernel,
    private readonly diffs: DepthDiffFeed,
  ) {}

  /** Subscribes `subscriber` to `stream` of `market`, starting its producer if it has none. */
  attach(market: StreamMarket, stream: StreamName, subscriber: FrameSubscriber): void {
    const key = `${market} ${stream.name}`;
    let producer = this.producers.get(key);
    if (producer === undefined) {
      producer = new Producer(key, stream, market);
      this.producers.set(key, producer);
      const index = stream.channel === 'depth' ? this.depthBySymbol : this.bySymbol;
      const set = index.get(stream.symbol) ?? new Set<Producer>();
      set.add(producer);
      index.set(stream.symbol, set);
      if (stream.channel === 'depth' && this.stopDiffs === undefined) this.stopDiffs = this.diffs.subscribe((diff) => this.onDiff(diff));
    }
    producer.subscribers.add(subscriber);
  }

  /** Unsubscribes `subscriber` from `name`; the last one stops the producer. */
  detach(market: StreamMarket, name: string, subscriber: FrameSubscriber): void {
    const key = `${market} ${name}`;
    const producer = this.producers.get(key);
    if (producer === undefined || !producer.subscribers.delete(subscriber) || producer.subscribers.size > 0) return;
    producer.stop();
    this.producers.delete(key);
    const index = producer.stream.channel === 'depth' ? this.depthBySymbol : this.bySymbol;
    const set = index.get(producer.stream.symbol);
    set?.delete(producer);
    if (set?.size === 0) index.delete(producer.stream.symbol);
    if (this.depthBySymbol.size === 0 && this.stopDiffs !== undefined) {
      this.stopDiffs();
      this.stopDiffs = undefined;
    }
  }

  /** Producers running (for tests and the bench). */
  get size(): number {
    return this.producers.size;
  }

  observe(_events: readonly KernelEvent[], input: KernelInput): void {
    if (!('symbol' in input)) return;
    const producers = this.bySymbol.get(input.symbol);
    if (producers === undefined) return;
    if (input.kind === 'trade') {
      for (const p of producers) {
        if (p.stream.channel === 'trade') p.publish(tradeFrame(input, p.market));
        else if (p.stream.channel === 'aggTrade') p.publish(aggTradeFrame(input, p.market));
      }
      return;
    }
    if (input.kind !== 'book.delta' && input.kind !== 'book.snapshot') return;
    let tickers = false;
    for (const p of producers) if (p.stream.channel === 'bookTicker') tickers = true;
    if (!tickers) return;
    const kernel = this.kernel();
    const status = kernel.bookStatus(input.symbol);
    if (status?.status !== 'synced') return;
    const top = kernel.depth(input.symbol, 1);
    if (top === undefined) return;
    const bid = top.bids[0];
    const ask = top.asks[0];
    const key = `${bid?.[0]} ${bid?.[1]} ${ask?.[0]} ${ask?.[1]}`;
    for (const p of producers) {
      if (p.stream.channel !== 'bookTicker' || p.lastTop === key) continue;
      p.lastTop = key;
      p.publish(bookTickerFrame(input.symbol, status.updateId, input.time, bid, ask, p.market));
    }
  }

  private onDiff(diff: DepthDiff): void {
    const producers = this.depthBySymbol.get(diff.symbol);
    if (producers !== undefined) for (const p of producers) p.queue(diff);
  }
}

const hubs: HubRegistry<MarketFrameHub> = new WeakMap();

/** One frame hub per engine hub, shared by every server registering the Binance streams on it. */
export function sharedMarketFrames(app: FastifyInstance, hub: EngineHub, diffs: DepthDiffFeed): MarketFrameHub {
  return sharedPerHub(hubs, app, hub, () => new MarketFrameHub(() => hub.kernel, diffs));
}
