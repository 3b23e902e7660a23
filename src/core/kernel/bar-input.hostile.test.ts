import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { BarInput } from './inputs.js';
import { Kernel } from './kernel.js';

// Malformed bars are answered with INPUT_REJECTED and leave the kernel as it was: its snapshot,
// apart from the input sequence number every handled input moves, is unchanged.
const PERP = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
const T = 1_700_000_000_000;
const MINUTE = 60_000;

function bar(time: number, open: unknown, high: unknown, low: unknown, close: unknown, extra: Record<string, unknown> = {}): BarInput {
  return { kind: 'bar', time, symbol: 'BTCUSDT', open, high, low, close, volume: '10', intervalMs: MINUTE, ...extra } as unknown as BarInput;
}

function kernel(): Kernel {
  const k = new Kernel({ instruments: [PERP], equityIntervalMs: 0 });
  k.handle({ kind: 'account.open', time: T, account: 'a', type: 'futures', balances: { USDT: '10000' }, leverage: 10, fees: { maker: '0', taker: '0' } });
  k.handle(bar(T, '60000', '60100', '59900', '60050'));
  return k;
}

const withoutSequence = (snapshot: string) => {
  const state = JSON.parse(snapshot) as Record<string, unknown>;
  delete state.sequence;
  return JSON.stringify(state);
};

const malformed: [string, BarInput][] = [
  ['high under low', bar(T + MINUTE, '60000', '59000', '61000', '60000')],
  ['open above high', bar(T + MINUTE, '60200', '60100', '59900', '60000')],
  ['negative prices', bar(T + MINUTE, '-1', '-1', '-1', '-1')],
  ['zero prices', bar(T + MINUTE, '0', '0', '0', '0')],
  ['20 decimals', bar(T + MINUTE, '60000.00000000000000000001', '60100', '59900', '60000')],
  ['NaN', bar(T + MINUTE, 'NaN', '60100', '59900', '60000')],
  ['Infinity', bar(T + MINUTE, 'Infinity', 'Infinity', '59900', '60000')],
  ['exponent', bar(T + MINUTE, '1e5', '60100', '59900', '60000')],
  ['a JSON number', bar(T + MINUTE, 60000, '60100', '59900', '60000')],
  ['an empty string', bar(T + MINUTE, '', '60100', '59900', '60000')],
  ['an unknown symbol', { ...bar(T + MINUTE, '60000', '60100', '59900', '60000'), symbol: 'ETHUSDT' }],
  ['a negative volume', bar(T + MINUTE, '60000', '60100', '59900', '60000', { volume: '-1' })],
  ['a pauseAtOpen that is not a boolean', bar(T + MINUTE, '60000', '60100', '59900', '60000', { pauseOnFill: true, pauseAtOpen: 'yes' as unknown as boolean })],
  ['a resume point off its leg', bar(T + MINUTE, '60000', '60100', '59900', '60000', { resume: { leg: 1, price: '70000' } })],
  // time + intervalMs past 2^53: the close's time would not be an exact Unix ms.
  ['an interval past the largest Unix ms', bar(T + MINUTE, '60000', '60100', '59900', '60000', { intervalMs: Number.MAX_SAFE_INTEGER })],
];

describe('a malformed bar is refused and changes nothing', () => {
  for (const [name, input] of malformed) {
    it(name, () => {
      const k = kernel();
      const before = withoutSequence(k.snapshot());
      const events = k.handle(input);
      expect(events).toEqual([expect.objectContaining({ type: 'INPUT_REJECTED', code: 'INVALID_INPUT' })]);
      expect(withoutSequence(k.snapshot())).toBe(before);
    });
  }
});

describe('a resume goes on only from where a bar paused; any other is refused and changes nothing', () => {
  // A long of 0.01 with a take-profit at 60,150: the bar 60,000 → 59,900 → 60,300 → 60,200 (closed up: low
  // first) pauses where the take-profit triggers, on leg 2 (59,900 → 60,300) at 60,150, by hand.
  const b = bar(T + MINUTE, '60000', '60300', '59900', '60200', { pauseOnFill: true });
  function pausedKernel(): Kernel {
    const k = kernel();
    k.handle({ kind: 'order.place', time: T + 1, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    k.handle(bar(T + 1, '60050', '60050', '60050', '60050'));
    k.handle({ kind: 'order.place', time: T + 2, account: 'a', symbol: 'BTCUSDT', side: 'SELL', type: 'TAKE_PROFIT', quantity: '0.01', stopPrice: '60150', reduceOnly: true });
    const events = k.handle(b);
    expect(events.find((e) => e.type === 'BAR_PAUSED')).toEqual({ type: 'BAR_PAUSED', at: T + MINUTE + 30_000, symbol: 'BTCUSDT', leg: 2, price: '60150' });
    return k;
  }
  const refusals: [string, () => Kernel, BarInput][] = [
    ['a resume on a market where no bar paused', kernel, { ...b, resume: { leg: 1, price: '60000' } }],
    ['a resume at another price than the pause', pausedKernel, { ...b, resume: { leg: 2, price: '60100' } }],
    ['a resume on another leg than the pause', pausedKernel, { ...b, resume: { leg: 3, price: '60250' } }],
    ['a resume of another bar (time) than the one that paused', pausedKernel, { ...b, time: T + 2 * MINUTE, resume: { leg: 2, price: '60150' } }],
  ];
  for (const [name, make, input] of refusals) {
    it(name, () => {
      const k = make();
      const before = withoutSequence(k.snapshot());
      const events = k.handle(input);
      expect(events).toEqual([expect.objectContaining({ type: 'INPUT_REJECTED', code: 'INVALID_INPUT', message: expect.stringMatching(/^bar resume: no bar paused on BTCUSDT/) })]);
      expect(withoutSequence(k.snapshot())).toBe(before);
    });
  }

  it('the resume from the pause goes on, once: the same resume again is refused, the bar having ended', () => {
    const k = pausedKernel();
    const resumed = k.handle({ ...b, resume: { leg: 2, price: '60150' } });
    expect(resumed.some((e) => e.type === 'INPUT_REJECTED')).toBe(false);
    expect(resumed.some((e) => e.type === 'BAR_PAUSED')).toBe(false);
    const again = k.handle({ ...b, resume: { leg: 2, price: '60150' } });
    expect(again).toEqual([expect.objectContaining({ type: 'INPUT_REJECTED', code: 'INVALID_INPUT' })]);
  });

  it('a kernel restored from a snapshot taken at the pause takes the same resume', () => {
    const k = pausedKernel();
    const restored = Kernel.restore({ instruments: [PERP], equityIntervalMs: 0 }, k.snapshot());
    const resume = { ...b, resume: { leg: 2 as const, price: '60150' } };
    expect(restored.handle(resume)).toEqual(k.handle(resume));
  });
});
