import { describe, expect, it } from 'vitest';
import type { KernelEvent } from '../core/kernel/events.js';
import type { InputEvents, ReadModel } from '../persistence/read-model.js';
import { ReadModelProjector } from './read-model-projector.js';

const event = { type: 'ORDER_NEW' } as unknown as KernelEvent;

/** A read model whose batches take a timer tick each (a database round trip), recording the last seq it committed. */
function slowReadModel(onBatch: () => void): { readModel: ReadModel; committed: () => number } {
  let committed = 0;
  const readModel = {
    apply: async (batch: readonly InputEvents[]) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      committed = batch.at(-1)!.seq;
      onBatch();
    },
  } as unknown as ReadModel;
  return { readModel, committed: () => committed };
}

describe('read model projector', () => {
  it('flush resolves once the inputs handled before it are committed, while new inputs keep the queue from ever draining', async () => {
    let seq = 0;
    let projector!: ReadModelProjector;
    // Each batch's commit finds more inputs handled meanwhile (a steady load): the queue is never empty.
    const { readModel, committed } = slowReadModel(() => {
      if (seq < 20_000) for (let i = 0; i < 300; i++) projector.push({ seq: ++seq, events: [event] });
    });
    projector = new ReadModelProjector(readModel, (error) => expect.fail(String(error)), 250, null);
    for (let i = 0; i < 600; i++) projector.push({ seq: ++seq, events: [event] });
    const target = seq;
    await projector.flush();
    // Resolved with the load still running (a flush that waits for an empty queue resolves only
    // once the inputs stop, at seq 20,100), and with every input up to the call committed.
    expect(seq).toBeLessThan(20_000);
    expect(projector.checkpoint).toBeGreaterThanOrEqual(target);
    expect(committed()).toBeGreaterThanOrEqual(target);
    // Once the load stops, a flush covers the last input.
    while (seq < 20_000) await projector.flush();
    await projector.flush();
    expect(projector.checkpoint).toBe(seq);
    expect(committed()).toBe(seq);
  });
});
