/**
 * Capped orders that one input triggers together (ADR 0077): the capped orders of one account and
 * side share one anchor, the best takeable opposite price before the first of them executed, so that
 * together they never sell below (buy above) anchor × (1 ∓ maxSlippage). Other accounts' orders and
 * orders triggered by other inputs take their anchor from the book as the paper orders before them
 * left it (ADR 0061). Every fill is worked out by hand from the books the tests state (Binance spot
 * BTCUSDT: tick 0.01, step 0.00001).
 */
import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { KernelEvent } from '../kernel/events.js';
import type { LevelInput, PlaceOrderInput } from '../kernel/inputs.js';
import { Kernel, type KernelConfig } from '../kernel/kernel.js';

const symbol = 'BTCUSDT';
const config: KernelConfig = { instruments: [findBundledInstrument('binance', 'spot', symbol)!] };

/**
 * Bids 60,000.00 ×1.01 (1 after the print at 60,000.00 takes 0.01), 59,950.00 ×1, 59,900.00 ×1,
 * 59,800.00 ×5. A 0.1 % cap from 60,000.00 is 59,940.00: only 60,000.00 and 59,950.00 are within it.
 */
const BIDS: LevelInput[] = [['60000.00', '1.01'], ['59950.00', '1'], ['59900.00', '1'], ['59800.00', '5']];
const ASKS: LevelInput[] = [['60010.00', '0.6'], ['60065.00', '0.3'], ['60080.00', '5']];

function kernelWith(accounts: readonly string[], kernelConfig: KernelConfig = config): Kernel {
  const kernel = new Kernel(kernelConfig);
  kernel.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids: BIDS, asks: ASKS });
  for (const account of accounts) kernel.handle({ kind: 'account.open', time: 1_000, account, balances: { USDT: '1000000', BTC: '10' } });
  return kernel;
}

/** A capped sell stop: a STOP_LOSS of `quantity` at `stopPrice`, 0.1 % cap unless told. */
const stop = (account: string, clientOrderId: string, quantity: string, fields: Partial<PlaceOrderInput> = {}): PlaceOrderInput => ({
  kind: 'order.place', time: 1_000, account, symbol, side: 'SELL', type: 'STOP_LOSS', clientOrderId, quantity, stopPrice: '60000.00', maxSlippage: '0.001', ...fields,
});

function place(kernel: Kernel, ...orders: PlaceOrderInput[]): void {
  for (const o of orders) expect(kernel.handle(o).map((e) => e.type)).toEqual(['ORDER_NEW']);
}

/** A seller's print of 0.01 at `price`: it takes 0.01 of that bid and triggers the sell stops at or above it. */
const print = (kernel: Kernel, time: number, price: string, tradeId = 1) => kernel.handle({ kind: 'trade', time, symbol, tradeId, price, quantity: '0.01', buyerMaker: true });

/** Per client order id: its fills [price, quantity], and how it ended [executedQty, reason] when it expired. */
function byOrder(events: readonly KernelEvent[]) {
  const out: Record<string, { fills: string[][]; expired?: string[] }> = {};
  for (const e of events) {
    if (e.type !== 'FILL' && e.type !== 'ORDER_EXPIRED') continue;
    const entry = (out[e.clientOrderId] ??= { fills: [] });
    if (e.type === 'FILL') entry.fills.push([e.price, e.quantity]);
    else entry.expired = [e.executedQty, e.reason];
  }
  return out;
}

describe('capped orders of one account and side that one input triggers', () => {
  it('share the anchor of the first: the second stop stops at 60,000 × 0.999 = 59,940, not at a cap from the bids the first took', () => {
    const kernel = kernelWith(['a']);
    place(kernel, stop('a', 's1', '1.5'), stop('a', 's2', '1'));
    const events = print(kernel, 2_000, '60000.00');
    // s1: 1 at 60,000 and 0.5 at 59,950, filled. s2, capped from 60,000 too: the 0.5 left at 59,950, then
    // 59,900 is past 59,940: 0.5 expires. (Capped from the 59,950 s1 left, 59,890.05, it sold 0.5 at 59,900 as well.)
    expect(byOrder(events)).toEqual({
      s1: { fills: [['60000', '1'], ['59950', '0.5']] },
      s2: { fills: [['59950', '0.5']], expired: ['0.5', 'SLIPPAGE_CAP'] },
    });
    // Sold 2 of 10 BTC; received 60,000 + 29,975 + 29,975 = 119,950 USDT less the 0.1 % taker fee, 119.95.
    expect(kernel.balances('a')).toEqual({ USDT: { free: '1119830.05', locked: '0' }, BTC: { free: '8', locked: '0' } });
    kernel.checkInvariants();
  });

  it('the same on a kernel restored from a snapshot taken before the print: the anchor lives only within the input', () => {
    const kernel = kernelWith(['a']);
    place(kernel, stop('a', 's1', '1.5'), stop('a', 's2', '1'));
    const restored = Kernel.restore(config, kernel.snapshot());
    const events = print(restored, 2_000, '60000.00');
    expect(byOrder(events)).toEqual({
      s1: { fills: [['60000', '1'], ['59950', '0.5']] },
      s2: { fills: [['59950', '0.5']], expired: ['0.5', 'SLIPPAGE_CAP'] },
    });
    print(kernel, 2_000, '60000.00');
    expect(restored.snapshot()).toBe(kernel.snapshot());
  });

  it('a later one that finds nothing within the shared cap expires unfilled', () => {
    const kernel = kernelWith(['a']);
    place(kernel, stop('a', 's1', '2.5'), stop('a', 's2', '1'));
    const events = print(kernel, 2_000, '60000.00');
    // s1: 1 at 60,000, 1 at 59,950; 59,900 is past 59,940: 0.5 expires. s2: nothing left at or above 59,940.
    expect(byOrder(events)).toEqual({
      s1: { fills: [['60000', '1'], ['59950', '1']], expired: ['2', 'SLIPPAGE_CAP'] },
      s2: { fills: [], expired: ['0', 'SLIPPAGE_CAP'] },
    });
    expect(events.flatMap((e) => (e.type === 'ORDER_EXPIRED' ? [e.status] : []))).toEqual(['PARTIALLY_CANCELED', 'EXPIRED']);
  });

  it('each applies its own fraction to the shared anchor: 0.2 % from 60,000 is 59,880', () => {
    const kernel = kernelWith(['a']);
    place(kernel, stop('a', 's1', '1.5'), stop('a', 's2', '1', { maxSlippage: '0.002' }));
    // s2: the 0.5 left at 59,950 and 0.5 at 59,900, both at or above 59,880: filled.
    expect(byOrder(print(kernel, 2_000, '60000.00'))).toEqual({
      s1: { fills: [['60000', '1'], ['59950', '0.5']] },
      s2: { fills: [['59950', '0.5'], ['59900', '0.5']] },
    });
  });
});

describe('capped orders that one input triggers, of different accounts or sides', () => {
  it("another account's stop takes its anchor from the bids as the first left them; the account's own second stop keeps the account's", () => {
    const kernel = kernelWith(['a', 'b']);
    place(kernel, stop('a', 'a1', '1.5'), stop('b', 'b1', '1'), stop('a', 'a2', '1'));
    const events = print(kernel, 2_000, '60000.00');
    // Triggered in the order placed. a1: 1 at 60,000, 0.5 at 59,950. b1: its anchor is the best bid left,
    // 59,950: cap 59,950 × 0.999 = 59,890.05: 0.5 at 59,950, 0.5 at 59,900. a2: a's anchor, 60,000, cap
    // 59,940: what is left (0.5 at 59,900) is past it: nothing. (From the best left, 59,900, cap 59,840.1,
    // it sold 0.5 at 59,900 and expired 0.5.)
    expect(byOrder(events)).toEqual({
      a1: { fills: [['60000', '1'], ['59950', '0.5']] },
      b1: { fills: [['59950', '0.5'], ['59900', '0.5']] },
      a2: { fills: [], expired: ['0', 'SLIPPAGE_CAP'] },
    });
  });

  it("a buy and sells of one account triggered together: the buy's anchor is the best ask, the sells keep theirs", () => {
    const kernel = kernelWith(['a']);
    // A buy TAKE_PROFIT triggers at or below its stop price: the same print triggers it.
    place(kernel, stop('a', 's1', '1.5'), stop('a', 'buy', '1', { side: 'BUY', type: 'TAKE_PROFIT' }), stop('a', 's2', '1'));
    const events = print(kernel, 2_000, '60000.00');
    // buy: cap 60,010 × 1.001 = 60,070.01: 0.6 at 60,010, 0.3 at 60,065; 60,080 is past it: 0.1 expires.
    // (An anchor shared with the sells, 60,000, would cap it at 60,060 and leave 60,065.) s2: 0.5 at 59,950, then
    // 59,900 is past 59,940.
    expect(byOrder(events)).toEqual({
      s1: { fills: [['60000', '1'], ['59950', '0.5']] },
      buy: { fills: [['60010', '0.6'], ['60065', '0.3']], expired: ['0.9', 'SLIPPAGE_CAP'] },
      s2: { fills: [['59950', '0.5']], expired: ['0.5', 'SLIPPAGE_CAP'] },
    });
  });
});

describe('capped orders of one account and side triggered by different inputs', () => {
  it('each take their anchor from the book as the orders before them left it', () => {
    const kernel = kernelWith(['a']);
    place(kernel, stop('a', 's1', '1.5'), stop('a', 's2', '1', { stopPrice: '59950.00' }));
    expect(byOrder(print(kernel, 2_000, '60000.00'))).toEqual({ s1: { fills: [['60000', '1'], ['59950', '0.5']] } });
    // A second print, 0.01 at 59,950.00, triggers s2. It traded the front of the level, where s1 took 0.5: 0.5 is
    // still there (book-view.ts). s2's anchor is 59,950, cap 59,890.05: 0.5 at 59,950, 0.5 at 59,900.
    expect(byOrder(print(kernel, 2_001, '59950.00', 2))).toEqual({ s2: { fills: [['59950', '0.5'], ['59900', '0.5']] } });
  });
});

describe('capped orders one input triggered while the book was stale', () => {
  it('execute on the next book with one anchor, the best bid of that book', () => {
    const kernel = kernelWith(['a'], { ...config, staleAfterMs: 500 });
    place(kernel, stop('a', 's1', '1.5'), stop('a', 's2', '1'));
    // The book is 1,000 ms old at the print: both trigger and wait.
    const triggered = print(kernel, 2_000, '60000.00');
    expect(triggered.filter((e) => e.type === 'ORDER_TRIGGERED').map((e) => e.clientOrderId)).toEqual(['s1', 's2']);
    expect(byOrder(triggered)).toEqual({});
    // The next book states the same levels: s1 takes 1.01 at 60,000 and 0.49 at 59,950; s2, capped from 60,000
    // too (59,940), the 0.51 left at 59,950; its other 0.49 expires.
    const events = kernel.handle({ kind: 'book.snapshot', time: 2_001, symbol, lastUpdateId: 20, bids: BIDS, asks: ASKS });
    expect(byOrder(events)).toEqual({
      s1: { fills: [['60000', '1.01'], ['59950', '0.49']] },
      s2: { fills: [['59950', '0.51']], expired: ['0.51', 'SLIPPAGE_CAP'] },
    });
  });
});
