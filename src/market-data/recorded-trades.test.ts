import { describe, expect, it } from 'vitest';
import type { KernelInput, TradeInput } from '../core/kernel/inputs.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { RecordedTrades } from './recorded-trades.js';

/** A decimal string as an integer of 10^-18 units, by string model: the digits padded to 18 decimals, then one BigInt. */
function units(text: string): bigint {
  const negative = text.startsWith('-');
  const [whole, fraction = ''] = text.replace(/^[+-]/, '').split('.');
  const value = BigInt(`${whole}${fraction.padEnd(18, '0')}`);
  return negative ? -value : value;
}

const trade = (price: string, quantity: string): TradeInput => ({ kind: 'trade', time: 1, symbol: 'BTCUSDT', tradeId: 1, price, quantity, buyerMaker: true });

describe("a recording's trades read once", () => {
  it('give every print of the bundled recording exactly the price and quantity its text states', () => {
    const recording = loadRecording(BUNDLED_RECORDING);
    const trades = recording.trades!;
    let prints = 0;
    recording.inputs.forEach((input, i) => {
      const held = trades.tradeOf(i, input);
      if (input.kind !== 'trade') {
        expect(held, `input ${i}`).toBeUndefined();
        return;
      }
      prints += 1;
      expect([held!.price, held!.quantity], `trade ${i}`).toEqual([units(input.price), units(input.quantity)]);
    });
    expect(prints).toBe(19_904); // the lines of trades.csv
  });

  it('hold nothing for a trade the kernel refuses, nor for another input at the same place', () => {
    const inputs: KernelInput[] = [trade('100.10', '0.5'), trade('1e3', '1'), trade('1', '0.0000000000000000001')];
    const trades = new RecordedTrades(inputs);
    expect(trades.tradeOf(0, inputs[0]!)).toEqual({ price: 100_100_000_000_000_000_000n, quantity: 500_000_000_000_000_000n });
    expect(trades.tradeOf(1, inputs[1]!), 'not a plain decimal').toBeUndefined();
    expect(trades.tradeOf(2, inputs[2]!), 'more than 18 decimals').toBeUndefined();
    expect(trades.tradeOf(0, trade('100.10', '0.5')), 'an equal input that is another object').toBeUndefined();
  });
});
