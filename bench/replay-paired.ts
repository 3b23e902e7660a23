/**
 * Old and new replay code side by side in one process (the method of ADR 0036):
 * `BENCH_BASE=<a checkout of the code before> node --import tsx bench/replay-paired.ts`.
 *
 * Loads `readRecording`, `runReplay` and the bench's `restingOrders` from this checkout and from
 * BENCH_BASE, checks that both give the same hash over every event and the final balances and
 * metrics, with and without the bench's 1,000 resting orders, then runs rounds of one replay each,
 * alternating which code goes first; prints, per case, the median CPU time of each (inputs/s) and
 * the median and range of the per-round ratios (old ÷ new: above 1 means the new code is faster).
 * BENCH_ROUNDS (default 15); BENCH_NEW_FIRST=1 loads this checkout's code first.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { at, cpuMs, loadPair } from './bench-kit.js';

interface Result {
  readonly inputs: number;
  readonly metrics: unknown;
  readonly balances: unknown;
}
interface Code {
  readonly recording: unknown;
  readonly orders: readonly unknown[];
  readonly runReplay: (recording: unknown, commands: readonly unknown[], options: Record<string, unknown>) => Result;
}

const RECORDING = 'data/recordings/binance_spot_btcusdt_20240808T2354Z';
const BALANCES = { USDT: '1000000', BTC: '20' };

async function load(root: string): Promise<Code> {
  const { readRecording } = (await at(root, 'src/market-data/recording-reader.ts')) as { readRecording: (path: string) => unknown };
  const { runReplay } = (await at(root, 'src/market-data/replay-session.ts')) as { runReplay: Code['runReplay'] };
  const { restingOrders } = (await at(root, 'bench/replay-bench.ts')) as { restingOrders: (recording: unknown) => unknown[] };
  const recording = readRecording(join(root, RECORDING));
  return { recording, orders: restingOrders(recording), runReplay };
}

const newFirst = process.env.BENCH_NEW_FIRST === '1';
const { oldCode, newCode } = await loadPair(load);
const text = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));

function digest(code: Code, withOrders: boolean): string {
  const hash = createHash('sha256');
  const result = code.runReplay(code.recording, withOrders ? code.orders : [], { balances: BALANCES, onEvent: (e: unknown) => hash.update(text(e)) });
  hash.update(text([result.inputs, result.metrics, result.balances]));
  return hash.digest('hex');
}

function pass(code: Code, withOrders: boolean): { ms: number; inputs: number } {
  const start = cpuMs();
  const { inputs } = code.runReplay(code.recording, withOrders ? code.orders : [], { balances: BALANCES });
  return { ms: cpuMs() - start, inputs };
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const rounds = Number(process.env.BENCH_ROUNDS ?? 15);
let differ = false;
for (const withOrders of [true, false]) {
  const label = withOrders ? 'with 1,000 resting orders' : 'without orders';
  const same = digest(oldCode, withOrders) === digest(newCode, withOrders);
  if (!same) differ = true;
  for (let r = 0; r < 2; r += 1) {
    pass(oldCode, withOrders);
    pass(newCode, withOrders);
  }
  const olds: number[] = [];
  const news: number[] = [];
  const ratios: number[] = [];
  let inputs = 0;
  for (let r = 0; r < rounds; r += 1) {
    const order = r % 2 === 0 ? [newCode, oldCode] : [oldCode, newCode];
    const times = new Map<Code, number>();
    for (const code of order) {
      const run = pass(code, withOrders);
      times.set(code, run.ms);
      inputs = run.inputs;
    }
    olds.push(times.get(oldCode)!);
    news.push(times.get(newCode)!);
    ratios.push(times.get(oldCode)! / times.get(newCode)!);
  }
  const rate = (ms: number) => Math.round(inputs / (ms / 1000)).toLocaleString('en-US');
  console.log(
    `${label}, ${inputs} inputs: events ${same ? 'identical' : 'DIFFER'}; ` +
      `old ${median(olds).toFixed(1)} ms (${Math.min(...olds).toFixed(1)}–${Math.max(...olds).toFixed(1)}, ${rate(median(olds))} inputs/s), ` +
      `new ${median(news).toFixed(1)} ms (${Math.min(...news).toFixed(1)}–${Math.max(...news).toFixed(1)}, ${rate(median(news))} inputs/s), ` +
      `median ratio old/new ${median(ratios).toFixed(3)} (range ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}) over ${rounds} rounds`,
  );
}
if (differ) process.exitCode = 1;
