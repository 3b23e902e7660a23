/**
 * A recording's book levels read once, as numbers: each delta's and snapshot's levels as the kernel's
 * `parseLevels` reads them (decimal parts, `readDecimal`), packed in four typed arrays for the whole
 * recording, so that a replay hands the kernel numbers instead of the level text of every input.
 *
 * Guarantees: `levelsOf(index, input)` gives, for the book input at `index` of the inputs it was
 * built from, exactly the levels `parseLevels` reads from that input's own lists; undefined for any
 * other input, for a different object at that index (a recording rebuilt with other inputs), and for
 * an input whose levels `parseLevels` refuses (the kernel then reads the text itself and answers
 * INVALID_INPUT as before).
 * Cost: reading is one pass over the level text (≈ 30 ms for the bundled recording's 310,000
 * levels); 17 bytes a level held (two float64 mantissas, two byte fractions) beside the text.
 */
import { DecimalLevels } from '../core/book/decimal-levels.js';
import type { BookLevels } from '../core/kernel/kernel.js';
import { parseLevels } from '../core/kernel/input-validation.js';
import type { KernelInput } from '../core/kernel/inputs.js';

export class RecordedLevels {
  private readonly priceMantissa: Float64Array;
  private readonly sizeMantissa: Float64Array;
  private readonly priceFraction: Uint8Array;
  private readonly sizeFraction: Uint8Array;
  /** Per input: where its bids start, where its asks start, where its asks end; -1 when not held. */
  private readonly bounds: Int32Array;
  private readonly reader = new LevelsReader(this);

  constructor(private readonly inputs: readonly KernelInput[]) {
    let total = 0;
    for (const input of inputs) if (input.kind === 'book.delta' || input.kind === 'book.snapshot') total += input.bids.length + input.asks.length;
    this.priceMantissa = new Float64Array(total);
    this.sizeMantissa = new Float64Array(total);
    this.priceFraction = new Uint8Array(total);
    this.sizeFraction = new Uint8Array(total);
    this.bounds = new Int32Array(3 * inputs.length).fill(-1);
    const scratch = new DecimalLevels();
    let end = 0;
    for (let i = 0; i < inputs.length; i += 1) {
      const input = inputs[i]!;
      if (input.kind !== 'book.delta' && input.kind !== 'book.snapshot') continue;
      const start = end;
      if (parseLevels(input.bids, scratch) !== undefined) continue;
      end = this.append(scratch, end);
      const asksAt = end;
      if (parseLevels(input.asks, scratch) !== undefined) {
        end = start;
        continue;
      }
      end = this.append(scratch, end);
      this.bounds[3 * i] = start;
      this.bounds[3 * i + 1] = asksAt;
      this.bounds[3 * i + 2] = end;
    }
  }

  /** The levels of `input`, the input at `index` of the inputs read; valid until the next call. */
  levelsOf(index: number, input: KernelInput): BookLevels | undefined {
    if (this.inputs[index] !== input || this.bounds[3 * index]! < 0) return undefined;
    this.reader.index = index;
    return this.reader;
  }

  /** Fills `bids` and `asks` with the levels of input `index`. */
  fill(index: number, bids: DecimalLevels, asks: DecimalLevels): void {
    const b = this.bounds;
    this.copy(bids, b[3 * index]!, b[3 * index + 1]!);
    this.copy(asks, b[3 * index + 1]!, b[3 * index + 2]!);
  }

  private append(levels: DecimalLevels, at: number): number {
    for (let i = 0; i < levels.length; i += 1, at += 1) {
      this.priceMantissa[at] = levels.priceMantissa[i]!;
      this.priceFraction[at] = levels.priceFraction[i]!;
      this.sizeMantissa[at] = levels.sizeMantissa[i]!;
      this.sizeFraction[at] = levels.sizeFraction[i]!;
    }
    return at;
  }

  private copy(out: DecimalLevels, start: number, end: number): void {
    const { priceMantissa, priceFraction, sizeMantissa, sizeFraction } = this;
    out.reset();
    for (let i = start, j = 0; i < end; i += 1, j += 1) {
      out.priceMantissa[j] = priceMantissa[i]!;
      out.priceFraction[j] = priceFraction[i]!;
      out.sizeMantissa[j] = sizeMantissa[i]!;
      out.sizeFraction[j] = sizeFraction[i]!;
    }
    out.length = end - start;
  }
}

class LevelsReader implements BookLevels {
  index = 0;
  constructor(private readonly levels: RecordedLevels) {}
  readInto(bids: DecimalLevels, asks: DecimalLevels): void {
    this.levels.fill(this.index, bids, asks);
  }
}
