import { describe, expect, it } from 'vitest';
import type { KernelInput } from '../../core/kernel/inputs.js';
import { parseFixed } from '../../core/money/fixed.js';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';
import { DepthDiffFeed, type DepthDiff } from './depth-diffs.js';

const recording = loadRecording(BUNDLED_RECORDING);
const symbol = recording.symbol;
const start = recording.inputs[0]!.time;

/** A client as MEXC and Binance describe it: a REST snapshot, then diffs that must chain on it. */
class Client {
  readonly bids = new Map<bigint, bigint>();
  readonly asks = new Map<bigint, bigint>();
  holes = 0;
  constructor(
    public lastUpdateId: number,
    snapshot: { bids: [string, string][]; asks: [string, string][] },
  ) {
    for (const [p, q] of snapshot.bids) this.bids.set(parseFixed(p), parseFixed(q));
    for (const [p, q] of snapshot.asks) this.asks.set(parseFixed(p), parseFixed(q));
  }
  apply(diff: DepthDiff): void {
    if (diff.finalUpdateId <= this.lastUpdateId) return;
    if (diff.firstUpdateId !== this.lastUpdateId + 1) this.holes += 1;
    for (const [side, levels] of [[this.bids, diff.bids], [this.asks, diff.asks]] as const) {
      for (const [p, q] of levels) {
        if (parseFixed(q) === 0n) side.delete(parseFixed(p));
        else side.set(parseFixed(p), parseFixed(q));
      }
    }
    this.lastUpdateId = diff.finalUpdateId;
  }
  top(n: number) {
    const sorted = (m: Map<bigint, bigint>, desc: boolean) => [...m].sort((a, b) => (desc ? Number(b[0] - a[0]) : Number(a[0] - b[0]))).slice(0, n);
    return { bids: sorted(this.bids, true), asks: sorted(this.asks, false) };
  }
}

/**
 * The recording's own snapshot and the deltas after it (those stamped before the snapshot too, as
 * exchanges say to buffer them), applied by hand: the book the diffs must reproduce.
 */
function recordedBook(until: number) {
  const snapshot = recording.inputs.find((i) => i.kind === 'book.snapshot')!;
  if (snapshot.kind !== 'book.snapshot') throw new Error('no snapshot');
  const client = new Client(snapshot.lastUpdateId, { bids: snapshot.bids.map(([p, q]) => [p, q]), asks: snapshot.asks.map(([p, q]) => [p, q]) });
  for (const input of recording.inputs) {
    if (input.time > until) break;
    if (input.kind === 'book.delta' && input.finalUpdateId > client.lastUpdateId) {
      client.apply({ symbol, time: input.time, firstUpdateId: client.lastUpdateId + 1, finalUpdateId: input.finalUpdateId, bids: input.bids, asks: input.asks });
    }
  }
  return client;
}

const depthOf = (stepper: RecordingStepper) => stepper.kernel.depth(symbol, Number.MAX_SAFE_INTEGER)!;

/** A kernel fed the recording input by input; each input's events go to the feed once there is one. */
class Driven {
  readonly stepper = new RecordingStepper(recording);
  feed: DepthDiffFeed | undefined;
  private next = 0;

  until(time: number): void {
    while (this.next < recording.inputs.length && recording.inputs[this.next]!.time <= time) this.send(recording.inputs[this.next++]!);
  }

  send(input: KernelInput): void {
    const events = this.stepper.handle(input);
    this.feed?.observe(events, input);
  }
}

describe('the depth diff feed', () => {
  it('takes a client from the REST depth to the recorded book, diff after chained diff', () => {
    const run = new Driven();
    const { stepper } = run;
    run.until(start + 5_000);
    const feed = (run.feed = new DepthDiffFeed(() => stepper.kernel));
    const client = new Client(stepper.kernel.bookStatus(symbol)!.updateId, depthOf(stepper));
    let diffs = 0;
    feed.subscribe((d) => {
      diffs += 1;
      client.apply(d);
    });
    run.until(start + 65_000);
    expect(diffs).toBeGreaterThan(500);
    expect(client.holes).toBe(0);
    expect(client.lastUpdateId).toBe(stepper.kernel.bookStatus(symbol)!.updateId);
    expect(feed.lastUpdateId(symbol)).toBe(client.lastUpdateId);
    expect(client.top(50)).toEqual(recordedBook(stepper.kernel.now).top(50));
  });

  it('publishes a resync from a later snapshot as one diff from the old book to the new', () => {
    const run = new Driven();
    const { stepper } = run;
    run.until(start + 5_000);
    const feed = (run.feed = new DepthDiffFeed(() => stepper.kernel));
    const client = new Client(stepper.kernel.bookStatus(symbol)!.updateId, depthOf(stepper));
    feed.subscribe((d) => client.apply(d));
    run.until(start + 20_000);

    // The feed loses 10 s of deltas; the book resyncs from the snapshot of a twin that saw them.
    const twin = new RecordingStepper(recording);
    twin.advanceTo(start + 30_000);
    run.send({ kind: 'book.invalidate', time: stepper.kernel.now, symbol, reason: 'lost deltas' });
    // The deltas meanwhile reach a book that waits for a snapshot: buffered, not published.
    run.until(start + 30_000);
    expect(client.lastUpdateId).toBeLessThan(twin.kernel.bookStatus(symbol)!.updateId - 50);
    const fresh = depthOf(twin);
    run.send({ kind: 'book.snapshot', time: twin.kernel.now, symbol, lastUpdateId: twin.kernel.bookStatus(symbol)!.updateId, bids: fresh.bids, asks: fresh.asks });
    expect(client.lastUpdateId).toBe(twin.kernel.bookStatus(symbol)!.updateId);
    expect(client.holes).toBe(0);

    run.until(start + 40_000);
    expect(client.holes).toBe(0);
    expect(client.top(50)).toEqual(recordedBook(stepper.kernel.now).top(50));
  });
});
