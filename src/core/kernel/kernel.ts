/**
 * The kernel: one sequencer, `handle(input) → events`, pure and synchronous.
 *
 * Guarantees:
 * - every input gets the next sequence number and is handled to completion before the next;
 * - no I/O, no wall clock, no randomness: the same inputs always give the same events;
 * - time is the inputs' exchange time; the clock never runs backwards (an input stamped earlier
 *   than the clock is handled at the clock's time);
 * - latency: a command submitted at t reaches the simulated venue at t + latencyMs. It is handled
 *   after every market event stamped at or before its arrival and before any stamped after it;
 * - funding times and equity samples happen when the clock crosses them, before the input that
 *   crossed them.
 * Not modelled here: persistence (the journal lives outside).
 */
import { FuturesAccount } from '../accounts/futures-account.js';
import { FuturesOrderSettlement } from '../accounts/futures-settlement.js';
import { maxLeverageFor, notional } from '../accounts/position.js';
import { SpotAccount, type FeeSchedule } from '../accounts/spot-account.js';
import { SpotOrderSettlement } from '../accounts/spot-order-settlement.js';
import { lockedAssetOf } from '../accounts/spot-settlement.js';
import type { Level } from '../book/order-book.js';
import type { Instrument } from '../instruments/instrument.js';
import { formatFixed, parseFixed, type Fixed } from '../money/fixed.js';
import { Market } from '../matching/market.js';
import { MatchingEngine } from '../matching/matching-engine.js';
import type { Settlement } from '../matching/settlement.js';
import { isConditional, type Order } from '../orders/order.js';
import { isOpenStatus } from '../orders/order-status.js';
import { parseOrderRequest, validateOrder } from '../orders/order-validation.js';
import { rejection, type Rejection, type RejectionCode } from '../orders/rejection.js';
import { equityEvent, equityOf, observeEquity, type Account, type HealthState } from './account-health.js';
import type { KernelEvent } from './events.js';
import { ACCOUNT_DOCUMENT_FORMAT, decodeDocument, decodeState, encodeDocument, encodeState, SNAPSHOT_VERSION, type AccountDocument, type AccountState, type HealthSnapshot } from './kernel-snapshot.js';
import { DrawdownTracker } from '../accounts/metrics.js';
import { applyFunding, checkLiquidations, type RiskContext } from './futures-risk.js';
import type { CancelOrderInput, CloseAccountInput, ImportAccountInput, KernelInput, LevelInput, OpenAccountInput, PlaceOrderInput, ResetAccountInput, SetLeverageInput } from './inputs.js';

export interface KernelConfig {
  readonly instruments: readonly Instrument[];
  /** Delay between a command's submission and its arrival at the venue, in event-time ms. */
  readonly latencyMs?: number;
  /** The tape conditional orders trigger on: last trade price (default) or mark price. */
  readonly triggerSource?: 'last' | 'mark';
  /** Equity sampling interval in ms (default 60,000; 0 turns sampling off). */
  readonly equityIntervalMs?: number;
  /** The asset equity is measured in (default USDT). */
  readonly valuationAsset?: string;
  /** Funding for perpetuals: interval (default 8 h, epoch-aligned: 00:00, 08:00, 16:00 UTC) and rates per symbol. */
  readonly funding?: { readonly intervalMs?: number; readonly rates?: Readonly<Record<string, string>> };
}

interface PendingCommand {
  readonly arrivesAt: number;
  readonly seq: number;
  readonly input: PlaceOrderInput | CancelOrderInput;
}

const EIGHT_HOURS = 8 * 60 * 60 * 1000;
const ACCOUNT_EVENTS = new Set(['FILL', 'FUNDING', 'LIQUIDATION']);

export class Kernel {
  private clock = 0;
  private started = false;
  private sequence = 0;
  private orderSeq = 0;
  private tradeSeq = 0;
  private readonly latencyMs: number;
  private readonly triggerSource: 'last' | 'mark';
  private readonly equityIntervalMs: number;
  private readonly valuationAsset: string;
  private readonly fundingIntervalMs: number;
  private readonly fundingRates = new Map<string, Fixed>();
  private nextSampleAt = 0;
  private nextFundingAt = 0;
  private readonly markets = new Map<string, Market>();
  private readonly accountsById = new Map<string, Account>();
  private readonly health = new Map<string, HealthState>();
  private readonly ordersById = new Map<string, Order>();
  /** account → clientOrderId → latest order id with it. */
  private readonly clientIds = new Map<string, Map<string, string>>();
  private readonly settlements = new Map<string, Settlement>();
  private readonly pending: PendingCommand[] = [];
  private out: KernelEvent[] = [];
  private readonly engine: MatchingEngine;
  /** What the kernel's behaviour depends on; a snapshot only restores under the same. */
  private readonly fingerprint: string;

  constructor(config: KernelConfig) {
    const latency = config.latencyMs ?? 0;
    if (!Number.isSafeInteger(latency) || latency < 0) throw new RangeError(`latency must be a whole number of ms ≥ 0, got ${latency}`);
    this.latencyMs = latency;
    this.triggerSource = config.triggerSource ?? 'last';
    this.equityIntervalMs = config.equityIntervalMs ?? 60_000;
    this.valuationAsset = config.valuationAsset ?? 'USDT';
    this.fundingIntervalMs = config.funding?.intervalMs ?? EIGHT_HOURS;
    if (!Number.isSafeInteger(this.fundingIntervalMs) || this.fundingIntervalMs <= 0) throw new RangeError('funding interval must be a positive number of ms');
    for (const instrument of config.instruments) {
      if (this.markets.has(instrument.symbol)) throw new Error(`instrument ${instrument.symbol} is configured twice`);
      this.markets.set(instrument.symbol, new Market(instrument));
    }
    for (const [symbol, rate] of Object.entries(config.funding?.rates ?? {})) {
      if (this.markets.get(symbol)?.instrument.market !== 'perpetual') throw new Error(`funding rate for ${symbol}, which is not a configured perpetual`);
      this.fundingRates.set(symbol, parseFixed(rate));
    }
    this.fingerprint = JSON.stringify({
      instruments: config.instruments.map((i) => `${i.exchange}:${i.market}:${i.symbol}`),
      latencyMs: this.latencyMs,
      triggerSource: this.triggerSource,
      equityIntervalMs: this.equityIntervalMs,
      valuationAsset: this.valuationAsset,
      fundingIntervalMs: this.fundingIntervalMs,
      fundingRates: [...this.fundingRates].map(([symbol, rate]) => `${symbol}=${formatFixed(rate)}`),
    });
    this.engine = new MatchingEngine({
      now: () => this.clock,
      emit: (event) => this.out.push(event),
      nextTradeId: () => String(++this.tradeSeq),
      settlement: (order, market) => this.settlementFor(order.account, market),
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
    // Market data for a symbol the kernel does not trade is refused before anything changes.
    if ((input.kind === 'book.snapshot' || input.kind === 'book.delta' || input.kind === 'trade' || input.kind === 'mark' || input.kind === 'funding') && !this.markets.has(input.symbol)) {
      throw new Error(`market data for an unconfigured symbol: ${input.symbol}`);
    }
    this.sequence += 1;
    this.out = [];
    const isCommand = input.kind !== 'book.snapshot' && input.kind !== 'book.delta' && input.kind !== 'trade' && input.kind !== 'mark' && input.kind !== 'funding' && input.kind !== 'clock';
    // Arrivals stamped before this input happen first; for commands and clock ticks, those at the same ms too.
    this.releaseArrivals(isCommand || input.kind === 'clock' ? input.time : input.time - 1);
    this.advanceClock(input.time);
    switch (input.kind) {
      case 'book.snapshot': {
        const market = this.market(input.symbol);
        this.afterBookOutcome(market, market.sync.onSnapshot({ lastUpdateId: input.lastUpdateId, bids: levels(input.bids), asks: levels(input.asks) }));
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
        const price = parseFixed(input.price);
        market.lastTradePrice = input.price;
        this.engine.onTrade(market, price, parseFixed(input.quantity), input.buyerMaker);
        if (this.triggerSource === 'last' && market.usable) this.engine.onTriggerPrice(market, price);
        break;
      }
      case 'mark': {
        const market = this.market(input.symbol);
        market.markFromInput = true;
        this.setMark(market, parseFixed(input.price));
        break;
      }
      case 'funding':
        applyFunding(this.riskContext(), this.market(input.symbol), parseFixed(input.rate), this.futuresAccounts());
        break;
      case 'clock':
        break;
      case 'account.open':
        this.openAccount(input);
        break;
      case 'leverage.set':
        this.setLeverage(input);
        break;
      case 'account.reset':
      case 'account.close':
        this.endAccount(input);
        break;
      case 'account.import':
        this.importAccount(input);
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
    if (input.kind === 'book.snapshot' || input.kind === 'book.delta' || input.kind === 'trade' || input.kind === 'mark') this.guardDrawdowns();
    this.recordHealth();
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
    const fmt = (side: 'bids' | 'asks'): [string, string][] => m.book[side].top(depth).map(([p, q]) => [formatFixed(p), formatFixed(q)]);
    return { bids: fmt('bids'), asks: fmt('asks') };
  }

  markPrice(symbol: string): Fixed | undefined {
    return this.markets.get(symbol)?.mark;
  }

  accountIds(): string[] {
    return [...this.accountsById.keys()].sort();
  }

  account(id: string): Account | undefined {
    return this.accountsById.get(id);
  }

  isHalted(id: string): boolean {
    return this.health.get(id)?.halted ?? false;
  }

  equity(id: string): Fixed | undefined {
    const account = this.accountsById.get(id);
    return account === undefined ? undefined : equityOf(account, this.markets, this.valuationAsset);
  }

  /** Balances as decimal strings, assets sorted: `{ USDT: { free, locked } }` (futures: locked = margin in use). */
  balances(accountId: string): Record<string, { free: string; locked: string }> | undefined {
    const account = this.accountsById.get(accountId);
    if (account === undefined) return undefined;
    if (account.kind === 'futures') return { [account.settleAsset]: { free: formatFixed(account.cash), locked: formatFixed(account.marginUsed()) } };
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
      const lockedByOrders = new Map<string, Fixed>();
      for (const order of this.orders(account.id)) {
        if (order.locked < 0n) throw new Error(`order ${order.id} holds a negative lock`);
        if (!isOpenStatus(order.status) && order.locked !== 0n) throw new Error(`closed order ${order.id} still holds a lock`);
        lockedByOrders.set(order.lockedAsset, (lockedByOrders.get(order.lockedAsset) ?? 0n) + order.locked);
      }
      if (account.kind === 'futures') {
        account.reconcile(lockedByOrders.get(account.settleAsset) ?? 0n);
        continue;
      }
      account.reconcile();
      for (const asset of account.assets()) {
        const locked = account.balance(asset).locked;
        const expected = lockedByOrders.get(asset) ?? 0n;
        if (locked !== expected) throw new Error(`account ${account.id}: ${asset} locked ${formatFixed(locked)} but open orders hold ${formatFixed(expected)}`);
      }
    }
  }

  // ---- one account as a document ----

  /** One account as a JSON document (the seed's single-record mode); undefined for an unknown id. */
  exportAccount(accountId: string): string | undefined {
    const account = this.accountsById.get(accountId);
    if (account === undefined) return undefined;
    const placements: Record<string, 'resting' | 'waiting' | 'conditional'> = {};
    for (const market of this.markets.values()) {
      for (const o of [...market.bids.all(), ...market.asks.all()]) if (o.account === accountId) placements[o.id] = 'resting';
      for (const o of market.waiting) if (o.account === accountId) placements[o.id] = 'waiting';
      for (const o of market.conditionals) if (o.account === accountId) placements[o.id] = 'conditional';
    }
    return encodeDocument({
      format: ACCOUNT_DOCUMENT_FORMAT,
      version: 1,
      exportedAt: this.clock,
      account: accountToState(account),
      health: healthToSnapshot(this.health.get(accountId)!),
      orders: this.orders(accountId),
      placements,
      clientIds: [...(this.clientIds.get(accountId) ?? new Map<string, string>())],
    });
  }

  private importAccount(input: ImportAccountInput): void {
    const reject = (code: RejectionCode, message: string, account = input.account ?? '') => {
      this.out.push({ type: 'ACCOUNT_REJECTED', at: this.clock, account, code, message });
    };
    let document: AccountDocument;
    try {
      document = decodeDocument(input.document);
    } catch (e) {
      return reject('INVALID_ORDER', e instanceof Error ? e.message : String(e));
    }
    const id = input.account ?? document.account.id;
    if (this.accountsById.has(id)) return reject('DUPLICATE_ACCOUNT', `account ${id} already exists`, id);
    for (const order of document.orders) {
      if (document.placements[order.id] !== undefined && !this.markets.has(order.symbol)) return reject('UNKNOWN_SYMBOL', `open order ${order.id} is on ${order.symbol}, which this engine does not trade`, id);
    }
    const account = accountFromState({ ...document.account, id });
    this.accountsById.set(id, account);
    this.health.set(id, healthFromSnapshot(document.health));
    // Orders get ids of this engine; open ones rejoin the back of their queue.
    const newIds = new Map<string, string>();
    for (const exported of document.orders) {
      this.orderSeq += 1;
      const order: Order = { ...exported, id: String(this.orderSeq), account: id, arrivalSeq: this.sequence };
      newIds.set(exported.id, order.id);
      this.ordersById.set(order.id, order);
      const market = this.markets.get(order.symbol);
      const placement = document.placements[exported.id];
      if (market === undefined || placement === undefined) continue;
      if (placement === 'resting') {
        order.queueAhead = (order.side === 'BUY' ? market.book.bids : market.book.asks).sizeAt(order.price!);
        market.resting(order.side).insert(order);
      } else if (placement === 'waiting') market.waiting.push(order);
      else market.conditionals.push(order);
    }
    this.clientIds.set(id, new Map(document.clientIds.flatMap(([client, old]) => (newIds.has(old) ? [[client, newIds.get(old)!] as const] : []))));
    this.out.push({ type: 'ACCOUNT_IMPORTED', at: this.clock, account: id, balances: this.flatBalances(id), openOrders: Object.keys(document.placements).length });
  }

  private flatBalances(id: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [asset, b] of Object.entries(this.balances(id) ?? {})) out[asset] = b.free;
    return out;
  }

  // ---- snapshots ----

  /** The whole state as one deterministic JSON document (see kernel-snapshot.ts). */
  snapshot(): string {
    const ids = (orders: readonly Order[]) => orders.map((o) => o.id);
    return encodeState({
      version: SNAPSHOT_VERSION,
      config: this.fingerprint,
      clock: this.clock,
      started: this.started,
      sequence: this.sequence,
      orderSeq: this.orderSeq,
      tradeSeq: this.tradeSeq,
      nextSampleAt: this.nextSampleAt,
      nextFundingAt: this.nextFundingAt,
      markets: [...this.markets.values()].map((m) => ({
        symbol: m.instrument.symbol,
        sync: m.sync.exportState(),
        own: m.own.entries(),
        resting: ids([...m.bids.all(), ...m.asks.all()]),
        waiting: ids(m.waiting),
        conditionals: ids(m.conditionals),
        mark: m.mark,
        markFromInput: m.markFromInput,
        lastTradePrice: m.lastTradePrice,
      })),
      accounts: [...this.accountsById.values()].map(accountToState),
      health: [...this.health].map(([id, h]) => [id, healthToSnapshot(h)]),
      orders: [...this.ordersById.values()],
      clientIds: [...this.clientIds].map(([account, map]) => [account, [...map]]),
      pending: this.pending,
    });
  }

  /** A kernel in exactly the state `snapshot()` recorded, under the same configuration. */
  static restore(config: KernelConfig, snapshot: string): Kernel {
    const state = decodeState(snapshot);
    const kernel = new Kernel(config);
    if (state.config !== kernel.fingerprint) {
      throw new Error(`snapshot taken under another configuration:\n  snapshot: ${state.config}\n  now:      ${kernel.fingerprint}`);
    }
    Object.assign(kernel, {
      clock: state.clock, started: state.started, sequence: state.sequence, orderSeq: state.orderSeq,
      tradeSeq: state.tradeSeq, nextSampleAt: state.nextSampleAt, nextFundingAt: state.nextFundingAt,
    });
    for (const order of state.orders) kernel.ordersById.set(order.id, { ...order });
    const order = (id: string): Order => kernel.ordersById.get(id) ?? fail(`snapshot names unknown order ${id}`);
    for (const m of state.markets) {
      const market = kernel.markets.get(m.symbol) ?? fail(`snapshot has market ${m.symbol}, which is not configured`);
      market.sync.importState(m.sync);
      market.own.restore(m.own);
      for (const id of m.resting) market.resting(order(id).side).insert(order(id));
      market.waiting.push(...m.waiting.map(order));
      market.conditionals.push(...m.conditionals.map(order));
      market.mark = m.mark;
      market.markFromInput = m.markFromInput;
      market.lastTradePrice = m.lastTradePrice;
    }
    for (const a of state.accounts) kernel.accountsById.set(a.id, accountFromState(a));
    for (const [id, h] of state.health) kernel.health.set(id, healthFromSnapshot(h));
    for (const [account, entries] of state.clientIds) kernel.clientIds.set(account, new Map(entries));
    kernel.pending.push(...state.pending);
    return kernel;
  }

  // ---- internals ----

  private market(symbol: string): Market {
    const market = this.markets.get(symbol);
    if (market === undefined) throw new Error(`market data for an unconfigured symbol: ${symbol}`);
    return market;
  }

  private *futuresAccounts(): Generator<FuturesAccount> {
    for (const account of this.accountsById.values()) if (account.kind === 'futures') yield account;
  }

  private riskContext(): RiskContext {
    return {
      now: this.clock,
      engine: this.engine,
      emit: (event) => this.out.push(event),
      market: (symbol) => this.market(symbol),
      mark: (symbol) => this.markets.get(symbol)?.mark,
    };
  }

  private settlementFor(accountId: string, market: Market): Settlement {
    const key = `${accountId}\u0000${market.instrument.symbol}`;
    let settlement = this.settlements.get(key);
    if (settlement === undefined) {
      const account = this.accountsById.get(accountId)!;
      settlement =
        account.kind === 'futures'
          ? new FuturesOrderSettlement(account, market.instrument, () => this.clock, (symbol) => this.markets.get(symbol)?.mark)
          : new SpotOrderSettlement(account, market.instrument, () => market.book.bids.bestPrice());
      this.settlements.set(key, settlement);
    }
    return settlement;
  }

  /** Moves the clock; funding times and equity samples crossed on the way happen first. */
  private advanceClock(time: number): void {
    if (!this.started) {
      this.started = true;
      this.nextFundingAt = (Math.floor(time / this.fundingIntervalMs) + 1) * this.fundingIntervalMs;
      if (this.equityIntervalMs > 0) this.nextSampleAt = (Math.floor(time / this.equityIntervalMs) + 1) * this.equityIntervalMs;
    }
    while (time >= this.nextFundingAt) {
      this.clock = Math.max(this.clock, this.nextFundingAt);
      for (const [symbol, rate] of this.fundingRates) applyFunding(this.riskContext(), this.market(symbol), rate, this.futuresAccounts());
      this.nextFundingAt += this.fundingIntervalMs;
    }
    if (this.equityIntervalMs > 0 && time >= this.nextSampleAt) {
      const boundary = Math.floor(time / this.equityIntervalMs) * this.equityIntervalMs;
      this.clock = Math.max(this.clock, boundary);
      for (const id of this.accountIds()) this.sampleEquity(id);
      this.nextSampleAt = boundary + this.equityIntervalMs;
    }
    if (time > this.clock) this.clock = time;
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
    if (market.instrument.market === 'perpetual' && !market.markFromInput) {
      const mid = market.book.mid(market.instrument.tickSize);
      if (mid !== undefined && mid !== market.mark) this.setMark(market, mid);
    }
  }

  private setMark(market: Market, mark: Fixed): void {
    market.mark = mark;
    if (this.triggerSource === 'mark' && market.usable) this.engine.onTriggerPrice(market, mark);
    if (market.instrument.market === 'perpetual') checkLiquidations(this.riskContext(), market, this.futuresAccounts());
  }

  /** An EQUITY point for every account this input filled, funded or liquidated; the drawdown guard. */
  private recordHealth(): void {
    const touched = new Set<string>();
    for (const event of this.out) if (ACCOUNT_EVENTS.has(event.type) && 'account' in event) touched.add(event.account);
    for (const id of [...touched].sort()) this.sampleEquity(id);
  }

  /** Accounts with a drawdown limit are watched on every price move, so no crossing slips between samples. */
  private guardDrawdowns(): void {
    for (const [id, health] of this.health) {
      if (health.limit === undefined || health.halted) continue;
      const account = this.accountsById.get(id)!;
      const equity = equityOf(account, this.markets, this.valuationAsset);
      if (equity === health.lastEquity) continue;
      const state = observeEquity(health, equity);
      if (state.breached) {
        this.out.push(equityEvent(id, this.clock, equity, state));
        this.halt(account, health, equity, state.current);
      }
    }
  }

  private sampleEquity(id: string): void {
    const account = this.accountsById.get(id)!;
    const health = this.health.get(id)!;
    const equity = equityOf(account, this.markets, this.valuationAsset);
    const state = observeEquity(health, equity);
    this.out.push(equityEvent(id, this.clock, equity, state));
    if (state.breached) this.halt(account, health, equity, state.current);
  }

  private halt(account: Account, health: HealthState, equity: Fixed, drawdown: Fixed): void {
    health.halted = true;
    this.out.push({ type: 'MAX_DRAWDOWN_REACHED', at: this.clock, account: account.id, equity: formatFixed(equity), drawdown: formatFixed(drawdown), limit: formatFixed(health.limit!) });
    for (const market of this.markets.values()) this.engine.cancelAll(market, account.id, 'MAX_DRAWDOWN_REACHED');
    if (account.kind !== 'futures' || !health.closeOnHalt) return;
    for (const position of account.openPositions()) {
      const side = position.size > 0n ? 'SELL' : 'BUY';
      const size = position.size > 0n ? position.size : -position.size;
      this.placeOrder({ kind: 'order.place', time: this.clock, account: account.id, symbol: position.symbol, side, type: 'MARKET', quantity: formatFixed(size), reduceOnly: true, clientOrderId: `halt-close-${position.id}` }, true);
    }
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
    if (input.kind === 'order.place') this.placeOrder(input, false);
    else this.cancel(input);
  }

  private openAccount(input: OpenAccountInput): void {
    const reject = (why: Rejection): void => {
      this.out.push({ type: 'ACCOUNT_REJECTED', at: this.clock, account: input.account, code: why.code, message: why.message });
    };
    if (typeof input.account !== 'string' || input.account.length === 0) return reject(rejection('INVALID_ORDER', 'account id must be a non-empty string'));
    if (this.accountsById.has(input.account)) return reject(rejection('DUPLICATE_ACCOUNT', input.account));
    let account: Account;
    try {
      const amounts = Object.entries(input.balances)
        .map(([asset, amount]) => [asset, parseFixed(amount)] as const)
        .sort((a, b) => (a[0] < b[0] ? -1 : 1));
      if (amounts.some(([, v]) => v < 0n)) return reject(rejection('INVALID_ORDER', 'balances must not be negative'));
      const fees: FeeSchedule = {
        ...(input.fees?.maker !== undefined ? { maker: parseFixed(input.fees.maker) } : {}),
        ...(input.fees?.taker !== undefined ? { taker: parseFixed(input.fees.taker) } : {}),
        ...(input.fees?.feeAsset !== undefined ? { feeAsset: input.fees.feeAsset } : {}),
      };
      if (input.type === 'futures') {
        const leverage = input.leverage ?? 1;
        if (!Number.isSafeInteger(leverage) || leverage < 1) return reject(rejection('INVALID_LEVERAGE', `${leverage}`));
        const settle = this.valuationAsset;
        const others = amounts.filter(([asset]) => asset !== settle);
        if (others.length > 0) return reject(rejection('INVALID_ORDER', `a futures account holds ${settle} only`));
        const futures = new FuturesAccount(input.account, settle, input.marginMode ?? 'isolated', fees, leverage);
        futures.deposit(amounts.find(([asset]) => asset === settle)?.[1] ?? 0n);
        account = futures;
      } else {
        const spot = new SpotAccount(input.account, fees);
        for (const [asset, value] of amounts) spot.deposit(asset, value);
        account = spot;
      }
      const limit = input.risk?.maxDrawdown === undefined ? undefined : parseFixed(input.risk.maxDrawdown);
      if (limit !== undefined && (limit <= 0n || limit >= 10n ** 18n)) return reject(rejection('INVALID_ORDER', 'maxDrawdown must be a fraction between 0 and 1'));
      this.health.set(input.account, { tracker: undefined, limit, closeOnHalt: input.risk?.closeOnMaxDrawdown ?? false, halted: false, lastEquity: 0n });
    } catch (e) {
      return reject(rejection('INVALID_ORDER', e instanceof Error ? e.message : String(e)));
    }
    this.accountsById.set(input.account, account);
    this.clientIds.set(input.account, new Map());
    this.out.push({ type: 'ACCOUNT_OPENED', at: this.clock, account: input.account, accountType: account.kind, balances: this.flatBalances(input.account) });
    this.sampleEquity(input.account);
  }

  /** Reset or close: cancel the account's orders, forget its positions, then reopen or remove it. */
  private endAccount(input: ResetAccountInput | CloseAccountInput): void {
    const account = this.accountsById.get(input.account);
    if (account === undefined) {
      this.out.push({ type: 'ACCOUNT_REJECTED', at: this.clock, account: input.account, code: 'UNKNOWN_ACCOUNT', message: rejection('UNKNOWN_ACCOUNT').message });
      return;
    }
    for (const market of this.markets.values()) this.engine.cancelAll(market, account.id, input.kind === 'account.reset' ? 'ACCOUNT_RESET' : 'ACCOUNT_CLOSED');
    for (let i = this.pending.length - 1; i >= 0; i -= 1) if (this.pending[i]!.input.account === account.id) this.pending.splice(i, 1);
    for (const key of [...this.settlements.keys()]) if (key.startsWith(`${account.id}\u0000`)) this.settlements.delete(key);
    this.accountsById.delete(account.id);
    if (input.kind === 'account.close') {
      this.health.delete(account.id);
      this.out.push({ type: 'ACCOUNT_CLOSED', at: this.clock, account: account.id });
      return;
    }
    const health = this.health.get(account.id)!;
    const initial: Record<string, string> = {};
    if (account.kind === 'futures') initial[account.settleAsset] = formatFixed(account.ledger.deposits);
    else for (const asset of account.assets()) if (account.ledgerOf(asset).deposits > 0n) initial[asset] = formatFixed(account.ledgerOf(asset).deposits);
    const balances = input.balances ?? initial;
    const reopened: OpenAccountInput = {
      kind: 'account.open',
      time: input.time,
      account: account.id,
      balances,
      ...(account.kind === 'futures' ? { type: 'futures', marginMode: account.marginMode, leverage: account.defaultLeverage } : {}),
      fees: {
        ...(account.fees.maker !== undefined ? { maker: formatFixed(account.fees.maker) } : {}),
        ...(account.fees.taker !== undefined ? { taker: formatFixed(account.fees.taker) } : {}),
        ...(account.fees.feeAsset !== undefined ? { feeAsset: account.fees.feeAsset } : {}),
      },
      risk: { ...(health.limit !== undefined ? { maxDrawdown: formatFixed(health.limit) } : {}), closeOnMaxDrawdown: health.closeOnHalt },
    };
    const before = this.out.length;
    this.openAccount(reopened);
    const opened = this.out.slice(before).find((e) => e.type === 'ACCOUNT_OPENED');
    if (opened === undefined) {
      // The new balances were refused: keep the account as it was.
      this.accountsById.set(account.id, account);
      return;
    }
    this.out.splice(this.out.indexOf(opened), 1, { type: 'ACCOUNT_RESET', at: this.clock, account: account.id, balances: opened.type === 'ACCOUNT_OPENED' ? opened.balances : {} });
  }

  private setLeverage(input: SetLeverageInput): void {
    const account = this.accountsById.get(input.account);
    const instrument = this.markets.get(input.symbol)?.instrument;
    const reply = (ok: boolean, message?: string): void => {
      this.out.push({ type: ok ? 'LEVERAGE_SET' : 'LEVERAGE_REJECTED', at: this.clock, account: input.account, symbol: input.symbol, leverage: input.leverage, ...(message ? { message } : {}) });
    };
    if (account === undefined) return reply(false, rejection('UNKNOWN_ACCOUNT').message);
    if (account.kind !== 'futures') return reply(false, rejection('NOT_A_FUTURES_ACCOUNT').message);
    if (instrument === undefined || instrument.market !== 'perpetual') return reply(false, `${input.symbol} is not a perpetual`);
    const max = instrument.maxLeverage ?? 1;
    if (!Number.isSafeInteger(input.leverage) || input.leverage < 1 || input.leverage > max) return reply(false, `leverage must be a whole number from 1 to ${max}`);
    const position = account.positions.get(input.symbol);
    if (position !== undefined && position.size !== 0n) return reply(false, 'close the position before changing its leverage');
    if (this.openOrders(account.id).some((o) => o.symbol === input.symbol)) return reply(false, 'cancel the open orders on this symbol first');
    account.leverage.set(input.symbol, input.leverage);
    reply(true);
  }

  private placeOrder(input: PlaceOrderInput, internal: boolean): void {
    const clientOrderId = input.clientOrderId ?? `papertrade-${this.orderSeq + 1}`;
    const reject = (why: Rejection): void => {
      this.out.push({ type: 'ORDER_REJECTED', at: this.clock, account: input.account, clientOrderId, symbol: input.symbol, status: 'REJECTED', code: why.code, mexcCode: why.mexcCode, message: why.message });
    };
    const account = this.accountsById.get(input.account);
    if (account === undefined) return reject(rejection('UNKNOWN_ACCOUNT', input.account));
    if (!internal && this.health.get(input.account)!.halted) return reject(rejection('ACCOUNT_HALTED', 'max drawdown reached'));
    const market = this.markets.get(input.symbol);
    if (market === undefined) return reject(rejection('UNKNOWN_SYMBOL', input.symbol));
    const futures = account.kind === 'futures';
    if (futures !== (market.instrument.market === 'perpetual')) {
      return reject(futures ? rejection('INVALID_ORDER', 'a futures account trades perpetuals only') : rejection('NOT_A_FUTURES_ACCOUNT', input.symbol));
    }
    if (input.reduceOnly === true && !futures) return reject(rejection('INVALID_ORDER', 'reduceOnly applies to futures only'));
    const parsed = parseOrderRequest(input);
    if (!parsed.ok) return reject(parsed.error);
    const valid = validateOrder(parsed.value, market.instrument);
    if (!valid.ok) return reject(valid.error);
    const ids = this.clientIds.get(input.account)!;
    const previous = ids.get(clientOrderId);
    if (previous !== undefined && isOpenStatus(this.ordersById.get(previous)!.status)) return reject(rejection('DUPLICATE_CLIENT_ORDER_ID', clientOrderId));
    const request = valid.value;
    const leverage = futures ? account.leverageOf(input.symbol) : 1;
    if (futures && request.price !== undefined && request.quantity !== undefined) {
      const max = maxLeverageFor(market.instrument, notional(request.quantity, request.price));
      if (leverage > max) return reject(rejection('INVALID_LEVERAGE', `at most ${max}x for this notional`));
    }
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
      lockedAsset: futures ? account.settleAsset : lockedAssetOf(request.side, market.instrument),
      queueAhead: 0n,
      updatedAt: this.clock,
      leverage,
      reduceOnly: input.reduceOnly === true,
      stopPrice: request.stopPrice,
      activationPrice: request.activationPrice,
      callbackRate: request.callbackRate,
      trailPeak: undefined,
      triggered: !isConditional(request.type),
      ocoGroup: input.ocoGroup,
    };
    this.orderSeq += 1;
    this.ordersById.set(order.id, order);
    const refused = this.engine.arrive(order, market);
    if (refused !== undefined) {
      this.ordersById.delete(order.id);
      this.orderSeq -= 1;
      return reject(refused);
    }
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

function accountToState(a: Account): AccountState {
  return a.kind === 'spot'
    ? { kind: 'spot', id: a.id, fees: a.fees, ...a.exportState() }
    : {
        kind: 'futures', id: a.id, fees: a.fees, settleAsset: a.settleAsset, marginMode: a.marginMode, defaultLeverage: a.defaultLeverage,
        cash: a.cash, reserved: a.reserved, positions: [...a.positions.values()], leverage: [...a.leverage], ledger: a.ledger, positionSeq: a.positionSeq,
      };
}

function accountFromState(a: AccountState): Account {
  if (a.kind === 'spot') {
    const spot = new SpotAccount(a.id, a.fees);
    spot.importState(a);
    return spot;
  }
  const futures = new FuturesAccount(a.id, a.settleAsset, a.marginMode, a.fees, a.defaultLeverage);
  Object.assign(futures, { cash: a.cash, reserved: a.reserved, positionSeq: a.positionSeq });
  Object.assign(futures.ledger, a.ledger);
  for (const p of a.positions) futures.positions.set(p.symbol, { ...p });
  for (const [symbol, leverage] of a.leverage) futures.leverage.set(symbol, leverage);
  return futures;
}

function healthToSnapshot(h: HealthState): HealthSnapshot {
  return { tracker: h.tracker?.exportState(), limit: h.limit, closeOnHalt: h.closeOnHalt, halted: h.halted, lastEquity: h.lastEquity };
}

function healthFromSnapshot(h: HealthSnapshot): HealthState {
  return { tracker: h.tracker && DrawdownTracker.fromState(h.tracker), limit: h.limit, closeOnHalt: h.closeOnHalt, halted: h.halted, lastEquity: h.lastEquity };
}

function fail(message: string): never {
  throw new Error(message);
}

function levels(raw: readonly LevelInput[]): Level[] {
  return raw.map(([price, size]) => [parseFixed(price), parseFixed(size)] as const);
}
