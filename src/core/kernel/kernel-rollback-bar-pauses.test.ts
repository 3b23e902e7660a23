import { afterEach, describe, expect, it, vi } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { MatchingEngine } from '../matching/matching-engine.js';
import { mulberry32 } from '../../test-kit/mulberry32.js';
import { stateWithoutSequence } from '../../test-kit/recording-stepper.js';
import type { KernelEvent } from './events.js';
import type { BarInput, KernelInput } from './inputs.js';
import { Kernel } from './kernel.js';

// Contained failures of bar inputs and their resumes where the rollback tail turns over (ADR 0056: a
// checkpoint every 512 inputs for a small state), with a ladder of resting limits a tick apart so that
// bars pause often and a checkpoint falls between a pause and its resume. The oracle is a twin kernel
// given the same inputs without the fault: the same events, and the same state but for the sequence
// numbers the refused inputs took.
const PERP = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
const T = 1_700_000_000_000;
const MINUTE = 60_000;
const BARS = 300;

afterEach(() => {
  vi.restoreAllMocks();
});

/** The state with the numbers a refused input shifts (the sequence, the orders' arrival order) left out. */
const comparable = (k: Kernel) => stateWithoutSequence(k).replace(/"arrivalSeq":\d+/g, '"arrivalSeq":_');

/** Drives `k` through `send`: two bids a tick apart, an ask and a stop a tick under the bids, re-placed before each bar; each bar resumed from each pause. */
function drive(k: Kernel, send: (k: Kernel, input: KernelInput) => KernelEvent[]): string[] {
  const log: string[] = [];
  const keep = (events: readonly KernelEvent[]) => {
    for (const e of events) log.push(JSON.stringify({ ...e, seq: undefined }));
    return events;
  };
  const random = mulberry32(7);
  const text = (x: number) => (Math.round(x * 10) / 10).toFixed(1);
  let price = 60000;
  let n = 0;
  keep(send(k, { kind: 'account.open', time: T, account: 'a', type: 'futures', balances: { USDT: '100000' }, leverage: 10, fees: { maker: '0.0002', taker: '0.0005' } }));
  for (let i = 1; i <= BARS; i++) {
    const t = T + i * MINUTE;
    // The previous bar's four orders cancelled (those that filled are refused as unknown or closed).
    for (let j = n - 4; j < n; j++) if (j >= 0) keep(send(k, { kind: 'order.cancel', time: t - 1, account: 'a', clientOrderId: `o${j}` }));
    const place = (fields: Record<string, unknown>) =>
      keep(send(k, { kind: 'order.place', time: t - 1, account: 'a', symbol: 'BTCUSDT', clientOrderId: `o${n++}`, quantity: '0.01', ...fields } as KernelInput));
    place({ side: 'BUY', type: 'LIMIT', price: text(price - 20) });
    place({ side: 'BUY', type: 'LIMIT', price: text(price - 20.1) });
    place({ side: 'SELL', type: 'LIMIT', price: text(price + 20) });
    place({ side: 'SELL', type: 'STOP_LOSS', stopPrice: text(price - 20.2), reduceOnly: true });
    const open = price;
    const close = open + (random() - 0.5) * 80;
    const high = Math.max(open, close) + random() * 40;
    const low = Math.min(open, close) - random() * 40;
    price = Math.round(close * 10) / 10;
    const b: BarInput = { kind: 'bar', time: t, symbol: 'BTCUSDT', open: text(open), high: text(high), low: text(low), close: text(close), volume: '1', intervalMs: MINUTE, pauseOnFill: true };
    let events = keep(send(k, b));
    for (;;) {
      const pause = events.find((e) => e.type === 'BAR_PAUSED');
      if (pause?.type !== 'BAR_PAUSED') break;
      events = keep(send(k, { ...b, resume: { leg: pause.leg, price: pause.price } }));
    }
  }
  return log;
}

describe('a bar that throws inside the kernel where the rollback tail turns over', () => {
  for (const held of [510, 511, 512, 1]) {
    it(`with ${held} inputs held: refused, the state it found kept, and a retry goes on as if the fault had not been`, () => {
      const twin = new Kernel({ instruments: [PERP], equityIntervalMs: MINUTE });
      const expected = drive(twin, (k, input) => k.handle(input));

      const k = new Kernel({ instruments: [PERP], equityIntervalMs: MINUTE });
      const original = MatchingEngine.prototype.onTrade;
      let armed = false;
      vi.spyOn(MatchingEngine.prototype, 'onTrade').mockImplementation(function (this: MatchingEngine, ...args) {
        original.apply(this, args);
        if (!armed) return;
        armed = false;
        throw new Error('injected fault after the print was matched');
      });
      let faults = 0;
      let resumes = 0;
      const log = drive(k, (kernel, input) => {
        if (input.kind !== 'bar' || kernel.inputsSinceCheckpoint !== held) return kernel.handle(input);
        const before = comparable(kernel);
        armed = true;
        const answer = kernel.handle(input);
        const struck = !armed;
        armed = false;
        if (!struck) return answer; // nothing printed through an order: the bar ran clean
        faults += 1;
        if (input.resume !== undefined) resumes += 1;
        expect(answer).toEqual([expect.objectContaining({ type: 'INPUT_REJECTED', code: 'INTERNAL' })]);
        expect(comparable(kernel)).toBe(before);
        return kernel.handle(input);
      });
      expect(faults).toBeGreaterThan(0);
      expect(k.containedFailures).toBe(faults);
      // At 512 the checkpoint is taken just before the input: between a pause and its resume, among others.
      if (held === 512) expect(resumes).toBeGreaterThan(0);
      expect(log).toEqual(expected);
      expect(comparable(k)).toBe(comparable(twin));
    });
  }
});
