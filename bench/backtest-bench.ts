/**
 * Backtest throughput, run by `npm run bench` (alone: `node --import tsx bench/backtest-bench.ts`).
 *
 * Every candle file in data/candles (or BENCH_CANDLES_DIR), concatenated per file, run
 * through `runBacktest` with `rsi-reversal` and a full tactics set (limit entry, 2-step DCA ladder,
 * ATR stop, two take-profits, trailing stop, break-even) and, for comparison, with `ema-crossover`
 * and a plain stop. Each case runs BENCH_REPEAT times (default 3); the best is reported as candles/s
 * together with kernel inputs per candle. Wall time with performance.now(); single thread.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runBacktest } from '../src/library/backtest.js';
import { PaperTradingEngine } from '../src/library/paper-trading-engine.js';
import { readCandlesFile, type Candle } from '../src/strategy/candles.js';
import { CANDLES_DIR } from '../src/test-kit/data-paths.js';

const DIR = process.env.BENCH_CANDLES_DIR ?? CANDLES_DIR;
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);

const FULL = {
  name: 'full', entry: { type: 'limit', offsetPercent: 0.05, validBars: 2 }, dca: { count: 2, stepPercent: 0.5, sizeMultiplier: 1.5 },
  stopLoss: { type: 'atr', multiple: 2, period: 14 }, takeProfits: [{ percent: 0.5, share: 0.5 }, { percent: 1, share: 0.25 }],
  trailingStop: { activationPercent: 0.8, callbackPercent: 0.3 }, breakEvenAfterFirstTarget: true,
};
const PLAIN = { name: 'plain', stopLoss: { type: 'percent', percent: 1 } };

const files = readdirSync(DIR).filter((f) => f.endsWith('.csv')).sort();
const series: { file: string; candles: Candle[] }[] = files.map((file) => ({ file, candles: readCandlesFile(join(DIR, file)) }));
const total = series.reduce((n, s) => n + s.candles.length, 0);

function inputsPerCandle(candles: Candle[], tactics: unknown, strategy: string): number {
  const engine = new PaperTradingEngine();
  engine.advanceTo(candles[0]!.openTime);
  engine.createAccount({ id: 'b', strategyId: strategy, autoTrading: true, tacticsSets: [tactics], leverage: 5 });
  engine.start('b');
  engine.processCandles('b', 'BTCUSDT', candles);
  return engine.kernel.inputCount / candles.length;
}

const rows: string[][] = [];
for (const [strategy, tactics, label] of [['rsi-reversal', FULL, 'rsi-reversal + full tactics'], ['ema-crossover', PLAIN, 'ema-crossover + stop only']] as const) {
  let best = Infinity;
  let fills = 0;
  let signals = 0;
  for (let r = 0; r < REPEAT; r += 1) {
    fills = 0;
    signals = 0;
    const start = performance.now();
    for (const s of series) {
      const report = runBacktest(s.candles, { strategy, tactics, leverage: 5, feeBps: 4 });
      fills += report.fills;
      signals += report.signals;
    }
    best = Math.min(best, performance.now() - start);
  }
  const perCandle = series.reduce((n, s) => n + inputsPerCandle(s.candles, tactics, strategy) * s.candles.length, 0) / total;
  rows.push([label, String(total), String(signals), String(fills), perCandle.toFixed(1), `${(best / 1000).toFixed(2)} s`, Math.round(total / (best / 1000)).toLocaleString('en-US')]);
}

const head = ['case', 'candles', 'signals', 'fills', 'inputs/candle', 'best time', 'candles/s'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(`backtest throughput (${files.length} candle files, best of ${REPEAT}, Node ${process.version})`);
console.log(line(head));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows) console.log(line(row));
