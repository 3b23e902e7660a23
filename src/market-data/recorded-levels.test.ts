import { describe, expect, it } from 'vitest';
import { DecimalLevels } from '../core/book/decimal-levels.js';
import type { BookDeltaInput, KernelInput } from '../core/kernel/inputs.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { RecordedLevels } from './recorded-levels.js';

/** mantissa × 10^-fraction written as a decimal (a string model: digits and a point, no arithmetic). */
function decimal(mantissa: number, fraction: number): string {
  const digits = String(Math.abs(mantissa)).padStart(fraction + 1, '0');
  const text = fraction === 0 ? digits : `${digits.slice(0, -fraction)}.${digits.slice(-fraction)}`;
  return mantissa < 0 ? `-${text}` : text;
}

/** The recording's text with trailing fractional zeros dropped ("61837.63000000" → "61837.63", "0.00000000" → "0"). */
function plain(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

function read(levels: DecimalLevels): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < levels.length; i += 1) {
    out.push([decimal(levels.priceMantissa[i]!, levels.priceFraction[i]!), decimal(levels.sizeMantissa[i]!, levels.sizeFraction[i]!)]);
  }
  return out;
}

describe("a recording's levels read once", () => {
  it('give every book input of the bundled recording exactly the levels its text states', () => {
    const recording = loadRecording(BUNDLED_RECORDING);
    const levels = recording.levels!;
    const bids = new DecimalLevels();
    const asks = new DecimalLevels();
    let books = 0;
    recording.inputs.forEach((input, i) => {
      const held = levels.levelsOf(i, input);
      if (input.kind !== 'book.delta' && input.kind !== 'book.snapshot') {
        expect(held).toBeUndefined();
        return;
      }
      books += 1;
      held!.readInto(bids, asks);
      expect(read(bids), `bids of input ${i}`).toEqual(input.bids.map(([p, q]) => [plain(p), plain(q)]));
      expect(read(asks), `asks of input ${i}`).toEqual(input.asks.map(([p, q]) => [plain(p), plain(q)]));
    });
    expect(books).toBe(6_496); // the 6,495 lines of depth_updates.jsonl and depth_snapshot.json
  });

  it('hold nothing for levels the kernel refuses, nor for another input at the same place', () => {
    const delta = (bids: BookDeltaInput['bids']): BookDeltaInput => ({ kind: 'book.delta', time: 1, symbol: 'BTCUSDT', firstUpdateId: 1, finalUpdateId: 1, bids, asks: [['1.5', '2']] });
    const inputs: KernelInput[] = [delta([['100.10', '0.5']]), delta([['1e3', '1']]), delta([['12345678901234567', '1']])];
    const levels = new RecordedLevels(inputs);
    expect(levels.levelsOf(0, inputs[0]!)).toBeDefined();
    expect(levels.levelsOf(1, inputs[1]!), 'not a plain decimal').toBeUndefined();
    expect(levels.levelsOf(2, inputs[2]!), '17 significant digits').toBeUndefined();
    expect(levels.levelsOf(0, delta([['100.10', '0.5']])), 'an equal input that is another object').toBeUndefined();
    const bids = new DecimalLevels();
    const asks = new DecimalLevels();
    levels.levelsOf(0, inputs[0]!)!.readInto(bids, asks);
    expect([read(bids), read(asks)]).toEqual([[['100.1', '0.5']], [['1.5', '2']]]);
  });
});
