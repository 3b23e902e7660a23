import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { KernelEvent } from './events.js';
import type { KernelInput } from './inputs.js';
import { Kernel } from './kernel.js';
import { KernelState } from './kernel-state.js';
import { SnapshotConfigError } from './kernel-snapshot.js';

const instrument = findBundledInstrument('binance', 'spot', 'BTCUSDT')!;
const symbol = 'BTCUSDT';
const T = 1_723_161_300_000;

const snapshot = (time: number, id = 100): KernelInput => ({
  kind: 'book.snapshot', time, symbol, lastUpdateId: id,
  bids: [['60000.00', '2']], asks: [['60010.00', '2'], ['60020.00', '2']],
});
const delta = (time: number, id: number): KernelInput => ({ kind: 'book.delta', time, symbol, firstUpdateId: id, finalUpdateId: id, bids: [['59990.00', '1']], asks: [] });
const buy = (time: number, clientOrderId: string): KernelInput => ({ kind: 'order.place', time, account: 'a', symbol, side: 'BUY', type: 'MARKET', quantity: '0.1', clientOrderId });
const fillsOf = (events: readonly KernelEvent[]) => events.filter((e) => e.type === 'FILL');

function kernelAt(staleAfterMs: number | undefined): Kernel {
  const kernel = new Kernel({ instruments: [instrument], ...(staleAfterMs !== undefined ? { staleAfterMs } : {}) });
  kernel.handle(snapshot(T));
  kernel.handle({ kind: 'account.open', time: T, account: 'a', balances: { USDT: '100000' } });
  return kernel;
}

describe('a stale book, decided by the kernel from the inputs’ times', () => {
  it('an order arriving within staleAfterMs of the last book update fills; one arriving later waits', () => {
    const kernel = kernelAt(1_000);
    expect(fillsOf(kernel.handle(buy(T + 1_000, 'fresh')))).toHaveLength(1);
    // 1,001 ms after the last update: stale, whatever came in between that is not a book update.
    kernel.handle({ kind: 'trade', time: T + 900, symbol, tradeId: 1, price: '60010.00', quantity: '0.01', buyerMaker: false });
    kernel.handle({ kind: 'clock', time: T + 1_001 });
    const late = kernel.handle(buy(T + 1_001, 'late'));
    expect(late.map((e) => e.type)).toEqual(['ORDER_NEW']);
    expect(kernel.orders('a').find((o) => o.clientOrderId === 'late')).toMatchObject({ status: 'NEW', executedQty: 0n });
    // The next book update makes the book usable: the waiting order fills on that book.
    const resumed = kernel.handle(delta(T + 5_000, 101));
    expect(fillsOf(resumed)).toEqual([expect.objectContaining({ clientOrderId: 'late', price: '60010', quantity: '0.1' })]);
    kernel.checkInvariants();
  });

  it('the order’s own time decides, so no ordering of timer inputs and orders fills on a stale book', () => {
    // The same order, stamped 5 s after the last update, with and without a clock input before it.
    for (const withTick of [false, true]) {
      const kernel = kernelAt(2_000);
      if (withTick) kernel.handle({ kind: 'clock', time: T + 4_000 });
      expect(fillsOf(kernel.handle(buy(T + 5_000, 'o')))).toEqual([]);
    }
  });

  it('a stop triggered while the book is stale waits for the next update', () => {
    const kernel = kernelAt(1_000);
    kernel.handle({ kind: 'order.place', time: T, account: 'a', symbol, side: 'BUY', type: 'STOP_LOSS', quantity: '0.1', stopPrice: '60015.00', clientOrderId: 'stop' });
    const triggered = kernel.handle({ kind: 'trade', time: T + 3_000, symbol, tradeId: 1, price: '60015.00', quantity: '0.01', buyerMaker: false });
    expect(triggered.map((e) => e.type)).toEqual(['ORDER_TRIGGERED']);
    expect(fillsOf(kernel.handle(delta(T + 3_100, 101)))).toEqual([expect.objectContaining({ clientOrderId: 'stop', price: '60020' })]);
  });

  it('without staleAfterMs books never go stale, and setting it leaves the fingerprint databases were created with', () => {
    const kernel = kernelAt(undefined);
    expect(fillsOf(kernel.handle(buy(T + 3_600_000, 'hour-later')))).toHaveLength(1);
    const before = new KernelState({ instruments: [instrument] }).fingerprint;
    expect(new KernelState({ instruments: [instrument], staleAfterMs: 10_000 }).fingerprint).toBe(before);
    // A snapshot taken without it restores under it, and back; another latency is still refused.
    expect(() => Kernel.restore({ instruments: [instrument], staleAfterMs: 10_000 }, kernel.snapshot())).not.toThrow();
    expect(() => Kernel.restore({ instruments: [instrument] }, kernelAt(10_000).snapshot())).not.toThrow();
    expect(() => Kernel.restore({ instruments: [instrument], latencyMs: 5 }, kernel.snapshot())).toThrow(SnapshotConfigError);
  });

  it('keeps the time of the last book update across a snapshot and restore', () => {
    const kernel = kernelAt(1_000);
    const restored = Kernel.restore({ instruments: [instrument], staleAfterMs: 1_000 }, kernel.snapshot());
    expect(fillsOf(restored.handle(buy(T + 1_500, 'after-restore')))).toEqual([]);
  });

  it('refuses a staleAfterMs that is not a whole positive number of ms', () => {
    for (const bad of [0, -1, 1.5]) expect(() => new Kernel({ instruments: [instrument], staleAfterMs: bad })).toThrow(RangeError);
  });
  it('over 300 random interleavings of book updates, trades, clock inputs and orders (times out of order too), an order fills as it arrives exactly when a separate model says the book is fresh, else at the next book update', () => {
    // The model: the clock is the latest time any input carried; a book update dates the book at
    // the clock; an order arriving when the clock is more than staleAfterMs past that date waits.
    let seed = 14;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const S = 1_000;
    let checked = 0;
    let waited = 0;
    for (let trial = 0; trial < 300; trial += 1) {
      const kernel = kernelAt(S);
      let clock = T;
      let bookAt = T;
      let id = 100;
      let time = T;
      const waiting = new Set<string>();
      for (let step = 0; step < 30; step += 1) {
        // Times wander forward and sometimes back (late inputs, two clocks).
        time = Math.max(T, time + Math.floor(random() * 1_600) - 300);
        const r = random();
        if (r < 0.25) {
          id += 1;
          const events = kernel.handle(delta(time, id));
          clock = Math.max(clock, time);
          bookAt = clock;
          const filled = new Set(fillsOf(events).map((e) => (e as { clientOrderId: string }).clientOrderId));
          expect(filled).toEqual(waiting);
          waiting.clear();
        } else if (r < 0.45) {
          const events = kernel.handle({ kind: 'trade', time, symbol, tradeId: step + 1, price: '60000.00', quantity: '0.001', buyerMaker: true });
          clock = Math.max(clock, time);
          expect(fillsOf(events)).toEqual([]);
        } else if (r < 0.65) {
          expect(fillsOf(kernel.handle({ kind: 'clock', time }))).toEqual([]);
          clock = Math.max(clock, time);
        } else {
          const name = `o${trial}-${step}`;
          const events = kernel.handle({ kind: 'order.place', time, account: 'a', symbol, side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: name });
          clock = Math.max(clock, time);
          const fresh = clock - bookAt <= S;
          expect(fillsOf(events).length > 0, `${name}: clock ${clock - T}, book ${bookAt - T}`).toBe(fresh);
          if (!fresh) {
            waiting.add(name);
            waited += 1;
          }
          checked += 1;
        }
      }
      kernel.checkInvariants();
    }
    expect(checked).toBeGreaterThan(2_000);
    expect(waited).toBeGreaterThan(300);
    expect(checked - waited).toBeGreaterThan(300);
  });
});
