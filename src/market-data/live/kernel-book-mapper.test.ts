import { describe, expect, it } from 'vitest';
import { BookSynchronizer, type SequenceMode } from '../../core/book/book-synchronizer.js';
import { parseFixed } from '../../core/money/fixed.js';
import { Backoff } from './backoff.js';
import type { BookView } from './book-state.js';
import type { BookDeltaInput, BookSnapshotInput } from '../../core/kernel/inputs.js';
import { KernelBookMapper } from './kernel-book-mapper.js';

const view = (bids: [string, string][], asks: [string, string][], nonce?: number, time = 1000): BookView => ({ time, nonce, bids: new Map(bids), asks: new Map(asks) });
const lv = (levels: readonly (readonly [string, string])[]) => levels.map(([p, q]) => [parseFixed(p), parseFixed(q)] as const);

function feed(sync: BookSynchronizer, input: BookSnapshotInput | BookDeltaInput) {
  return input.kind === 'book.snapshot'
    ? sync.onSnapshot({ lastUpdateId: input.lastUpdateId, bids: lv(input.bids), asks: lv(input.asks) })
    : sync.onDelta({ firstUpdateId: input.firstUpdateId, finalUpdateId: input.finalUpdateId, ...(input.previousFinalUpdateId !== undefined ? { previousFinalUpdateId: input.previousFinalUpdateId } : {}), bids: lv(input.bids), asks: lv(input.asks) });
}

describe.each<SequenceMode>(['spot', 'usdm'])('the kernel book mapper (%s sequence rules)', (mode) => {
  it('sends the first view as a snapshot and then chained deltas of the changed levels, with the exchange ids', () => {
    const mapper = new KernelBookMapper('BTCUSDT');
    const sync = new BookSynchronizer('BTCUSDT', mode);
    const first = mapper.next(view([['10', '1']], [['11', '1']], 500), 0)!;
    expect(first).toMatchObject({ kind: 'book.snapshot', lastUpdateId: 500, time: 1000 });
    expect(feed(sync, first).kind).toBe('applied');
    const second = mapper.next(view([['10', '2']], [['11', '1'], ['12', '1']], 507), 0)!;
    expect(second).toMatchObject({ kind: 'book.delta', firstUpdateId: 501, finalUpdateId: 507, previousFinalUpdateId: 500, bids: [['10', '2']], asks: [['12', '1']] });
    expect(feed(sync, second).kind).toBe('applied');
    expect(mapper.next(view([['10', '2']], [['11', '1'], ['12', '1']], 507), 0)).toBeUndefined();
    // No nonce (or one that does not rise): synthetic ids, still chaining.
    const third = mapper.next(view([['10', '3']], [['12', '1']]), 0)!;
    expect(third).toMatchObject({ firstUpdateId: 508, finalUpdateId: 508, asks: [['11', '0']] });
    expect(feed(sync, third).kind).toBe('applied');
    expect(sync.status).toBe('synced');
    expect(sync.updateId).toBe(508);
  });

  it('an invalidation tells the kernel, and the next view resyncs it as a snapshot even when its nonce is just above', () => {
    const mapper = new KernelBookMapper('BTCUSDT');
    const sync = new BookSynchronizer('BTCUSDT', mode);
    feed(sync, mapper.next(view([['10', '1']], [['11', '1']], 500), 0)!);
    expect(mapper.invalidate(1000, 'silent', true)).toEqual({ kind: 'book.invalidate', time: 1000, symbol: 'BTCUSDT', reason: 'silent' });
    expect(mapper.synced).toBe(false);
    sync.invalidate('silent');
    const resync = mapper.next(view([['10', '5']], [['11', '1']], 501), 0)!;
    expect(resync).toMatchObject({ kind: 'book.snapshot', lastUpdateId: 501 });
    expect(feed(sync, resync)).toMatchObject({ kind: 'applied', resynced: true });
    expect(sync.status).toBe('synced');
    expect(feed(sync, mapper.next(view([['10', '6']], [['11', '1']], 510), 0)!).kind).toBe('applied');
    expect(sync.book.bids.sizeAt(parseFixed('10'))).toBe(parseFixed('6'));
  });

  it('starts above the ids a restarted kernel already holds', () => {
    const mapper = new KernelBookMapper('BTCUSDT', 9_000);
    expect(mapper.next(view([['10', '1']], [['11', '1']]), 5)).toMatchObject({ kind: 'book.snapshot', lastUpdateId: 9_003 });
    expect(mapper.invalidate(5, 'lost', false)).toBeUndefined();
    expect(mapper.synced).toBe(false);
  });
});

describe('reconnect backoff', () => {
  it('doubles from the base up to the cap and starts again after a success', () => {
    const b = new Backoff({ baseMs: 100, maxMs: 500 });
    expect([b.nextDelay(), b.nextDelay(), b.nextDelay(), b.nextDelay()]).toEqual([100, 200, 400, 500]);
    b.reset();
    expect(b.nextDelay()).toBe(100);
  });
});
