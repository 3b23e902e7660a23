/**
 * Where a kernel before the fix of orders arriving within one input (ADR 0036, seventh pass,
 * "Left") and this one answer differently, and why:
 * `BENCH_BASE=<a checkout before the fix> node --import tsx bench/kernel-arrival-ties-diff.ts`.
 *
 * Feeds both kernels order-stream.ts's streams (DIFF_SEEDS seeds, default 24, spot and futures,
 * DIFF_STREAM inputs, default 5000) at each latency of DIFF_LATENCIES (ms, default 0,25,150), and
 * the kernel fuzzer's cases (as bench/kernel-paired-diff.ts builds them). For each stream it finds
 * the first input answered differently and counts it as (a) where the old kernel failed (an
 * INTERNAL rejection or a throw), or (b) a tie: from the first differing event on, the first FILL
 * of each is of another order at the same price, both having arrived in one input (equal
 * `arrivalSeq`: the old kernel filled the later one first). Anything else is printed and counted as
 * other. Exits non-zero when this kernel answers any input INTERNAL or an "other" is found.
 */
import { at, comparedRoots } from './bench-kit.js';
import type { KernelConfig } from '../src/core/kernel/kernel-state.js';
import type { KernelEvent } from '../src/core/kernel/events.js';
import type { KernelInput } from '../src/core/kernel/inputs.js';
import type { Order } from '../src/core/orders/order.js';
import { instrumentFor, replay, runSeed, VENUES, type FuzzCase } from '../src/test-kit/kernel-fuzz.js';
import { orderStream } from '../src/test-kit/order-stream.js';

interface AnyKernel {
  handle(input: KernelInput): KernelEvent[];
}
type KernelClass = new (config: KernelConfig) => AnyKernel;

const { base, here } = comparedRoots();
const load = async (root: string) => ((await at(root, 'src/core/kernel/kernel.ts')) as { Kernel: KernelClass }).Kernel;
const OldKernel = await load(base);
const NewKernel = await load(here);

const SEEDS = Number(process.env.DIFF_SEEDS ?? 24);
const STREAM = Number(process.env.DIFF_STREAM ?? 5000);
const LATENCIES = (process.env.DIFF_LATENCIES ?? '0,25,150').split(',').map(Number);
const text = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
const orderOf = (kernel: AnyKernel, id: string) => (kernel as unknown as { s: { ordersById: Map<string, Order> } }).s.ordersById.get(id);

interface Tally { streams: number; oldFailed: number; same: number; atOldFailure: number; ties: number; other: number }
let failed = false;

function classify(name: string, config: KernelConfig, inputs: readonly KernelInput[], tally: Tally): void {
  const before = new OldKernel(config);
  const after = new NewKernel(config);
  let oldFailed = false;
  let differed = false;
  inputs.forEach((input, i) => {
    let a: KernelEvent[];
    try {
      a = before.handle(input);
    } catch (error) {
      a = [{ type: 'INPUT_REJECTED', code: 'INTERNAL', message: String(error) } as unknown as KernelEvent];
    }
    const b = after.handle(input);
    if (b.some((e) => e.type === 'INPUT_REJECTED' && e.code === 'INTERNAL')) {
      console.log(`${name}, input ${i}: this kernel answered INTERNAL`);
      failed = true;
    }
    const oldFailsHere = a.some((e) => e.type === 'INPUT_REJECTED' && e.code === 'INTERNAL');
    if (!differed && text(a) !== text(b)) {
      differed = true;
      if (oldFailsHere) tally.atOldFailure += 1;
      else {
        const j = a.findIndex((e, k) => text(e) !== text(b[k]));
        const x = a.slice(j).find((e) => e.type === 'FILL');
        const y = b.slice(j).find((e) => e.type === 'FILL');
        const tie = x?.type === 'FILL' && y?.type === 'FILL' && x.orderId !== y.orderId && x.price === y.price
          && orderOf(before, x.orderId)?.arrivalSeq === orderOf(before, y.orderId)?.arrivalSeq;
        if (tie) tally.ties += 1;
        else {
          tally.other += 1;
          failed = true;
          console.log(`${name}, input ${i} (${input.kind}): a difference not explained\nold ${text(a)}\nnew ${text(b)}`);
        }
      }
    }
    if (oldFailsHere) oldFailed = true;
  });
  tally.streams += 1;
  if (oldFailed) tally.oldFailed += 1;
  if (!differed) tally.same += 1;
}

for (const latencyMs of LATENCIES) {
  const tally: Tally = { streams: 0, oldFailed: 0, same: 0, atOldFailure: 0, ties: 0, other: 0 };
  for (let seed = 1; seed <= SEEDS; seed += 1) {
    for (const futures of [false, true]) {
      const stream = orderStream(seed, STREAM, futures);
      classify(`order stream ${seed} ${futures ? 'futures' : 'spot'}, latency ${latencyMs}`, { instruments: stream.instruments, latencyMs }, stream.inputs, tally);
    }
  }
  console.log(`order streams, latency ${latencyMs} ms: ${text(tally)}`);
}
const fuzz: Tally = { streams: 0, oldFailed: 0, same: 0, atOldFailure: 0, ties: 0, other: 0 };
const FUZZ_LATENCIES = [0, 0, 25, 150];
for (let seed = 1; seed <= SEEDS; seed += 1) {
  const fuzzCase: FuzzCase = { seed, venue: VENUES[seed % VENUES.length]!, latencyMs: FUZZ_LATENCIES[Math.floor(seed / VENUES.length) % FUZZ_LATENCIES.length]!, commands: 600, marketInputs: 6000 };
  classify(`fuzz seed ${seed}`, { instruments: [instrumentFor(fuzzCase.venue)], latencyMs: fuzzCase.latencyMs }, replay(fuzzCase, runSeed(fuzzCase).trace, true).applied!, fuzz);
}
console.log(`fuzzer cases (latency 0, 25, 150 ms): ${text(fuzz)}`);
if (failed) process.exit(1);
