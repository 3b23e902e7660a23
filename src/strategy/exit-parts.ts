/**
 * How an exit above the instrument's largest market order is cut into orders (docs/adr/0075-exits-in-parts.md).
 *
 * Binance bounds every order that executes at the market (MARKET, STOP_MARKET, TAKE_PROFIT_MARKET,
 * TRAILING_STOP_MARKET) by MARKET_LOT_SIZE maxQty (`maxMarketQty`); a position above it is protected
 * and closed with several orders, each within it. Guarantees: the parts sum to the quantity, each is a
 * multiple of the step and at most the largest order; as few parts as the largest order allows
 * (⌈quantity ÷ largest⌉); all of the largest order but the last, which takes the remainder, unless that
 * remainder is below the instrument's minimum quantity: then the parts before it give it what it lacks,
 * the latest first, each keeping the minimum, where the quantity allows (n × minimum ≤ quantity). Where
 * it does not, the last part stays below the minimum, and the kernel refuses it (EXIT_DUST).
 * Cost: one pass over the parts.
 */
import type { Instrument } from '../core/instruments/instrument.js';
import { roundToIncrement, type Fixed } from '../core/money/fixed.js';

/**
 * The instrument's largest market order (MARKET_LOT_SIZE `maxMarketQty`) down to its step, in base
 * units; undefined when the instrument has no such bound.
 */
export function largestMarketOrder(instrument: Pick<Instrument, 'maxMarketQty' | 'stepSize'>): Fixed | undefined {
  return instrument.maxMarketQty === undefined ? undefined : roundToIncrement(instrument.maxMarketQty, instrument.stepSize, 'floor');
}

/**
 * `quantity` (base units, a multiple of `stepSize`) as orders of at most `largest` (the instrument's
 * largest market order, a multiple of the step), each at least `minQty` where the quantity allows;
 * `[quantity]` when it fits in one order (or `largest` is not positive). Throws nothing; `quantity` ≤ 0 gives `[]`.
 */
export function exitParts(quantity: Fixed, largest: Fixed, stepSize: Fixed, minQty: Fixed): Fixed[] {
  if (quantity <= 0n) return [];
  if (largest <= 0n || quantity <= largest) return [quantity];
  const parts: Fixed[] = [];
  let left = quantity;
  while (left > largest) {
    parts.push(largest);
    left -= largest;
  }
  parts.push(left);
  // The smallest order the instrument takes, on the step.
  const least = roundToIncrement(minQty, stepSize, 'ceil');
  if (left >= least || BigInt(parts.length) * least > quantity) return parts;
  // Give the last part what it lacks from the ones before, the latest first, none going below the minimum.
  let lack = least - left;
  parts[parts.length - 1] = least;
  for (let i = parts.length - 2; i >= 0 && lack > 0n; i -= 1) {
    const part = parts[i]!;
    const give = part - least < lack ? part - least : lack;
    parts[i] = part - give;
    lack -= give;
  }
  return parts;
}
