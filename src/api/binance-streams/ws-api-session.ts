/**
 * The user data stream through Binance's WebSocket API (`/ws-api/v3`), the way Binance now serves
 * it for spot and ccxt's `binance` class subscribes to it
 * (https://developers.binance.com/docs/binance-spot-api-docs/websocket-api/user-data-stream-requests):
 * `userDataStream.subscribe.signature` with `apiKey`, `timestamp`, (`recvWindow`) and `signature`,
 * the HMAC-SHA256 of the other parameters sorted by name as `k=v&…`; `userDataStream.unsubscribe`;
 * `session.subscriptions`; `ping`; `time`. Answers are `{"id","status":200,"result":…}` or
 * `{"id","status":<4xx>,"error":{"code","msg"}}`; events arrive as `{"subscriptionId":n,"event":{…}}`.
 * With `timeUnit=MICROSECOND` in the URL, `time`'s `serverTime` and every event's time fields are in
 * microseconds (https://developers.binance.com/docs/binance-spot-api-docs/web-socket-api/general-api-information).
 *
 * Guarantees: the signature and recvWindow are checked as for SIGNED spot REST requests (dialect-kit
 * signed-request.ts, Binance's errors; a timestamp in ms or µs); a subscription sees only its
 * account's events.
 * Limits, as Binance's: one active subscription per account and connection (another is -2035
 * SUBSCRIPTION_ACTIVE), at most 1,000 active and 65,535 over the connection's life (-2042); an
 * unsubscribe of an id that is not active is -2036 SUBSCRIPTION_INACTIVE
 * (https://developers.binance.com/docs/binance-spot-api-docs/errors). Without them one signed
 * request repeated made every event of the account go out once per copy.
 * Not modelled: `session.logon`, order placement over the WebSocket API, request weights.
 */
import { boundedText } from '../../core/bounded-text.js';
import type { KernelEvent } from '../../core/kernel/events.js';
import type { Kernel } from '../../core/kernel/kernel.js';
import type { CredentialStore } from '../../persistence/credential-store.js';
import { BinanceError } from '../binance/binance-errors.js';
import { verifyBinanceRequest } from '../binance/binance-signature.js';
import { inTimeUnit, type TimeUnit } from './market-frames.js';
import { UserDataSession } from './user-data-session.js';
import { frameText } from '../utf8-request.js';

type RequestId = number | string | null;

/** Binance: "A single session supports up to 1,000 active subscriptions simultaneously." */
export const MAX_ACTIVE_SUBSCRIPTIONS = 1_000;
/** Binance: "A single session can handle a maximum of 65,535 total subscriptions over its lifetime." */
export const MAX_SUBSCRIPTION_IDS = 65_535;

export interface WsApiOptions {
  readonly kernel: () => Kernel;
  readonly credentials: CredentialStore;
  readonly wallClock: () => number;
  readonly send: (frame: unknown) => void;
  /** The unit of the answers' and events' time fields (`timeUnit` in the URL); milliseconds when absent. */
  readonly timeUnit?: TimeUnit;
  /** Whether the account trades spot (the WebSocket API's user data stream is the spot wallet's). */
  readonly isSpotAccount: (accountId: string) => boolean;
  /** A wrong key or signature (counts towards the address's back-off); true when the address is in back-off now. */
  readonly authFailed: () => void;
  readonly inBackOff: () => boolean;
}

export class WsApiSession {
  private readonly subscriptions = new Map<number, UserDataSession>();
  private nextId = 0;

  constructor(private readonly options: WsApiOptions) {}

  onEngine(events: readonly KernelEvent[]): void {
    for (const session of this.subscriptions.values()) session.onEngine(events);
  }

  /** The accounts this connection follows (to end it when one is deleted). */
  accounts(): string[] {
    return [...this.subscriptions.values()].map((s) => s.accountId);
  }

  /** The id of the account's active subscription, if it has one. */
  subscriptionOf(accountId: string): number | undefined {
    for (const [id, session] of this.subscriptions) if (session.accountId === accountId) return id;
    return undefined;
  }

  /** Answers one client frame (its text, or a binary frame's bytes: bytes that are not UTF-8 are not JSON). */
  onMessage(frame: string | Buffer): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(typeof frame === 'string' ? frame : frameText(frame));
    } catch {
      return this.fail(null, 400, -1100, 'Illegal characters found in a parameter: the request is not valid JSON.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return this.fail(null, 400, -1100, 'Illegal characters found in a parameter: the request must be a JSON object.');
    const request = parsed as { id?: unknown; method?: unknown; params?: unknown };
    const id: RequestId = typeof request.id === 'number' || typeof request.id === 'string' ? request.id : null;
    const params = typeof request.params === 'object' && request.params !== null && !Array.isArray(request.params) ? (request.params as Record<string, unknown>) : {};
    switch (request.method) {
      case 'ping':
        return this.ok(id, {});
      case 'time':
        return this.ok(id, { serverTime: this.options.wallClock() * (this.options.timeUnit === 'MICROSECOND' ? 1_000 : 1) });
      case 'userDataStream.subscribe.signature':
        return this.subscribe(id, params);
      case 'userDataStream.unsubscribe': {
        const which = params.subscriptionId;
        if (which === undefined) this.subscriptions.clear();
        else if (typeof which !== 'number' || !this.subscriptions.delete(which)) return this.fail(id, 400, -2036, 'User Data Stream subscription not active.');
        return this.ok(id, {});
      }
      case 'session.subscriptions':
        return this.ok(id, [...this.subscriptions.keys()].map((subscriptionId) => ({ subscriptionId })));
      default:
        return this.fail(id, 400, -1020, `This operation is not supported. Method ${JSON.stringify(request.method)} is not served here.`);
    }
  }

  private subscribe(id: RequestId, params: Record<string, unknown>): void {
    if (this.options.inBackOff()) return this.fail(id, 429, -1003, 'Too many requests: too many failed authentications from this address.');
    const text: Record<string, string> = {};
    for (const [key, value] of Object.entries(params)) text[key] = typeof value === 'string' ? value : JSON.stringify(value);
    const signature = text.signature;
    const payload = Object.keys(text)
      .filter((k) => k !== 'signature')
      .sort()
      .map((k) => `${k}=${text[k]}`)
      .join('&');
    try {
      const profile = verifyBinanceRequest(
        { rawQuery: signature === undefined ? payload : `${payload}&signature=${signature}`, apiKey: text.apiKey, params: text },
        this.options.credentials,
        this.options.wallClock(),
        true,
      );
      if (!this.options.isSpotAccount(profile.accountId)) return this.fail(id, 401, -2015, 'Invalid API-key, IP, or permissions for action.');
      if (this.accounts().includes(profile.accountId)) return this.fail(id, 400, -2035, 'User Data Stream subscription already active.');
      if (this.subscriptions.size >= MAX_ACTIVE_SUBSCRIPTIONS || this.nextId >= MAX_SUBSCRIPTION_IDS) return this.fail(id, 400, -2042, 'Maximum subscription ID reached for this connection.');
      const subscriptionId = this.nextId++;
      this.subscriptions.set(subscriptionId, new UserDataSession(profile.accountId, 'spot', this.options.kernel, (event) => this.options.send({ subscriptionId, event: inTimeUnit(event, this.options.timeUnit) })));
      return this.ok(id, { subscriptionId });
    } catch (error) {
      if (!(error instanceof BinanceError)) throw error;
      if ([-2014, -2015, -1022].includes(error.code)) this.options.authFailed();
      return this.fail(id, error.status, error.code, error.msg);
    }
  }

  private ok(id: RequestId, result: unknown): void {
    this.options.send({ id, status: 200, result, rateLimits: [] });
  }

  private fail(id: RequestId, status: number, code: number, msg: string): void {
    // What the frame carried and the message echoes (a method) is cut when absurdly long (core/bounded-text.ts).
    this.options.send({ id, status, error: { code, msg: boundedText(msg) } });
  }
}
