/**
 * The library's event stream: every kernel event (orders, fills, positions, equity, funding,
 * liquidation, MAX_DRAWDOWN_REACHED, …) plus SIGNAL_GENERATED and ERROR. Plain JSON, decimal strings.
 */
import type { KernelEvent } from '../core/kernel/events.js';
import type { SignalAction } from '../strategy/strategy.js';

export interface SignalGeneratedEvent {
  readonly type: 'SIGNAL_GENERATED';
  /** The close time of the candle the signal was computed on (its open time + interval − 1). */
  readonly at: number;
  readonly account: string;
  readonly symbol: string;
  readonly strategyId: string;
  readonly action: SignalAction;
  readonly reason: string;
  /** The close of the candle that produced it. */
  readonly price: string;
  readonly candleOpenTime: number;
  /** False when the account does not trade it (auto-trading off or stopped, or halted). */
  readonly actionable: boolean;
}

export interface EngineErrorEvent {
  readonly type: 'ERROR';
  readonly at: number;
  readonly account?: string;
  readonly symbol?: string;
  /** STRATEGY_FAILED, ENTRY_REFUSED, EXIT_DUST and EXIT_REFUSED (docs/adr/0069), ENTRY_REDUCED (docs/adr/0071), UNKNOWN_ACCOUNT, … */
  readonly code: string;
  readonly message: string;
}

export type PaperTradingEvent = KernelEvent | SignalGeneratedEvent | EngineErrorEvent;
export type PaperTradingEventType = PaperTradingEvent['type'];
export type PaperTradingListener = (event: PaperTradingEvent) => void;
