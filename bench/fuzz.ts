/**
 * The long run of the kernel fuzzer: `npm run fuzz`, sized by FUZZ_SEEDS (default 60) and
 * FUZZ_INPUTS (commands per seed, default 4000); FUZZ_SEED_BASE moves the seeds, FUZZ_SHRINK_MS
 * bounds the shrinking of each distinct failure (default 60 s). Prints the figures and a
 * reproduction of every distinct failure; exits 1 when there is one.
 */
import { runSeed, VENUES, type Failure, type FuzzCase, type SeedResult } from '../src/test-kit/kernel-fuzz.js';
import { describeReproduction, shrink } from '../src/test-kit/kernel-fuzz-shrink.js';

const seeds = Number(process.env.FUZZ_SEEDS ?? 60);
const commands = Number(process.env.FUZZ_INPUTS ?? 4000);
const base = Number(process.env.FUZZ_SEED_BASE ?? 1);
const shrinkMs = Number(process.env.FUZZ_SHRINK_MS ?? 60_000);
const latencies = [0, 0, 25, 150];

const started = Date.now();
const results: SeedResult[] = [];
const first = new Map<string, { result: SeedResult; failure: Failure }>();
for (let n = 0; n < seeds; n += 1) {
  const seed = base + n;
  const fuzzCase: FuzzCase = { seed, venue: VENUES[seed % VENUES.length]!, latencyMs: latencies[Math.floor(seed / VENUES.length) % latencies.length]!, commands };
  const result = runSeed(fuzzCase);
  results.push(result);
  for (const failure of result.failures) if (!first.has(failure.key)) first.set(failure.key, { result, failure });
  const kinds = [...new Set(result.failures.map((f) => f.kind))].join(',') || 'ok';
  console.log(`seed ${seed} ${fuzzCase.venue} latency ${fuzzCase.latencyMs}: ${result.inputs} inputs, ${result.commands} commands, ${result.fills} fills, ${result.rejections} rejections — ${kinds}`);
}
const count = (kind: Failure['kind']) => results.reduce((n, r) => n + r.failures.filter((f) => f.kind === kind).length, 0);
console.log(`\nkernel fuzz: ${seeds} seeds, ${results.reduce((n, r) => n + r.inputs, 0)} inputs (${results.reduce((n, r) => n + r.commands, 0)} commands, ${results.reduce((n, r) => n + r.fills, 0)} fills) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`throws ${count('throw')}, INTERNAL events ${count('internal')}, negative balances ${count('negative-balance')}, invariant breaches ${count('invariant')}, ledger mismatches ${count('ledger-mismatch')}; fills whose event fee differs from the recomputed one: ${results.reduce((n, r) => n + r.feeDisagreements, 0)}; funding events off the recomputed amount: ${results.reduce((n, r) => n + r.fundingDisagreements, 0)}`);
const events = new Map<string, number>();
for (const r of results) for (const [type, n] of r.eventCounts) events.set(type, (events.get(type) ?? 0) + n);
console.log(`events: ${JSON.stringify(Object.fromEntries([...events].sort()))}`);
console.log(`distinct failures: ${first.size}`);
const occurrences = new Map<string, number>();
for (const r of results) for (const f of r.failures) occurrences.set(f.key, (occurrences.get(f.key) ?? 0) + 1);
for (const [key, n] of occurrences) console.log(`  ${n} × ${key}`);
for (const [key, { result, failure }] of first) {
  const small = shrink(result.fuzzCase, result.firstTraces.get(key)!, key, shrinkMs);
  console.log(`\n--- ${key}\n${describeReproduction(result.fuzzCase, small, failure.message)}`);
}
process.exitCode = first.size > 0 ? 1 : 0;
