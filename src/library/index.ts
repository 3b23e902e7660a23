/**
 * The library API entry: `getPaperTradingEngine()` gives the process-wide engine (created on first
 * use); `new PaperTradingEngine(options)` gives an independent one (tests, backtests).
 */
import { PaperTradingEngine, type PaperTradingEngineOptions } from './paper-trading-engine.js';

let singleton: PaperTradingEngine | undefined;

/** The process-wide engine; options apply only when it is first created. */
export function getPaperTradingEngine(options?: PaperTradingEngineOptions): PaperTradingEngine {
  singleton ??= new PaperTradingEngine(options);
  return singleton;
}

/** Drops the process-wide engine (the next `getPaperTradingEngine()` creates a fresh one). */
export function resetPaperTradingEngine(): void {
  singleton = undefined;
}

export { PaperTradingEngine, type PaperTradingEngineOptions, type AccountSummary, type OpenPositionRequest, type ClosePositionOptions, type DurableSource } from './paper-trading-engine.js';
export type { AccountConfig } from './account-config.js';
export { CandleSequenceError } from './candle-sequence.js';
export type { PaperTradingEvent, PaperTradingEventType, PaperTradingListener, SignalGeneratedEvent, EngineErrorEvent } from './engine-events.js';
