import { describe, expect, it } from 'vitest';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';
import { parseFixed } from '../money/fixed.js';
import type { KernelEvent } from './events.js';

const fills = (events: readonly KernelEvent[]) => events.filter((e) => e.type === 'FILL');

describe('book.invalidate', () => {
  it('stops fills on the symbol until a snapshot resyncs it; the waiting order then fills on the fresh book', () => {
    const recording = loadRecording(BUNDLED_RECORDING);
    const symbol = recording.symbol;
    const start = recording.inputs[0]!.time;
    const suspect = new RecordingStepper(recording);
    const twin = new RecordingStepper(recording);
    suspect.advanceTo(start + 60_000);
    suspect.open('a', { USDT: '100000' });
    const before = suspect.kernel.balances('a');

    const invalidated = suspect.handle({ kind: 'book.invalidate', time: suspect.kernel.now, symbol, reason: 'feed silent for 10000 ms' });
    expect(invalidated).toEqual([expect.objectContaining({ type: 'BOOK_RESYNC_NEEDED', symbol, reason: 'feed silent for 10000 ms' })]);
    expect(suspect.kernel.bookStatus(symbol)).toMatchObject({ status: 'resync-needed', reason: 'feed silent for 10000 ms' });
    // Already unusable: a second invalidation changes nothing and says nothing.
    expect(suspect.handle({ kind: 'book.invalidate', time: suspect.kernel.now, symbol, reason: 'again' })).toEqual([]);

    const placed = suspect.handle({ kind: 'order.place', time: suspect.kernel.now, account: 'a', symbol, side: 'BUY', type: 'MARKET', quantity: '0.5', clientOrderId: 'm1' });
    expect(fills(placed)).toEqual([]);
    const waiting = suspect.kernel.orders('a')[0]!;
    expect(waiting.status).toBe('NEW');

    // Ten seconds of deltas and trades do not make the book usable again, and nothing fills.
    const during = suspect.advanceTo(start + 70_000);
    expect(fills(during)).toEqual([]);
    expect(suspect.kernel.bookStatus(symbol)?.status).toBe('resync-needed');
    const usdt = suspect.kernel.balances('a')!.USDT!;
    expect(parseFixed(usdt.free) + parseFixed(usdt.locked)).toBe(parseFixed(before!.USDT!.free));
    expect(suspect.kernel.balances('a')!.BTC?.free ?? '0').toBe('0');
    expect(suspect.kernel.order(waiting.id)?.executedQty).toBe(0n);

    // A fresh snapshot (the twin's book, which never lost trust) resyncs it; the order fills on that book.
    twin.advanceTo(start + 70_000);
    const fresh = twin.kernel.depth(symbol, 10_000)!;
    const resynced = suspect.handle({ kind: 'book.snapshot', time: suspect.kernel.now, symbol, lastUpdateId: twin.kernel.bookStatus(symbol)!.updateId, bids: fresh.bids, asks: fresh.asks });
    expect(resynced[0]).toMatchObject({ type: 'BOOK_SYNCED', symbol });
    const filled = fills(resynced);
    expect(filled.length).toBeGreaterThan(0);
    expect(suspect.kernel.order(waiting.id)?.status).toBe('FILLED');
    expect(parseFixed(filled[0]!.price)).toBe(parseFixed(fresh.asks[0]![0]));
    suspect.kernel.checkInvariants();
  });

  it('is refused for a symbol the kernel does not trade, and changes nothing', () => {
    const stepper = new RecordingStepper(loadRecording(BUNDLED_RECORDING));
    stepper.advanceTo(stepper.kernel.now + 1);
    const before = stepper.kernel.snapshot();
    const events = stepper.handle({ kind: 'book.invalidate', time: 1, symbol: 'ETHUSDT', reason: 'x' });
    expect(events).toEqual([expect.objectContaining({ type: 'INPUT_REJECTED', code: 'INVALID_INPUT', message: expect.stringMatching(/unconfigured symbol/) })]);
    expect(stepper.kernel.bookStatus('ETHUSDT')).toBeUndefined();
    expect(stepper.kernel.snapshot().replace(/"sequence":\d+/, '')).toBe(before.replace(/"sequence":\d+/, ''));
  });
});
