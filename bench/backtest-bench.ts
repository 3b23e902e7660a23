/**
 * Backtest throughput, part of `npm run bench` (alone, on the compiled package: `node --import ./bench/compiled.mjs --import tsx bench/backtest-bench.ts`).
 *
 * Every candle file in data/candles (or BENCH_CANDLES_DIR), concatenated per file, run
 * through `runBacktest` with `rsi-reversal` and a full tactics set (limit entry, 2-step DCA ladder,
 * ATR stop, two take-profits, trailing stop, break-even) and, for comparison, with `ema-crossover`
 * and a plain stop: each candle as one `bar` kernel input (ADR 0042), and the full tactics case
 * also as the book-and-trade walk of ADR 0009 (`walk`); and a strategy that never signals, for
 * what a candle costs the engine alone. The floor: a plain loop feeding the same candles to the same strategy object
 * (`rsiReversal()`, its RSI from trading-signals), no kernel, no orders. Each case first runs
 * `warmup` untimed passes over every file (BENCH_WARMUP, default 10: about 125,000 candles, past the
 * point where the pass time stops falling; docs/adr/0054), then `repeat` timed ones (BENCH_REPEAT,
 * default 3); the best is reported as candles/s with kernel inputs per candle, and the first warm-up
 * pass's candles/s beside it (the code as cold as the process left it). The floor gets the same.
 * Wall time with cpuMs(); single thread.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBacktest } from '../src/library/backtest.js';
import { PaperTradingEngine } from '../src/library/paper-trading-engine.js';
import { rsiReversal } from '../src/strategy/builtin-strategies.js';
import { readCandlesFile, type Candle } from '../src/strategy/candles.js';
import type { StrategyContext, StrategyFactory } from '../src/strategy/strategy.js';
import { CANDLES_DIR } from '../src/test-kit/data-paths.js';
import { cpuMs } from './bench-kit.js';

const FULL = {
  name: 'full', entry: { type: 'limit', offsetPercent: 0.05, validBars: 2 }, dca: { count: 2, stepPercent: 0.5, sizeMultiplier: 1.5 },
  stopLoss: { type: 'atr', multiple: 2, period: 14 }, takeProfits: [{ percent: 0.5, share: 0.5 }, { percent: 1, share: 0.25 }],
  trailingStop: { activationPercent: 0.8, callbackPercent: 0.3 }, breakEvenAfterFirstTarget: true,
};
const PLAIN = { name: 'plain', stopLoss: { type: 'percent', percent: 1 } };
/** No signal ever: what a candle costs the engine alone (kernel bar, equity sample, ATR, metrics). */
const NEVER: StrategyFactory = () => ({ id: 'never', onCandle: () => null });

export interface BacktestRow {
  readonly label: string;
  readonly barInputs: boolean;
  readonly candles: number;
  readonly signals: number;
  readonly fills: number;
  readonly inputsPerCandle: number;
  readonly bestMs: number;
  readonly candlesPerSecond: number;
  /** The first (warm-up) pass's candles/s. */
  readonly firstCandlesPerSecond: number;
}

function inputsPerCandle(candles: Candle[], tactics: unknown, strategy: string | StrategyFactory, barInputs: boolean): number {
  const engine = new PaperTradingEngine({ barInputs });
  engine.advanceTo(candles[0]!.openTime);
  engine.createAccount({ id: 'b', ...(typeof strategy === 'string' ? { strategyId: strategy } : { strategy }), autoTrading: true, tacticsSets: [tactics], leverage: 5 });
  engine.start('b');
  engine.processCandles('b', 'BTCUSDT', candles);
  return (engine.kernel.inputCount - 2) / candles.length; // less the clock and the account
}

export function backtestBench(o: { repeat: number; warmup: number; dir?: string; maxFiles?: number }) {
  const dir = o.dir ?? CANDLES_DIR;
  const files = readdirSync(dir).filter((f) => f.endsWith('.csv')).sort().slice(0, o.maxFiles ?? Infinity);
  const series = files.map((file) => ({ file, candles: readCandlesFile(join(dir, file)) }));
  const total = series.reduce((count, s) => count + s.candles.length, 0);
  const rows: BacktestRow[] = [];
  const cases = [
    ['rsi-reversal', FULL, 'rsi-reversal + full tactics, bar inputs', true],
    ['rsi-reversal', FULL, 'rsi-reversal + full tactics, walk (ADR 0009)', false],
    ['ema-crossover', PLAIN, 'ema-crossover + stop only, bar inputs', true],
    [NEVER, FULL, 'a strategy that never signals (the engine per candle), bar inputs', true],
  ] as const;
  /** `warmup` untimed passes of `pass`, then the best of `repeat` timed ones; the first pass's time beside it. */
  const timed = <T>(pass: () => T): { best: number; first: number; last: T } => {
    let best = Infinity;
    let first = Number.NaN;
    let last: T | undefined;
    for (let r = 0; r < o.warmup + o.repeat; r += 1) {
      const start = cpuMs();
      last = pass();
      const ms = cpuMs() - start;
      if (r === 0) first = ms;
      if (r >= o.warmup) best = Math.min(best, ms);
    }
    return { best, first, last: last! };
  };
  const perSecond = (ms: number) => Math.round(total / (ms / 1000));
  for (const [strategy, tactics, label, barInputs] of cases) {
    const { best, first, last } = timed(() => {
      let fills = 0;
      let signals = 0;
      for (const s of series) {
        const report = runBacktest(s.candles, { strategy, tactics, leverage: 5, feeBps: 4, barInputs });
        fills += report.fills;
        signals += report.signals;
      }
      return { fills, signals };
    });
    const perCandle = series.reduce((count, s) => count + inputsPerCandle(s.candles, tactics, strategy, barInputs) * s.candles.length, 0) / total;
    rows.push({ label, barInputs, candles: total, ...last, inputsPerCandle: perCandle, bestMs: best, candlesPerSecond: perSecond(best), firstCandlesPerSecond: perSecond(first) });
  }
  // The floor: the same candles through the same strategy object, nothing else.
  const floorRun = timed(() => {
    let signals = 0;
    for (const s of series) {
      const strategy = rsiReversal();
      const context = { symbol: 'BTCUSDT', candles: [], position: 'FLAT' } as unknown as StrategyContext;
      for (const candle of s.candles) if (strategy.onCandle(candle, context)) signals += 1;
    }
    return signals;
  });
  const floor = {
    label: 'floor: rsiReversal() fed the candles in a plain loop', candles: total, signals: floorRun.last, bestMs: floorRun.best,
    candlesPerSecond: perSecond(floorRun.best), firstCandlesPerSecond: perSecond(floorRun.first),
  };
  return { files: files.length, repeat: o.repeat, warmup: o.warmup, rows, floor };
}

export function printBacktest(result: ReturnType<typeof backtestBench>): void {
  const head = ['case', 'candles', 'signals', 'fills', 'inputs/candle', 'best time', 'candles/s', '1st pass candles/s'];
  const cells = [
    ...result.rows.map((r) => [r.label, String(r.candles), String(r.signals), String(r.fills), r.inputsPerCandle.toFixed(2), `${(r.bestMs / 1000).toFixed(2)} s`, r.candlesPerSecond.toLocaleString('en-US'), r.firstCandlesPerSecond.toLocaleString('en-US')]),
    [result.floor.label, String(result.floor.candles), String(result.floor.signals), '', '', `${(result.floor.bestMs / 1000).toFixed(3)} s`, result.floor.candlesPerSecond.toLocaleString('en-US'), result.floor.firstCandlesPerSecond.toLocaleString('en-US')],
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (c: readonly string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`backtest throughput (${result.files} candle files, best of ${result.repeat} after ${result.warmup} warm-up passes, Node ${process.version})`);
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of cells) console.log(line(row));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  printBacktest(backtestBench({ repeat: Number(process.env.BENCH_REPEAT ?? 3), warmup: Number(process.env.BENCH_WARMUP ?? 10), ...(process.env.BENCH_CANDLES_DIR !== undefined ? { dir: process.env.BENCH_CANDLES_DIR } : {}) }));
}
