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
