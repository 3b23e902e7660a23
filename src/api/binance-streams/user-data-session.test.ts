import { describe, expect, it } from 'vitest';
import type { KernelEvent } from '../../core/kernel/events.js';
import type { KernelInput } from '../../core/kernel/inputs.js';
import { Kernel } from '../../core/kernel/kernel.js';
import { findBundledInstrument } from '../../core/instruments/bundled-instruments.js';
import { UserDataSession } from './user-data-session.js';

const T0 = 1_723_161_240_000;
const CONFIG = { instruments: [findBundledInstrument('binance', 'spot', 'BTCUSDT')!] };
const SETUP: readonly KernelInput[] = [
  { kind: 'account.open', time: T0, account: 'alice', balances: { USDT: '100000', BTC: '1' } },
  { kind: 'book.snapshot', time: T0 + 1, symbol: 'BTCUSDT', lastUpdateId: 100, bids: [['61837.62', '2']], asks: [['61837.63', '1.5']] },
  { kind: 'order.place', time: T0 + 2, account: 'alice', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: '61800.00', quantity: '0.02', clientOrderId: 'dip' },
  { kind: 'order.place', time: T0 + 3, account: 'alice', symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', price: '63000.00', quantity: '0.05', clientOrderId: 'tp' },
];
const LATER: readonly KernelInput[] = [
  // Fills the resting buy at 61,800 (0.02 × 61,800 = 1,236).
  { kind: 'trade', time: T0 + 4, symbol: 'BTCUSDT', tradeId: 1, price: '61800.00', quantity: '5', buyerMaker: true },
  { kind: 'order.cancel', time: T0 + 5, account: 'alice', clientOrderId: 'tp' },
  // Placed and filled in one input: 0.01 × 61,837.63 = 618.3763.
  { kind: 'order.place', time: T0 + 6, account: 'alice', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'mkt' },
];

/** The spot session's executionReports for LATER, its kernel holding the orders or (`dropped`) none of them by the time it hears of them. */
function reports(dropped: boolean): Record<string, unknown>[] {
  const kernel = new Kernel(CONFIG);
  for (const input of SETUP) kernel.handle(input);
  const bare = new Kernel(CONFIG);
  bare.handle(SETUP[0]!);
  let current = kernel;
  const sent: Record<string, unknown>[] = [];
  const session = new UserDataSession('alice', 'spot', () => current, (event) => sent.push(event));
  const batches: KernelEvent[][] = LATER.map((input) => kernel.handle(input));
  if (dropped) current = bare;
  for (const events of batches) session.onEngine(events);
  return sent.filter((e) => e.e === 'executionReport');
}

describe('Binance user data frames of orders the kernel no longer holds', () => {
  it('report the terms the session kept, or those the events state, as when the kernel holds them', () => {
    const dropped = reports(true);
    expect(dropped.map((r) => [r.c, r.x, r.X, r.o, r.q, r.p, r.z, r.Z])).toEqual([
      ['dip', 'TRADE', 'FILLED', 'LIMIT', '0.02', '61800', '0.02', '1236'],
      ['tp', 'CANCELED', 'CANCELED', 'LIMIT', '0.05', '63000', '0', '0'],
      ['mkt', 'NEW', 'NEW', 'MARKET', '0.01', '0', '0', '0'],
      ['mkt', 'TRADE', 'FILLED', 'MARKET', '0.01', '0', '0.01', '618.3763'],
    ]);
    const held = reports(false);
    // The kept orders are the kernel's own: their reports are the same. The market order's NEW
    // report states the order as it arrived (the kernel's object has already filled).
    expect(dropped.slice(0, 2)).toEqual(held.slice(0, 2));
    expect(dropped[3]).toEqual(held[3]);
  });
});
