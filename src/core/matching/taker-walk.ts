/**
 * The taker walk: how an incoming order consumes the displayed book, level by level.
 *
 * Guarantees: never takes more than a level's available size in the book view paper orders see
 * (displayed − taken by paper − consumed by trades since the level was last stated);
 * never crosses the limit price; every slice is a whole multiple of the step size; when a quote
 * budget is given, Σ price × qty × (1 + feeRate) of the slices never exceeds it.
 * The walk only plans; `BookView.take` commits it, so FILL_OR_KILL can look before it leaps.
 * Cost: O(levels walked).
 */
import { divRound, mul, type Fixed } from '../money/fixed.js';
import type { BookSide } from '../book/book-side.js';
import type { BookView } from './book-view.js';

export interface Slice {
  readonly price: Fixed;
  readonly quantity: Fixed;
}

export interface WalkLimits {
  /** Base quantity wanted; undefined = limited by the budget only. */
  readonly quantity?: Fixed;
  /** Worst acceptable price (buy: highest; sell: lowest). */
  readonly limitPrice?: Fixed;
  /** Quote amount available to pay for the slices (buys) including fees at `budgetFeeRate`. */
  readonly budget?: Fixed;
  readonly budgetFeeRate?: Fixed;
  readonly stepSize: Fixed;
}

export interface WalkPlan {
  readonly slices: readonly Slice[];
  readonly quantity: Fixed;
  readonly quote: Fixed;
  /** True when the walk stopped because the budget ran out (not depth or the limit). */
  readonly budgetBound: boolean;
  /** True when the walk stopped at the limit price with quantity still wanted and levels beyond it. */
  readonly priceBound: boolean;
}

export function planTakerWalk(side: BookSide, view: BookView, limits: WalkLimits): WalkPlan {
  const slices: Slice[] = [];
  let wanted = limits.quantity;
  let budget = limits.budget;
  let quantity = 0n;
  let quote = 0n;
  let budgetBound = false;
  let priceBound = false;
  const feeFactor = 10n ** 18n + (limits.budgetFeeRate ?? 0n);
  for (const [price, displayed] of side.levels()) {
    if (wanted !== undefined && wanted <= 0n) break;
    if (limits.limitPrice !== undefined && side.isBetter(limits.limitPrice, price)) {
      priceBound = true;
      break;
    }
    let take = view.available(side.side, price, displayed);
    if (wanted !== undefined && wanted < take) take = wanted;
    if (budget !== undefined) {
      // Largest step multiple whose cost with fees fits the budget.
      const unitCost = mul(price, feeFactor, 'up');
      const affordable = divRound(divRound(budget * 10n ** 18n, unitCost, 'down'), limits.stepSize, 'down') * limits.stepSize;
      if (affordable < take) {
        take = affordable;
        budgetBound = true;
      }
    }
    take = (take / limits.stepSize) * limits.stepSize;
    if (take <= 0n) {
      if (budgetBound) break;
      continue;
    }
    const cost = mul(price, take, 'up');
    slices.push({ price, quantity: take });
    quantity += take;
    quote += cost;
    if (wanted !== undefined) wanted -= take;
    if (budget !== undefined) budget -= mul(cost, feeFactor, 'up');
    if (budgetBound) break;
  }
  return { slices, quantity, quote, budgetBound, priceBound };
}
