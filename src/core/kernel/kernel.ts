/**
 * The kernel: one sequencer, `handle(input) → events`, pure and synchronous.
 *
 * Guarantees:
 * - every input gets the next sequence number and is handled to completion before the next;
 * - no I/O, no wall clock, no randomness: the same inputs always give the same events;
 * - time is the inputs' exchange time; the clock never runs backwards (an input stamped earlier
 *   than the clock is handled at the clock's time);
 * - latency: a command submitted at t reaches the simulated venue at t + latencyMs. It is handled
 *   after every market event stamped at or before its arrival and before any stamped after it.
 * Not modelled here: persistence (the journal lives outside), futures (see accounts).
 */
import { SpotAccount, type FeeSchedule } from '../accounts/spot-account.js';
import { lockedAssetOf } from '../accounts/spot-settlement.js';
import type { Level } from '../book/order-book.js';
import type { Instrument } from '../instruments/instrument.js';
import { formatFixed, parseFixed, type Fixed } from '../money/fixed.js';
import { Market } from '../matching/market.js';
import { MatchingEngine } from '../matching/matching-engine.js';
import type { Order } from '../orders/order.js';
import { isOpenStatus } from '../orders/order-status.js';
import { parseOrderRequest, validateOrder } from '../orders/order-validation.js';
import { rejection, type Rejection } from '../orders/rejection.js';
import type { KernelEvent } from './events.js';
import type { CancelOrderInput, KernelInput, LevelInput, OpenAccountInput, PlaceOrderInput } from './inputs.js';

export interface KernelConfig {
  readonly instruments: readonly Instrument[];
  /** Delay between a command's submission and its arrival at the venue, in event-time ms. */
  readonly latencyMs?: number;
}

interface PendingCommand {
  readonly arrivesAt: number;
  readonly seq: number;
  readonly input: PlaceOrderInput | CancelOrderInput;
}

export class Kernel {
  private clock = 0;
  private sequence = 0;
  private orderSeq = 0;
  private tradeSeq = 0;
  private readonly latencyMs: number;
  private readonly markets = new Map<string, Market>();
  private readonly accountsById = new Map<string, SpotAccount>();
  private readonly ordersById = new Map<string, Order>();
  /** account → clientOrderId → latest order id with it. */
  private readonly clientIds = new Map<string, Map<string, string>>();
  private readonly pending: PendingCommand[] = [];
  private out: KernelEvent[] = [];
  private readonly engine: MatchingEngine;

  constructor(config: KernelConfig) {
    const latency = config.latencyMs ?? 0;
    if (!Number.isSafeInteger(latency) || latency < 0) throw new RangeError(`latency must be a whole number of ms ≥ 0, got ${latency}`);
    this.latencyMs = latency;
    for (const instrument of config.instruments) {
      if (this.markets.has(instrument.symbol)) throw new Error(`instrument ${instrument.symbol} is configured twice`);
      this.markets.set(instrument.symbol, new Market(instrument));
    }
    this.engine = new MatchingEngine({
      now: () => this.clock,
      emit: (event) => this.out.push(event),
      nextTradeId: () => String(++this.tradeSeq),
      account: (id) => this.accountsById.get(id)!,
    });
  }

  /** The kernel's clock: exchange time of the latest input, in ms. */
  get now(): number {
    return this.clock;
  }

  /** Number of inputs handled so far. */
  get inputCount(): number {
    return this.sequence;
  }

  handle(input: KernelInput): KernelEvent[] {
    if (!Number.isSafeInteger(input.time) || input.time < 0) throw new RangeError(`input time must be Unix ms, got ${input.time}`);
    this.sequence += 1;
    this.out = [];
    const isCommand = input.kind === 'order.place' || input.kind === 'order.cancel' || input.kind === 'account.open';
    // Arrivals stamped before this input happen first; for commands and clock ticks, those at the same ms too.
    this.releaseArrivals(isCommand || input.kind === 'clock' ? input.time : input.time - 1);
    if (input.time > this.clock) this.clock = input.time;
    switch (input.kind) {
      case 'book.snapshot': {
        const market = this.market(input.symbol);
        const outcome = market.sync.onSnapshot({ lastUpdateId: input.lastUpdateId, bids: levels(input.bids), asks: levels(input.asks) });
        this.afterBookOutcome(market, outcome);
        break;
      }
      case 'book.delta': {
        const market = this.market(input.symbol);
        const outcome = market.sync.onDelta({
          firstUpdateId: input.firstUpdateId,
          finalUpdateId: input.finalUpdateId,
          ...(input.previousFinalUpdateId !== undefined ? { previousFinalUpdateId: input.previousFinalUpdateId } : {}),
          bids: levels(input.bids),
          asks: levels(input.asks),
        });
        this.afterBookOutcome(market, outcome);
        break;
      }
      case 'trade': {
        const market = this.market(input.symbol);
        market.lastTradePrice = input.price;
        this.engine.onTrade(market, parseFixed(input.price), parseFixed(input.quantity), input.buyerMaker);
        break;
      }
      case 'clock':
        break;
      case 'account.open':
        this.openAccount(input);
        break;
      case 'order.place':
      case 'order.cancel':
        if (this.latencyMs === 0) this.arrive(input);
        else this.pending.push({ arrivesAt: input.time + this.latencyMs, seq: this.sequence, input });
        break;
      default: {
        const unknown: never = input;
        throw new Error(`unknown input kind: ${JSON.stringify(unknown)}`);
      }
    }
    return this.out;
  }

  // ---- queries (read-only views for the edges) ----

  instruments(): Instrument[] {
    return [...this.markets.values()].map((m) => m.instrument);
  }

  instrument(symbol: string): Instrument | undefined {
    return this.markets.get(symbol)?.instrument;
  }

  bookStatus(symbol: string): { status: string; updateId: number; reason: string } | undefined {
    const m = this.markets.get(symbol);
    return m && { status: m.sync.status, updateId: m.sync.updateId, reason: m.sync.reason };
  }

  /** Best `depth` levels per side as decimal strings. */
  depth(symbol: string, depth: number): { bids: [string, string][]; asks: [string, string][] } | undefined {
    const m = this.markets.get(symbol);
    if (m === undefined) return undefined;
    const fmt = (side: 'bids' | 'asks'): [string, string][] =>
      m.book[side].top(depth).map(([p, q]) => [formatFixed(p), formatFixed(q)]);
    return { bids: fmt('bids'), asks: fmt('asks') };
  }

  accountIds(): string[] {
    return [...this.accountsById.keys()].sort();
  }

  account(id: string): SpotAccount | undefined {
    return this.accountsById.get(id);
  }

  /** Balances as decimal strings, assets sorted: `{ USDT: { free, locked } }`. */
  balances(accountId: string): Record<string, { free: string; locked: string }> | undefined {
    const account = this.accountsById.get(accountId);
    if (account === undefined) return undefined;
    const out: Record<string, { free: string; locked: string }> = {};
    for (const asset of account.assets()) {
      const b = account.balance(asset);
      out[asset] = { free: formatFixed(b.free), locked: formatFixed(b.locked) };
    }
    return out;
  }

  order(orderId: string): Readonly<Order> | undefined {
    return this.ordersById.get(orderId);
  }

  orders(accountId: string): Readonly<Order>[] {
    return [...this.ordersById.values()].filter((o) => o.account === accountId);
  }

  openOrders(accountId: string): Readonly<Order>[] {
    return this.orders(accountId).filter((o) => isOpenStatus(o.status));
  }

  /** Commands submitted but not yet arrived at the venue. */
  pendingCount(): number {
    return this.pending.length;
  }

  /** Throws when any account's balances break their ledger or disagree with its open orders. */
  checkInvariants(): void {
    for (const account of this.accountsById.values()) {
      account.reconcile();
      const lockedByOrders = new Map<string, Fixed>();
      for (const order of this.orders(account.id)) {
        if (order.locked < 0n) throw new Error(`order ${order.id} holds a negative lock`);
        if (!isOpenStatus(order.status) && order.locked !== 0n) throw new Error(`closed order ${order.id} still holds a lock`);
        lockedByOrders.set(order.lockedAsset, (lockedByOrders.get(order.lockedAsset) ?? 0n) + order.locked);
      }
      for (const asset of account.assets()) {
        const locked = account.balance(asset).locked;
        const expected = lockedByOrders.get(asset) ?? 0n;
        if (locked !== expected) {
          throw new Error(`account ${account.id}: ${asset} locked ${formatFixed(locked)} but open orders hold ${formatFixed(expected)}`);
        }
      }
    }
  }

  // ---- internals ----

  private market(symbol: string): Market {
    const market = this.markets.get(symbol);
    if (market === undefined) throw new Error(`market data for an unconfigured symbol: ${symbol}`);
    return market;
  }

  private afterBookOutcome(market: Market, outcome: ReturnType<Market['sync']['onDelta']>): void {
    const symbol = market.instrument.symbol;
    if (outcome.kind === 'gap') {
      this.out.push({ type: 'BOOK_RESYNC_NEEDED', at: this.clock, symbol, updateId: market.sync.updateId, reason: outcome.reason });
      return;
    }
    if (outcome.kind !== 'applied') return;
    if (outcome.resynced) this.out.push({ type: 'BOOK_SYNCED', at: this.clock, symbol, updateId: market.sync.updateId });
    this.engine.onBookChanged(market, outcome.changed, outcome.resynced);
  }

  private releaseArrivals(upTo: number): void {
    if (this.pending.length === 0) return;
    this.pending.sort((a, b) => a.arrivesAt - b.arrivesAt || a.seq - b.seq);
    while (this.pending.length > 0 && this.pending[0]!.arrivesAt <= upTo) {
      const next = this.pending.shift()!;
      if (next.arrivesAt > this.clock) this.clock = next.arrivesAt;
      this.arrive(next.input);
    }
  }

  private arrive(input: PlaceOrderInput | CancelOrderInput): void {
    if (input.kind === 'order.place') this.place(input);
    else this.cancel(input);
  }

  private openAccount(input: OpenAccountInput): void {
    const reject = (why: Rejection): void => {
      this.out.push({ type: 'ACCOUNT_REJECTED', at: this.clock, account: input.account, code: why.code, message: why.message });
    };
    if (typeof input.account !== 'string' || input.account.length === 0) return reject(rejection('INVALID_ORDER', 'account id must be a non-empty string'));
    if (this.accountsById.has(input.account)) return reject(rejection('DUPLICATE_ACCOUNT', input.account));
    const amounts: [string, Fixed][] = [];
    try {
      for (const [asset, amount] of Object.entries(input.balances)) {
        const value = parseFixed(amount);
        if (value < 0n) return reject(rejection('INVALID_ORDER', `balance of ${asset} must not be negative`));
        amounts.push([asset, value]);
      }
      const fees: FeeSchedule = {
        ...(input.fees?.maker !== undefined ? { maker: parseFixed(input.fees.maker) } : {}),
        ...(input.fees?.taker !== undefined ? { taker: parseFixed(input.fees.taker) } : {}),
        ...(input.fees?.feeAsset !== undefined ? { feeAsset: input.fees.feeAsset } : {}),
      };
      const account = new SpotAccount(input.account, fees);
      for (const [asset, value] of amounts.sort((a, b) => (a[0] < b[0] ? -1 : 1))) account.deposit(asset, value);
      this.accountsById.set(input.account, account);
      this.clientIds.set(input.account, new Map());
    } catch (e) {
      return reject(rejection('INVALID_ORDER', e instanceof Error ? e.message : String(e)));
    }
    this.out.push({ type: 'ACCOUNT_OPENED', at: this.clock, account: input.account, balances: this.flatBalances(input.account) });
  }

  private flatBalances(accountId: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [asset, b] of Object.entries(this.balances(accountId) ?? {})) out[asset] = b.free;
    return out;
  }

  private place(input: PlaceOrderInput): void {
    const clientOrderId = input.clientOrderId ?? `papertrade-${this.orderSeq + 1}`;
    const reject = (why: Rejection): void => {
      this.out.push({
        type: 'ORDER_REJECTED',
        at: this.clock,
        account: input.account,
        clientOrderId,
        symbol: input.symbol,
        status: 'REJECTED',
        code: why.code,
        mexcCode: why.mexcCode,
        message: why.message,
      });
    };
    const account = this.accountsById.get(input.account);
    if (account === undefined) return reject(rejection('UNKNOWN_ACCOUNT', input.account));
    const market = this.markets.get(input.symbol);
    if (market === undefined) return reject(rejection('UNKNOWN_SYMBOL', input.symbol));
    const parsed = parseOrderRequest(input);
    if (!parsed.ok) return reject(parsed.error);
    const valid = validateOrder(parsed.value, market.instrument);
    if (!valid.ok) return reject(valid.error);
    const ids = this.clientIds.get(input.account)!;
    const previous = ids.get(clientOrderId);
    if (previous !== undefined && isOpenStatus(this.ordersById.get(previous)!.status)) {
      return reject(rejection('DUPLICATE_CLIENT_ORDER_ID', clientOrderId));
    }
    const request = valid.value;
    const order: Order = {
      id: String(this.orderSeq + 1),
      clientOrderId,
      account: input.account,
      symbol: input.symbol,
      side: request.side,
      type: request.type,
      price: request.price,
      quantity: request.quantity ?? 0n,
      quoteOrderQty: request.quoteOrderQty,
      submittedAt: input.time,
      arrivesAt: this.clock,
      arrivalSeq: this.sequence,
      status: 'NEW',
      executedQty: 0n,
      cumulativeQuoteQty: 0n,
      locked: 0n,
      lockedAsset: lockedAssetOf(request.side, market.instrument),
      queueAhead: 0n,
      updatedAt: this.clock,
    };
    const refused = this.engine.arrive(order, market);
    if (refused !== undefined) return reject(refused);
    this.orderSeq += 1;
    this.ordersById.set(order.id, order);
    ids.set(clientOrderId, order.id);
  }

  private cancel(input: CancelOrderInput): void {
    const reject = (why: Rejection): void => {
      this.out.push({
        type: 'CANCEL_REJECTED',
        at: this.clock,
        account: input.account,
        ...(input.orderId !== undefined ? { orderId: input.orderId } : {}),
        ...(input.clientOrderId !== undefined ? { clientOrderId: input.clientOrderId } : {}),
        code: why.code,
        mexcCode: why.mexcCode,
        message: why.message,
      });
    };
    const orderId = input.orderId ?? this.clientIds.get(input.account)?.get(input.clientOrderId ?? '');
    const order = orderId === undefined ? undefined : this.ordersById.get(orderId);
    // Another account's order is indistinguishable from a missing one.
    if (order === undefined || order.account !== input.account) return reject(rejection('UNKNOWN_ORDER'));
    if (!isOpenStatus(order.status)) return reject(rejection('ORDER_NOT_OPEN'));
    this.engine.cancel(order, this.market(order.symbol), 'CANCELED_BY_USER');
  }
}

function levels(raw: readonly LevelInput[]): Level[] {
  return raw.map(([price, size]) => [parseFixed(price), parseFixed(size)] as const);
}
