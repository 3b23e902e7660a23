import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { Kernel } from '../kernel/kernel.js';
import type { KernelInput } from '../kernel/inputs.js';
import { formatFixed } from '../money/fixed.js';
import type { Order } from '../orders/order.js';
import type { FuturesAccount } from './futures-account.js';

/**
 * Random sequences of futures orders (limit, market, reduce-only, stop-market, cancels) and of book
 * moves and prints that fill them, on two accounts: after every input each account's `reserved`
 * equals what an independent model of the rule gives, per open order, from the position and the
 * order's terms alone (docs/adr/0074-open-order-margin-follows-the-position.md):
 * - the orders against the position share its size in placement (id) order; each opens its
 *   remainder beyond its share, an order on the position's side or any order while flat opens all;
 * - an opening part q at price p (a stop-market: its stop) at leverage L holds
 *   ceil8(ceil(p × q) / L) of margin and ceil8(feeExact + ceil(p × q) × 0.0005) − feeCharged of fee
 *   (a stop-market, not yet filled: the whole fee); reduce-only orders hold nothing.
 * And the kernel's own checks hold (wallet = ledger, Σ locks = reserved), the cash never negative.
 */
const PERP = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
const T = 1723161300000;
const ACCOUNTS = ['a', 'b'] as const;
const E18 = 10n ** 18n;
const WORST = 5n * 10n ** 14n; // 0.0005, the taker rate, as a Fixed

const ceilDiv = (n: bigint, d: bigint): bigint => (n <= 0n ? -(-n / d) : (n + d - 1n) / d);
/** Up to 8 decimals, of a Fixed (18 decimals). */
const ceil8 = (x: bigint): bigint => ceilDiv(x, 10n ** 10n) * 10n ** 10n;

function modelReservation(order: Order, opening: bigint): bigint {
  const price = order.type === 'STOP_LOSS' ? order.stopPrice! : order.price!;
  const notional = ceilDiv(price * opening, E18);
  const margin = ceil8(ceilDiv(notional, BigInt(order.leverage)));
  // Fees: exact sums are kept at 10^36; ceil to 8 decimals is ceil(exact / 10^28) units of 10^-8.
  const exact = (order.type === 'STOP_LOSS' ? 0n : order.feeExact) + notional * WORST;
  const fee = ceilDiv(exact, 10n ** 28n) * 10n ** 10n - (order.type === 'STOP_LOSS' ? 0n : order.feeCharged);
  return margin + (fee > 0n ? fee : 0n);
}

function modelReserved(kernel: Kernel, id: string): bigint {
  const account = kernel.account(id) as FuturesAccount;
  const size = account.positions.get('BTCUSDT')?.size ?? 0n;
  let closable = size < 0n ? -size : size;
  let total = 0n;
  const orders = [...kernel.openOrders(id)].sort((x, y) => Number(x.id) - Number(y.id));
  for (const order of orders) {
    if (order.reduceOnly) continue;
    const remaining = order.quantity - order.executedQty;
    const against = size !== 0n && (size > 0n) === (order.side === 'SELL');
    const closing = against ? (remaining < closable ? remaining : closable) : 0n;
    closable -= closing;
    total += modelReservation(order, remaining - closing);
  }
  return total;
}

const step = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('book' as const), level: fc.integer({ min: -20, max: 20 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('trade' as const), level: fc.integer({ min: -20, max: 20 }), buyerMaker: fc.boolean(), lots: fc.integer({ min: 1, max: 20 }) }) },
  { weight: 5, arbitrary: fc.record({
    kind: fc.constant('order' as const),
    account: fc.constantFrom(...ACCOUNTS),
    type: fc.constantFrom('LIMIT' as const, 'LIMIT' as const, 'MARKET' as const, 'STOP_LOSS' as const),
    side: fc.constantFrom('BUY' as const, 'SELL' as const),
    reduceOnly: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    level: fc.integer({ min: -20, max: 20 }),
    lots: fc.integer({ min: 2, max: 10 }),
  }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), account: fc.constantFrom(...ACCOUNTS), pick: fc.nat() }) },
);
type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

/** What the runs went through, so that a property that held over nothing cannot pass. */
const seen = { fills: 0, againstPosition: 0, expiredForFunds: 0 };

function run(steps: readonly Step[], balance: string): void {
  const kernel = new Kernel({ instruments: [PERP], equityIntervalMs: 0 });
  let updateId = 0;
  let tradeId = 0;
  let mid = 60_000;
  // Each level is 50 away from 60,000 (59,000 … 61,000): within 10x of any entry here, nothing is liquidated unless the cash ran dry.
  const price = (level: number): string => `${60_000 + level * 50}.0`;
  const book = (level: number): KernelInput => {
    mid = 60_000 + level * 50;
    return { kind: 'book.snapshot', time: T, symbol: 'BTCUSDT', lastUpdateId: ++updateId, bids: [[`${mid}.0`, '0.02']], asks: [[`${mid}.1`, '0.02']] };
  };
  kernel.handle(book(0));
  for (const id of ACCOUNTS) kernel.handle({ kind: 'account.open', time: T, account: id, type: 'futures', leverage: 10, balances: { USDT: balance } });
  for (const s of steps) {
    let input: KernelInput;
    if (s.kind === 'book') input = book(s.level);
    else if (s.kind === 'trade') input = { kind: 'trade', time: T, symbol: 'BTCUSDT', tradeId: ++tradeId, price: price(s.level), quantity: formatFixed(BigInt(s.lots) * 10n ** 15n), buyerMaker: s.buyerMaker };
    else if (s.kind === 'cancel') {
      const open = kernel.openOrders(s.account);
      if (open.length === 0) continue;
      input = { kind: 'order.cancel', time: T, account: s.account, orderId: open[s.pick % open.length]!.id };
    } else {
      const quantity = formatFixed(BigInt(s.lots) * 10n ** 15n);
      const base = { kind: 'order.place' as const, time: T, account: s.account, symbol: 'BTCUSDT', side: s.side, quantity, ...(s.reduceOnly ? { reduceOnly: true } : {}) };
      if (s.type === 'MARKET') input = { ...base, type: 'MARKET' };
      else if (s.type === 'LIMIT') input = { ...base, type: 'LIMIT', price: price(s.level) };
      else {
        // A stop away from the market on the side it waits for: a buy's above, a sell's below.
        const away = Math.abs(s.level) + 1;
        input = { ...base, type: 'STOP_LOSS', stopPrice: `${mid + (s.side === 'BUY' ? away : -away) * 50}.0` };
      }
    }
    const events = kernel.handle(input);
    expect(events.filter((e) => e.type === 'INPUT_REJECTED')).toEqual([]);
    seen.fills += events.filter((e) => e.type === 'FILL').length;
    seen.expiredForFunds += events.filter((e) => e.type === 'ORDER_EXPIRED' && e.reason === 'INSUFFICIENT_BALANCE').length;
    kernel.checkInvariants();
    for (const id of ACCOUNTS) {
      const account = kernel.account(id) as FuturesAccount;
      expect(account.cash >= 0n).toBe(true);
      expect(formatFixed(account.reserved)).toBe(formatFixed(modelReserved(kernel, id)));
      const size = account.positions.get('BTCUSDT')?.size ?? 0n;
      if (kernel.openOrders(id).some((o) => !o.reduceOnly && size !== 0n && (size > 0n) === (o.side === 'SELL'))) seen.againstPosition += 1;
    }
  }
}

describe('open-order margin follows the position (property)', () => {
  it('reserved equals the model’s Σ of per-order opening parts after every input, with cash to spare', () => {
    fc.assert(fc.property(fc.array(step, { minLength: 20, maxLength: 80 }), (steps) => run(steps, '100000')), { numRuns: 150 });
    expect(seen.fills).toBeGreaterThan(500);
    expect(seen.againstPosition).toBeGreaterThan(500);
  });

  it('and with cash so short that orders are refused and expire for it', () => {
    seen.expiredForFunds = 0;
    fc.assert(fc.property(fc.array(step, { minLength: 20, maxLength: 80 }), (steps) => run(steps, '30')), { numRuns: 150 });
    expect(seen.expiredForFunds).toBeGreaterThan(0);
  });
});
