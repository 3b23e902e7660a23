import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { TradeInput } from './inputs.js';
import { Kernel } from './kernel.js';

const E18 = 10n ** 18n;
const trade = (time: number, price: unknown, quantity: unknown): TradeInput =>
  ({ kind: 'trade', time, symbol: 'BTCUSDT', tradeId: time, price, quantity, buyerMaker: true }) as TradeInput;

describe("a trade's price and quantity, read once by the kernel", () => {
  it('a repeated text keeps its value and a new text is read anew: the average is Σ p·q / Σ q of the prints', () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', 'BTCUSDT')!] });
    // By hand: (100.10·1 + 100.10·3 + 100.20·2 + 100.20·2) / 8 = 801.2 / 8 = 100.15.
    for (const [time, price, quantity] of [[1_000, '100.10', '1'], [1_001, '100.10', '3'], [1_002, '100.20', '2'], [1_003, '100.20', '2']] as const) {
      expect(kernel.handle(trade(time, price, quantity))).toEqual([]);
    }
    expect(kernel.averagePrice('BTCUSDT')).toBe(100_150_000_000_000_000_000n);
    expect(kernel.triggerPrice('BTCUSDT')).toBe(100n * E18 + 2n * E18 / 10n);
  });

  it('refuses a print whose price or quantity is no decimal, naming the price first, even after the same quantity text was read', () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', 'BTCUSDT')!] });
    expect(kernel.handle(trade(1_000, '100.10', '1'))).toEqual([]);
    expect(kernel.handle(trade(1_001, '1e2', 'x'))).toMatchObject([{ type: 'INPUT_REJECTED', code: 'INVALID_INPUT', message: expect.stringContaining('"1e2"') }]);
    expect(kernel.handle(trade(1_002, '100.10', 'x'))).toMatchObject([{ type: 'INPUT_REJECTED', code: 'INVALID_INPUT', message: expect.stringContaining('"x"') }]);
    expect(kernel.handle(trade(1_003, 100.1, '1'))).toMatchObject([{ type: 'INPUT_REJECTED', code: 'INVALID_INPUT', message: 'expected a decimal string, got 100.1' }]);
    // The refused prints changed nothing: the average is still the first print's price.
    expect(kernel.averagePrice('BTCUSDT')).toBe(100_100_000_000_000_000_000n);
  });
});
