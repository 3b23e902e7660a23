/**
 * The kernel's rollback checkpoint as a stall: 50,000 resting orders (5,000 accounts × 10, as in
 * memory-bench.ts), then a run of inputs that change nothing (`clock`), each timed on its own; the
 * longest is the longest the kernel held its thread. Two kernels side by side in this process:
 * - own checkpoints (a kernel on its own, a backtest or replay): a whole-state snapshot whenever
 *   max(4,096, snapshot length / 32) inputs have gone by, taken inside the input that finds it due;
 * - host checkpoints (the durable engine's way, kernel.ts `useHostCheckpoints`): the engine hands in
 *   the snapshots it saves, which a worker thread rebuilt from the journal; here the snapshot is
 *   made outside the timing every `snapshotAfterInputs` (131,072) inputs, as the worker's, on
 *   another core, is, and the time to adopt it (`adoptCheckpoint`, on this thread) is counted.
 * The run is as long as the own-checkpoint kernel needs to take one (its spacing at this size).
 * Time per input is own time (loop-stall.ts): the wall time less the time this thread waited for a
 * CPU while other work ran, so a loaded machine does not count against either kernel; it still
 * holds the garbage collector's pauses, which are this thread's. Reported: the longest input, the
 * longest of those that took or adopted a checkpoint, and the inputs over 5 ms.
 */
import { performance } from 'node:perf_hooks';
import { Kernel } from '../src/core/kernel/kernel.js';
import type { KernelInput } from '../src/core/kernel/inputs.js';
import type { Recording } from '../src/market-data/recording-reader.js';
import { instrumentForRecording } from '../src/market-data/replay-session.js';
import { ThreadSchedstat } from './loop-stall.js';
import { restingOrderInputs } from './memory-bench.js';

export interface CheckpointRow {
  readonly name: string;
  readonly inputs: number;
  readonly longestMs: number;
  /** The longest input that took (own) or adopted (host) a checkpoint. */
  readonly longestCheckpointMs: number;
  readonly over5ms: number;
  /** Snapshots taken on this thread inside an input (own) or adopted (host). */
  readonly checkpoints: number;
}

const SNAPSHOT_AFTER_INPUTS = 131_072;

export function checkpointBench(recording: Recording, o: { accounts: number; ordersPerAccount: number }): { resting: number; snapshotChars: number; rows: CheckpointRow[] } {
  const { snapshot, inputs } = restingOrderInputs(recording, o);
  const build = () => {
    const kernel = new Kernel({ instruments: [instrumentForRecording(recording)] });
    kernel.handle(snapshot);
    for (const input of inputs) kernel.handle(input);
    return kernel;
  };
  const own = build();
  const host = build();
  host.useHostCheckpoints();
  const snapshotChars = own.snapshot().length;
  // Enough inputs for the own-checkpoint kernel to find one due (its spacing, plus margin).
  const count = Math.max(512, Math.ceil(snapshotChars / 32)) + 10_000;
  const start = own.now;
  const stat = new ThreadSchedstat();
  const run = (kernel: Kernel, adopt: boolean): CheckpointRow => {
    let longestMs = 0;
    let longestCheckpointMs = 0;
    let over5ms = 0;
    let checkpoints = 0;
    let previousTail = kernel.inputsSinceCheckpoint;
    for (let i = 1; i <= count; i++) {
      const input: KernelInput = { kind: 'clock', time: start + i };
      let handed: string | undefined;
      if (adopt && i % SNAPSHOT_AFTER_INPUTS === 0) handed = kernel.snapshot(); // the worker's part, on another core
      stat.read();
      const wait0 = stat.waitNs;
      const t0 = performance.now();
      kernel.handle(input);
      if (handed !== undefined) kernel.adoptCheckpoint(handed, kernel.inputCount - 1);
      const wall = performance.now() - t0;
      stat.read();
      const took = stat.available ? wall - (stat.waitNs - wait0) / 1e6 : wall;
      const checkpointed = handed !== undefined || kernel.inputsSinceCheckpoint < previousTail;
      previousTail = kernel.inputsSinceCheckpoint;
      if (checkpointed) {
        checkpoints += 1;
        longestCheckpointMs = Math.max(longestCheckpointMs, took);
      }
      if (took > longestMs) longestMs = took;
      if (took > 5) over5ms += 1;
    }
    return { name: adopt ? 'host checkpoints (engine)' : 'own checkpoints', inputs: count, longestMs, longestCheckpointMs, over5ms, checkpoints };
  };
  const rows = [run(own, false), run(host, true)];
  stat.close();
  return { resting: inputs.length - o.accounts, snapshotChars, rows };
}
