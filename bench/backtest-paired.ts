/**
 * Old and new backtest code side by side in one process (the method of ADR 0036, fourth pass):
 * `BENCH_BASE=<a checkout of the code before> node --import tsx bench/backtest-paired.ts`.
 *
 * Loads `runBacktest` and `readCandlesFile` from this checkout and from BENCH_BASE, checks that both
 * give the same reports and the same hash over every event, then runs rounds of one pass over all
 * bundled candle files each, alternating which code goes first; prints the median CPU time of each
 * and the median and range of the per-round ratios (old ÷ new: above 1 means the new code is faster).
 * BENCH_STRATEGY: rsi-reversal (default), ema-crossover, bollinger-breakout, or `never` (a strategy
 * that never signals); BENCH_TACTICS: full (default) or plain; BENCH_ROUNDS (default 20);
 * BENCH_NEW_FIRST=1 loads this checkout's code first (the loading order can favour one side).
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CANDLES_DIR } from '../src/test-kit/data-paths.js';
import { at, cpuMs, loadPair } from './bench-kit.js';

type Run = (candles: readonly unknown[], options: Record<string, unknown>) => unknown;
interface Code {
  readonly runBacktest: Run;
  readonly readCandlesFile: (path: string) => unknown[];
}

const FULL = {
  name: 'full', entry: { type: 'limit', offsetPercent: 0.05, validBars: 2 }, dca: { count: 2, stepPercent: 0.5, sizeMultiplier: 1.5 },
  stopLoss: { type: 'atr', multiple: 2, period: 14 }, takeProfits: [{ percent: 0.5, share: 0.5 }, { percent: 1, share: 0.25 }],
  trailingStop: { activationPercent: 0.8, callbackPercent: 0.3 }, breakEvenAfterFirstTarget: true,
};
const PLAIN = { name: 'plain', stopLoss: { type: 'percent', percent: 1 } };

async function load(root: string): Promise<Code> {
  const backtest = (await at(root, 'src/library/backtest.ts')) as { runBacktest: Run };
  const candles = (await at(root, 'src/strategy/candles.ts')) as { readCandlesFile: Code['readCandlesFile'] };
  return { runBacktest: backtest.runBacktest, readCandlesFile: candles.readCandlesFile };
}

const newFirst = process.env.BENCH_NEW_FIRST === '1';
const { oldCode, newCode } = await loadPair(load);

const name = process.env.BENCH_STRATEGY ?? 'rsi-reversal';
const strategy = name === 'never' ? () => ({ id: 'never', onCandle: () => null }) : name;
const tactics = process.env.BENCH_TACTICS === 'plain' ? PLAIN : FULL;
const files = readdirSync(CANDLES_DIR).filter((f) => f.endsWith('.csv')).sort();
const series = (code: Code) => files.map((f) => code.readCandlesFile(join(CANDLES_DIR, f)));
const oldSeries = series(oldCode);
const newSeries = series(newCode);
const candles = oldSeries.reduce((n, s) => n + s.length, 0);
const options = { strategy, tactics, leverage: 5, feeBps: 4, barInputs: true };
const text = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));

function digest(code: Code, all: readonly unknown[][]): string {
  const hash = createHash('sha256');
  for (const s of all) hash.update(text(code.runBacktest(s, { ...options, onEvent: (e: unknown) => hash.update(text(e)) })));
  return hash.digest('hex');
}

function pass(code: Code, all: readonly unknown[][]): number {
  const start = cpuMs();
  for (const s of all) code.runBacktest(s, options);
  return cpuMs() - start;
}

const same = digest(oldCode, oldSeries) === digest(newCode, newSeries);
console.log(`${name}, ${tactics.name} tactics, ${candles} candles: reports and events ${same ? 'identical' : 'DIFFER'}`);
for (let r = 0; r < 3; r += 1) {
  pass(oldCode, oldSeries);
  pass(newCode, newSeries);
}
const rounds = Number(process.env.BENCH_ROUNDS ?? 20);
const olds: number[] = [];
const news: number[] = [];
const ratios: number[] = [];
for (let r = 0; r < rounds; r += 1) {
  let o: number;
  let n: number;
  if (r % 2 === 0) {
    n = pass(newCode, newSeries);
    o = pass(oldCode, oldSeries);
  } else {
    o = pass(oldCode, oldSeries);
    n = pass(newCode, newSeries);
  }
  olds.push(o);
  news.push(n);
  ratios.push(o / n);
}
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const rate = (ms: number) => Math.round(candles / (ms / 1000)).toLocaleString('en-US');
console.log(`old ${median(olds).toFixed(1)} ms (${rate(median(olds))} candles/s), new ${median(news).toFixed(1)} ms (${rate(median(news))} candles/s), median ratio old/new ${median(ratios).toFixed(3)} (range ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}) over ${rounds} rounds`);
if (!same) process.exitCode = 1;
