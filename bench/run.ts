/**
 * The kernel benchmarks on real data, run by `npm run bench` (alone: `npm run bench:kernel`; `--quick`:
 * fewer rounds and a smaller backtest, under a minute, for CI; `--only=replay,book,memory,backtest,checkpoint,orders`
 * picks sections). Every part of `npm run bench` runs the compiled package, what users run, not the
 * sources (bench/compiled.mjs, docs/adr/0055).
 *
 * 1. replay of the bundled recording (Binance spot BTCUSDT, 2024-08-08 23:54Z), with and without
 *    1,000 resting orders (bench/replay-bench.ts);
 * 2. L2 book maintenance beside ccxt's `OrderBook` in the same process (bench/book-bench.ts);
 * 3. memory of 10,000 accounts × 10 resting orders (bench/memory-bench.ts);
 * 4. candle backtests beside the floor of a plain loop through the same strategy (bench/backtest-bench.ts);
 * 5. the kernel's rollback checkpoint as a stall with 50,000 resting orders (bench/checkpoint-bench.ts);
 * 6. placements, cancels and OCO pairs beside 5,000 and 50,000 orders resting on one level, spot and
 *    USD-M: a cost that grows with the orders resting shows as a ratio over 1 (bench/order-ops-bench.ts).
 *
 * Prints each section's table, then the goal table of issue #19 (each goal line beside its figure
 * and the peer or baseline of the same run), and writes everything to bench/kernel-results.json.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { readRecording } from '../src/market-data/recording-reader.js';
import { backtestBench, printBacktest } from './backtest-bench.js';
import { goalTable, ms, n, table, type GoalLine } from './bench-kit.js';
import { bookBench } from './book-bench.js';
import { checkpointBench, type CheckpointRow } from './checkpoint-bench.js';
import { memoryBench } from './memory-bench.js';
import { orderOpsBench } from './order-ops-bench.js';
import { replayBench } from './replay-bench.js';

const RECORDING = fileURLToPath(new URL('../data/recordings/binance_spot_btcusdt_20240808T2354Z', import.meta.url));
const USDM_RECORDING = fileURLToPath(new URL('../data/recordings/binance_usdm_btcusdt_20240808T2354Z', import.meta.url));
const RESULTS = fileURLToPath(new URL('./kernel-results.json', import.meta.url));
const GIB = 1024 ** 3;

const quick = process.argv.includes('--quick');
// The product modules: the compiled package (bench/compiled.mjs) or, run without it, the sources.
const compiled = import.meta.resolve('../src/core/kernel/kernel.js').includes('/dist/');
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = new Set(onlyArg === undefined ? ['replay', 'book', 'memory', 'backtest', 'checkpoint', 'orders'] : onlyArg.slice('--only='.length).split(','));

const recording = readRecording(RECORDING);
const goals: GoalLine[] = [];
const results: Record<string, unknown> = {
  generatedAt: new Date().toISOString(), build: compiled ? 'dist' : 'sources', node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, quick,
  recording: RECORDING.slice(RECORDING.lastIndexOf('/') + 1),
};
console.log(`papertrade kernel bench${quick ? ' (--quick)' : ''} · ${recording.symbol} ${recording.market} · ${n(recording.inputs.length)} market inputs · ${compiled ? 'compiled package (dist/)' : 'TypeScript sources (tsx)'} · node ${process.version} · ${cpus().length} × ${cpus()[0]?.model ?? 'unknown cpu'}\n`);

if (only.has('replay')) {
  // Eight warm-up passes: about 220,000 inputs, past the point where the pass time stops falling (docs/adr/0054).
  const rounds = quick ? { warmup: 2, rounds: 3, repeat: 1 } : { warmup: 8, rounds: 5, repeat: 1 };
  const replay = replayBench(recording, rounds);
  results.replay = replay;
  console.log(`1. Replay throughput (runReplay; ${n(replay.orders)} LIMIT orders over ${replay.accounts} accounts; median of ${rounds.rounds} interleaved runs after ${rounds.warmup} warm-up rounds)\n`);
  console.log(table(
    ['', 'CPU ms (min–max)', 'inputs', 'inputs/s', '1st pass inputs/s', 'events', 'events/s', '× real time', 'fills', 'open at end', 'closed held'],
    replay.rows.map((r) => [r.name, ms(r), n(r.inputs), n(r.inputsPerSecond), n(r.firstInputsPerSecond), n(r.events), n(r.eventsPerSecond), `${n(r.timesRealTime)}×`, n(r.fills), n(r.restingAtEnd), n(r.closedHeld)]),
  ));
  console.log(`\nwith orders / without: ${replay.slowdown.toFixed(2)}× the time\n`);
  const [base, loaded] = replay.rows as [(typeof replay.rows)[0], (typeof replay.rows)[0]];
  const [alone, map] = replay.floorRows as [(typeof replay.floorRows)[0], (typeof replay.floorRows)[0]];
  console.log(`Floors, in the same rounds: the recording's ${n(recording.inputs.length)} inputs' book updates from the same pre-parsed levels, no kernel, trades skipped; each ends with the replay's book (${n(replay.book.bids)} + ${n(replay.book.asks)} levels, ${replay.book.best})\n`);
  console.log(table(['', 'CPU ms (min–max)', 'inputs/s', '1st pass inputs/s', '× real time'], replay.floorRows.map((r) => [r.name, ms(r), n(r.inputsPerSecond), n(r.firstInputsPerSecond), `${n(r.timesRealTime)}×`])));
  const budget = (recording.inputs.length + replay.orders) / 1_000;
  console.log(`\nthe goal (1,000,000 inputs/s) is ${budget.toFixed(1)} ms a pass with the orders; the book alone takes ${alone.medianMs.toFixed(1)} ms of it, a plain Map ${map.medianMs.toFixed(1)} ms; the replay without orders ${base.medianMs.toFixed(1)} ms, with them ${loaded.medianMs.toFixed(1)} ms\n`);
  goals.push({
    what: 'replay with 1,000 resting orders', figure: `${n(loaded.inputsPerSecond)} inputs/s`, peer: `${n(base.inputsPerSecond)} inputs/s without orders; floors: book alone ${n(alone.inputsPerSecond)}, plain Map ${n(map.inputsPerSecond)}; 1st pass of this line ${n(loaded.firstInputsPerSecond)}`,
    ratio: loaded.inputsPerSecond / base.inputsPerSecond, goal: '≥ 1,000,000 inputs/s', met: loaded.inputsPerSecond >= 1_000_000,
  });
  goals.push({
    what: 'closed orders held by the kernel after it', figure: `${n(loaded.closedHeld)} of ${n(loaded.closedAtEnd)} closed held`, peer: '',
    ratio: undefined, goal: '0 (they live in the read tables)', met: loaded.closedHeld === 0,
  });
}

if (only.has('book')) {
  const rounds = quick ? { warmup: 1, rounds: 3, repeat: 1 } : { warmup: 2, rounds: 5, repeat: 3 };
  const book = bookBench(recording, rounds);
  results.book = book;
  console.log(`2. Book maintenance (${n(book.deltas)} deltas, ${n(book.levelUpdates)} level updates per pass; ${book.passesPerSample} passes per sample; median of ${rounds.rounds} interleaved samples)\n`);
  console.log(table(['', 'CPU ms per pass (min–max)', 'deltas/s', 'level updates/s'], book.rows.map((r) => [r.name, ms(r), n(r.deltasPerSecond), n(r.levelUpdatesPerSecond)])));
  console.log(`\nours / ccxt: ${book.oursOverCcxt.toFixed(2)}× · both books end at bid ${book.finalTop.bid}, ask ${book.finalTop.ask} (${book.finalTop.bidLevels} + ${book.finalTop.askLevels} levels)\n`);
  const [ours, ccxt] = book.rows as [(typeof book.rows)[0], (typeof book.rows)[0]];
  goals.push({
    what: 'L2 book on the real deltas', figure: `${n(ours.deltasPerSecond)} deltas/s`, peer: `ccxt OrderBook ${n(ccxt.deltasPerSecond)} deltas/s`,
    ratio: book.oursOverCcxt, goal: '≥ 3× ccxt', met: book.oursOverCcxt >= 3,
  });
}

if (only.has('memory')) {
  const memory = memoryBench(recording, { accounts: 10_000, ordersPerAccount: 10 });
  results.memory = memory;
  console.log(`3. Memory: ${n(memory.accounts)} accounts × ${memory.ordersPerAccount} resting orders (${n(memory.resting)} orders resting)\n`);
  console.log(table(['', 'heap kept', 'per account', 'process RSS', 'placing them', 'inputs/s'], [[
    'kernel', `${(memory.heapBytes / 2 ** 20).toFixed(1)} MiB`, `${(memory.bytesPerAccount / 1024).toFixed(1)} KiB`, `${(memory.rssBytes / 2 ** 20).toFixed(0)} MiB`,
    `${(memory.placeMs / 1000).toFixed(2)} s`, n(memory.inputsPerSecond),
  ]]));
  console.log('');
  goals.push({
    what: 'memory, 10,000 accounts × 10 resting orders', figure: `${(memory.heapBytes / 2 ** 20).toFixed(0)} MiB heap`, peer: '',
    ratio: undefined, goal: '≤ 1 GiB', met: memory.heapBytes <= GIB,
  });
}

if (only.has('backtest')) {
  const backtest = backtestBench(quick ? { repeat: 2, warmup: 2, maxFiles: 3 } : { repeat: 3, warmup: 10 });
  results.backtest = backtest;
  console.log('4. Candle backtests\n');
  printBacktest(backtest);
  console.log('');
  for (const full of backtest.rows.filter((r) => r.label.startsWith('rsi-reversal'))) {
    goals.push({
      what: `candle backtest, rsi-reversal + full tactics${full.barInputs ? ', bar inputs' : ', walk'}`, figure: `${n(full.candlesPerSecond)} candles/s`,
      peer: `floor ${n(backtest.floor.candlesPerSecond)} candles/s; 1st pass of this line ${n(full.firstCandlesPerSecond)}`,
      ratio: full.candlesPerSecond / backtest.floor.candlesPerSecond, goal: '≥ 1,000,000 candles/s', met: full.candlesPerSecond >= 1_000_000,
    });
  }
}

if (only.has('checkpoint')) {
  const checkpoint = checkpointBench(recording, { accounts: quick ? 1_000 : 5_000, ordersPerAccount: 10 });
  results.checkpoint = checkpoint;
  console.log(`5. Rollback checkpoints as a stall (${n(checkpoint.resting)} resting orders, a ${(checkpoint.snapshotChars / 1e6).toFixed(1)} MB state; inputs timed one by one)\n`);
  console.log(table(
    ['', 'inputs', 'checkpoints', 'longest checkpointing input ms', 'longest input ms', 'inputs > 5 ms'],
    checkpoint.rows.map((r) => [r.name, n(r.inputs), n(r.checkpoints), r.longestCheckpointMs.toFixed(1), r.longestMs.toFixed(1), n(r.over5ms)]),
  ));
  console.log('own time per input: wall time less the wait for a CPU; garbage-collector pauses included\n');
  console.log('');
  const [own, host] = checkpoint.rows as [CheckpointRow, CheckpointRow];
  goals.push({
    what: `kernel checkpoint stall, ${n(checkpoint.resting)} resting`, figure: `${host.longestCheckpointMs.toFixed(1)} ms`, peer: `own checkpoints ${own.longestCheckpointMs.toFixed(1)} ms`,
    ratio: own.longestCheckpointMs / host.longestCheckpointMs, goal: '≤ 5 ms', met: host.longestCheckpointMs <= 5,
  });
}

if (only.has('orders')) {
  const sizes = quick ? [2_000, 20_000] as const : [5_000, 50_000] as const;
  const ops = 1_000;
  const rows = orderOpsBench({ spot: RECORDING, usdm: USDM_RECORDING }, sizes, ops, quick ? 3 : 5);
  results.orderOps = { sizes, ops, rows };
  console.log(`6. Order operations beside resting orders (${n(sizes[0])} and ${n(sizes[1])} LIMIT orders on one bid level; CPU µs per operation, median of ${quick ? 3 : 5} rounds of ${n(ops)} placements, ${n(ops)} cancels of the earliest, ${n(ops / 4)} OCO pairs and ${n(ops / 20)} resets of an account with 10 orders there)\n`);
  console.log(table(
    ['market', 'resting', 'placement µs', 'cancel µs', 'OCO pair placed and canceled µs', 'account reset, 10 orders µs'],
    rows.map((r) => [r.market, n(r.resting), r.placeUs.toFixed(1), r.cancelUs.toFixed(1), r.ocoPairUs.toFixed(1), r.resetUs.toFixed(1)]),
  ));
  for (const market of ['spot', 'USD-M']) {
    const [small, large] = rows.filter((r) => r.market === market) as [typeof rows[number], typeof rows[number]];
    console.log(`${market}: at ${n(large.resting)} resting, a placement costs ${(large.placeUs / small.placeUs).toFixed(2)}×, a cancel ${(large.cancelUs / small.cancelUs).toFixed(2)}×, an OCO pair ${(large.ocoPairUs / small.ocoPairUs).toFixed(2)}× and a reset ${(large.resetUs / small.resetUs).toFixed(2)}× what they cost at ${n(small.resting)}`);
  }
  console.log('');
}

console.log(`Goals of issue #19 (kernel half), this run${quick ? ', --quick' : ''}:\n`);
console.log(goalTable(goals));
results.goals = goals;
writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwrote ${RESULTS}`);
