/**
 * Endless market input from one finite recording, for soak tests, crash tests and benchmarks.
 *
 * Guarantees: pass k is the recording again with every time shifted by k × (span + 1 s), every
 * depth update id by k × (id range + 1,000,000) and every trade id by k × (trade id range + 1), so
 * times never go backwards, each pass's deltas chain to its own snapshot, and trade ids stay
 * unique. Deterministic: the same recording and pass count give the same inputs.
 * Not modelled: a new market. Every pass replays the same prices; the kernel sees each pass as a
 * resync (its deltas arrive before its snapshot and are buffered, as after a reconnect).
 * Cost: one shallow copy per input after the first pass; nothing is held beyond the recording.
 */
import type { MarketInput, Recording } from '../market-data/recording-reader.js';

interface Shift {
  readonly time: number;
  readonly depth: number;
  readonly trade: number;
}

function shifted(input: MarketInput, s: Shift): MarketInput {
  switch (input.kind) {
    case 'book.snapshot':
      return { ...input, time: input.time + s.time, lastUpdateId: input.lastUpdateId + s.depth };
    case 'book.delta':
      return {
        ...input,
        time: input.time + s.time,
        firstUpdateId: input.firstUpdateId + s.depth,
        finalUpdateId: input.finalUpdateId + s.depth,
        ...(input.previousFinalUpdateId !== undefined ? { previousFinalUpdateId: input.previousFinalUpdateId + s.depth } : {}),
      };
    case 'book.invalidate':
      return { ...input, time: input.time + s.time };
    case 'trade':
      return { ...input, time: input.time + s.time, tradeId: input.tradeId + s.trade };
  }
}

/** The recording's market inputs, `passes` times over (default: without end). */
export function* loopRecording(recording: Recording, passes: number = Number.POSITIVE_INFINITY): Generator<MarketInput> {
  let minDepth = Number.MAX_SAFE_INTEGER;
  let maxDepth = 0;
  let minTrade = Number.MAX_SAFE_INTEGER;
  let maxTrade = 0;
  let firstTime = Number.MAX_SAFE_INTEGER;
  let lastTime = 0;
  for (const input of recording.inputs) {
    firstTime = Math.min(firstTime, input.time);
    lastTime = Math.max(lastTime, input.time);
    if (input.kind === 'trade') {
      minTrade = Math.min(minTrade, input.tradeId);
      maxTrade = Math.max(maxTrade, input.tradeId);
    } else if (input.kind !== 'book.invalidate') {
      const ids = input.kind === 'book.snapshot' ? [input.lastUpdateId] : [input.firstUpdateId, input.finalUpdateId];
      minDepth = Math.min(minDepth, ...ids);
      maxDepth = Math.max(maxDepth, ...ids);
    }
  }
  const step: Shift = {
    time: lastTime - firstTime + 1_000,
    depth: Math.max(0, maxDepth - minDepth) + 1_000_000,
    trade: Math.max(0, maxTrade - minTrade) + 1,
  };
  for (let k = 0; k < passes; k += 1) {
    if (k === 0) {
      yield* recording.inputs;
      continue;
    }
    const s: Shift = { time: k * step.time, depth: k * step.depth, trade: k * step.trade };
    for (const input of recording.inputs) yield shifted(input, s);
  }
}
