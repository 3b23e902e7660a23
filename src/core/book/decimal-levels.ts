/**
 * Book levels as the edge read them: each price and size as decimal parts (`readDecimal`), in
 * parallel arrays of numbers, for the book to take without a bigint or a tuple per level.
 *
 * Guarantees: level i is priceMantissa[i] × 10^-priceFraction[i] at size
 * sizeMantissa[i] × 10^-sizeFraction[i], exactly (integers below 2^53, fractions 0 … 18).
 * A reader may refill the same object for the next input (the kernel does): whoever keeps levels
 * beyond the input copies them (`toLevels`).
 */
import { fixedOfParts, readDecimal, type DecimalParts, type Fixed } from '../money/fixed.js';
import type { Level } from './order-book.js';

export class DecimalLevels {
  readonly priceMantissa: number[] = [];
  readonly priceFraction: number[] = [];
  readonly sizeMantissa: number[] = [];
  readonly sizeFraction: number[] = [];
  length = 0;

  /** Empties the list, keeping its arrays for the next fill. */
  reset(): void {
    this.length = 0;
  }

  /**
   * Appends the level [price, size] read from decimal strings; false (nothing appended) when
   * either is not a decimal that `readDecimal` reads.
   */
  pushText(price: string, size: string): boolean {
    const parts = SCRATCH;
    if (!readDecimal(price, parts)) return false;
    const pm = parts.mantissa;
    const pf = parts.fraction;
    if (!readDecimal(size, parts)) return false;
    const i = this.length;
    this.priceMantissa[i] = pm;
    this.priceFraction[i] = pf;
    this.sizeMantissa[i] = parts.mantissa;
    this.sizeFraction[i] = parts.fraction;
    this.length = i + 1;
    return true;
  }

  price(i: number): Fixed {
    return fixedOfParts(this.priceMantissa[i]!, this.priceFraction[i]!);
  }

  size(i: number): Fixed {
    return fixedOfParts(this.sizeMantissa[i]!, this.sizeFraction[i]!);
  }

  /** The levels as Fixed [price, size] pairs (a copy). */
  toLevels(): Level[] {
    const out: Level[] = new Array<Level>(this.length);
    for (let i = 0; i < this.length; i += 1) out[i] = [this.price(i), this.size(i)];
    return out;
  }
}

const SCRATCH: DecimalParts = { mantissa: 0, fraction: 0 };
