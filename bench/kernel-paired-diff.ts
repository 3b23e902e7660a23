/**
 * Old and new kernel fed the same inputs, compared event for event:
 * `BENCH_BASE=<a checkout of the code before> node --import tsx bench/kernel-paired-diff.ts`.
 *
 * The inputs are the kernel fuzzer's (src/test-kit/kernel-fuzz.ts: the real recordings interleaved
 * with random placements, cancels, brackets, OCO lists, conditional orders, imports, resets) and
 * order-stream.ts's (two symbols on candle bars, one account at the caps of open and conditional
 * orders), both made by this checkout. Both kernels must give the same events for every input
 * and the same snapshot every SNAPSHOT_EVERY inputs, where both are also restored from their own
 * snapshot and go on from there. Exits non-zero on the first difference.
 * DIFF_SEEDS (default 24) of each kind, DIFF_COMMANDS per fuzzer seed (default 600), DIFF_MARKET
 * recording inputs at most (default 6000), DIFF_STREAM inputs per order stream (default 5000),
 * DIFF_STREAM_LATENCY the order streams' latency in ms (default 0). A base before the fix of orders
 * that arrive within one input (ADR 0036, seventh pass, "Left") differs from this checkout where
 * such orders rest at one price, and throws with latency. DIFF_EVERY_STEP=1 runs every kernel with
 * `equityEveryStep` (as a backtest does: each account valued at every price move and bar step).
 */
import { at, comparedRoots } from './bench-kit.js';
import type { KernelConfig } from '../src/core/kernel/kernel-state.js';
import type { KernelInput } from '../src/core/kernel/inputs.js';
import { orderStream } from '../src/test-kit/order-stream.js';
import { instrumentFor, replay, runSeed, VENUES, type FuzzCase } from '../src/test-kit/kernel-fuzz.js';

interface AnyKernel {
  handle(input: KernelInput): unknown[];
  snapshot(): string;
}
interface KernelClass {
  new (config: KernelConfig): AnyKernel;
  restore(config: KernelConfig, snapshot: string): AnyKernel;
}

const { base, here } = comparedRoots();
const load = async (root: string) => ((await at(root, 'src/core/kernel/kernel.ts')) as { Kernel: KernelClass }).Kernel;
const OldKernel = await load(base);
const NewKernel = await load(here);

const SEEDS = Number(process.env.DIFF_SEEDS ?? 24);
const COMMANDS = Number(process.env.DIFF_COMMANDS ?? 600);
const MARKET = Number(process.env.DIFF_MARKET ?? 6000);
const STREAM = Number(process.env.DIFF_STREAM ?? 5000);
const STREAM_LATENCY = Number(process.env.DIFF_STREAM_LATENCY ?? 0);
const SNAPSHOT_EVERY = 997;
const LATENCIES = [0, 0, 25, 150];
const EVERY_STEP = process.env.DIFF_EVERY_STEP === '1' ? { equityEveryStep: true } : {};
const text = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));

let inputs = 0;
let events = 0;
let snapshots = 0;

function compare(name: string, config: KernelConfig, applied: readonly KernelInput[]): void {
  let before = new OldKernel(config);
  let after = new NewKernel(config);
  applied.forEach((input, i) => {
    const a = text(before.handle(input));
    const b = text(after.handle(input));
    if (a !== b) throw new Error(`${name}, input ${i} (${input.kind}): events differ\nold ${a}\nnew ${b}`);
    events += a.length;
    if (i % SNAPSHOT_EVERY === SNAPSHOT_EVERY - 1) {
      const sa = before.snapshot();
      const sb = after.snapshot();
      if (sa !== sb) throw new Error(`${name}, input ${i}: snapshots differ`);
      before = OldKernel.restore(config, sa);
      after = NewKernel.restore(config, sb);
      snapshots += 1;
    }
  });
  if (before.snapshot() !== after.snapshot()) throw new Error(`${name}: final snapshots differ`);
  inputs += applied.length;
}

for (let seed = 1; seed <= SEEDS; seed += 1) {
  const fuzzCase: FuzzCase = { seed, venue: VENUES[seed % VENUES.length]!, latencyMs: LATENCIES[Math.floor(seed / VENUES.length) % LATENCIES.length]!, commands: COMMANDS, marketInputs: MARKET };
  compare(`fuzz seed ${seed}`, { instruments: [instrumentFor(fuzzCase.venue)], latencyMs: fuzzCase.latencyMs, ...EVERY_STEP }, replay(fuzzCase, runSeed(fuzzCase).trace, true).applied!);
  const stream = orderStream(seed, STREAM, seed % 2 === 0);
  compare(`order stream ${seed}`, { instruments: stream.instruments, latencyMs: STREAM_LATENCY, ...EVERY_STEP }, stream.inputs);
}
console.log(`old and new kernels agree: ${SEEDS} fuzzer seeds and ${SEEDS} order streams, ${inputs} inputs, ${events} characters of events, ${snapshots} snapshot-restores, final snapshots equal`);
