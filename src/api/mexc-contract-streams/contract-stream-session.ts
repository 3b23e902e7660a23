/**
 * One connection on MEXC's contract WebSocket (MEXC futures API docs, "WebSocket API";
 * wss://contract.mexc.com/edge), as MEXC speaks it and ccxt's pro `mexc` class reads it: JSON
 * requests `{"method","param"}`, JSON pushes `{"channel","data","symbol"?,"ts"}`.
 *
 *   → {"method":"ping"}                                      ← {"channel":"pong","data":<ms>}
 *   → {"method":"sub.depth","param":{"symbol":"BTC_USDT"}}   ← {"channel":"rs.sub.depth","data":"success"}
 *   ← {"channel":"push.depth","data":{"asks":[[p,vol]],"bids":[…],"version":v,"begin":b,"end":v},"symbol":"BTC_USDT","ts":…}
 *   → sub.depth.full {symbol, limit 5|10|20}  ← push.depth.full: the top `limit` levels, whole
 *   → sub.deal {symbol}                       ← push.deal: a list of {p, v, T, M, t}
 *   → sub.ticker {symbol}                     ← push.ticker: the REST ticker, at most once a second
 *   → unsub.<channel> {symbol}                ← rs.unsub.<channel>
 *   → {"method":"login","param":{"apiKey","reqTime","signature"}}  ← {"channel":"rs.login","data":"success"}
 *   then, for the key's account: push.personal.order, push.personal.order.deal,
 *   push.personal.position, push.personal.asset (all of them unless `param.subscribe` is false);
 *   → personal.filter {filters:[{filter:"order"|"order.deal"|"position"|"asset", rules:[symbols]}]}
 *     narrows them (no filters: all)                               ← rs.personal.filter
 *   anything else, or a refusal                                     ← {"channel":"rs.error","data":"<reason>"}
 *
 * Login: signature = lowercase hex HMAC-SHA256 of apiKey + reqTime with the account's secret,
 * reqTime (Unix ms) within 10 s of the server's clock, checked as the REST dialect checks a signed
 * request with no parameters (mexc-contract-signature.ts); a wrong key or signature counts towards
 * the address's authentication back-off. A paper account's login is answered, and its pushes start,
 * once the closes its open positions recorded before this process are read (`recordedFills`); the
 * frames that come meanwhile are handled after it, in order (at most 100, then rs.error).
 *
 * Guarantees: depth pushes chain (`begin` = the previous push's `version` + 1) while the book stays
 * synced, one per update of the kernel's book, `version` the REST depth's `version` once applied
 * (dialect-kit/depth-diffs.ts); personal pushes go to the logged-in account only
 * (contract-personal-pushes.ts). Times are the engine's exchange time.
 * Not modelled: MEXC's disconnect without a ping for a minute, kline, tickers, funding-rate and
 * index-price channels, stop-order and risk-limit pushes, `compress`ed depth (every diff is sent).
 * Cost: O(subscriptions) per hub batch and per diff; a logged-in connection also filters each
 * batch's events for its account and, after one that may move the asset, computes the asset.
 */
import type { KernelEvent } from '../../core/kernel/events.js';
import type { KernelInput } from '../../core/kernel/inputs.js';
import type { Kernel } from '../../core/kernel/kernel.js';
import type { CredentialStore } from '../../persistence/credential-store.js';
import type { DepthDiff } from '../dialect-kit/depth-diffs.js';
import type { MarketTape, TapeTrade } from '../dialect-kit/market-tape.js';
import type { PositionFillRow } from '../mexc-contract/mexc-contract-account-routes.js';
import { MexcContractError } from '../mexc-contract/mexc-contract-errors.js';
import { contractTicker } from '../mexc-contract/mexc-contract-market-routes.js';
import { verifyContractRequest } from '../mexc-contract/mexc-contract-signature.js';
import { findContract, type Contract } from '../mexc-contract/mexc-contract-symbols.js';
import { allPersonalPushes, PERSONAL_FILTERS, PersonalPushes } from './contract-personal-pushes.js';
import { answer, dealItems, depthLevels, pong, type PushFrame } from './contract-push-frames.js';
import { frameText } from '../utf8-request.js';

/** How often, at most, a `push.ticker` leaves per symbol. */
export const TICKER_INTERVAL_MS = 1_000;
const FULL_DEPTH_LIMITS = new Set([5, 10, 20]);
const PUBLIC_CHANNELS = new Set(['depth', 'depth.full', 'deal', 'ticker']);

export interface ContractSessionOptions {
  readonly kernel: () => Kernel;
  readonly tape: MarketTape;
  readonly credentials: CredentialStore;
  /** The server's clock, Unix ms: login times are checked against it, pongs carry it. */
  readonly wallClock: () => number;
  readonly send: (frame: PushFrame) => void;
  readonly close: (code: number, reason: string) => void;
  /** Public channels per connection. */
  readonly maxSubscriptions: number;
  readonly authFailed: () => void;
  readonly inBackOff: () => boolean;
  /** Paper: the recorded fills of the account's open positions, by position id, read at login (PersonalPushes `seed`). */
  readonly recordedFills?: (accountId: string) => Promise<ReadonlyMap<string, readonly PositionFillRow[]>>;
}

interface PublicSub {
  readonly channel: string;
  readonly contract: Contract;
  readonly limit: number;
  /** depth.full: the version last sent; ticker: the body last sent. */
  last: string;
  timer: NodeJS.Timeout | undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Frames a connection may send while a login is answered before they are refused. */
const MAX_QUEUED_FRAMES = 100;

export class ContractStreamSession {
  private readonly subs = new Map<string, PublicSub>();
  private login: PersonalPushes | undefined;
  /** Logins asked, and the one whose pushes run: a login answered after a newer one's keeps the newer's pushes. */
  private loginSeq = 0;
  private installedSeq = 0;
  private closed = false;
  /**
   * Frames that came while a login waited for its read (`recordedFills`), handled in order once it
   * is answered, as if each frame were handled after the one before: a `personal.filter` sent right
   * after the login applies to it, and a flood of logins reads one at a time. Undefined when no login waits.
   */
  private queued: Buffer[] | undefined;

  constructor(private readonly options: ContractSessionOptions) {}

  private get kernel(): Kernel {
    return this.options.kernel();
  }

  /** Stops the session's timers (the connection closed). */
  close(): void {
    for (const sub of this.subs.values()) clearTimeout(sub.timer);
    this.subs.clear();
    this.login = undefined;
    this.queued = undefined;
    this.closed = true;
  }

  /** The logged-in account, if any. */
  account(): string | undefined {
    return this.login?.account;
  }

  onMessage(raw: Buffer): void {
    if (this.queued !== undefined) {
      if (this.queued.length >= MAX_QUEUED_FRAMES) return this.options.send(answer('rs.error', `too many frames while a login is answered (at most ${MAX_QUEUED_FRAMES}): wait for rs.login`, this.options.wallClock()));
      this.queued.push(raw);
      return;
    }
    const ts = this.options.wallClock();
    let message: unknown;
    try {
      message = JSON.parse(frameText(raw));
    } catch {
      message = undefined;
    }
    if (!isRecord(message) || typeof message.method !== 'string') return this.options.send(answer('rs.error', 'invalid message: send a JSON object with a "method"', ts));
    const method = message.method;
    const param = isRecord(message.param) ? message.param : {};
    if (method === 'ping') return this.options.send(pong(ts));
    if (method === 'login') return this.onLogin(param, ts);
    if (method === 'personal.filter') return this.onFilter(param, ts);
    const sub = /^(un)?sub\.(.+)$/.exec(method);
    if (sub !== null && PUBLIC_CHANNELS.has(sub[2]!)) {
      const refusal = sub[1] === undefined ? this.subscribe(sub[2]!, param) : this.unsubscribe(sub[2]!, param);
      return this.options.send(refusal === undefined ? answer(`rs.${method}`, 'success', ts) : answer('rs.error', refusal, ts));
    }
    this.options.send(answer('rs.error', `unknown method ${JSON.stringify(method).slice(0, 80)}`, ts));
  }

  private contractOf(param: Record<string, unknown>): Contract | string {
    if (typeof param.symbol !== 'string' || param.symbol === '') return 'Param error! symbol is required';
    return findContract(this.kernel, param.symbol) ?? 'Contract does not exist!';
  }

  private subscribe(channel: string, param: Record<string, unknown>): string | undefined {
    const contract = this.contractOf(param);
    if (typeof contract === 'string') return contract;
    let limit = 0;
    if (channel === 'depth.full') {
      limit = param.limit === undefined ? 20 : Number(param.limit);
      if (!FULL_DEPTH_LIMITS.has(limit)) return 'Param error! limit is one of 5, 10, 20';
    }
    const key = `${channel}:${contract.symbol}`;
    const existing = this.subs.get(key);
    if (existing !== undefined) {
      if (channel === 'depth.full') this.subs.set(key, { ...existing, limit, last: '' });
      return undefined;
    }
    if (this.subs.size >= this.options.maxSubscriptions) return `at most ${this.options.maxSubscriptions} subscriptions per connection`;
    this.subs.set(key, { channel, contract, limit, last: '', timer: undefined });
    return undefined;
  }

  private unsubscribe(channel: string, param: Record<string, unknown>): string | undefined {
    const contract = this.contractOf(param);
    if (typeof contract === 'string') return contract;
    const key = `${channel}:${contract.symbol}`;
    clearTimeout(this.subs.get(key)?.timer);
    this.subs.delete(key);
    return undefined;
  }

  private onLogin(param: Record<string, unknown>, ts: number): void {
    const text = (name: string) => (typeof param[name] === 'string' ? (param[name] as string) : typeof param[name] === 'number' ? String(param[name]) : undefined);
    if (this.options.inBackOff()) return this.options.send(answer('rs.error', 'too many failed logins from this address: try again later', ts));
    try {
      const profile = verifyContractRequest(
        { method: 'GET', rawQuery: '', rawBody: '', apiKey: text('apiKey'), requestTime: text('reqTime'), signature: text('signature'), recvWindow: undefined },
        this.options.credentials,
        ts,
      );
      const filters = param.subscribe === false ? new Map<string, ReadonlySet<string>>() : allPersonalPushes();
      const seq = ++this.loginSeq;
      const start = (recorded: ReadonlyMap<string, readonly PositionFillRow[]> | undefined): void => {
        if (this.closed) return;
        if (seq > this.installedSeq) {
          const pushes = new PersonalPushes(profile.accountId, filters, this.options.kernel, this.options.tape, this.options.send);
          if (recorded !== undefined) pushes.seed(recorded);
          this.login = pushes;
          this.installedSeq = seq;
        }
        this.options.send(answer('rs.login', 'success', ts));
        this.drain();
      };
      // The pushes start, and the login is answered, once the recorded closes are read: a position
      // push never leaves them out. A failed read leaves the position pushes to the tape's fills.
      const read = this.options.recordedFills?.(profile.accountId);
      if (read === undefined) start(undefined);
      else {
        this.queued = [];
        read.then(start, () => start(undefined));
      }
    } catch (error) {
      if (!(error instanceof MexcContractError)) throw error;
      if (error.code === 401 || error.code === 602) this.options.authFailed();
      this.options.send(answer('rs.error', error.msg, ts));
    }
  }

  /**
   * Handles the frames queued while a login waited, in order; a queued login that waits in turn
   * queues those after it again. A frame that throws answers rs.error (this runs in a promise's
   * callback: the connection's guard around onMessage is not there).
   */
  private drain(): void {
    const frames = this.queued ?? [];
    this.queued = undefined;
    for (let i = 0; i < frames.length; i += 1) {
      if (this.closed) return;
      if (this.queued !== undefined) {
        (this.queued as Buffer[]).push(...frames.slice(i));
        return;
      }
      try {
        this.onMessage(frames[i]!);
      } catch {
        this.options.send(answer('rs.error', 'internal error', this.options.wallClock()));
      }
    }
  }

  private onFilter(param: Record<string, unknown>, ts: number): void {
    if (this.login === undefined) return this.options.send(answer('rs.error', 'Not logged in: send login first', ts));
    // A malformed filter is refused and the connection's filters stay as they were (absent filters: every push).
    if (param.filters !== undefined && !Array.isArray(param.filters)) return this.options.send(answer('rs.error', 'Param error! filters is a list', ts));
    const filters: unknown[] = Array.isArray(param.filters) ? param.filters : [];
    const next = new Map<string, ReadonlySet<string>>();
    for (const f of filters) {
      if (!isRecord(f) || typeof f.filter !== 'string' || !PERSONAL_FILTERS.has(f.filter)) {
        return this.options.send(answer('rs.error', `Param error! filter is one of ${[...PERSONAL_FILTERS].join(', ')}`, ts));
      }
      if (f.rules !== undefined && !(Array.isArray(f.rules) && f.rules.every((r) => typeof r === 'string'))) {
        return this.options.send(answer('rs.error', 'Param error! rules is a list of contract symbols', ts));
      }
      next.set(f.filter, new Set(Array.isArray(f.rules) ? (f.rules as string[]) : []));
    }
    this.login.filters = filters.length === 0 ? allPersonalPushes() : next;
    this.options.send(answer('rs.personal.filter', 'success', ts));
  }

  /** A diff of the kernel's book: `push.depth` as it comes, `push.depth.full` when the top changed. */
  onDiff(diff: DepthDiff): void {
    for (const sub of this.subs.values()) {
      if (sub.contract.instrument.symbol !== diff.symbol) continue;
      if (sub.channel === 'depth') {
        const data = { asks: depthLevels(sub.contract, diff.asks), bids: depthLevels(sub.contract, diff.bids), version: diff.finalUpdateId, begin: diff.firstUpdateId, end: diff.finalUpdateId };
        this.options.send({ channel: 'push.depth', data, symbol: sub.contract.symbol, ts: diff.time });
      } else if (sub.channel === 'depth.full') {
        const version = this.kernel.bookStatus(diff.symbol)?.updateId ?? diff.finalUpdateId;
        if (String(version) === sub.last) continue;
        sub.last = String(version);
        const top = this.kernel.depth(diff.symbol, sub.limit);
        if (top === undefined) continue;
        const data = { asks: depthLevels(sub.contract, top.asks), bids: depthLevels(sub.contract, top.bids), version };
        this.options.send({ channel: 'push.depth.full', data, symbol: sub.contract.symbol, ts: diff.time });
      }
    }
  }

  /** The hub's inputs and events: public trades and tickers, and the logged-in account's events. */
  onEngine(events: readonly KernelEvent[], input: KernelInput): void {
    if (this.subs.size > 0 && (input.kind === 'trade' || input.kind === 'book.delta' || input.kind === 'book.snapshot' || input.kind === 'mark')) this.onMarket(input);
    const login = this.login;
    if (login === undefined) return;
    const mine = events.filter((e) => 'account' in e && e.account === login.account);
    if (mine.length === 0) return;
    if (mine.some((e) => e.type === 'ACCOUNT_CLOSED')) {
      this.options.send(answer('rs.error', 'the account was deleted', this.kernel.now));
      this.login = undefined;
      this.options.close(1008, 'account deleted');
      return;
    }
    login.onEvents(mine);
  }

  private onMarket(input: Extract<KernelInput, { kind: 'trade' | 'book.delta' | 'book.snapshot' | 'mark' }>): void {
    for (const sub of this.subs.values()) {
      if (sub.contract.instrument.symbol !== input.symbol) continue;
      if (sub.channel === 'deal' && input.kind === 'trade') {
        const trade: TapeTrade = { id: input.tradeId, time: input.time, price: input.price, quantity: input.quantity, buyerMaker: input.buyerMaker };
        this.options.send({ channel: 'push.deal', data: dealItems(sub.contract, [trade]), symbol: sub.contract.symbol, ts: input.time });
      } else if (sub.channel === 'ticker') {
        sub.timer ??= setTimeout(() => {
          sub.timer = undefined;
          const ticker = contractTicker(this.kernel, this.options.tape, sub.contract);
          const { timestamp: _, ...body } = ticker;
          const key = JSON.stringify(body);
          if (key === sub.last) return;
          sub.last = key;
          this.options.send({ channel: 'push.ticker', data: ticker, symbol: sub.contract.symbol, ts: this.kernel.now });
        }, TICKER_INTERVAL_MS);
      }
    }
  }

}
