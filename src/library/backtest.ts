/**
 * Backtests through the library engine — the same kernel, tactics and strategy code as live.
 *
 * - over candles: each bar is replayed along the conservative intrabar path (ADR 0009);
 * - over a recording (`recording`): the recorded book and trades go through the kernel as they
 *   are (tick-level fills), and strategies run on candles aggregated from the trades.
 * The report holds only data derived from the inputs (no wall clock): the same inputs give the
 * same report, byte for byte. Cost: dominated by kernel inputs, ≈ 10 per candle.
 */
import type { KernelEvent } from '../core/kernel/events.js';
import { formatFixed, parseFixed } from '../core/money/fixed.js';
import type { Recording } from '../market-data/recording-reader.js';
import { decimalText, type Candle } from '../strategy/candles.js';
import type { StrategyFactory, StrategyParams } from '../strategy/strategy.js';
import { BacktestMetrics } from './backtest-metrics.js';
import { PaperTradingEngine } from './paper-trading-engine.js';
import type { PaperTradingEvent } from './engine-events.js';

/** Used when no tactics file is given. */
export const DEFAULT_TACTICS = {
  name: 'default',
  entry: { type: 'market' },
  stopLoss: { type: 'percent', percent: 2 },
  takeProfits: [{ percent: 2, share: 0.5 }, { percent: 4, share: 0.5 }],
  breakEvenAfterFirstTarget: true,
} as const;

export interface BacktestOptions {
  readonly strategy: string | StrategyFactory;
  readonly strategyParams?: StrategyParams;
  readonly tactics?: unknown;
  readonly symbol?: string;
  /** USDT, default 10000. */
  readonly balance?: string;
  /** Fee rate in basis points for maker and taker (default: the instrument's): a number, or a decimal string read exactly. */
  readonly feeBps?: number | string;
  readonly maxRiskPerTrade?: number | string;
  readonly maxDrawdown?: number | string;
  readonly leverage?: number;
  /** Called every `progressEvery` candles (or trades) with (done, total). */
  readonly onProgress?: (done: number, total: number) => void;
  readonly progressEvery?: number;
  /** Candle interval for recordings (default 60,000 ms). */
  readonly candleIntervalMs?: number;
  /** Every event of the backtest's engine, as it happens (fills, positions, equity: for a report). */
  readonly onEvent?: (event: PaperTradingEvent) => void;
  /** Each candle as one `bar` kernel input (ADR 0042) instead of a book and a trade per path price (ADR 0009). */
  readonly barInputs?: boolean;
}

export interface BacktestReport {
  readonly strategy: string;
  readonly symbol: string;
  readonly source: 'candles' | 'recording';
  readonly inputs: number;
  readonly from: number;
  readonly to: number;
  readonly signals: number;
  readonly orders: number;
  readonly fills: number;
  readonly positionsOpened: number;
  /**
   * The engine's ERROR events, a count per code, codes in alphabetical order: what the trade manager
   * could not do (EXIT_DUST, EXIT_REFUSED, ENTRY_REFUSED: ADR 0069), the entries it lowered to the
   * largest market order (ENTRY_REDUCED: ADR 0071) and what the engine refused
   * (a strategy's failure, candles out of order). Empty when there were none.
   */
  readonly errors: Readonly<Record<string, number>>;
  readonly finalEquity: string;
  readonly metrics: Record<string, string | number | null>;
  readonly equityCurve: readonly { readonly at: number; readonly equity: string }[];
}

const ACCOUNT = 'backtest';

function setup(options: BacktestOptions, start: number, candleIntervalMs?: number) {
  // Every step valued: maxDrawdown is the equity's worst fall at any step of a bar's path, the steps the account's halt checks.
  const engine = new PaperTradingEngine({ candleIntervalMs: candleIntervalMs ?? 60_000, equityEveryStep: true, ...(options.barInputs === true ? { barInputs: true } : {}) });
  engine.advanceTo(start);
  const report = new BacktestMetrics(ACCOUNT, 'USDT', (text) => engine.kernel.lastEquityValue(ACCOUNT, text), () => engine.kernel.drawdown(ACCOUNT));
  const curve: { at: number; equity: string }[] = [];
  const counts = { signals: 0, orders: 0, fills: 0, positionsOpened: 0 };
  const errors = new Map<string, number>();
  engine.subscribe((event: PaperTradingEvent) => {
    options.onEvent?.(event);
    if (event.type === 'SIGNAL_GENERATED') {
      counts.signals += 1;
      return;
    }
    if (event.type === 'ERROR') {
      errors.set(event.code, (errors.get(event.code) ?? 0) + 1);
      return;
    }
    report.observe(event as KernelEvent);
    if (event.type === 'EQUITY') curve.push({ at: event.at, equity: event.equity });
    else if (event.type === 'ORDER_NEW') counts.orders += 1;
    else if (event.type === 'FILL') counts.fills += 1;
    else if (event.type === 'POSITION_OPENED') counts.positionsOpened += 1;
  });
  const fee = options.feeBps === undefined ? undefined : formatFixed(parseFixed(decimalText(options.feeBps)) / 10_000n);
  const strategyId = typeof options.strategy === 'string' ? options.strategy : undefined;
  engine.createAccount({
    id: ACCOUNT,
    initialBalance: options.balance ?? '10000',
    ...(strategyId !== undefined ? { strategyId } : { strategy: options.strategy as StrategyFactory }),
    ...(options.strategyParams ? { strategyParams: options.strategyParams } : {}),
    tacticsSets: [options.tactics ?? DEFAULT_TACTICS],
    autoTrading: true,
    maxRiskPerTrade: options.maxRiskPerTrade ?? 1,
    ...(options.maxDrawdown !== undefined ? { maxDrawdown: options.maxDrawdown } : {}),
    leverage: options.leverage ?? 1,
    ...(fee !== undefined ? { fees: { maker: fee, taker: fee } } : {}),
  });
  engine.start(ACCOUNT);
  const finish = (source: BacktestReport['source'], symbol: string, inputs: number, from: number, to: number, strategyName: string, periodMs: number): BacktestReport => {
    const equity = engine.kernel.equity(ACCOUNT) ?? 0n;
    const finalEquity = formatFixed(equity);
    // The last sample precedes the last prices (the last bar's close): the data ends valued at them.
    const at = Math.max(engine.kernel.now, curve.at(-1)?.at ?? 0);
    report.closeAt(at, equity);
    if (curve.at(-1)?.equity !== finalEquity) curve.push({ at, equity: finalEquity });
    const metrics = report.metrics(periodMs);
    return {
      strategy: strategyName, symbol, source, inputs, from, to, ...counts,
      errors: Object.fromEntries([...errors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      finalEquity, metrics, equityCurve: curve,
    };
  };
  return { engine, finish };
}

/** The chunk size of a backtest's loop: 0 or a negative step never ends it, NaN skips every candle. */
function progressEvery(options: BacktestOptions, fallback: number): number {
  const every = options.progressEvery ?? fallback;
  if (!Number.isSafeInteger(every) || every < 1) throw new RangeError(`progressEvery must be a whole number ≥ 1, got ${String(every)}`);
  return every;
}

function strategyName(options: BacktestOptions): string {
  return typeof options.strategy === 'string' ? options.strategy : 'custom';
}

/** Backtest over candles. Throws `LookAheadError` when the strategy reaches for an unclosed candle. */
export function runBacktest(candles: readonly Candle[], options: BacktestOptions): BacktestReport {
  const symbol = options.symbol ?? 'BTCUSDT';
  const every = progressEvery(options, 500);
  const { engine, finish } = setup(options, candles[0]?.openTime ?? 0);
  for (let i = 0; i < candles.length; i += every) {
    // Each chunk after the first starts with the last candle of the one before (replayed already, so
    // skipped): a chunk that reaches back to it may follow it after a hole, as candles of one batch may.
    engine.processCandles(ACCOUNT, symbol, candles.slice(i === 0 ? 0 : i - 1, Math.min(candles.length, i + every)));
    options.onProgress?.(Math.min(candles.length, i + every), candles.length);
  }
  const first = candles[0];
  const last = candles[candles.length - 1];
  const second = candles[1];
  const interval = first !== undefined && second !== undefined ? second.openTime - first.openTime : 60_000;
  return finish('candles', symbol, candles.length, first?.openTime ?? 0, last?.openTime ?? 0, strategyName(options), interval);
}

/**
 * Why `recording` cannot be backtested, or undefined when it can. The engine's instruments are
 * perpetuals, whose depth updates chain by `pu`: a spot recording's first update breaks that chain,
 * the book waits for a resync that never comes, and nothing fills.
 */
export function recordingBacktestProblem(recording: Pick<Recording, 'symbol' | 'market'>): string | undefined {
  if (recording.market === 'perpetual') return undefined;
  return `a backtest trades a USDT-margined perpetual: ${recording.symbol} of this recording is ${recording.market}, and a spot book does not chain as a perpetual's (use a perpetual recording, or the recording's candles)`;
}

/**
 * Backtest over a recording: real book and trades, tick-level fills; strategies on aggregated candles.
 * Throws `recordingBacktestProblem`'s reason for a recording it cannot trade.
 */
export function runRecordingBacktest(recording: Recording, options: BacktestOptions): BacktestReport {
  const problem = recordingBacktestProblem(recording);
  if (problem !== undefined) throw new Error(problem);
  const every = progressEvery(options, 10_000);
  const { engine, finish } = setup(options, recording.firstTime, options.candleIntervalMs);
  const total = recording.inputs.length;
  for (const [i, input] of recording.inputs.entries()) {
    engine.feedMarket(input);
    if ((i + 1) % every === 0 || i + 1 === total) options.onProgress?.(i + 1, total);
  }
  return finish('recording', recording.symbol, total, recording.firstTime, recording.lastTime, strategyName(options), options.candleIntervalMs ?? 60_000);
}
