/**
 * One connection's market streams, as Binance serves them on `/ws` (raw frames) and `/stream`
 * (combined: `{"stream":"<name>","data":{…}}`): the live subscription methods
 * (https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams#live-subscribingunsubscribing-to-streams)
 * `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`/`GET_PROPERTY` of `combined`,
 * answered `{"result":…,"id":<the request's id>}` or `{"error":{"code","msg"},"id"}`.
 *
 * Guarantees: a depth diff is the shared feed's diffs (dialect-kit/depth-diffs.ts: the book deltas
 * the kernel applied, and one diff across a resync) merged per interval, so that its `U`/`u` (and
 * `pu` on futures) chain onto `lastUpdateId` of the REST depth; bookTicker is sent when the top of
 * the book changes; trades as the feed delivers them.
 * All state is the connection's own; it ends with `close()`.
 * Cost: per input, a scan of the connection's streams; each frame is built and serialized per
 * connection (no sharing between connections: fan-out to many clients costs one send each).
 */
import type { KernelEvent } from '../../core/kernel/events.js';
import type { KernelInput } from '../../core/kernel/inputs.js';
import type { Kernel } from '../../core/kernel/kernel.js';
import type { DepthDiff, DepthDiffFeed } from '../dialect-kit/depth-diffs.js';
import { aggTradeFrame, bookTickerFrame, PendingDiff, tradeFrame } from './market-frames.js';
import type { StreamMarket } from './listen-keys.js';
import { parseStreamName, type StreamName } from './stream-names.js';

/** Binance: "A single connection can listen to a maximum of 1024 streams." */
export const MAX_STREAMS_PER_CONNECTION = 1_024;

const METHODS = ['SUBSCRIBE', 'UNSUBSCRIBE', 'LIST_SUBSCRIPTIONS', 'SET_PROPERTY', 'GET_PROPERTY'];

type RequestId = number | string | null;

export interface MarketSessionOptions {
  readonly market: StreamMarket;
  readonly kernel: () => Kernel;
  /** The hub's depth diffs, shared by every connection and dialect. */
  readonly diffs: DepthDiffFeed;
  /** Sends one JSON frame to the client. */
  readonly send: (frame: unknown) => void;
  /** `/stream` connections start combined; `/ws` ones raw. */
  readonly combined: boolean;
}

export class MarketStreamSession {
  private readonly streams = new Map<string, StreamName>();
  private readonly pending = new Map<string, PendingDiff>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly lastTop = new Map<string, string>();
  private combined: boolean;
  private closed = false;
  private readonly stopDiffs: () => void;

  constructor(private readonly options: MarketSessionOptions) {
    this.combined = options.combined;
    this.stopDiffs = options.diffs.subscribe((diff) => this.onDiff(diff));
  }

  /** The stream names the market's instruments offer; undefined entries are not streams. */
  parse(names: readonly string[]): (StreamName | undefined)[] {
    const spot = this.options.market === 'spot';
    const symbols = new Set(this.options.kernel().instruments().filter((i) => (i.market === 'spot') === spot).map((i) => i.symbol));
    return names.map((n) => parseStreamName(n, this.options.market, symbols));
  }

  /** Subscribes streams given in the URL (`/ws/<name>`, `/stream?streams=a/b`); unknown names are ignored, as Binance does. */
  subscribeAll(names: readonly string[]): void {
    for (const stream of this.parse(names)) if (stream !== undefined && this.streams.size < MAX_STREAMS_PER_CONNECTION) this.streams.set(stream.name, stream);
  }

  /** Answers one client frame. */
  onMessage(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return this.error(3, 'Invalid JSON: expected value', null);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return this.error(2, 'Invalid request: expected a JSON object', null);
    const request = parsed as { method?: unknown; params?: unknown; id?: unknown };
    const id = request.id;
    if (!(id === undefined || id === null || (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) || (typeof id === 'string' && id.length <= 36))) {
      return this.error(2, 'Invalid request: request ID must be an unsigned integer', null);
    }
    const rid: RequestId = id ?? null;
    if (typeof request.method !== 'string') return this.error(2, 'Invalid request: missing field `method`', rid);
    if (!METHODS.includes(request.method)) return this.error(2, `Invalid request: unknown variant \`${request.method}\`, expected one of ${METHODS.join(', ')}`, rid);
    const params = request.params;
    switch (request.method) {
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE': {
        if (!Array.isArray(params) || !params.every((p): p is string => typeof p === 'string')) return this.error(2, 'Invalid request: params must be a list of stream names', rid);
        const parsedNames = this.parse(params);
        const unknown = params.find((_, i) => parsedNames[i] === undefined);
        if (unknown !== undefined) return this.error(2, `Invalid request: invalid stream name ${JSON.stringify(unknown)}`, rid);
        if (request.method === 'SUBSCRIBE') {
          const fresh = new Set(params.filter((p) => !this.streams.has(p)));
          if (this.streams.size + fresh.size > MAX_STREAMS_PER_CONNECTION) return this.error(2, `Invalid request: at most ${MAX_STREAMS_PER_CONNECTION} streams per connection`, rid);
          for (const stream of parsedNames) this.streams.set(stream!.name, stream!);
        } else {
          for (const name of params) this.drop(name);
        }
        return this.options.send({ result: null, id: rid });
      }
      case 'LIST_SUBSCRIPTIONS':
        return this.options.send({ result: [...this.streams.keys()], id: rid });
      case 'SET_PROPERTY': {
        if (!Array.isArray(params) || params[0] !== 'combined') return this.error(0, 'Unknown property', rid);
        if (typeof params[1] !== 'boolean') return this.error(1, 'Invalid value type: expected Boolean', rid);
        this.combined = params[1];
        return this.options.send({ result: null, id: rid });
      }
      default: {
        if (!Array.isArray(params) || params[0] !== 'combined') return this.error(0, 'Unknown property', rid);
        return this.options.send({ result: this.combined, id: rid });
      }
    }
  }

  /** The hub's listener: frames for the streams this connection holds. */
  onEngine(_events: readonly KernelEvent[], input: KernelInput): void {
    if (this.closed || this.streams.size === 0 || !('symbol' in input)) return;
    const symbol = input.symbol;
    const mine = [...this.streams.values()].filter((s) => s.symbol === symbol);
    if (mine.length === 0) return;
    const kernel = this.options.kernel();
    const { market } = this.options;
    if (input.kind === 'trade') {
      for (const s of mine) {
        if (s.channel === 'trade') this.emit(s, tradeFrame(input, market));
        if (s.channel === 'aggTrade') this.emit(s, aggTradeFrame(input, market));
      }
      return;
    }
    if (input.kind !== 'book.delta' && input.kind !== 'book.snapshot') return;
    const status = kernel.bookStatus(symbol);
    const synced = status?.status === 'synced';
    if (!synced || !mine.some((s) => s.channel === 'bookTicker')) return;
    const top = kernel.depth(symbol, 1);
    const key = JSON.stringify(top);
    if (top === undefined || key === this.lastTop.get(symbol)) return;
    this.lastTop.set(symbol, key);
    for (const s of mine) if (s.channel === 'bookTicker') this.emit(s, bookTickerFrame(symbol, status.updateId, input.time, top.bids[0], top.asks[0], market));
  }

  close(): void {
    this.closed = true;
    this.stopDiffs();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private onDiff(diff: DepthDiff): void {
    if (this.closed) return;
    for (const s of this.streams.values()) if (s.channel === 'depth' && s.symbol === diff.symbol) this.queue(s, diff);
  }

  private queue(s: StreamName, delta: DepthDiff): void {
    let diff = this.pending.get(s.name);
    if (diff === undefined) {
      diff = new PendingDiff();
      this.pending.set(s.name, diff);
    }
    diff.add(delta);
    if (!this.timers.has(s.name)) {
      const timer = setTimeout(() => {
        this.timers.delete(s.name);
        this.flush(s);
      }, s.intervalMs);
      timer.unref();
      this.timers.set(s.name, timer);
    }
  }

  private flush(s: StreamName): void {
    const frame = this.pending.get(s.name)?.take(s.symbol, this.options.market);
    if (frame !== undefined && !this.closed && this.streams.has(s.name)) this.emit(s, frame);
  }

  private drop(name: string): void {
    this.streams.delete(name);
    this.pending.delete(name);
    const timer = this.timers.get(name);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(name);
  }

  private emit(s: StreamName, data: Record<string, unknown>): void {
    this.options.send(this.combined ? { stream: s.name, data } : data);
  }

  private error(code: number, msg: string, id: RequestId): void {
    this.options.send({ error: { code, msg }, id });
  }
}
