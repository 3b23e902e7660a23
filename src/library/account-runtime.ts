/**
 * One library account at work: its strategy instance per symbol, the closed candles it has seen,
 * the signal waiting for the next bar's open, and the bar replay of processCandles.
 *
 * Order of a replayed bar (the no-look-ahead contract): the open price reaches the kernel; the
 * signal of the previous bar trades at it; the bar's path (strategy/candle-path.ts) runs through
 * the kernel, triggering stops and targets; only then does the bar close and the strategy see it.
 * With bar inputs (ADR 0042) the signal's orders are sent first and wait for the bar's open, the
 * first step of the bar input; a reversal's entry waits for its close to fill there.
 */
import { parseFixed, type Fixed } from '../core/money/fixed.js';
import { candleValues, type Candle } from '../strategy/candles.js';
import { intrabarAnchors } from '../strategy/candle-path.js';
import { AtrIndicator } from '../strategy/indicators.js';
import { ClosedCandles, LookAheadError, type Strategy, type StrategySignal } from '../strategy/strategy.js';
import type { TacticsSet } from '../strategy/tactics.js';
import type { RiskLimits, TradeManager } from '../strategy/trade-manager.js';
import type { ResolvedAccount } from './account-config.js';
import type { PaperTradingEvent } from './engine-events.js';
import type { MarketFeed } from './market-feed.js';

interface SymbolState {
  readonly strategy: Strategy | undefined;
  readonly candles: ClosedCandles;
  readonly atrs: Map<number, AtrIndicator>;
  interval: number | undefined;
  pending: StrategySignal | undefined;
  /** The last bar's close as text and value: a bar usually opens at it. */
  closeText: string | undefined;
  close: Fixed;
}

const ACTIONS = new Set(['LONG', 'SHORT', 'CLOSE']);

export class AccountRuntime {
  running = false;
  private readonly symbols = new Map<string, SymbolState>();

  constructor(
    readonly config: ResolvedAccount,
    private readonly manager: TradeManager,
    private readonly feed: MarketFeed,
    private readonly emit: (event: PaperTradingEvent) => void,
  ) {}

  limits(): RiskLimits {
    return { maxRiskPerTrade: this.config.maxRiskPerTrade, maxOpenPositions: this.config.maxOpenPositions };
  }

  intervalFor(symbol: string, fallback: number): number {
    return this.symbols.get(symbol)?.interval ?? fallback;
  }

  atr(symbol: string, tactics: TacticsSet): number | null {
    if (tactics.stopLoss.type !== 'atr') return null;
    return this.state(symbol).atrs.get(tactics.stopLoss.period)?.value ?? null;
  }

  /** Replays one closed candle through the kernel; true when the strategy signalled on it. */
  replayBar(symbol: string, candle: Candle, interval: number): boolean {
    const t0 = candle.openTime;
    const state = this.state(symbol);
    const values = candleValues(candle);
    const open = values !== undefined ? values.open : candle.open === state.closeText ? state.close : parseFixed(candle.open);
    if (this.feed.barInputs) {
      // The signal's orders go at the bar's open, after what rested met the open's print: the bar
      // pauses there (`pauseAtOpen`) and the signal trades at the open's quote, as in the walk below.
      const id = this.config.id;
      const signalled = state.pending !== undefined;
      const close = values !== undefined ? values.close : parseFixed(candle.close);
      state.closeText = candle.close;
      state.close = close;
      const closedDown = close < open;
      this.feed.bar(
        symbol,
        candle,
        values ?? { open, close },
        interval,
        (atOpen) => {
          if (atOpen) this.executePending(symbol, open, t0);
          const now = this.manager.exposure(id, symbol);
          return now === 'SHORT' || (now === 'FLAT' && closedDown);
        },
        signalled,
      );
      return this.closeBar(symbol, candle, interval);
    }
    this.feed.price(symbol, open, t0);
    this.executePending(symbol, open, t0);
    const { anchors } = intrabarAnchors(candle, this.manager.exposure(this.config.id, symbol));
    const span = Math.max(interval, 4);
    const times = [t0 + Math.floor(span / 4), t0 + Math.floor(span / 2), t0 + span - 1];
    let current: Fixed = open;
    for (const [k, anchor] of anchors.entries()) {
      this.feed.walk(symbol, current, anchor, times[k]!);
      current = anchor;
    }
    return this.closeBar(symbol, candle, interval);
  }

  /** A candle closed: the strategy sees it; a signal waits for the next price (the next bar's open). */
  closeBar(symbol: string, candle: Candle, interval: number): boolean {
    const state = this.state(symbol);
    state.interval = interval;
    state.candles.push(candle);
    for (const atr of state.atrs.values()) atr.add(candle);
    const closeTime = candle.openTime + Math.max(interval, 1) - 1;
    this.manager.onBarClosed(this.config.id, symbol, closeTime);
    if (state.strategy === undefined) return false;
    const size = this.manager.positionSize(this.config.id, symbol);
    let signal: StrategySignal | null | undefined;
    try {
      signal = state.strategy.onCandle(candle, { symbol, candles: state.candles, position: size > 0n ? 'LONG' : size < 0n ? 'SHORT' : 'FLAT' });
    } catch (error) {
      if (error instanceof LookAheadError) throw error;
      this.emit({ type: 'ERROR', at: closeTime, account: this.config.id, symbol, code: 'STRATEGY_FAILED', message: error instanceof Error ? error.message : String(error) });
      return false;
    }
    if (signal === null || signal === undefined) return false;
    if (!ACTIONS.has(signal.action)) {
      this.emit({ type: 'ERROR', at: closeTime, account: this.config.id, symbol, code: 'STRATEGY_FAILED', message: `bad signal action ${JSON.stringify(signal.action)}` });
      return false;
    }
    const actionable = this.config.autoTrading && this.running;
    this.emit({
      type: 'SIGNAL_GENERATED', at: closeTime, account: this.config.id, symbol, strategyId: state.strategy.id, action: signal.action,
      reason: String(signal.reason ?? ''), price: candle.close, candleOpenTime: candle.openTime, actionable,
    });
    if (actionable) state.pending = { action: signal.action, reason: String(signal.reason ?? '') };
    return true;
  }

  /** Trades the waiting signal at `price` (the open of the bar after the signal). */
  executePending(symbol: string, price: Fixed, time: number): void {
    const state = this.symbols.get(symbol);
    const signal = state?.pending;
    if (state === undefined || signal === undefined) return;
    state.pending = undefined;
    if (!this.config.autoTrading || !this.running) return;
    const id = this.config.id;
    // A reversal still waiting for its close (ADR 0069) gives way to this newer signal.
    this.manager.dropWaiting(id, symbol);
    const exposure = this.manager.exposure(id, symbol);
    // A signal's close carries the exits' cap as closePosition does: the plan's tactics', else the account's. Once a
    // capped exit has ended the plan (its rest still working), the plan's cap alone would leave this close uncapped.
    const cap = exposure === 'FLAT' ? undefined : (this.manager.plan(id, symbol)?.tactics ?? this.config.tactics)?.exit?.maxSlippage;
    if (signal.action === 'CLOSE') {
      if (exposure !== 'FLAT') this.manager.close(id, symbol, time, cap);
      return;
    }
    if (exposure === signal.action) return;
    if (exposure !== 'FLAT') this.manager.close(id, symbol, time, cap);
    const tactics = this.config.tactics;
    if (tactics === undefined) {
      this.emit({ type: 'ERROR', at: time, account: id, symbol, code: 'NO_TACTICS', message: 'the account has no tactics set to trade signals with' });
      return;
    }
    // A reversal whose close left a rest (its cap, the book's depth) waits for the close to complete (ADR 0069).
    const outcome = this.manager.openAfterClose({ account: id, symbol, direction: signal.action, tactics, price, time, atr: this.atr(symbol, tactics), limits: this.limits() });
    if (outcome !== undefined && !outcome.ok) this.emit({ type: 'ERROR', at: time, account: id, symbol, code: 'ENTRY_REFUSED', message: outcome.reason });
  }

  private state(symbol: string): SymbolState {
    let state = this.symbols.get(symbol);
    if (state === undefined) {
      const atrs = new Map<number, AtrIndicator>();
      for (const t of this.config.tacticsSets) if (t.stopLoss.type === 'atr') atrs.set(t.stopLoss.period, new AtrIndicator(t.stopLoss.period));
      state = { strategy: this.config.factory?.(this.config.strategyParams), candles: new ClosedCandles(), atrs, interval: undefined, pending: undefined, closeText: undefined, close: 0n };
      this.symbols.set(symbol, state);
    }
    return state;
  }
}
