/**
 * A recording's trades read once: each print's price and quantity as Fixed, parsed from its text
 * when the recording is read, so that a replay (and every further replay of the same recording)
 * hands the kernel the values instead of the text (`Kernel.handle`'s `trade` argument).
 *
 * Guarantees: `tradeOf(index, input)` gives, for the trade at `index` of the inputs it was built
 * from, exactly the price and quantity `fixedOrProblem` reads from that input's own text; undefined
 * for any other input, for a different object at that index (a recording rebuilt with other
 * inputs), and for a trade whose text the kernel refuses (the kernel then reads the text itself and
 * answers INVALID_INPUT as before).
 * Cost: one parse per decimal when the recording is read (≈ 7 ms for the bundled recording's
 * 19,904 prints); two bigints a trade held beside the text.
 */
import type { TradeValues } from '../core/kernel/kernel.js';
import { fixedOrProblem } from '../core/kernel/input-validation.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import type { Fixed } from '../core/money/fixed.js';

export class RecordedTrades {
  /** Per input: the trade's price and quantity; undefined when not held (not a trade, or refused). */
  private readonly prices: (Fixed | undefined)[];
  private readonly quantities: (Fixed | undefined)[];
  private readonly values = { price: 0n, quantity: 0n };

  constructor(private readonly inputs: readonly KernelInput[]) {
    this.prices = new Array<Fixed | undefined>(inputs.length).fill(undefined);
    this.quantities = new Array<Fixed | undefined>(inputs.length).fill(undefined);
    for (let i = 0; i < inputs.length; i += 1) {
      const input = inputs[i]!;
      if (input.kind !== 'trade') continue;
      const price = fixedOrProblem(input.price);
      const quantity = fixedOrProblem(input.quantity);
      if (typeof price === 'string' || typeof quantity === 'string') continue;
      this.prices[i] = price;
      this.quantities[i] = quantity;
    }
  }

  /** The values of `input`, the input at `index` of the inputs read; valid until the next call. */
  tradeOf(index: number, input: KernelInput): TradeValues | undefined {
    const price = this.prices[index];
    if (price === undefined || this.inputs[index] !== input) return undefined;
    this.values.price = price;
    this.values.quantity = this.quantities[index]!;
    return this.values;
  }
}
