/**
 * Shrinking a failing kernel-fuzz run to a short reproduction, and printing it: delta debugging over
 * the commands, then each command moved as early in the market as it still fails, then the market
 * tail cut; every candidate is replayed and kept only if it fails with the same key.
 */
import { replay, type FuzzCase, type Trace } from './kernel-fuzz.js';

/** Whether the trace still shows a failure with `key`. */
function reproduces(fuzzCase: FuzzCase, trace: Trace, key: string): boolean {
  return replay(fuzzCase, trace).failures.some((f) => f.key === key);
}

/**
 * Shrinks a failing trace (delta debugging over its commands, then the market tail) within a
 * time budget; the result still fails with the same key.
 */
export function shrink(fuzzCase: FuzzCase, trace: Trace, key: string, budgetMs: number): Trace {
  const deadline = Date.now() + budgetMs;
  let best = trace;
  // Most failures do not need the market at all: every command right after the accounts open.
  const early: Trace = { commands: best.commands.map((c) => ({ ...c, at: 0 })), marketInputs: 0 };
  if (reproduces(fuzzCase, early, key)) best = early;
  // Cut the market tail first: the failure came at or before the last market input fed.
  let chunk = Math.max(1, Math.floor(best.commands.length / 2));
  while (chunk >= 1 && Date.now() < deadline) {
    let removed = false;
    for (let start = 0; start < best.commands.length && Date.now() < deadline; start += chunk) {
      const candidate: Trace = { commands: [...best.commands.slice(0, start), ...best.commands.slice(start + chunk)], marketInputs: best.marketInputs };
      if (reproduces(fuzzCase, candidate, key)) {
        best = candidate;
        removed = true;
        start -= chunk;
      }
    }
    if (!removed) chunk = Math.floor(chunk / 2);
  }
  // Commands as early in the market as they still fail: each one moved to where the previous one is.
  for (let k = 0; k < best.commands.length && Date.now() < deadline; k += 1) {
    const to = k === 0 ? 0 : best.commands[k - 1]!.at;
    if (best.commands[k]!.at === to) continue;
    const moved = best.commands.map((c, j) => (j === k ? { ...c, at: to } : c));
    const candidate: Trace = { commands: moved, marketInputs: best.marketInputs };
    if (reproduces(fuzzCase, candidate, key)) best = candidate;
  }
  // The market needed after the last command: the shortest tail that still fails.
  const lastAt = best.commands.at(-1)?.at ?? 0;
  let lo = lastAt;
  let hi = best.marketInputs;
  while (lo < hi && Date.now() < deadline) {
    const mid = Math.floor((lo + hi) / 2);
    if (reproduces(fuzzCase, { commands: best.commands, marketInputs: mid }, key)) hi = mid;
    else lo = mid + 1;
  }
  if (reproduces(fuzzCase, { commands: best.commands, marketInputs: hi }, key)) best = { commands: best.commands, marketInputs: hi };
  return best;
}

/** A reproduction as text: the case, then each command with the number of market inputs before it. */
export function describeReproduction(fuzzCase: FuzzCase, trace: Trace, failureText: string): string {
  const h = replay(fuzzCase, trace, true);
  const lines = [
    `failure: ${failureText}`,
    `case: seed ${fuzzCase.seed}, venue ${fuzzCase.venue}, latencyMs ${fuzzCase.latencyMs}; recording ${fuzzCase.venue === 'binance-usdm' ? 'binance_usdm' : 'binance_spot'}_btcusdt_20240808T2354Z`,
    `reproduced on replay: ${h.failures.map((f) => f.message).slice(0, 3).join(' | ') || 'NO'}`,
    'commands (after N market inputs):',
  ];
  const marketKinds = new Set(['book.snapshot', 'book.delta', 'trade']);
  let market = 0;
  for (const input of h.applied ?? []) {
    if (marketKinds.has(input.kind)) market += 1;
    else lines.push(`  @${market} ${JSON.stringify(input).slice(0, 600)}`);
  }
  lines.push(`  (the failure shows by market input ${market})`);
  return lines.join('\n');
}
