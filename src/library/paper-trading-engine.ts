/**
 * The library API (PRODUCT.md C5): accounts with a strategy, tactics and risk limits on top of the
 * deterministic kernel. Every order goes through kernel inputs; every effect comes back as kernel
 * events, forwarded to subscribers with SIGNAL_GENERATED and ERROR.
 *
 * ```ts
 * import { getPaperTradingEngine, readCandlesFile } from 'papertrade';
 *
 * const engine = getPaperTradingEngine();
 * const unsubscribe = engine.subscribe((event) => {
 *   if (event.type === 'SIGNAL_GENERATED') console.log(event.action, event.reason);
 *   if (event.type === 'POSITION_CLOSED') console.log('closed', event.symbol, event.realizedPnl);
 * });
 * const account = engine.createAccount({
 *   name: 'rsi bot', initialBalance: 10000, strategyId: 'rsi-reversal', autoTrading: true,
 *   maxRiskPerTrade: 1, maxDrawdown: 20, maxOpenPositions: 1,
 *   tacticsSets: [{
 *     name: 'standard', entry: { type: 'market' }, stopLoss: { type: 'percent', percent: 1 },
 *     takeProfits: [{ percent: 1, share: 0.5 }, { percent: 2, share: 0.5 }],
 *     trailingStop: { activationPercent: 1.5, callbackPercent: 0.5 }, breakEvenAfterFirstTarget: true,
 *   }],
 * });
 * engine.start(account.id);
 * // History: closed candles, oldest first; a signal on bar t trades at the open of bar t + 1.
 * engine.processCandles(account.id, 'BTCUSDT', readCandlesFile('candles.csv'));
 * // Live: prices as they come; strategies run on candles aggregated from them (1 min by default).
 * engine.updatePrices({ BTCUSDT: '61000.5' });
 * console.log(engine.getAccount(account.id));
 * unsubscribe();
 * ```
 * Guarantees: no look-ahead (strategies see closed candles; a signal at bar t trades at the open of
 * bar t + 1); candle bars follow the conservative intrabar rule (strategy/candle-path.ts); the same
 * inputs give the same events. Futures accounts (USDT-margined perpetuals): LONG and SHORT.
 * Not modelled: strategy state across `restoreAccounts` (indicators warm up again).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import type { KernelEvent } from '../core/kernel/events.js';
import type { BookDeltaInput, BookInvalidateInput, BookSnapshotInput, KernelInput, TradeInput } from '../core/kernel/inputs.js';
import { BUNDLED_INSTRUMENTS } from '../core/instruments/bundled-instruments.js';
import type { Instrument } from '../core/instruments/instrument.js';
import { checkLeverage } from '../core/accounts/account-settings.js';
import { formatFixed, parseFixed, type Fixed } from '../core/money/fixed.js';
import { extend } from '../core/objects.js';
import { decimalText, toCandle, type Candle, type CandleLike } from '../strategy/candles.js';
import { CandleAggregator } from './candle-aggregator.js';
import { CandleSequence, CandleSequenceError, type AcceptedCandles } from './candle-sequence.js';
import { TradeManager, type Direction, type OpenOutcome } from '../strategy/trade-manager.js';
import { STRATEGIES } from '../strategy/strategy.js';
import '../strategy/builtin-strategies.js';
import { resolveAccountConfig, type AccountConfig } from './account-config.js';
import { AccountRuntime } from './account-runtime.js';
import type { PaperTradingEvent, PaperTradingListener } from './engine-events.js';
import { MarketFeed } from './market-feed.js';
import type { AccountSummary, ClosePositionOptions, DurableSource, OpenPositionRequest, PaperTradingEngineOptions } from './engine-types.js';

export type { AccountSummary, ClosePositionOptions, DurableSource, OpenPositionRequest, PaperTradingEngineOptions } from './engine-types.js';
import { decodeEngineSnapshot, encodeEngineSnapshot } from './engine-snapshot.js';
import { parseTactics } from '../strategy/tactics.js';
import { maxSlippageProblem } from '../core/orders/order-validation.js';

const SIDES: ReadonlySet<unknown> = new Set(['LONG', 'SHORT', 'BUY', 'SELL']);

/** An input that moves a market's price: a capped exit's rest goes again on it (ADR 0065). */
const movesMarket = (input: KernelInput): input is Extract<KernelInput, { kind: 'book.snapshot' | 'book.delta' | 'trade' | 'bar' }> =>
  input.kind === 'book.snapshot' || input.kind === 'book.delta' || input.kind === 'trade' || input.kind === 'bar';

/** A slippage cap given as a number or decimal text, as exact fixed point; null when it is no decimal. */
function capValue(value: number | string): Fixed | null {
  try {
    return parseFixed(decimalText(value));
  } catch {
    return null;
  }
}
/** The refusal of a cap that is no decimal; NaN and Infinity quoted as themselves (JSON writes them null). */
const notADecimalCap = (value: unknown): string => `maxSlippage must be a decimal fraction such as "0.005", got ${typeof value === 'number' ? String(value) : JSON.stringify(value)}`;

/** What an engine made without `instruments` trades (backtests among them): the bundled Binance USDT-margined perpetuals. */
export const DEFAULT_ENGINE_INSTRUMENTS: readonly Instrument[] = BUNDLED_INSTRUMENTS.filter((i) => i.exchange === 'binance' && i.market === 'perpetual');

export class PaperTradingEngine {
  private kernelRef: Kernel;
  private readonly config: KernelConfig;
  private readonly listeners = new Set<PaperTradingListener>();
  /** Events posted and not yet handed to every subscriber (see `deliver`). */
  private readonly outbox: PaperTradingEvent[] = [];
  private delivering = false;
  /** The latest time an event carried to subscribers (the library stamps its own events no earlier). */
  private lastEmittedAt = Number.NEGATIVE_INFINITY;
  private readonly accounts = new Map<string, AccountRuntime>();
  private readonly manager: TradeManager;
  private readonly feed: MarketFeed;
  private readonly candleIntervalMs: number;
  private readonly candles: CandleAggregator;
  private nextId = 1;
  /** What processCandles has replayed, per account and symbol. */
  private readonly sequences = new Map<string, CandleSequence>();
  private readonly snapshotPath: string | undefined;

  constructor(options: PaperTradingEngineOptions = {}) {
    const instruments = options.instruments ?? DEFAULT_ENGINE_INSTRUMENTS;
    this.config = { instruments, latencyMs: 0, equityIntervalMs: options.equityIntervalMs ?? 60_000, ...(options.equityEveryStep === true ? { equityEveryStep: true } : {}) };
    this.kernelRef = new Kernel(this.config);
    this.candleIntervalMs = options.candleIntervalMs ?? 60_000;
    this.candles = new CandleAggregator(this.candleIntervalMs);
    this.snapshotPath = options.snapshotPath;
    const engine = this;
    this.manager = new TradeManager({
      get kernel() { return engine.kernelRef; },
      submit: (input) => engine.submit(input),
      // What the manager could not do (an exit refused, a reversal that cannot follow its close): an ERROR event (ADR 0069).
      report: (r) => engine.emit({ type: 'ERROR', at: r.at, account: r.account, symbol: r.symbol, code: r.code, message: r.message }),
    });
    this.feed = new MarketFeed(() => this.kernelRef, (input, next) => this.submit(input, next), undefined, options.barInputs ?? false);
  }

  /** The kernel configuration (a DurableEngine restored into this engine must use the same). */
  get kernelConfig(): KernelConfig {
    return this.config;
  }

  /** The kernel underneath (read-only use: queries, snapshots). */
  get kernel(): Kernel {
    return this.kernelRef;
  }

  /** Every event, as it happens. A listener that throws is reported on the console; the engine goes on. */
  subscribe(listener: PaperTradingListener): () => void {
    if (typeof listener !== 'function') throw new TypeError('subscribe needs a function');
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  createAccount(config: AccountConfig = {}): AccountSummary {
    let id = config.id;
    while (id === undefined || (config.id === undefined && this.kernelRef.account(id) !== undefined)) id = `account-${this.nextId++}`;
    if (this.accounts.has(id) || this.kernelRef.account(id) !== undefined) throw new Error(`account ${id} exists`);
    const resolved = resolveAccountConfig(config, id, (s) => STRATEGIES.get(s));
    // Checked before the account opens: a refusal afterwards would leave a half-made account in the kernel.
    if (resolved.symbols !== undefined && !Array.isArray(resolved.symbols)) throw new TypeError('symbols must be a list of symbols');
    for (const symbol of resolved.symbols ?? []) if (this.kernelRef.instrument(symbol) === undefined) throw new RangeError(`symbols: unknown symbol ${String(symbol)}`);
    if (typeof resolved.leverage === 'object') {
      for (const [symbol, leverage] of Object.entries(resolved.leverage)) {
        const instrument = this.kernelRef.instrument(symbol);
        if (instrument === undefined || instrument.market !== 'perpetual') throw new RangeError(`leverage: ${symbol} is not a perpetual of this engine`);
        const checked = checkLeverage(leverage, instrument.maxLeverage ?? 1);
        if (!checked.ok) throw new RangeError(`leverage ${leverage} refused for ${symbol}: ${checked.error.message}`);
      }
    }
    const runtime = new AccountRuntime(resolved, this.manager, this.feed, (e) => this.emitOwn(e));
    const time = this.kernelRef.now;
    const events = this.submit({
      kind: 'account.open', time, account: id, type: 'futures', balances: { USDT: resolved.initialBalance },
      leverage: typeof resolved.leverage === 'number' ? resolved.leverage : 1,
      ...(resolved.fees ? { fees: resolved.fees } : {}),
      risk: extend(resolved.maxDrawdown !== undefined ? { maxDrawdown: formatFixed(resolved.maxDrawdown / 100n) } : {}, { closeOnMaxDrawdown: resolved.closeOnMaxDrawdown }),
    });
    const refused = events.find((e) => e.type === 'ACCOUNT_REJECTED');
    if (refused !== undefined) throw new Error(`account ${id} refused: ${'message' in refused ? refused.message : ''}`);
    if (typeof resolved.leverage === 'object') {
      for (const [symbol, leverage] of Object.entries(resolved.leverage).sort(([a], [b]) => (a < b ? -1 : 1))) {
        const reply = this.submit({ kind: 'leverage.set', time, account: id, symbol, leverage });
        if (reply.some((e) => e.type === 'LEVERAGE_REJECTED')) throw new Error(`leverage ${leverage} refused for ${symbol}`);
      }
    }
    this.accounts.set(id, runtime);
    return this.getAccount(id);
  }

  /** Moves the engine's clock to `time` (Unix ms; never backwards), e.g. before opening backtest accounts. */
  advanceTo(time: number): void {
    if (!Number.isSafeInteger(time) || time < 0) throw new RangeError(`time must be Unix ms, got ${String(time)}`);
    if (time > this.kernelRef.now) this.submit({ kind: 'clock', time });
  }

  /** Auto-trading on: the account's signals become orders (needs `autoTrading: true`). */
  start(accountId: string): void {
    this.runtime(accountId).running = true;
  }

  /**
   * Auto-trading off: no new orders from signals; open positions keep their protective orders. A
   * reversal waiting for its close (ADR 0069) is dropped: the close goes on, no entry follows it.
   */
  stop(accountId: string): void {
    this.runtime(accountId).running = false;
    this.manager.dropWaitingOf(accountId);
  }

  /**
   * Live prices (`{ BTCUSDT: '61000.5' }`): each moves the kernel's market (book + trade), fills and
   * triggers what it reaches, and feeds the candles strategies run on (`candleIntervalMs`). The exits
   * of an entry a price fills are placed once that price's book and trade are both in (ADR 0042), so
   * they are checked against it, not against the price before. A price
   * at or below 0, an unknown symbol or a time that is not Unix ms throws a RangeError before any
   * price moves.
   */
  updatePrices(prices: Readonly<Record<string, number | string>>, time: number = Math.max(Date.now(), this.kernelRef.now)): void {
    // All checked before the first moves the market: a bad call changes nothing.
    if (!Number.isSafeInteger(time) || time < 0) throw new RangeError(`time must be Unix ms, got ${String(time)}`);
    const checked: [string, Fixed][] = [];
    for (const symbol of Object.keys(prices).sort()) {
      if (this.kernelRef.instrument(symbol) === undefined) throw new RangeError(`unknown symbol ${symbol}`);
      const price = parseFixed(decimalText(prices[symbol]!));
      if (price <= 0n) throw new RangeError(`${symbol}: price must be above 0, got ${formatFixed(price)}`);
      checked.push([symbol, price]);
    }
    for (const [symbol, price] of checked) {
      this.feed.price(symbol, price, time);
      this.aggregate(symbol, price, time);
    }
  }

  /**
   * Recorded or live market data (book snapshot, delta, gap, trade) straight into the kernel; trades
   * also build the candles auto-trading strategies run on. Tick-level fills against the real book.
   */
  feedMarket(input: BookSnapshotInput | BookDeltaInput | BookInvalidateInput | TradeInput): void {
    const events = this.submit(input);
    // A trade the kernel refused (INPUT_REJECTED, sent to subscribers) is no price: not the reference, not in a candle.
    if (input.kind !== 'trade' || events.some((e) => e.type === 'INPUT_REJECTED')) return;
    const price = parseFixed(input.price);
    this.feed.observe(input.symbol, price);
    this.aggregate(input.symbol, price, input.time);
  }

  /**
   * Replays closed candles (oldest first) for one account: each bar's conservative path through
   * the kernel (ADR 0009), then the account's strategy on the closed bar. Each candle is replayed
   * once: hand over all candles so far each time one closes, or only the new ones, or a rolling
   * window — a candle at or before the last one replayed is skipped. A batch that contradicts a
   * candle already replayed, leaves a gap after the last one, or is not in increasing time order is
   * refused whole: an ERROR event (code CANDLE_CONFLICT, CANDLE_GAP or CANDLE_ORDER) is emitted and a
   * `CandleSequenceError` thrown, and nothing of the batch is replayed. Candles stamped before the
   * engine's clock are handled at the clock's time (the kernel's clock never runs backwards).
   * A strategy that reaches past the last closed candle stops the batch with its `LookAheadError`:
   * the candle it threw on and those before it are replayed, the ones after it are not (a later
   * batch that holds them replays them). Returns the candles replayed by this call and the signals they gave.
   */
  processCandles(accountId: string, symbol: string, candles: readonly (CandleLike | Candle)[]): { candles: number; signals: number } {
    const runtime = this.runtime(accountId);
    if (this.kernelRef.instrument(symbol) === undefined) throw new Error(`unknown symbol ${symbol}`);
    const key = `${accountId}\u0000${symbol}`;
    const sequence = this.sequences.get(key) ?? new CandleSequence();
    let accepted: AcceptedCandles;
    try {
      accepted = sequence.accept(candles.map((c) => toCandle(c)));
    } catch (error) {
      if (error instanceof CandleSequenceError) this.emit({ type: 'ERROR', at: this.kernelRef.now, account: accountId, symbol, code: error.code, message: error.message });
      throw error;
    }
    this.sequences.set(key, sequence);
    const list = accepted.candles;
    let signals = 0;
    let replayed = 0;
    try {
      for (let i = 0; i < list.length; i += 1) {
        const candle = list[i]!;
        const next = list[i + 1];
        const interval = next !== undefined ? next.openTime - candle.openTime : accepted.intervalMs ?? runtime.intervalFor(symbol, this.candleIntervalMs);
        // Counted before the replay: a candle whose path went through the kernel and whose close the
        // strategy saw is replayed even when the strategy then throws (LookAheadError).
        replayed = i + 1;
        signals += runtime.replayBar(symbol, candle, interval) ? 1 : 0;
      }
    } finally {
      // Only what went through: the candles after one that threw wait for a later batch.
      sequence.commit(accepted, replayed);
    }
    return { candles: list.length, signals };
  }

  openPosition(accountId: string, request: OpenPositionRequest): OpenOutcome {
    const runtime = this.runtime(accountId);
    if (!SIDES.has(request.side)) return this.refuse(accountId, request.symbol, `side must be LONG, SHORT, BUY or SELL, got ${JSON.stringify(request.side)}`);
    const price = this.feed.lastPrice(request.symbol);
    if (price === undefined) return this.refuse(accountId, request.symbol, `no price yet for ${request.symbol}: call updatePrices first`);
    const tactics = request.tactics === undefined ? runtime.config.tactics : typeof request.tactics === 'string' ? runtime.config.tacticsSets.find((t) => t.name === request.tactics) : parseTactics(request.tactics);
    if (tactics === undefined) return this.refuse(accountId, request.symbol, 'no tactics set (give one, or create the account with tacticsSets)');
    const maxSlippage = request.maxSlippage === undefined ? undefined : capValue(request.maxSlippage);
    if (maxSlippage === null) return this.refuse(accountId, request.symbol, notADecimalCap(request.maxSlippage));
    const direction: Direction = request.side === 'LONG' || request.side === 'BUY' ? 'LONG' : 'SHORT';
    const outcome = this.manager.open({
      account: accountId, symbol: request.symbol, direction, tactics, price, time: this.kernelRef.now, atr: runtime.atr(request.symbol, tactics),
      limits: runtime.limits(), ...(request.quantity !== undefined ? { quantity: parseFixed(decimalText(request.quantity)) } : {}),
      ...(maxSlippage !== undefined ? { maxSlippage } : {}),
    });
    if (!outcome.ok) this.emit({ type: 'ERROR', at: this.kernelRef.now, account: accountId, symbol: request.symbol, code: 'ENTRY_REFUSED', message: outcome.reason });
    return outcome;
  }

  /**
   * Cancels the position's trade plan and closes it at market (a reduce-only MARKET order). With
   * `maxSlippage` (ADR 0061: a fraction of the best opposite price, from 0 to below 1; default the
   * plan's tactics' `exit.maxSlippage`, else the account's active tactics', else none) the close stops
   * at the cap, the rest expires (ORDER_EXPIRED, SLIPPAGE_CAP) and goes again, capped, at the symbol's
   * next market move until the position is closed (ADR 0065). A cap that is no fraction in [0, 1)
   * throws a RangeError before anything moves.
   */
  closePosition(accountId: string, symbol: string, options: ClosePositionOptions = {}): void {
    const runtime = this.runtime(accountId);
    const cap = this.exitCap(options);
    this.manager.close(accountId, symbol, this.kernelRef.now, cap ?? (this.manager.plan(accountId, symbol)?.tactics ?? runtime.config.tactics)?.exit?.maxSlippage);
  }

  /** `closePosition` for every open position and waiting entry of the account, in symbol order, with the same `maxSlippage`. */
  closeAllPositions(accountId: string, options: ClosePositionOptions = {}): void {
    const runtime = this.runtime(accountId);
    const cap = this.exitCap(options);
    const account = this.kernelRef.account(accountId);
    const symbols = new Set<string>(account?.kind === 'futures' ? account.openPositions().map((p) => p.symbol) : []);
    for (const instrument of this.kernelRef.instruments()) if (this.manager.plan(accountId, instrument.symbol)) symbols.add(instrument.symbol);
    for (const symbol of [...symbols].sort()) this.manager.close(accountId, symbol, this.kernelRef.now, cap ?? (this.manager.plan(accountId, symbol)?.tactics ?? runtime.config.tactics)?.exit?.maxSlippage);
  }

  /** A close's `maxSlippage` as the kernel takes it, or undefined when not given; a RangeError for one that is no fraction in [0, 1). */
  private exitCap(options: ClosePositionOptions): Fixed | undefined {
    if (options.maxSlippage === undefined) return undefined;
    const cap = capValue(options.maxSlippage);
    if (cap === null) throw new RangeError(notADecimalCap(options.maxSlippage));
    const problem = maxSlippageProblem('MARKET', cap);
    if (problem !== undefined) throw new RangeError(problem);
    return cap;
  }

  /**
   * The account as it stands: its equity in USDT, or null while the kernel waits for a price for
   * something it holds (`awaitingPrice` names those, as `GET /api/account` does: Kernel.awaitedPrices,
   * ADR 0028), since counting such a position at no price would state a wrong figure.
   */
  getAccount(accountId: string): AccountSummary {
    const runtime = this.runtime(accountId);
    const account = this.kernelRef.account(accountId);
    const awaitingPrice = this.kernelRef.awaitedPrices(accountId);
    return {
      id: accountId, name: runtime.config.name, strategyId: runtime.config.strategyId, autoTrading: runtime.config.autoTrading, running: runtime.running,
      halted: this.kernelRef.isHalted(accountId), equity: awaitingPrice.length > 0 ? null : formatFixed(this.kernelRef.equity(accountId) ?? 0n), awaitingPrice, balances: this.kernelRef.balances(accountId) ?? {},
      positions: account?.kind === 'futures' ? account.openPositions().map((p) => ({ symbol: p.symbol, direction: p.size > 0n ? 'LONG' : 'SHORT', size: formatFixed(p.size > 0n ? p.size : -p.size), entryPrice: formatFixed(p.entryPrice) })) : [],
    };
  }

  listAccounts(): AccountSummary[] {
    return [...this.accounts.keys()].sort().map((id) => this.getAccount(id));
  }

  /** The whole engine as one string: kernel snapshot, account configs, trade plans. */
  snapshot(): string {
    return encodeEngineSnapshot({
      kernel: this.kernelRef.snapshot(),
      accounts: [...this.accounts.values()].map((r) => ({ config: r.config.raw, id: r.config.id, running: r.running })),
      manager: this.manager.exportState(),
      nextId: this.nextId,
      feed: this.feed.exportState(),
      forming: this.candles.exportState(),
      sequences: [...this.sequences.entries()].map(([key, seq]) => [key, seq.exportState()] as const),
    });
  }

  /** Writes `snapshot()` to `snapshotPath` (write to a temporary file, then rename). */
  saveSnapshot(): void {
    if (this.snapshotPath === undefined) throw new Error('no snapshotPath configured');
    writeFileSync(`${this.snapshotPath}.tmp`, this.snapshot());
    renameSync(`${this.snapshotPath}.tmp`, this.snapshotPath);
  }

  /**
   * Restores accounts, replacing the engine's: from a `snapshot()` string; from a DurableEngine (its
   * journal and snapshots; its accounts come back without strategies); or, with no argument, from
   * `snapshotPath` when that file exists (otherwise nothing changes). Returns the account ids.
   */
  async restoreAccounts(from?: string | DurableSource): Promise<string[]> {
    let source = from;
    if (source === undefined) {
      if (this.snapshotPath === undefined || !existsSync(this.snapshotPath)) return [...this.accounts.keys()].sort();
      source = readFileSync(this.snapshotPath, 'utf8');
    }
    // Everything that can refuse the source is done before the engine changes: a truncated or edited
    // snapshot leaves the engine as it was.
    if (typeof source === 'string') {
      const state = decodeEngineSnapshot(source);
      const kernel = Kernel.restore(this.config, state.kernel);
      const sequences = new Map((state.sequences ?? []).map(([key, seq]) => [key, CandleSequence.from(seq)] as const));
      const accounts = state.accounts.map((a) => ({ running: a.running, config: resolveAccountConfig({ ...a.config, id: a.id }, a.id, (s) => STRATEGIES.get(s)) }));
      const previous = { manager: this.manager.exportState(), feed: this.feed.exportState(), forming: this.candles.exportState() };
      try {
        this.manager.importState(state.manager);
        this.feed.importState(state.feed);
        this.candles.importState(state.forming as Parameters<CandleAggregator['importState']>[0]);
      } catch (error) {
        this.manager.importState(previous.manager);
        this.feed.importState(previous.feed);
        this.candles.importState(previous.forming);
        throw error;
      }
      this.kernelRef = kernel;
      this.nextId = state.nextId;
      this.sequences.clear();
      for (const [key, seq] of sequences) this.sequences.set(key, seq);
      this.accounts.clear();
      for (const a of accounts) {
        const runtime = new AccountRuntime(a.config, this.manager, this.feed, (e) => this.emitOwn(e));
        runtime.running = a.running;
        this.accounts.set(a.config.id, runtime);
      }
    } else {
      await source.restoreAccounts();
      this.kernelRef = Kernel.restore(this.config, source.kernel.snapshot());
      this.manager.importState({ seq: 0, plans: [], roles: [] });
      this.sequences.clear();
      this.accounts.clear();
      for (const id of this.kernelRef.accountIds()) this.accounts.set(id, new AccountRuntime(resolveAccountConfig({ id }, id, () => undefined), this.manager, this.feed, (e) => this.emitOwn(e)));
    }
    this.feed.rebuild();
    return [...this.accounts.keys()].sort();
  }

  private aggregate(symbol: string, price: Fixed, time: number): void {
    const closed = this.candles.add(symbol, price, time);
    if (closed === undefined) return;
    for (const runtime of this.accounts.values()) {
      if (runtime.config.symbols !== undefined && !runtime.config.symbols.includes(symbol)) continue;
      runtime.closeBar(symbol, closed, this.candleIntervalMs);
      runtime.executePending(symbol, price, time);
    }
  }

  private runtime(accountId: string): AccountRuntime {
    const runtime = this.accounts.get(accountId);
    if (runtime === undefined) throw new Error(`unknown account ${accountId}`);
    return runtime;
  }

  private refuse(account: string, symbol: string, reason: string): OpenOutcome {
    this.emit({ type: 'ERROR', at: this.kernelRef.now, account, symbol, code: 'ENTRY_REFUSED', message: reason });
    return { ok: false, reason };
  }

  /**
   * Hands inputs to the kernel and their events to subscribers and the trade manager. Several
   * inputs are one move of the market (a price's book and its trade): the events of all of them
   * go out after the last is applied, so that whoever reacts to a fill on the book (the trade
   * manager placing the exits) sees the move's last trade, book and mark, not the price before it,
   * as after a step of a bar (ADR 0042).
   */
  private submit(input: KernelInput, next?: KernelInput): KernelEvent[] {
    // One or two inputs as parameters, not a rest array: a candle bar and each order pass here.
    let events = this.kernelRef.handle(input);
    this.feed.track(events);
    for (let i = 0; i < events.length; i += 1) this.post(events[i]!);
    if (next !== undefined) {
      const more = this.kernelRef.handle(next);
      this.feed.track(more);
      for (let i = 0; i < more.length; i += 1) this.post(more[i]!);
      events = events.concat(more);
    }
    this.deliver();
    // The rests of capped exits go again on their symbol's next move, before this move's events can leave new ones (ADR 0065).
    // A price's book and print are one move: once per symbol.
    // The move's events go with it: where another exit of a position worked in this move, its rests wait (ADR 0069).
    if (movesMarket(input)) this.manager.onMarket(input.symbol, input.time, events);
    if (next !== undefined && movesMarket(next) && next.symbol !== (movesMarket(input) ? input.symbol : undefined)) this.manager.onMarket(next.symbol, next.time, events);
    for (let i = 0; i < events.length; i += 1) this.manager.onEvent(events[i]!);
    return events;
  }

  private emit(event: PaperTradingEvent): void {
    this.post(event);
    this.deliver();
  }

  private post(event: PaperTradingEvent): void {
    if ('at' in event && typeof event.at === 'number' && event.at > this.lastEmittedAt) this.lastEmittedAt = event.at;
    this.outbox.push(event);
  }

  /**
   * Hands the posted events to the subscribers, in order. A subscriber that calls the engine (closes
   * the position a fill opened) posts the events of its call behind those of the batch being
   * delivered: every subscriber sees them after the rest of that batch, never inside it.
   */
  private deliver(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let i = 0; i < this.outbox.length; i += 1) {
        const event = this.outbox[i]!;
        for (const listener of this.listeners) {
          // A subscriber's bug must not cut the engine off from the event: the trade manager still has to
          // see a fill to place the position's stop-loss and targets.
          try {
            listener(event);
          } catch (error) {
            console.error('papertrade: a subscriber failed on', event.type, error);
          }
        }
      }
    } finally {
      this.outbox.length = 0;
      this.delivering = false;
    }
  }

  /**
   * An event the library makes itself (a signal, a strategy's error): stamped no earlier than the
   * last event subscribers saw, so that candles replayed behind the engine's clock (another
   * account's, a second symbol's) do not make time run backwards for them. The candle's own time
   * stays in the event (`candleOpenTime`).
   */
  private emitOwn(event: PaperTradingEvent): void {
    const at = this.lastEmittedAt;
    this.emit('at' in event && typeof event.at === 'number' && event.at < at ? ({ ...event, at } as PaperTradingEvent) : event);
  }}
