/**
 * One connection's market streams, as Binance serves them on `/ws` (raw frames) and `/stream`
 * (combined: `{"stream":"<name>","data":{…}}`): the live subscription methods
 * (https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams#live-subscribingunsubscribing-to-streams)
 * `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`/`GET_PROPERTY` of `combined`,
 * answered `{"result":…,"id":<the request's id>}` or `{"error":{"code","msg"},"id"}`. A live
 * listenKey of the connection's market is a stream name there too (its user data: `userStreams`).
 *
 * Guarantees: the frames are the hub's shared ones (shared-frames.ts): built and serialized once per
 * stream, whatever the number of connections, and sent in the form this connection asks for (raw
 * or combined, times in milliseconds or microseconds); a depth diff is the shared feed's diffs merged on the stream's interval grid, so
 * that its `U`/`u` (and `pu` on futures) chain onto `lastUpdateId` of the REST depth.
 * Subscriptions, the `combined` property and the answers are the connection's own; it ends with
 * `close()`, which leaves every stream it held.
 * Cost: per frame, one socket write of bytes already serialized.
 */
import { boundedText } from '../../core/bounded-text.js';
import type { Kernel } from '../../core/kernel/kernel.js';
import { parseJsonExactly } from '../exact-json.js';
import type { StreamMarket } from './listen-keys.js';
import type { TimeUnit } from './market-frames.js';
import type { FrameSubscriber, MarketFrameHub, SharedFrame } from './shared-frames.js';
import { parseStreamName, type StreamName } from './stream-names.js';
import { frameText } from '../utf8-request.js';

/** Binance: "A single connection can listen to a maximum of 1024 streams." */
export const MAX_STREAMS_PER_CONNECTION = 1_024;

const METHODS = ['SUBSCRIBE', 'UNSUBSCRIBE', 'LIST_SUBSCRIPTIONS', 'SET_PROPERTY', 'GET_PROPERTY'];

/** A bigint: an integer id beyond 2^53, echoed digit for digit. */
type RequestId = number | bigint | string | null;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export interface MarketSessionOptions {
  readonly market: StreamMarket;
  readonly kernel: () => Kernel;
  /** The hub's stream producers, shared by every connection. */
  readonly frames: MarketFrameHub;
  /** Sends one text frame (JSON) to the client. */
  readonly send: (text: string | Buffer) => void;
  /** `/stream` connections start combined; `/ws` ones raw. */
  readonly combined: boolean;
  /** The unit of the frames' time fields (`timeUnit` in a spot URL); milliseconds when absent. */
  readonly timeUnit?: TimeUnit;
  /** The connection's user data streams: live listenKeys named in SUBSCRIBE, UNSUBSCRIBE and LIST_SUBSCRIPTIONS. */
  readonly userStreams?: UserStreams;
}

/** The listenKeys a connection follows (binance-streams-api.ts keeps their sessions). */
export interface UserStreams {
  /** Whether `name` is a live listenKey of the connection's market. */
  accepts(name: string): boolean;
  add(name: string): void;
  drop(name: string): void;
  names(): readonly string[];
}

export class MarketStreamSession implements FrameSubscriber {
  private readonly streams = new Map<string, StreamName>();
  private combined: boolean;
  private closed = false;

  constructor(private readonly options: MarketSessionOptions) {
    this.combined = options.combined;
  }

  /** Whether frames go out wrapped as `{"stream","data"}` now (`/stream`, or SET_PROPERTY since). */
  get isCombined(): boolean {
    return this.combined;
  }

  /** The stream names the market's instruments offer; undefined entries are not streams. */
  parse(names: readonly string[]): (StreamName | undefined)[] {
    const spot = this.options.market === 'spot';
    const symbols = new Set(this.options.kernel().instruments().filter((i) => (i.market === 'spot') === spot).map((i) => i.symbol));
    return names.map((n) => parseStreamName(n, this.options.market, symbols));
  }

  /** Subscribes streams given in the URL (`/ws/<name>`, `/stream?streams=a/b`); unknown names are ignored, as Binance does. */
  subscribeAll(names: readonly string[]): void {
    for (const stream of this.parse(names)) if (stream !== undefined && this.streams.size < MAX_STREAMS_PER_CONNECTION) this.add(stream);
  }

  /** Answers one client frame (its text, or a binary frame's bytes: bytes that are not UTF-8 are not JSON). */
  onMessage(frame: string | Buffer): void {
    let text: string;
    let parsed: unknown;
    try {
      text = typeof frame === 'string' ? frame : frameText(frame);
      parsed = JSON.parse(text);
    } catch {
      return this.error(3, 'Invalid JSON: expected value', null);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return this.error(2, 'Invalid request: expected a JSON object', null);
    const request = parsed as { method?: unknown; params?: unknown; id?: unknown };
    const id = request.id;
    // Spot takes a signed 64-bit integer, a string of up to 36 characters or null; USD-M documents an unsigned integer.
    const signed = this.options.market === 'spot';
    const wide = signed && typeof id === 'number' && Number.isInteger(id) && !Number.isSafeInteger(id) ? int64Of(text) : undefined;
    if (!(id === undefined || id === null || wide !== undefined || (typeof id === 'number' && Number.isSafeInteger(id) && (signed || id >= 0)) || (typeof id === 'string' && id.length <= 36))) {
      return this.error(2, 'Invalid request: request ID must be an unsigned integer', null);
    }
    const rid: RequestId = wide ?? (id as number | string | undefined) ?? null;
    if (typeof request.method !== 'string') return this.error(2, 'Invalid request: missing field `method`', rid);
    if (!METHODS.includes(request.method)) return this.error(2, `Invalid request: unknown variant \`${request.method}\`, expected one of ${METHODS.join(', ')}`, rid);
    const params = request.params;
    switch (request.method) {
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE': {
        if (!Array.isArray(params) || !params.every((p): p is string => typeof p === 'string')) return this.error(2, 'Invalid request: params must be a list of stream names', rid);
        const parsedNames = this.parse(params);
        const users = this.options.userStreams;
        // A listenKey is a stream name too (Binance's connectors subscribe to user data this way).
        const isUser = params.map((p, i) => parsedNames[i] === undefined && users !== undefined && (users.names().includes(p) || users.accepts(p)));
        const unknown = params.find((_, i) => parsedNames[i] === undefined && !isUser[i]);
        if (unknown !== undefined) return this.error(2, `Invalid request: invalid stream name ${JSON.stringify(unknown)}`, rid);
        const held = this.streams.size + (users?.names().length ?? 0);
        if (request.method === 'SUBSCRIBE') {
          const fresh = new Set(params.filter((p, i) => (isUser[i] ? !users!.names().includes(p) : !this.streams.has(p))));
          if (held + fresh.size > MAX_STREAMS_PER_CONNECTION) return this.error(2, `Invalid request: at most ${MAX_STREAMS_PER_CONNECTION} streams per connection`, rid);
          parsedNames.forEach((stream, i) => (stream === undefined ? users!.add(params[i]!) : this.add(stream)));
        } else {
          params.forEach((name, i) => (isUser[i] ? users!.drop(name) : this.drop(name)));
        }
        return this.answer({ result: null, id: rid });
      }
      case 'LIST_SUBSCRIPTIONS':
        return this.answer({ result: [...this.streams.keys(), ...(this.options.userStreams?.names() ?? [])], id: rid });
      case 'SET_PROPERTY': {
        if (!Array.isArray(params) || params[0] !== 'combined') return this.error(0, 'Unknown property', rid);
        if (typeof params[1] !== 'boolean') return this.error(1, 'Invalid value type: expected Boolean', rid);
        this.combined = params[1];
        return this.answer({ result: null, id: rid });
      }
      default: {
        if (!Array.isArray(params) || params[0] !== 'combined') return this.error(0, 'Unknown property', rid);
        return this.answer({ result: this.combined, id: rid });
      }
    }
  }

  /** A frame of a stream this connection holds, in its form. */
  deliver(frame: SharedFrame): void {
    if (this.closed) return;
    const sent = this.options.timeUnit === 'MICROSECOND' ? frame.inMicroseconds : frame;
    this.options.send(this.combined ? sent.combined : sent.raw);
  }

  close(): void {
    this.closed = true;
    for (const name of this.streams.keys()) this.options.frames.detach(this.options.market, name, this);
    this.streams.clear();
  }

  private add(stream: StreamName): void {
    if (this.closed || this.streams.has(stream.name)) return;
    this.streams.set(stream.name, stream);
    this.options.frames.attach(this.options.market, stream, this);
  }

  private drop(name: string): void {
    if (this.streams.delete(name)) this.options.frames.detach(this.options.market, name, this);
  }

  /** `body` as JSON; its `id` (the last key) written out whole when it is a bigint. */
  private answer(body: Readonly<Record<string, unknown>> & { readonly id: RequestId }): void {
    const { id } = body;
    this.options.send(typeof id === 'bigint' ? `${JSON.stringify({ ...body, id: null }).slice(0, -'null}'.length)}${id}}` : JSON.stringify(body));
  }

  private error(code: number, msg: string, id: RequestId): void {
    // What the frame carried and the message echoes (a stream name, a method) is cut when absurdly long (core/bounded-text.ts).
    this.answer({ error: { code, msg: boundedText(msg) }, id });
  }
}

/** The request's `id` as the integer written, when it lies within int64 (JSON.parse rounds it beyond 2^53). */
function int64Of(text: string): bigint | undefined {
  try {
    const id = (parseJsonExactly(text) as { id?: unknown }).id;
    if (typeof id !== 'number' && typeof id !== 'string') return undefined;
    const value = BigInt(id);
    return value >= INT64_MIN && value <= INT64_MAX ? value : undefined;
  } catch {
    return undefined;
  }
}
