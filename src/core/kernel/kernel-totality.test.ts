import { afterEach, describe, expect, it, vi } from 'vitest';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { expectTradeFaultContained } from '../../test-kit/injected-faults.js';
import { loadRecording, openedStepper, RecordingStepper, stateWithoutSequence } from '../../test-kit/recording-stepper.js';
import type { KernelEvent } from './events.js';
import type { KernelInput } from './inputs.js';

const recording = loadRecording(BUNDLED_RECORDING);
const SYMBOL = recording.symbol;
const START = recording.inputs[0]!.time;

const stateOf = (s: RecordingStepper) => stateWithoutSequence(s.kernel);

const opened = () => openedStepper(recording);

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the kernel is total', () => {
  const malformed: Array<[string, unknown]> = [
    ['null', null],
    ['a string', 'order.place'],
    ['an array', [1, 2]],
    ['an unknown kind', { kind: 'order.amend', time: START + 40_000, account: 'a' }],
    ['a time that is not Unix ms', { kind: 'clock', time: -5 }],
    ['a fractional time', { kind: 'clock', time: 1.5 }],
    ['a time as a string', { kind: 'clock', time: '1723161300000' }],
    ['market data for a symbol it does not trade', { kind: 'trade', time: START + 40_000, symbol: 'ETHUSDT', tradeId: 1, price: '1', quantity: '1', buyerMaker: true }],
    ['a trade price that is not a decimal', { kind: 'trade', time: START + 40_000, symbol: SYMBOL, tradeId: 1, price: '6e4', quantity: '1', buyerMaker: true }],
    ['a book level that is not a pair', { kind: 'book.delta', time: START + 40_000, symbol: SYMBOL, firstUpdateId: 1, finalUpdateId: 2, bids: [['1']], asks: [] }],
    ['an account.open without balances', { kind: 'account.open', time: START + 40_000, account: 'b' }],
    ['an import whose document is not text', { kind: 'account.import', time: START + 40_000, document: { format: 'papertrade.account' } }],
  ];

  it.each(malformed)('answers %s with INPUT_REJECTED and changes nothing but the sequence', (_name, input) => {
    const s = opened();
    const before = stateOf(s);
    const seq = s.kernel.inputCount;
    const events = s.kernel.handle(input as KernelInput);
    expect(events).toEqual([expect.objectContaining({ type: 'INPUT_REJECTED', code: 'INVALID_INPUT', seq: seq + 1 })]);
    expect(s.kernel.inputCount).toBe(seq + 1);
    expect(stateOf(s)).toBe(before);
  });

  it('rolls back an input that throws half-way, reports it, and goes on exactly as if it never came', () => {
    // Two kernels on the same tape; the suspect one meets a fault inside the matching of one trade,
    // after that trade has already filled part of a resting order. Its state must come back to the
    // state before that trade, and from there on it must agree with a twin that never saw the trade.
    const suspect = opened();
    const twin = opened();
    const order: KernelInput = { kind: 'order.place', time: suspect.kernel.now, account: 'a', symbol: SYMBOL, side: 'BUY', type: 'LIMIT', price: '61700.00', quantity: '0.5', clientOrderId: 'rest' };
    suspect.handle(order);
    twin.handle(order);
    // Far enough that the checkpoint lies many inputs back: the rollback replays a real tail.
    const faultAt = recording.inputs.findIndex((i) => i.kind === 'trade' && i.time > START + 120_000 && i.buyerMaker);
    expect(faultAt).toBeGreaterThan(0);
    const fault = recording.inputs[faultAt]!;
    for (const s of [suspect, twin]) while (s.peek() !== fault) s.step();
    expectTradeFaultContained(suspect);
    suspect.kernel.checkInvariants();

    // The twin never sees the faulty trade; both then see the rest of the tape.
    twin.skip();
    const rest = (s: RecordingStepper) => {
      const events: KernelEvent[] = [];
      while (!s.done) events.push(...s.step()!.events);
      return events;
    };
    const suspectRest = rest(suspect);
    const twinRest = rest(twin);
    expect(JSON.stringify(suspectRest)).toBe(JSON.stringify(twinRest));
    expect(suspect.kernel.balances('a')).toEqual(twin.kernel.balances('a'));
    expect(suspect.kernel.orders('a')).toEqual(twin.kernel.orders('a'));
  });

  it('rolls back an input that leaves an account it touched out of balance', () => {
    const s = opened();
    const before = stateOf(s);
    // A fault that corrupts the account without throwing: the ledger check after the input catches it.
    const place: KernelInput = { kind: 'order.place', time: s.kernel.now, account: 'a', symbol: SYMBOL, side: 'SELL', type: 'LIMIT', price: '70000.00', quantity: '0.1', clientOrderId: 'x' };
    const balance = s.kernel.account('a')!;
    expect(balance.kind).toBe('spot');
    if (balance.kind !== 'spot') return;
    const lock = vi.spyOn(balance, 'lock').mockImplementation(function (this: typeof balance, asset: string, amount: bigint) {
      (this.balance(asset) as { free: bigint }).free -= amount; // the amount leaves free but never arrives in locked
      return true;
    });
    const events = s.kernel.handle(place);
    lock.mockRestore();
    expect(events).toEqual([expect.objectContaining({ type: 'INPUT_REJECTED', code: 'INTERNAL', kind: 'order.place', account: 'a' })]);
    expect(stateOf(s)).toBe(before);
    // And the engine goes on: the same order now rests normally.
    const retry = s.kernel.handle({ ...place, time: s.kernel.now });
    expect(retry.map((e) => e.type)).toContain('ORDER_NEW');
    expect(s.kernel.balances('a')!.BTC).toEqual({ free: '0.9', locked: '0.1' });
    s.kernel.checkInvariants();
  });
});
