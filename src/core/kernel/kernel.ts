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
 * - total: an input either applies whole or changes nothing but the sequence number. An input of a
 *   shape the kernel cannot apply is answered with INPUT_REJECTED (INVALID_INPUT). An input that
 *   throws half-way, or leaves an account it touched out of balance, is rolled back: the state is
 *   rebuilt from the last checkpoint (a snapshot) and the inputs handled since, and the input is
 *   answered with INPUT_REJECTED (INTERNAL). The engine goes on; the event is the loud report.
 *   A fault met while one order that was open before the input fills (`OrderFault`) is contained
 *   at that order instead: after the rollback it is canceled (`ORDER_FAULT_REASON`) and the input
 *   applies without it (`lastContainedFault` says which), so that a market input is not held back
 *   from every account by one order (docs/adr/0082).
 * Not modelled here: persistence (the journal lives outside).
 * Cost of totality: a checkpoint (a snapshot) after every max(512, snapshot length / 32) inputs,
 * so that on average at most 32 snapshot characters are written per input handled; the inputs
 * since the checkpoint held in memory; one ledger check per account an input touched.
 * A contained failure costs a restore and the replay of at most that many inputs.
 * A host that already makes snapshots elsewhere (the durable engine, in a worker) can hand them in
 * as checkpoints (`useHostCheckpoints`, `adoptCheckpoint`): the kernel then serializes nothing
 * itself while inputs flow (no stall of a whole-state serialization on the host's thread), and
 * keeps the inputs since the newest checkpoint handed in.
 */
import { DecimalLevels } from '../book/decimal-levels.js';
import { boundedText } from '../bounded-text.js';
import type { Instrument } from '../instruments/instrument.js';
import { formatFixed, parseFixed, type Fixed } from '../money/fixed.js';
import type { Market } from '../matching/market.js';
import type { RuleName } from '../matching/exchange-rules.js';
import { MatchingEngine } from '../matching/matching-engine.js';
import { ORDER_FAULT_REASON, OrderFault } from '../matching/order-fault.js';
import type { Order, TriggerSource } from '../orders/order.js';
import { isOpenStatus } from '../orders/order-status.js';
import { applyBar, parseBar, resumeProblem, type BarContext, type ParsedBar } from './bar-input.js';
import { attachExits } from './bracket-exits.js';
import { endAccount, exportAccount, importAccount, openAccount, setLeverage } from './account-commands.js';
import { ACCOUNT_CHANGES, equityEvent, equityOf, observeEquity, PRICE_WAIT_MS, pricedEquityOf, unpricedHoldings, type Account, type HealthState } from './account-health.js';
import type { InputRejectedEvent, KernelEvent } from './events.js';
import { applyFunding, checkLiquidations, type RiskContext } from './futures-risk.js';
import type { KernelInput, LevelInput, OrderCommandInput } from './inputs.js';
import { fixedOrProblem, inputProblemExceptLevels, levelRangeProblem, parseLevels, PRICE_NOT_POSITIVE } from './input-validation.js';
import type { DeferredBalance } from './deferred-balance.js';
import { restoreInto, snapshotOf } from './kernel-snapshot.js';
import { KernelState, type KernelConfig, type KernelCore } from './kernel-state.js';
import { cancelOrder, exchangeRuleRefusal, placeOrder, placeOrderList, settlementFor } from './order-commands.js';
import type { OrderRequest } from '../orders/order-validation.js';
import type { Rejection } from '../orders/rejection.js';

export type { KernelConfig } from './kernel-state.js';

const ACCOUNT_EVENTS = new Set(['FILL', 'FUNDING', 'LIQUIDATION']);

type MarketDataInput = Extract<KernelInput, { kind: 'book.snapshot' | 'book.delta' | 'book.invalidate' | 'trade' | 'bar' | 'mark' | 'funding' }>;
const MARKET_DATA_KINDS: ReadonlySet<string> = new Set<MarketDataInput['kind']>(['book.snapshot', 'book.delta', 'book.invalidate', 'trade', 'bar', 'mark', 'funding']);

function isMarketData(input: KernelInput): input is MarketDataInput {
  return MARKET_DATA_KINDS.has(input.kind);
}

/**
 * A book input's levels as `parseLevels` reads them from its level lists, read elsewhere: fills the
 * kernel's two lists (refilled per input) with exactly those levels.
 */
export interface BookLevels {
  readInto(bids: DecimalLevels, asks: DecimalLevels): void;
}

/** A trade input's price and quantity as `handle` reads them from its text (`fixedOrProblem`), read elsewhere. */
export interface TradeValues {
  readonly price: Fixed;
  readonly quantity: Fixed;
}

/** An input of the rollback tail kept as the JSON text it was parsed from. */
class JournaledText {
  constructor(readonly text: string) {}
}

/** Snapshot characters per input handled between checkpoints: bounds the amortised checkpoint cost. */
const CHECKPOINT_CHARS_PER_INPUT = 32;
/**
 * The fewest inputs between two of the kernel's own checkpoints. Each input held in the tail outlives
 * the young generation of the collector when the spacing is long, and is promoted and collected in old
 * space: for a small state (a backtest's account: a 2 KB snapshot, 20–50 µs to take) a checkpoint
 * every 512 inputs costs less than holding 4,096 (ADR 0056).
 */
const MIN_CHECKPOINT_INPUTS = 512;
/** Orders one input may have canceled for faults met in their fills before it is left out whole (`contain`). */
const MAX_ORDER_FAULTS = 8;

/** A failure the kernel contained (`Kernel.lastContainedFault`). */
export interface ContainedFault {
  /** The seq of the input that met it. */
  readonly seq: number;
  /** Orders canceled (`ORDER_FAULT_REASON`) so that the input could apply; empty when it was left out (INTERNAL). */
  readonly orderIds: readonly string[];
  readonly message: string;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
/**
 * With host checkpoints, the inputs held before the kernel takes one itself after all: bounds the
 * tail's memory (about 300 bytes an input) when the host's checkpoints stop coming.
 */
export const HOST_CHECKPOINT_TAIL_LIMIT = 524_288;
/**
 * Checkpoint spacing (`setCheckpointSpacing`) for a kernel nobody waits on while it runs (a restore,
 * a recording's replay): each checkpoint serializes the whole state, and a contained failure there
 * costs the replay of up to this many inputs, which is fine where no request waits for it.
 */
export const BATCH_CHECKPOINT_INPUTS = 65_536;

export class Kernel {
  private s!: KernelState;
  private engine!: MatchingEngine;
  private core!: KernelCore;
  private risk!: RiskContext;
  private barContext!: BarContext;
  private readonly config: KernelConfig;
  private readonly rollback: boolean;
  /** The state before `tail`, as a snapshot (or what gives it, when handed in); undefined until the first input. */
  private checkpoint: string | (() => string) | undefined;
  /** The sequence number the checkpoint holds (inputs handled before it). */
  private checkpointSeq = 0;
  /** Set once the host hands in the checkpoints (`useHostCheckpoints`): the inputs held before the kernel takes one itself. */
  private hostTailLimit: number | undefined;
  /** Inputs handled since the checkpoint, in order (as their journaled text when the caller gave it). */
  private tail: (KernelInput | JournaledText)[] = [];
  private checkpointAfter = MIN_CHECKPOINT_INPUTS;
  private minCheckpointInputs = MIN_CHECKPOINT_INPUTS;
  private contained = 0;
  private lastFault: ContainedFault | undefined;

  /**
   * `rollback: false` turns containment off (a failing input then throws, as a broken invariant
   * should in a kernel that is itself replaying the inputs of a rollback).
   */
  constructor(config: KernelConfig, options: { readonly rollback?: boolean } = {}) {
    this.config = config;
    this.rollback = options.rollback ?? true;
    this.wire(new KernelState(config));
  }

  /** A kernel in exactly the state `snapshot()` recorded, under the same configuration. */
  static restore(config: KernelConfig, snapshot: string, options: { readonly rollback?: boolean } = {}): Kernel {
    const kernel = new Kernel(config, options);
    restoreInto(kernel.s, snapshot);
    return kernel;
  }

  private wire(s: KernelState): void {
    this.s = s;
    this.engine = new MatchingEngine({
      now: () => s.clock,
      staleAfterMs: s.staleAfterMs,
      emit: (event) => s.emit(event),
      sequence: () => s.sequence,
      nextTradeId: () => String(++s.tradeSeq),
      settlement: (order, market) => settlementFor(s, order.account, market),
      openOrdersOn: (account, symbol) => s.openOrdersOn(account, symbol),
      triggerSource: s.triggerSource,
    });
    this.core = { s, engine: this.engine, sampleEquity: (id) => this.sampleEquity(id) };
    this.barContext = { s, engine: this.engine, setMark: (market, mark) => this.setMark(market, mark), guardDrawdowns: () => this.guardDrawdowns(), advanceClock: (time) => this.advanceClock(time) };
    const engine = this.engine;
    this.risk = {
      get now() {
        return s.clock;
      },
      engine,
      emit: (event) => s.out.push(event),
      market: (symbol) => s.market(symbol),
      mark: (symbol) => s.markets.get(symbol)?.mark,
      safeRanges: new WeakMap(),
    };
  }

  /** The whole state as one deterministic JSON document (see kernel-snapshot.ts). */
  snapshot(): string {
    return snapshotOf(this.s);
  }

  /** One account as a JSON document (the seed's single-record mode); undefined for an unknown id. */
  exportAccount(accountId: string): string | undefined {
    return exportAccount(this.s, accountId);
  }

  /** The kernel's clock: exchange time of the latest input, in ms. */
  get now(): number {
    return this.s.clock;
  }

  /** Number of inputs handled so far. */
  get inputCount(): number {
    return this.s.sequence;
  }

  /** Inputs answered with INPUT_REJECTED (INTERNAL) since this kernel was made. */
  get containedFailures(): number {
    return this.contained;
  }

  /** The last failure contained (`containedFailures`): its input's seq, the orders canceled for it (none: the input was left out) and the fault's words. */
  get lastContainedFault(): ContainedFault | undefined {
    return this.lastFault;
  }

  /**
   * Handles one input: its events, or a single INPUT_REJECTED when it was not applied. Never throws
   * for any input (see the header), unless rollback is off. `journaled`: the input's JSON text, when
   * the caller holds it (a journal replay); the rollback tail then keeps that one string instead of
   * the parsed input, whose many small objects would otherwise survive into the collector's old space.
   * `levels`: a book input's levels already read by `parseLevels` (a journal replay that decoded the
   * row on another thread, engine/journal-row-decoder.ts); the input's own level lists are then not read.
   * `trade`: a trade input's price and quantity already read (a recording's reader,
   * market-data/recorded-trades.ts); the input's own text is then not read.
   */
  handle(input: KernelInput, journaled?: string, levels?: BookLevels, trade?: TradeValues): KernelEvent[] {
    let problem = inputProblemExceptLevels(input, this.s.markets);
    if (problem === undefined && (input.kind === 'book.delta' || input.kind === 'book.snapshot')) {
      if (levels === undefined) problem = this.parseBook(input.bids, input.asks);
      else levels.readInto(this.bids, this.asks);
      problem ??= levelRangeProblem(this.bids) ?? levelRangeProblem(this.asks);
    } else if (problem === undefined && input.kind === 'trade') {
      if (trade === undefined) problem = this.parseTrade(input.price, input.quantity);
      else {
        // The values now held are not those of the texts kept: a later print repeating them reads them anew.
        this.tradePrice = trade.price;
        this.tradeQuantity = trade.quantity;
        this.tradePriceText = undefined;
        this.tradeQuantityText = undefined;
      }
    } else if (problem === undefined && input.kind === 'bar') problem = this.parseBar(input);
    if (problem !== undefined) {
      this.s.sequence += 1;
      if (this.rollback) this.tail.push(journaled === undefined ? input : new JournaledText(journaled));
      return [this.rejected(input, 'INVALID_INPUT', problem)];
    }
    if (!this.rollback) return this.apply(input);
    if (this.checkpoint === undefined || this.tail.length >= this.checkpointAfter) this.takeCheckpoint();
    try {
      const events = this.apply(input);
      this.tail.push(journaled === undefined ? input : new JournaledText(journaled));
      return events;
    } catch (error) {
      return this.contain(input, error);
    }
  }

  /** Book levels of the input being handled, parsed once by `handle` (the check and the parse in one pass); refilled per input. */
  private readonly bids = new DecimalLevels();
  private readonly asks = new DecimalLevels();

  private parseBook(bids: readonly LevelInput[], asks: readonly LevelInput[]): string | undefined {
    return parseLevels(bids, this.bids) ?? parseLevels(asks, this.asks);
  }

  /**
   * The price and quantity of the trade being handled, parsed once by `handle` (the check and the
   * parse in one pass). The last text read of each is kept with its value: consecutive prints often
   * repeat a price (62 % of the bundled recording's), which then costs a string comparison.
   */
  private tradePrice = 0n;
  private tradeQuantity = 0n;
  private tradePriceText: string | undefined;
  private tradeQuantityText: string | undefined;

  private parseTrade(priceText: string, quantityText: string): string | undefined {
    if (priceText !== this.tradePriceText) {
      const price = fixedOrProblem(priceText);
      if (typeof price === 'string') return price;
      if (price <= 0n) return PRICE_NOT_POSITIVE;
      this.tradePrice = price;
      this.tradePriceText = priceText;
    }
    if (quantityText !== this.tradeQuantityText) {
      const quantity = fixedOrProblem(quantityText);
      if (typeof quantity === 'string') return quantity;
      this.tradeQuantity = quantity;
      this.tradeQuantityText = quantityText;
    }
    return undefined;
  }

  /** The bar being handled, parsed once by `handle`. */
  private bar: ParsedBar | undefined;

  private parseBar(input: Parameters<typeof parseBar>[0]): string | undefined {
    const bar = parseBar(input, this.bar);
    if (typeof bar === 'string') return bar;
    const resume = resumeProblem(input, bar, this.s.markets.get(input.symbol));
    if (resume !== undefined) return resume;
    this.bar = bar;
    return undefined;
  }

  private takeCheckpoint(): void {
    this.checkpoint = snapshotOf(this.s);
    this.checkpointSeq = this.s.sequence;
    this.tail = [];
    this.checkpointAfter = this.hostTailLimit ?? this.ownCheckpointSpacing(this.checkpoint.length);
  }

  /**
   * From now on the host hands in the rollback checkpoints (`adoptCheckpoint`): the kernel takes
   * one itself now (the host calls this where a stall does not matter: at a start) and after that
   * only after a contained failure, or when `tailLimit` inputs (HOST_CHECKPOINT_TAIL_LIMIT) have
   * gone by without one from the host. No effect with rollback off.
   */
  useHostCheckpoints(tailLimit: number = HOST_CHECKPOINT_TAIL_LIMIT): void {
    if (!this.rollback) return;
    if (!Number.isSafeInteger(tailLimit) || tailLimit < 1) throw new RangeError(`tailLimit must be a whole number ≥ 1, got ${tailLimit}`);
    this.hostTailLimit = tailLimit;
    this.takeCheckpoint();
  }

  /** Inputs handled since the rollback checkpoint: what a contained failure would replay. */
  get inputsSinceCheckpoint(): number {
    return this.tail.length;
  }

  /**
   * Takes `snapshot`, the state after input `seq` as `snapshot()` gives it (the host made it
   * elsewhere: rebuilt in a worker from the journal), as the rollback checkpoint, and lets go of the
   * inputs up to `seq`. A function is called only if a rollback needs the text (it may decode it
   * from bytes held off the heap). A snapshot not newer than the checkpoint held is ignored. Throws a RangeError
   * for a seq past the inputs handled (a state the kernel has not reached). The snapshot's text is
   * trusted: the host's snapshots are the kernel's own (a restore from them is byte-identical).
   */
  adoptCheckpoint(snapshot: string | (() => string), seq: number): void {
    if (!this.rollback) return;
    if (!Number.isSafeInteger(seq) || seq > this.s.sequence) throw new RangeError(`a checkpoint at seq ${seq} is past the kernel's seq ${this.s.sequence}`);
    // The tail holds the inputs after `firstHeld`; a checkpoint before it could not be replayed forward.
    const firstHeld = this.checkpoint === undefined ? this.s.sequence - this.tail.length : this.checkpointSeq;
    if (seq < firstHeld || (this.checkpoint !== undefined && seq === firstHeld)) return;
    this.checkpoint = snapshot;
    this.tail = this.tail.slice(seq - firstHeld);
    this.checkpointSeq = seq;
  }

  /**
   * Rollback checkpoints at least `minInputs` inputs apart (default 512), from the next one on. A
   * journal replay takes them further apart: each serializes the whole state (about 8 % of a
   * restore's kernel time at the default), and a contained failure during a replay keeps no one
   * waiting. The spacing changes only what a contained failure costs, never the state or the events.
   */
  setCheckpointSpacing(minInputs: number = MIN_CHECKPOINT_INPUTS): void {
    this.minCheckpointInputs = minInputs;
    if (typeof this.checkpoint === 'string' && this.hostTailLimit === undefined) this.checkpointAfter = this.ownCheckpointSpacing(this.checkpoint.length);
  }

  private ownCheckpointSpacing(snapshotChars: number): number {
    return Math.max(this.minCheckpointInputs, Math.ceil(snapshotChars / CHECKPOINT_CHARS_PER_INPUT));
  }

  /**
   * `input` threw half-way (`error`): the state is rebuilt from the checkpoint and the tail. A fault
   * met while filling one open order (`OrderFault`) is contained at that order: it is canceled
   * (`ORDER_FAULT_REASON`) at the input's time, after the arrivals and clock moves that come before
   * the input and before the input's own part, and the input is applied again without it, up to
   * `MAX_ORDER_FAULTS` orders; the answer is then the input's events, the cancellations among them. Any
   * other fault, or one of an order that was not open before the input (a command's own), leaves
   * the input out: INPUT_REJECTED (INTERNAL), the state unchanged. Deterministic, like the rest: a
   * replay of the same inputs meets the same fault and contains it the same way.
   */
  private contain(input: KernelInput, error: unknown): KernelEvent[] {
    const faulted: string[] = [];
    let fault = error;
    for (;;) {
      this.rebuild();
      const order = fault instanceof OrderFault && faulted.length < MAX_ORDER_FAULTS ? this.s.ordersById.get(fault.orderId) : undefined;
      if (order === undefined || !isOpenStatus(order.status) || faulted.includes(order.id)) break;
      faulted.push(order.id);
      try {
        const events = this.apply(input, faulted);
        this.contained += 1;
        this.lastFault = { seq: this.s.sequence, orderIds: faulted, message: messageOf(fault) };
        this.takeCheckpoint();
        return events;
      } catch (next) {
        fault = next;
      }
    }
    this.s.sequence += 1;
    this.contained += 1;
    this.lastFault = { seq: this.s.sequence, orderIds: [], message: messageOf(fault) };
    this.takeCheckpoint();
    return [this.rejected(input, 'INTERNAL', `not applied, state unchanged: ${messageOf(fault)}`)];
  }

  /** The state of the checkpoint with the inputs since replayed: as it was before the input being handled. */
  private rebuild(): void {
    this.barGuardedAt = -1;
    const checkpoint = this.checkpoint!;
    const replica = Kernel.restore(this.config, typeof checkpoint === 'string' ? checkpoint : checkpoint(), { rollback: false });
    for (const earlier of this.tail) replica.handle(earlier instanceof JournaledText ? (JSON.parse(earlier.text) as KernelInput) : earlier);
    this.wire(replica.s);
  }

  /** Orders canceled before an input applies again after their fills broke an invariant (`contain`). */
  private cancelFaulted(orderIds: readonly string[]): void {
    for (const id of orderIds) {
      const order = this.s.ordersById.get(id);
      if (order !== undefined && isOpenStatus(order.status)) this.engine.cancel(order, this.s.market(order.symbol), ORDER_FAULT_REASON);
    }
  }

  private rejected(input: unknown, code: InputRejectedEvent['code'], message: string): InputRejectedEvent {
    const fields = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
    // What the input carried is echoed bounded (bounded-text.ts): a refused input never makes an event as long as itself.
    const kind = typeof fields.kind === 'string' ? boundedText(fields.kind) : typeof input;
    const event: InputRejectedEvent = { type: 'INPUT_REJECTED', at: this.s.clock, seq: this.s.sequence, kind, code, message: boundedText(message) };
    return typeof fields.account === 'string' ? { ...event, account: fields.account } : event;
  }

  /** Applies a well-formed input; throws when an invariant breaks (the caller rolls back). */
  private apply(input: KernelInput, faulted?: readonly string[]): KernelEvent[] {
    const marketData = isMarketData(input);
    this.s.sequence += 1;
    this.s.dropClosed();
    this.s.out = [];
    const isCommand = !marketData && input.kind !== 'clock';
    // Arrivals stamped before this input happen first; for commands and clock ticks, those at the same ms too.
    // The time read once here, where every kind of input passes (a megamorphic load boxes the double each time).
    const time = input.time;
    this.releaseArrivals(isCommand || input.kind === 'clock' ? time : time - 1);
    this.advanceClock(time);
    // After what comes before the input (arrivals, expiries, funding, samples), as the input's own first act.
    if (faulted !== undefined) this.cancelFaulted(faulted);
    switch (input.kind) {
      case 'book.snapshot': {
        const market = this.s.market(input.symbol);
        market.tradesOnly = input.derivedFrom === 'trades';
        this.afterBookOutcome(market, market.sync.onSnapshot({ lastUpdateId: input.lastUpdateId, bids: this.bids, asks: this.asks }), input.time);
        break;
      }
      case 'book.delta': {
        const market = this.s.market(input.symbol);
        const outcome = market.sync.onDelta({
          firstUpdateId: input.firstUpdateId,
          finalUpdateId: input.finalUpdateId,
          ...(input.previousFinalUpdateId !== undefined ? { previousFinalUpdateId: input.previousFinalUpdateId } : {}),
          bids: this.bids,
          asks: this.asks,
        });
        this.afterBookOutcome(market, outcome, input.time);
        break;
      }
      case 'book.invalidate': {
        const market = this.s.market(input.symbol);
        const outcome = market.sync.invalidate(input.reason);
        if (outcome !== undefined) this.afterBookOutcome(market, outcome, input.time);
        break;
      }
      case 'trade': {
        const market = this.s.market(input.symbol);
        const price = this.tradePrice;
        const quantity = this.tradeQuantity;
        market.printed(input.price, price);
        market.averagePrice.add(input.time, price, quantity);
        this.engine.onTrade(market, price, quantity, input.buyerMaker, input.time);
        if (market.usable) this.engine.onTriggerPrice(market, price, input.time, 'last');
        break;
      }
      case 'bar':
        this.barGuardedAt = applyBar(this.barContext, this.s.market(input.symbol), input, this.bar!) ? this.s.out.length : -1;
        break;
      case 'mark': {
        const market = this.s.market(input.symbol);
        market.markFromInput = true;
        this.setMark(market, parseFixed(input.price), input.time);
        break;
      }
      case 'funding':
        applyFunding(this.riskContext(), this.s.market(input.symbol), parseFixed(input.rate), this.s.futuresAccounts());
        break;
      case 'clock':
        break;
      case 'account.open':
        openAccount(this.core, input);
        break;
      case 'leverage.set':
        setLeverage(this.core, input);
        break;
      case 'account.reset':
      case 'account.close':
        endAccount(this.core, input);
        break;
      case 'account.import':
        importAccount(this.core, input);
        break;
      case 'order.place':
      case 'order.list':
      case 'order.cancel':
        if (this.s.latencyMs === 0) this.arrive(input);
        else this.s.pending.push({ arrivesAt: input.time + this.s.latencyMs, seq: this.s.sequence, input });
        break;
      default: {
        const unknown: never = input;
        throw new Error(`unknown input kind: ${JSON.stringify(unknown)}`);
      }
    }
    attachExits(this.core, (exit) => placeOrder(this.core, exit, false));
    if (input.kind === 'book.snapshot' || input.kind === 'book.delta' || input.kind === 'trade' || input.kind === 'bar' || input.kind === 'mark') this.guardAfterPrices();
    this.recordHealth(marketData);
    this.stampChanges();
    this.checkTouched();
    return this.s.out;
  }

  /**
   * After a quiet bar whose last guard saw every equity as it is at the bar's end (bar-input.ts
   * `quietPath`): the events' count then; −1 otherwise. Set by the bar, read and cleared by
   * `guardAfterPrices` in the same input (and cleared by a rollback).
   */
  private barGuardedAt = -1;

  /**
   * The drawdown guard after an input that moved a price; left out after a quiet bar whose last
   * guard saw every equity as it is, when nothing was emitted since (no exit placed): it would value
   * every account as that one did and observe nothing new.
   */
  private guardAfterPrices(): void {
    const seen = this.barGuardedAt === this.s.out.length;
    this.barGuardedAt = -1;
    if (!seen) this.guardDrawdowns();
  }

  /** Each account this input's events changed (ACCOUNT_CHANGES) records when: Binance's account `updateTime`. */
  private stampChanges(): void {
    for (const event of this.s.out) {
      if (!ACCOUNT_CHANGES.has(event.type) || !('account' in event) || event.account === undefined) continue;
      const health = this.s.health.get(event.account);
      if (health !== undefined) health.changedAt = event.at;
    }
  }

  /**
   * Every account this input's events name still balances (no negative balance, ledger identity).
   * An EQUITY sample only values its account (ACCOUNT_CHANGES leaves it out): an account it alone
   * names holds what it held after its last change, which was checked then. A quiet backtest bar's
   * only event is often its account's minute sample.
   */
  private checkTouched(): void {
    let last: string | undefined;
    for (const event of this.s.out) {
      if (event.type === 'EQUITY' || !('account' in event) || event.account === undefined || event.account === last) continue;
      last = event.account;
      const account = this.s.accountsById.get(event.account);
      if (account === undefined) continue;
      if (account.kind === 'futures') account.reconcile(account.reserved);
      else account.reconcile();
    }
  }

  // ---- queries (read-only views for the edges) ----

  instruments(): Instrument[] {
    return [...this.s.markets.values()].map((m) => m.instrument);
  }

  instrument(symbol: string): Instrument | undefined {
    return this.s.markets.get(symbol)?.instrument;
  }

  bookStatus(symbol: string): { status: string; updateId: number; reason: string } | undefined {
    const m = this.s.markets.get(symbol);
    return m && { status: m.sync.status, updateId: m.sync.updateId, reason: m.sync.reason };
  }

  /** Best `depth` levels per side as decimal strings. */
  depth(symbol: string, depth: number): { bids: [string, string][]; asks: [string, string][] } | undefined {
    const m = this.s.markets.get(symbol);
    if (m === undefined) return undefined;
    const fmt = (side: 'bids' | 'asks'): [string, string][] => m.book[side].top(depth).map(([p, q]) => [formatFixed(p), formatFixed(q)]);
    return { bids: fmt('bids'), asks: fmt('asks') };
  }

  /**
   * The best price a taker on `side` would meet now: for a SELL the best bid, for a BUY the best ask,
   * the first level with at least one step left to take (what a slippage cap is measured from,
   * matching-engine.ts). `null` when the book is synced and that side has nothing to take (a market
   * order would expire NO_LIQUIDITY); undefined when the symbol is unknown or its book is not synced
   * (an order placed now waits for it).
   */
  takerPrice(symbol: string, side: 'BUY' | 'SELL'): Fixed | null | undefined {
    const m = this.s.markets.get(symbol);
    if (m === undefined || !m.usable) return undefined;
    const opposite = side === 'BUY' ? m.book.asks : m.book.bids;
    const step = m.instrument.stepSize;
    for (const [price, displayed] of opposite.levels()) if (m.view.available(opposite.side, price, displayed) >= step) return price;
    return null;
  }

  /** Volume-weighted average trade price over the instrument's band window (Binance avgPrice); undefined before any trade. */
  averagePrice(symbol: string): Fixed | undefined {
    return this.s.markets.get(symbol)?.averagePrice.at(this.s.clock);
  }

  markPrice(symbol: string): Fixed | undefined {
    return this.s.markets.get(symbol)?.mark;
  }

  /**
   * The exchange rule that would refuse `request` from `accountId` on `symbol` were it placed now
   * (order-commands.ts `exchangeRuleRefusal`: the same rules and context as a placement, no effect),
   * or undefined. For a caller deciding where an order can rest before it sizes it: a rule on a
   * field left undefined passes. `rules` asks only those; `SPEC_RULES` (exchange-rules.ts) are the
   * ones that answer the same before the order is due, for an order placed later (a plan's exits).
   * Bad input is refused, not thrown.
   */
  exchangeRuleRefusal(accountId: string, symbol: string, request: OrderRequest, reduceOnly = false, rules?: readonly RuleName[]): Rejection | undefined {
    return exchangeRuleRefusal(this.s, accountId, symbol, request, reduceOnly, rules);
  }

  /**
   * The price conditional orders watching `source` (default: the kernel's `triggerSource`) trigger
   * on now, the last trade or the mark: what placement compares stops and activations with.
   */
  triggerPrice(symbol: string, source: TriggerSource = this.s.triggerSource): Fixed | undefined {
    const market = this.s.markets.get(symbol);
    if (market === undefined) return undefined;
    if (source === 'mark') return market.mark;
    return market.lastTradeValue();
  }

  /**
   * A perpetual's funding schedule: the rate each funding time applies (undefined when none is
   * configured; live funding arrives as `funding` inputs instead), the next funding time (Unix ms,
   * 0 before the first input) and the interval between funding times (ms).
   */
  fundingSchedule(symbol: string): { rate: Fixed | undefined; nextFundingAt: number; intervalMs: number } {
    return { rate: this.s.fundingRates.get(symbol), nextFundingAt: this.s.nextFundingAt, intervalMs: this.s.fundingIntervalMs };
  }

  accountIds(): string[] {
    return [...this.s.accountsById.keys()].sort();
  }

  account(id: string): Account | undefined {
    return this.s.accountsById.get(id);
  }

  /** Exchange time (ms) of the last event that changed the account (account-health.ts ACCOUNT_CHANGES); undefined for an unknown account, or one restored from a snapshot older than this record and unchanged since. */
  accountChangedAt(id: string): number | undefined {
    return this.s.health.get(id)?.changedAt;
  }

  isHalted(id: string): boolean {
    return this.s.health.get(id)?.halted ?? false;
  }

  /**
   * Whether something the account holds has had no price since a sample was due (account-health.ts):
   * its equity, and its opening equity when none was taken yet, wait for that price.
   */
  awaitingPrice(id: string): boolean {
    return this.s.health.awaiting.has(id);
  }

  /**
   * While the account's valuation waits for a price (`awaitingPrice`): what it holds that has none
   * yet, spot assets (`BTC`) and futures symbols (`BTCUSDT`), sorted (account-health.ts
   * `unpricedHoldings`); empty when it is not waiting, or for an unknown account. A reader that
   * states the account's equity states none while this is not empty: `equity` would count these as zero.
   */
  awaitedPrices(id: string): string[] {
    const account = this.s.accountsById.get(id);
    if (account === undefined || !this.s.health.awaiting.has(id)) return [];
    return unpricedHoldings(account, this.s.markets, this.s.valuationAsset);
  }

  /** The account's equity in the valuation asset (undefined for an unknown account); a holding with no price yet counts as zero (`awaitingPrice`, `awaitedPrices`). */
  equity(id: string): Fixed | undefined {
    const account = this.s.accountsById.get(id);
    return account === undefined ? undefined : equityOf(account, this.s.markets, this.s.valuationAsset);
  }

  /**
   * The account's largest drawdown so far from its running equity peak, as a fraction and in money,
   * over every equity the kernel valued it at: each sample and fill, and each price move when the
   * account has a drawdown limit or the kernel `equityEveryStep`. Undefined before the first valuation.
   */
  drawdown(id: string): { readonly max: Fixed; readonly maxAmount: Fixed } | undefined {
    const tracker = this.s.health.get(id)?.tracker;
    return tracker === undefined ? undefined : { max: tracker.max, maxAmount: tracker.maxAmount };
  }

  /**
   * The value of `text` when it is the equity of the account's latest EQUITY event (the kernel keeps
   * that figure with its text), else undefined: a reader of EQUITY events then need not parse it back.
   */
  lastEquityValue(accountId: string, text: string): Fixed | undefined {
    const memo = this.s.health.get(accountId)?.texts?.equity;
    return memo !== undefined && memo.text === text ? memo.value : undefined;
  }

  /** Balances as decimal strings, assets sorted: `{ USDT: { free, locked } }` (futures: locked = margin in use). */
  balances(accountId: string): Record<string, { free: string; locked: string }> | undefined {
    return this.s.balances(accountId);
  }

  /**
   * `balances` as they are now, each text written when first read (`DeferredBalance`): for a reader
   * that keeps few of them. Not for serializing (the texts are getters).
   */
  deferredBalances(accountId: string): Record<string, DeferredBalance> | undefined {
    return this.s.deferredBalances(accountId);
  }

  order(orderId: string): Readonly<Order> | undefined {
    return this.s.ordersById.get(orderId);
  }

  orders(accountId: string): Readonly<Order>[] {
    return this.s.orders(accountId);
  }

  openOrders(accountId: string): Readonly<Order>[] {
    return this.orders(accountId).filter((o) => isOpenStatus(o.status));
  }

  /**
   * The account's open order with `clientOrderId`, or undefined: the order a cancel by that
   * clientOrderId finds (the latest placed with it; a placement is refused while another open one
   * has it, DUPLICATE_CLIENT_ORDER_ID), when it is still open. Two map lookups, no copy of the list.
   */
  openOrderByClientId(accountId: string, clientOrderId: string): Readonly<Order> | undefined {
    const id = this.s.clientIds.get(accountId)?.get(clientOrderId);
    const order = id === undefined ? undefined : this.s.ordersById.get(id);
    return order !== undefined && isOpenStatus(order.status) ? order : undefined;
  }

  /** Commands submitted but not yet arrived at the venue. */
  pendingCount(): number {
    return this.s.pending.length;
  }

  /** Throws when any account's balances break their ledger or disagree with its open orders. */
  checkInvariants(): void {
    for (const account of this.s.accountsById.values()) {
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

  // ---- internals ----

  /** One context per state, made by `wire` (not one per book change: perpetual books check liquidations on each). */
  private riskContext(): RiskContext {
    return this.risk;
  }

  /**
   * Moves the clock; what falls due on the way happens first, in time order, each at its own time:
   * conditional orders' expiries, funding times, the equity sample at the last boundary crossed. An
   * expiry at the same millisecond as a funding time or a sample boundary comes before it.
   */
  private advanceClock(time: number): void {
    if (!this.s.started) {
      this.s.started = true;
      this.s.nextFundingAt = (Math.floor(time / this.s.fundingIntervalMs) + 1) * this.s.fundingIntervalMs;
      if (this.s.equityIntervalMs > 0) this.s.nextSampleAt = (Math.floor(time / this.s.equityIntervalMs) + 1) * this.s.equityIntervalMs;
    }
    while (time >= this.s.nextFundingAt) {
      if (this.s.nextExpireTime <= this.s.nextFundingAt) this.expireTriggers(this.s.nextFundingAt);
      this.s.clock = Math.max(this.s.clock, this.s.nextFundingAt);
      for (const [symbol, rate] of this.s.fundingRates) applyFunding(this.riskContext(), this.s.market(symbol), rate, this.s.futuresAccounts());
      this.s.nextFundingAt += this.s.fundingIntervalMs;
    }
    if (this.s.equityIntervalMs > 0 && time >= this.s.nextSampleAt) {
      const boundary = Math.floor(time / this.s.equityIntervalMs) * this.s.equityIntervalMs;
      if (this.s.nextExpireTime <= boundary) this.expireTriggers(boundary);
      this.s.clock = Math.max(this.s.clock, boundary);
      // One account (a backtest's): no sorted copy of the ids per sample.
      if (this.s.accountsById.size === 1) for (const id of this.s.accountsById.keys()) this.sampleEquity(id);
      else for (const id of this.accountIds()) this.sampleEquity(id);
      this.s.nextSampleAt = boundary + this.s.equityIntervalMs;
    }
    if (time >= this.s.nextExpireTime) this.expireTriggers(time);
    if (time > this.s.clock) this.s.clock = time;
  }

  /**
   * `time`: the book input's own (exchange) time, which dates the levels it states. Staleness is
   * measured on the engine's clock (the latest time any input carried): a book is as old as the
   * clock has moved since it was last updated, whatever time base each feed keeps.
   */
  private afterBookOutcome(market: Market, outcome: ReturnType<Market['sync']['onDelta']>, time: number): void {
    const symbol = market.instrument.symbol;
    if (outcome.kind === 'gap') {
      this.s.out.push({ type: 'BOOK_RESYNC_NEEDED', at: this.s.clock, symbol, updateId: market.sync.updateId, reason: outcome.reason });
      return;
    }
    if (outcome.kind !== 'applied') return;
    market.lastBookAt = this.s.clock;
    if (outcome.resynced) this.s.out.push({ type: 'BOOK_SYNCED', at: this.s.clock, symbol, updateId: market.sync.updateId });
    this.engine.onBookChanged(market, outcome.changed, outcome.resynced, time);
    if (market.instrument.market === 'perpetual' && !market.markFromInput) {
      // The mid stands for the mark, dated by the book input that moved it: a book stamped before
      // a conditional order arrived does not trigger it (as a late mark input does not), and the
      // first book stamped at or after it does, moved or not, as a mark input of the same price would.
      const mid = market.book.mid(market.instrument.tickSize);
      if (mid === undefined) return;
      if (mid !== market.mark) this.setMark(market, mid, time);
      else if (market.usable && market.conditionals.length > 0) this.engine.onTriggerPrice(market, mid, time, 'mark');
    }
  }

  /**
   * `time`: a mark-price input's own time, or that of the book input whose mid stands for the mark.
   * A mark stamped before an order arrived (a late input) was the exchange's mark before the order
   * existed: it does not trigger it (ADR 0026). Undefined (a candle bar's step): no such check.
   */
  private setMark(market: Market, mark: Fixed, time?: number): void {
    market.mark = mark;
    if (market.usable) this.engine.onTriggerPrice(market, mark, time, 'mark');
    // Every account, not futuresAccounts(): a generator per mark move costs more than the check (four a candle bar).
    if (market.instrument.market === 'perpetual') checkLiquidations(this.riskContext(), market, this.s.accountsById.values());
  }

  /** An EQUITY point for every account this input filled, funded or liquidated; the drawdown guard. */
  private recordHealth(marketData: boolean): void {
    // Most inputs touch no account, and most that do touch one: a Set and a sort only for two or more.
    let first: string | undefined;
    let touched: Set<string> | undefined;
    for (const event of this.s.out) {
      if (!ACCOUNT_EVENTS.has(event.type) || !('account' in event) || event.account === undefined) continue;
      if (first === undefined) first = event.account;
      else if (event.account !== first) (touched ??= new Set([first])).add(event.account);
    }
    if (touched !== undefined) for (const id of [...touched].sort()) this.sampleEquity(id);
    else if (first !== undefined) this.sampleEquity(first);
    if (this.s.health.awaiting.size > 0) this.sampleAwaiting(marketData);
  }

  /**
   * The samples held for a price (`sampleEquity`), taken once everything the account holds has one,
   * or once the wait is over: the first market-data input after the sample was held starts its count.
   */
  private sampleAwaiting(marketData: boolean): void {
    for (const id of [...this.s.health.awaiting].sort()) {
      const health = this.s.health.get(id)!;
      if (marketData && health.awaitingPriceSince === undefined) health.awaitingPriceSince = this.s.clock;
      if (this.valuation(this.s.accountsById.get(id)!, health) !== undefined) this.sampleEquity(id);
    }
  }

  /**
   * The account's equity for a sample or the drawdown guard: undefined while something it holds has
   * no price and its wait for one is not over (account-health.ts, PRICE_WAIT_MS); once it is, what
   * has no price counts as zero.
   */
  private valuation(account: Account, health: HealthState): Fixed | undefined {
    const priced = pricedEquityOf(account, this.s.markets, this.s.valuationAsset);
    if (priced !== undefined) return priced;
    const since = health.awaitingPriceSince;
    const over = health.priceWaitOver === true || (since !== undefined && this.s.clock - since >= PRICE_WAIT_MS);
    return over ? equityOf(account, this.s.markets, this.s.valuationAsset) : undefined;
  }

  /**
   * Accounts with a drawdown limit are watched on every price move, so no crossing slips between
   * samples; with `equityEveryStep`, every account is, for its drawdown figures.
   */
  private guardDrawdowns(): void {
    const every = this.s.equityEveryStep;
    if (this.s.health.limited === 0 && !every) return;
    // forEach, not for…of: no [id, health] tuple per account and price move.
    this.s.health.forEach((health, id) => {
      if (!every && (health.limit === undefined || health.halted)) return;
      const account = this.s.accountsById.get(id)!;
      const equity = this.valuation(account, health);
      if (equity === undefined || equity === health.lastEquity) return;
      const state = observeEquity(health, equity);
      if (state.breached) {
        this.s.out.push(equityEvent(id, this.s.clock, equity, state));
        this.halt(account, health, equity, state.current);
      }
    });
  }

  /** An EQUITY point for the account, or, while something it holds has no price, none until an input prices it or the wait is over (`sampleAwaiting`). */
  private sampleEquity(id: string): void {
    const account = this.s.accountsById.get(id);
    // Named by an event of this input and closed by it since (an order released at the start of the
    // input that closes its account): it has no equity left to sample.
    if (account === undefined) return;
    const health = this.s.health.get(id)!;
    const equity = this.valuation(account, health);
    if (equity === undefined) return this.s.health.awaitPrice(id, true);
    if (health.awaitingPrice === true) {
      // Taken without a price for something it holds: the wait is over, for good.
      if (pricedEquityOf(account, this.s.markets, this.s.valuationAsset) === undefined) health.priceWaitOver = true;
      this.s.health.awaitPrice(id, false);
    }
    const state = observeEquity(health, equity);
    this.s.out.push(equityEvent(id, this.s.clock, equity, state, health));
    if (state.breached) this.halt(account, health, equity, state.current);
  }

  private halt(account: Account, health: HealthState, equity: Fixed, drawdown: Fixed): void {
    health.halted = true;
    this.s.out.push({ type: 'MAX_DRAWDOWN_REACHED', at: this.s.clock, account: account.id, equity: formatFixed(equity), drawdown: formatFixed(drawdown), limit: formatFixed(health.limit!) });
    for (const market of this.s.markets.values()) this.engine.cancelAll(market, account.id, 'MAX_DRAWDOWN_REACHED');
    if (account.kind !== 'futures' || !health.closeOnHalt) return;
    for (const position of account.openPositions()) {
      const side = position.size > 0n ? 'SELL' : 'BUY';
      const size = position.size > 0n ? position.size : -position.size;
      placeOrder(this.core, { kind: 'order.place', time: this.s.clock, account: account.id, symbol: position.symbol, side, type: 'MARKET', quantity: formatFixed(size), reduceOnly: true, clientOrderId: `halt-close-${position.id}` }, true);
    }
  }

  private releaseArrivals(upTo: number): void {
    if (this.s.pending.length === 0) return;
    this.s.pending.sort((a, b) => a.arrivesAt - b.arrivesAt || a.seq - b.seq);
    while (this.s.pending.length > 0 && this.s.pending[0]!.arrivesAt <= upTo) {
      const next = this.s.pending.shift()!;
      // An order whose validity ran out before the command arrives has expired when it arrives.
      if (next.arrivesAt >= this.s.nextExpireTime) this.expireTriggers(next.arrivesAt);
      if (next.arrivesAt > this.s.clock) this.s.clock = next.arrivesAt;
      this.arrive(next.input);
    }
  }

  /**
   * Expires every waiting conditional order whose `expireTime` is at or before `upTo`, earliest
   * first (ids break ties), each at its own time (the clock moves to it, never back).
   */
  private expireTriggers(upTo: number): void {
    const due: { order: Order; market: Market }[] = [];
    for (const market of this.s.markets.values()) {
      for (const order of market.conditionals) if (order.expireTime !== undefined && order.expireTime <= upTo && !order.triggered && isOpenStatus(order.status)) due.push({ order, market });
    }
    due.sort((a, b) => a.order.expireTime! - b.order.expireTime! || Number(a.order.id) - Number(b.order.id));
    for (const { order, market } of due) {
      if (order.expireTime! > this.s.clock) this.s.clock = order.expireTime!;
      this.engine.expireUntriggered(order, market);
    }
    this.s.recomputeNextExpireTime();
  }

  private arrive(input: OrderCommandInput): void {
    if (input.kind === 'order.place') placeOrder(this.core, input, false);
    else if (input.kind === 'order.list') placeOrderList(this.core, input);
    else cancelOrder(this.core, input);
  }

}

