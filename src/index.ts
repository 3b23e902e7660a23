/**
 * papertrade's public API. Everything a library user may rely on is exported here; nothing else
 * is reachable by deep import (see package.json `exports`).
 */
export { Kernel, type KernelConfig } from './core/kernel/kernel.js';
export type * from './core/kernel/inputs.js';
export type * from './core/kernel/events.js';
export { parseFixed, formatFixed, type Fixed } from './core/money/fixed.js';
export { BUNDLED_INSTRUMENTS, findBundledInstrument } from './core/instruments/bundled-instruments.js';
export type { Instrument, MarginTier, MarketKind } from './core/instruments/instrument.js';
export { ORDER_STATUSES, type OrderStatus } from './core/orders/order-status.js';
export { ORDER_TYPES, type OrderType, type Side, type Liquidity } from './core/orders/order.js';
export { REJECTION_CODES, type RejectionCode, type Rejection } from './core/orders/rejection.js';
export { RULE_NAMES, SPEC_RULES, type RuleName } from './core/matching/exchange-rules.js';
export type { OrderRequest } from './core/orders/order-validation.js';
export { readRecording, type Recording } from './market-data/recording-reader.js';
export { parseOrders, readOrdersFile, type OrderCommand } from './market-data/orders-file.js';
export { runReplay, type ReplayOptions, type ReplayResult, type BalancesEvent } from './market-data/replay-session.js';
export { getPaperTradingEngine, resetPaperTradingEngine, PaperTradingEngine, CandleSequenceError, type PaperTradingEngineOptions, type AccountSummary, type OpenPositionRequest, type DurableSource, type AccountConfig, type PaperTradingEvent, type PaperTradingEventType, type PaperTradingListener, type SignalGeneratedEvent, type EngineErrorEvent } from './library/index.js';
export { createStrategy, loadStrategyModule, resolveStrategy, registerStrategy, ClosedCandles, LookAheadError, type Strategy, type StrategyFactory, type StrategyContext, type StrategySignal, type SignalAction, type StrategyParams } from './strategy/strategy.js';
export { rsiReversal, emaCrossover, bollingerBreakout } from './strategy/builtin-strategies.js';
export { parseTactics, TacticsError, type TacticsSet } from './strategy/tactics.js';
export { dcaQuantities, sizeFromStop, type SizingInput, type Sizing } from './strategy/risk.js';
export { parseCandlesCsv, readCandlesFile, type Candle, type CandleLike } from './strategy/candles.js';
export { RsiIndicator, EmaIndicator, BollingerIndicator, AtrIndicator } from './strategy/indicators.js';
export { runBacktest, runRecordingBacktest, DEFAULT_TACTICS, type BacktestOptions, type BacktestReport } from './library/backtest.js';
export { renderMetricsTable, renderReportJson, renderEquityHtml, renderBacktestHtml, BacktestRecorder, candlesOfRecording, type BacktestDetail } from './library/backtest-report.js';
export type { OpenOutcome, TradePlan, Direction } from './strategy/trade-manager.js';
