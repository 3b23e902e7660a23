import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { BarInput } from './inputs.js';
import { Kernel } from './kernel.js';

// A resume goes on from where a bar paused: the bar that paused, not another bar sent under the same
// time with the same leg and price. The bar 60,000 → 59,900 → 60,300 → 60,200 pauses where a
// take-profit at 60,150 triggers (leg 2, 60,150); a "resume" of 60,000 → 59,900 → 70,000 → 60,200
// would walk to 70,000, a path that was never paused, and must be refused with the kernel unchanged.
const PERP = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
const T = 1_700_000_000_000;
const MINUTE = 60_000;
const bar = (time: number, open: string, high: string, low: string, close: string, extra: Record<string, unknown> = {}): BarInput =>
  ({ kind: 'bar', time, symbol: 'BTCUSDT', open, high, low, close, volume: '10', intervalMs: MINUTE, ...extra }) as unknown as BarInput;
const withoutSequence = (snapshot: string) => {
  const state = JSON.parse(snapshot) as Record<string, unknown>;
  delete state.sequence;
  return JSON.stringify(state);
};

function pausedKernel(): Kernel {
  const k = new Kernel({ instruments: [PERP], equityIntervalMs: 0 });
  k.handle({ kind: 'account.open', time: T, account: 'a', type: 'futures', balances: { USDT: '10000' }, leverage: 10, fees: { maker: '0', taker: '0' } });
  k.handle(bar(T, '60000', '60100', '59900', '60050'));
  k.handle({ kind: 'order.place', time: T + 1, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
  k.handle(bar(T + 1, '60050', '60050', '60050', '60050'));
  k.handle({ kind: 'order.place', time: T + 2, account: 'a', symbol: 'BTCUSDT', side: 'SELL', type: 'TAKE_PROFIT', quantity: '0.01', stopPrice: '60150', reduceOnly: true });
  const events = k.handle(bar(T + MINUTE, '60000', '60300', '59900', '60200', { pauseOnFill: true }));
  expect(events.find((e) => e.type === 'BAR_PAUSED')).toEqual({ type: 'BAR_PAUSED', at: T + MINUTE + 30_000, symbol: 'BTCUSDT', leg: 2, price: '60150' });
  return k;
}

describe('a resume of another bar than the one that paused is refused and changes nothing', () => {
  const resume = { resume: { leg: 2, price: '60150' } };
  for (const [name, input] of [
    ['another high (70,000)', bar(T + MINUTE, '60000', '70000', '59900', '60200', resume)],
    ['another close (60,250)', bar(T + MINUTE, '60000', '60300', '59900', '60250', resume)],
    ['another low (59,800)', bar(T + MINUTE, '60000', '60300', '59800', '60200', resume)],
    ['another open (59,950)', bar(T + MINUTE, '59950', '60300', '59900', '60200', resume)],
    ['another interval (5 minutes)', bar(T + MINUTE, '60000', '60300', '59900', '60200', { ...resume, intervalMs: 5 * MINUTE })],
  ] as const) {
    it(name, () => {
      const k = pausedKernel();
      const before = withoutSequence(k.snapshot());
      expect(k.handle(input)).toEqual([expect.objectContaining({ type: 'INPUT_REJECTED', code: 'INVALID_INPUT', message: expect.stringMatching(/^bar resume: /) })]);
      expect(withoutSequence(k.snapshot())).toBe(before);
    });
  }

  it('the bar that paused resumes, also in a kernel restored from the snapshot taken at the pause', () => {
    const k = pausedKernel();
    const restored = Kernel.restore({ instruments: [PERP], equityIntervalMs: 0 }, k.snapshot());
    const same = bar(T + MINUTE, '60000', '60300', '59900', '60200', { ...resume, pauseOnFill: true });
    const events = k.handle(same);
    expect(events.some((e) => e.type === 'INPUT_REJECTED')).toBe(false);
    expect(restored.handle(same)).toEqual(events);
  });
});
