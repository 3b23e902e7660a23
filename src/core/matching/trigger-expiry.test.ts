import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { KernelEvent } from '../kernel/events.js';
import { Kernel } from '../kernel/kernel.js';
import type { KernelConfig } from '../kernel/kernel-state.js';
import type { PlaceOrderInput } from '../kernel/inputs.js';

const symbol = 'BTCUSDT';
const PERP = findBundledInstrument('binance', 'perpetual', symbol)!;
const types = (events: readonly KernelEvent[]) => events.filter((e) => e.type !== 'EQUITY').map((e) => e.type);
const reserved = (k: Kernel) => (k.account('a') as { reserved: bigint }).reserved;

/**
 * A conditional order with `expireAfterMs` waits for its trigger that long from its arrival (MEXC's
 * `executeCycle`), then expires untriggered, its reservation released. The book: bids 59,890.0 × 5,
 * asks 60,010.0 × 5, last print 59,990.0; a buy stop at 61,000.0 is not reached by anything below.
 * Its reservation at 10x: 0.1 × 61,000 / 10 = 610 of margin and 0.1 × 61,000 × 0.05% = 3.05 of
 * taker fee, 613.05 (the account's default rates).
 */
describe('a conditional order expires untriggered at its arrival + expireAfterMs', () => {
  function kernel(options: Partial<KernelConfig> = {}): Kernel {
    const k = new Kernel({ instruments: [PERP], equityIntervalMs: 0, ...options });
    k.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids: [['59890.0', '5']], asks: [['60010.0', '5']] });
    k.handle({ kind: 'account.open', time: 1_000, account: 'a', type: 'futures', balances: { USDT: '100000' }, leverage: 10 });
    k.handle({ kind: 'trade', tradeId: 1, time: 1_000, symbol, price: '59990.0', quantity: '0.1', buyerMaker: true });
    return k;
  }
  const stop = (time: number, more: Partial<PlaceOrderInput> = {}): PlaceOrderInput => ({
    kind: 'order.place', time, account: 'a', symbol, side: 'BUY', type: 'STOP_LOSS', quantity: '0.1', stopPrice: '61000.0', clientOrderId: 'buyStop', expireAfterMs: 1_000, ...more,
  });

  it('waits until the millisecond before, expires at arrival + 1,000 ms stamped then, and releases its 613.05', () => {
    const k = kernel();
    expect(types(k.handle(stop(1_100)))).toEqual(['ORDER_NEW']);
    expect(k.openOrders('a')[0]).toMatchObject({ arrivesAt: 1_100, expireTime: 2_100 });
    expect(reserved(k)).toBe(613_050_000_000_000_000_000n);
    expect(types(k.handle({ kind: 'clock', time: 2_099 }))).toEqual([]);
    // A print at 2,500 (not reaching 61,000.0): the expiry comes first, at its own time.
    const events = k.handle({ kind: 'trade', tradeId: 2, time: 2_500, symbol, price: '59995.0', quantity: '0.1', buyerMaker: false });
    expect(events.filter((e) => e.type !== 'EQUITY')).toEqual([expect.objectContaining({ type: 'ORDER_EXPIRED', clientOrderId: 'buyStop', at: 2_100, reason: 'TRIGGER_EXPIRED', status: 'EXPIRED', executedQty: '0' })]);
    expect(reserved(k)).toBe(0n);
    expect(k.openOrders('a')).toEqual([]);
    k.checkInvariants();
  });

  it('counts from the arrival, not the submission (latency 50 ms); a cancel arriving after the end finds it expired', () => {
    const k = kernel({ latencyMs: 50 });
    k.handle(stop(1_100));
    expect(types(k.handle({ kind: 'clock', time: 1_150 }))).toEqual(['ORDER_NEW']);
    // Arrived at 1,150: ends at 2,150. A cancel sent at 2,120 arrives at 2,170, after the end.
    k.handle({ kind: 'order.cancel', time: 2_120, account: 'a', clientOrderId: 'buyStop' });
    const events = k.handle({ kind: 'clock', time: 2_200 });
    expect(events.map((e) => [e.type, e.at])).toEqual([
      ['ORDER_EXPIRED', 2_150],
      ['CANCEL_REJECTED', 2_170],
    ]);
    k.checkInvariants();
  });

  it('once triggered it works until it ends: a stop-limit triggered before its end keeps resting after it', () => {
    const k = kernel();
    // Buy 0.1 once ≥ 60,000.0, at 59,950.0: a print at 60,000.0 triggers it, and it rests below the ask.
    k.handle(stop(1_100, { type: 'STOP_LOSS_LIMIT', stopPrice: '60000.0', price: '59950.0' }));
    expect(types(k.handle({ kind: 'trade', tradeId: 2, time: 1_500, symbol, price: '60000.0', quantity: '0.1', buyerMaker: false }))).toEqual(['ORDER_TRIGGERED']);
    expect(types(k.handle({ kind: 'clock', time: 5_000 }))).toEqual([]);
    expect(k.openOrders('a').map((o) => [o.clientOrderId, o.status, o.triggered])).toEqual([['buyStop', 'NEW', true]]);
  });

  it('survives a snapshot and expires in the restored kernel', () => {
    const k = kernel();
    k.handle(stop(1_100));
    const restored = Kernel.restore({ instruments: [PERP], equityIntervalMs: 0 }, k.snapshot());
    expect(restored.snapshot()).toBe(k.snapshot());
    expect(restored.handle({ kind: 'clock', time: 3_000 }).map((e) => [e.type, e.at])).toEqual([['ORDER_EXPIRED', 2_100]]);
    expect(reserved(restored)).toBe(0n);
  });

  it('keeps its end through an account export and import', () => {
    const k = kernel();
    k.handle(stop(1_100));
    const document = k.exportAccount('a')!;
    const other = kernel();
    other.handle({ kind: 'account.import', time: 1_200, document, account: 'b' });
    expect(other.openOrders('b').map((o) => [o.clientOrderId, o.expireTime])).toEqual([['buyStop', 2_100]]);
    expect(other.handle({ kind: 'clock', time: 2_100 }).map((e) => [e.type, e.at, 'account' in e ? e.account : undefined])).toEqual([['ORDER_EXPIRED', 2_100, 'b']]);
    expect((other.account('b') as { reserved: bigint }).reserved).toBe(0n);
  });

  it('is refused on an order without a trigger, and unless a whole number of ms above 0', () => {
    const k = kernel();
    const refusals = [
      k.handle(stop(1_100, { type: 'LIMIT', price: '59000.0', stopPrice: undefined, clientOrderId: 'limit' })),
      ...[0, -1, 1.5, '1000' as unknown as number].map((expireAfterMs, i) => k.handle(stop(1_100, { expireAfterMs, clientOrderId: `s${i}` }))),
    ];
    for (const events of refusals) expect(events).toEqual([expect.objectContaining({ type: 'ORDER_REJECTED', code: 'INVALID_ORDER' })]);
    expect(reserved(k)).toBe(0n);
  });

  /**
   * One input that jumps the clock over funding times, an equity sample boundary and an expiry gives
   * them in time order, each stamped with its own time. The 0.1 long bought at 60,010.0 and marked at
   * 60,000 pays 0.1 × 60,000 × 0.0001 = 0.6 at each funding time (every 10,000 ms here); the stop
   * placed at 1,100 with expireAfterMs 25,000 ends at 26,100, between the fundings at 20,000 and 30,000.
   */
  it('comes in time order among the funding times and equity samples an input crosses, each at its own time', () => {
    const k = kernel({ funding: { intervalMs: 10_000, rates: { [symbol]: '0.0001' } } });
    k.handle({ kind: 'mark', time: 1_000, symbol, price: '60000' });
    k.handle({ kind: 'order.place', time: 1_000, account: 'a', clientOrderId: 'long', symbol, side: 'BUY', type: 'MARKET', quantity: '0.1' });
    k.handle(stop(1_100, { side: 'SELL', stopPrice: '50000.0', expireAfterMs: 25_000 }));
    const events = k.handle({ kind: 'clock', time: 35_000 });
    expect(events.filter((e) => e.type !== 'EQUITY').map((e) => [e.type, e.at, e.type === 'FUNDING' ? e.amount : undefined])).toEqual([
      ['FUNDING', 10_000, '0.6'],
      ['FUNDING', 20_000, '0.6'],
      ['ORDER_EXPIRED', 26_100, undefined],
      ['FUNDING', 30_000, '0.6'],
    ]);
    k.checkInvariants();
  });

  it('comes after an equity sample at a boundary before it, and before one at or after it', () => {
    const k = kernel({ equityIntervalMs: 10_000 });
    k.handle(stop(1_100, { expireAfterMs: 30_900 })); // ends at 32,000
    // Crossing 10,000, 20,000 and 30,000: one sample, at the last boundary, then the expiry at 32,000.
    expect(k.handle({ kind: 'clock', time: 35_000 }).map((e) => [e.type, e.at])).toEqual([['EQUITY', 30_000], ['ORDER_EXPIRED', 32_000]]);
    const same = kernel({ equityIntervalMs: 10_000 });
    same.handle(stop(1_100, { expireAfterMs: 28_900 })); // ends at 30,000, the boundary itself
    expect(same.handle({ kind: 'clock', time: 35_000 }).map((e) => [e.type, e.at])).toEqual([['ORDER_EXPIRED', 30_000], ['EQUITY', 30_000]]);
  });
});
