/**
 * A fault met while one paper order is filled is contained at that order: the kernel cancels it
 * (INTERNAL_ERROR) and applies the market input without it, so the book stays in sequence and every
 * other account trades on. The oracle is a twin kernel fed the same real recording, in which the
 * owner of the faulty order cancels it just before that input: everything else must come out the
 * same, event for event and balance for balance. The fault is injected into the spot account's
 * settlement (it settles half, then throws, as a broken invariant does).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SpotAccount } from '../accounts/spot-account.js';
import { formatFixed, parseFixed, SCALE } from '../money/fixed.js';
import { ORDER_FAULT_REASON } from '../matching/order-fault.js';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';
import { instrumentForRecording } from '../../market-data/replay-session.js';
import type { KernelEvent } from './events.js';
import type { KernelInput } from './inputs.js';
import { Kernel } from './kernel.js';

const recording = loadRecording(BUNDLED_RECORDING);
const config = { instruments: [instrumentForRecording(recording)] };

/** Accounts whose spot settlement breaks: it moves the balances, then throws. */
const faulty = new Set<string>();
function injectSettlementFault(): void {
  const original = SpotAccount.prototype.settle;
  vi.spyOn(SpotAccount.prototype, 'settle').mockImplementation(function (this: SpotAccount, ...args) {
    original.apply(this, args);
    if (faulty.has(this.id)) throw new Error(`account ${this.id}: USDT would go negative (injected)`);
  });
}

afterEach(() => {
  vi.restoreAllMocks();
  faulty.clear();
});

interface Market {
  /** A price to rest BUY orders at: the best bid now, which a later print trades through. */
  readonly price: string;
}

/** Both steppers 30 s into the recording with accounts opened; the price a later print goes under. */
function setUp(accounts: readonly string[]): { k: RecordingStepper; twin: RecordingStepper; market: Market } {
  const k = new RecordingStepper(recording);
  const twin = new RecordingStepper(recording);
  const start = recording.inputs[0]!.time + 30_000;
  for (const s of [k, twin]) {
    s.advanceTo(start);
    for (const id of accounts) s.open(id, { USDT: '100000', BTC: '1' });
  }
  const bid = k.kernel.depth(recording.symbol, 1)!.bids[0]![0];
  const later = recording.inputs.filter((i) => i.kind === 'trade' && i.time > start && i.time < start + 300_000);
  expect(later.some((t) => t.kind === 'trade' && parseFixed(t.price) < parseFixed(bid))).toBe(true);
  return { k, twin, market: { price: bid } };
}

function place(s: RecordingStepper, account: string, clientOrderId: string, price: string, quantity = '0.01'): string {
  const events = s.handle({ kind: 'order.place', time: s.kernel.now, account, symbol: recording.symbol, side: 'BUY', type: 'LIMIT', price, quantity, clientOrderId });
  const created = events.find((e) => e.type === 'ORDER_NEW');
  expect(created, JSON.stringify(events)).toBeDefined();
  return (created as { orderId: string }).orderId;
}

const canceledForFault = (events: readonly KernelEvent[]) => events.filter((e) => e.type === 'ORDER_CANCELED' && e.reason === ORDER_FAULT_REASON) as (KernelEvent & { orderId: string; account: string })[];

/**
 * Steps `k` until an input cancels an order for a fault; the twin takes each input too, with the
 * owners' cancels of those orders, stamped with that input's time, just before it. Returns the
 * input's events in `k`, the twin's for the cancels and the input, and the inputs `k` handled (for
 * a replay). With no latency the twin's cancels act at once, at the input's time.
 */
function stepToFault(k: RecordingStepper, twin: RecordingStepper, owners: ReadonlyMap<string, string>, handled: KernelInput[]) {
  for (let n = 0; n < 20_000 && !k.done; n += 1) {
    const input = k.peek()!;
    const events = k.handle(input);
    handled.push(input);
    const canceled = canceledForFault(events);
    if (canceled.length === 0) {
      expect(twin.handle(input)).toEqual(events);
      continue;
    }
    const twinCancels: KernelEvent[] = [];
    for (const c of canceled) twinCancels.push(...twin.handle({ kind: 'order.cancel', time: input.time, account: owners.get(c.orderId)!, orderId: c.orderId }));
    return { events, twinCancels, twinEvents: twin.handle(input) };
  }
  throw new Error('no input met the injected fault');
}

/** The twin's cancels (CANCELED_BY_USER) with the reason `k` gives them. */
const asFaultCancels = (events: readonly KernelEvent[]) => events.map((e) => (e.type === 'ORDER_CANCELED' ? { ...e, reason: ORDER_FAULT_REASON } : e));

describe('a fault in one order’s fill', () => {
  it('cancels that order and applies the print to everyone else, as if its owner had canceled it just before', () => {
    const { k, twin, market } = setUp(['a', 'b']);
    const owners = new Map<string, string>();
    for (const s of [k, twin]) {
      owners.set(place(s, 'a', 'faulty', market.price), 'a');
      owners.set(place(s, 'b', 'sound', market.price), 'b');
    }
    const before = k.kernel.snapshot();
    const handled: KernelInput[] = [];
    faulty.add('a');
    injectSettlementFault();
    const { events, twinCancels, twinEvents } = stepToFault(k, twin, owners, handled);

    // The order of `a` is canceled at the input's time, then the input applies whole without it.
    expect(events).toEqual([...asFaultCancels(twinCancels), ...twinEvents]);
    expect(twinCancels).toHaveLength(1);
    expect(canceledForFault(events)).toHaveLength(1);
    expect(events.some((e) => e.type === 'FILL' && e.account === 'b')).toBe(true);
    expect(events.some((e) => e.type === 'INPUT_REJECTED')).toBe(false);
    const fault = k.kernel.lastContainedFault!;
    expect(fault.orderIds).toEqual(canceledForFault(events).map((e) => e.orderId));
    expect(fault.message).toContain('would go negative (injected)');
    expect(k.kernel.containedFailures).toBe(1);

    // The market goes on for everyone, in sequence, exactly as in the twin.
    for (let n = 0; n < 3_000 && !k.done; n += 1) {
      const input = k.peek()!;
      handled.push(input);
      expect(k.handle(input)).toEqual(twin.handle(input));
    }
    expect(k.kernel.bookStatus(recording.symbol)?.status).toBe('synced');
    expect(k.kernel.depth(recording.symbol, 50)).toEqual(twin.kernel.depth(recording.symbol, 50));
    for (const id of ['a', 'b']) {
      expect(k.kernel.balances(id)).toEqual(twin.kernel.balances(id));
      expect(k.kernel.openOrders(id).map((o) => [o.id, o.status, o.executedQty])).toEqual(twin.kernel.openOrders(id).map((o) => [o.id, o.status, o.executedQty]));
    }
    // Deterministic: the same inputs from the state before them meet the same fault and end in the same state.
    const replayed = Kernel.restore(config, before);
    for (const input of handled) replayed.handle(input);
    expect(replayed.snapshot()).toBe(k.kernel.snapshot());
  });

  it('cancels each order that faults in turn, then applies the input', () => {
    const { k, twin, market } = setUp(['a', 'b', 'c']);
    const owners = new Map<string, string>();
    for (const s of [k, twin]) {
      // Ahead of `b` at one price: the print that reaches them fills `a`, then, once `a` is out, `c`, then `b`.
      owners.set(place(s, 'a', 'faulty-a', market.price), 'a');
      owners.set(place(s, 'c', 'faulty-c', market.price), 'c');
      owners.set(place(s, 'b', 'sound', market.price), 'b');
    }
    faulty.add('a');
    faulty.add('c');
    injectSettlementFault();
    const { events, twinCancels, twinEvents } = stepToFault(k, twin, owners, []);
    expect(canceledForFault(events).map((e) => e.account)).toEqual(['a', 'c']);
    expect(events).toEqual([...asFaultCancels(twinCancels), ...twinEvents]);
    expect(k.kernel.balances('a')).toEqual(twin.kernel.balances('a'));
    expect(k.kernel.balances('c')).toEqual(twin.kernel.balances('c'));
    expect(k.kernel.balances('b')).toEqual(twin.kernel.balances('b'));
  });

  it('leaves the input out (INTERNAL, state unchanged) when more orders fault than it may cancel', () => {
    const { k, market } = setUp(['a']);
    for (let i = 0; i < 9; i += 1) place(k, 'a', `faulty-${i}`, market.price, '0.001');
    faulty.add('a');
    injectSettlementFault();
    for (let n = 0; n < 20_000 && !k.done; n += 1) {
      const before = k.kernel.snapshot().replace(/"sequence":\d+/, '');
      const { events } = k.step()!;
      if (events[0]?.type !== 'INPUT_REJECTED') {
        expect(canceledForFault(events)).toEqual([]);
        continue;
      }
      expect(events).toEqual([expect.objectContaining({ code: 'INTERNAL', message: expect.stringContaining('would go negative (injected)') })]);
      expect(k.kernel.snapshot().replace(/"sequence":\d+/, '')).toBe(before);
      expect(k.kernel.lastContainedFault?.orderIds).toEqual([]);
      expect(k.kernel.openOrders('a')).toHaveLength(9);
      return;
    }
    throw new Error('no input met the injected fault');
  });

  it('with order latency, cancels the order at the input’s time, after the commands that arrived before it: their outcome is the one without the fault', () => {
    const latencyMs = 5;
    const make = () => {
      const s = new RecordingStepper(recording, { latencyMs });
      s.advanceTo(recording.inputs[0]!.time + 30_000);
      s.open('a', { USDT: '1000' });
      s.open('b', { USDT: '100000', BTC: '1' });
      return s;
    };
    const k = make();
    const bid = parseFixed(k.kernel.depth(recording.symbol, 1)!.bids[0]![0]);
    // `a` locks about 990 of its 1,000 USDT at the bid; `b` rests behind it.
    const quantity = ((990n * SCALE * SCALE) / bid / 10n ** 13n) * 10n ** 13n;
    const orders = (s: RecordingStepper) => {
      for (const [account, clientOrderId, q] of [['a', 'faulty', formatFixed(quantity)], ['b', 'sound', '0.01']] as const) {
        s.handle({ kind: 'order.place', time: s.kernel.now, account, symbol: recording.symbol, side: 'BUY', type: 'LIMIT', price: formatFixed(bid), quantity: q, clientOrderId });
      }
      s.handle({ kind: 'clock', time: s.kernel.now + latencyMs });
    };
    orders(k);
    const t0 = k.kernel.now;
    // A command of `a` that needs about 900 USDT arrives at t0 + 5, before the print at t0 + 8 goes through the bid.
    const late: KernelInput = { kind: 'order.place', time: t0, account: 'a', symbol: recording.symbol, side: 'BUY', type: 'LIMIT', price: formatFixed(bid - 2_000n * SCALE), quantity: '0.015', clientOrderId: 'late' };
    const print: KernelInput = { kind: 'trade', time: t0 + latencyMs + 3, symbol: recording.symbol, tradeId: 1, price: formatFixed(bid - SCALE), quantity: '5', buyerMaker: true };
    const plain = make();
    orders(plain);
    plain.handle(late);
    const without = plain.handle(print);
    const lateWithout = without.find((e) => 'clientOrderId' in e && e.clientOrderId === 'late');
    expect(lateWithout).toMatchObject({ type: 'ORDER_REJECTED', code: 'INSUFFICIENT_BALANCE' });
    const before = k.kernel.snapshot();
    k.handle(late);
    faulty.add('a');
    injectSettlementFault();
    const events = k.handle(print);
    // The command's outcome is the one without the fault, and comes first; the cancel is stamped with the print's time.
    expect(events[0]).toEqual(lateWithout);
    expect(canceledForFault(events)).toEqual([expect.objectContaining({ account: 'a', clientOrderId: 'faulty', at: print.time })]);
    // `b` fills as without the fault (the venue's trade ids count the fills made, `a`'s not among them).
    const fills = (list: readonly KernelEvent[]) => list.filter((e) => e.type === 'FILL' && e.account === 'b').map((e) => ({ ...e, tradeId: '' }));
    expect(fills(events)).toEqual(fills(without));
    expect(events.filter((e) => e.type === 'FILL').map((e) => e.account)).toEqual(['b']);
    const replayed = Kernel.restore({ ...config, latencyMs }, before);
    replayed.handle(late);
    replayed.handle(print);
    expect(replayed.snapshot()).toBe(k.kernel.snapshot());
  });

  it('refuses a command whose own fill faults (INTERNAL, state unchanged): there is no earlier order to take out', () => {
    const { k } = setUp(['a']);
    faulty.add('a');
    injectSettlementFault();
    const before = k.kernel.snapshot().replace(/"sequence":\d+/, '');
    const events = k.handle({ kind: 'order.place', time: k.kernel.now, account: 'a', symbol: recording.symbol, side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'm' });
    expect(events).toEqual([expect.objectContaining({ type: 'INPUT_REJECTED', code: 'INTERNAL' })]);
    expect(k.kernel.snapshot().replace(/"sequence":\d+/, '')).toBe(before);
  });
});
