/**
 * Risk rules: position size from the stop distance, exact in fixed point.
 *
 * size = floor_to_step( equity × riskPercent / 100 / W ), W = |entry − stop|, then capped so that the
 * notional fits `funds × leverage × (1 − headroom) / (1 + feeRate × leverage)`: the margin (notional ÷
 * leverage) plus the fee the venue reserves on the notional (`feeRate`) stays within the funds (the
 * equity, or the account's available balance) less the headroom, and within the leverage bracket's
 * notional (`maxNotional`) less the headroom.
 * With a DCA ladder (`dca`: the prices of the extra LIMIT orders and their size multiplier m, the
 * i-th sized m^i × the entry, each rounded down to the step from the one before), the budget is for
 * the whole ladder: W = Σ m^i × |p_i − stop| over the entry (i = 0) and the DCA prices on the entry's
 * side of the stop (a level past the stop cannot fill before the stop closes the position), and the
 * cap is for every order of the ladder resting at once: Σ m^i × p_i over all of them.
 * Every step rounds down (the weights up): the loss at the stop, every DCA order filled, never
 * exceeds the risk budget (fees aside), and the ladder's notional never exceeds the cap.
 * With `maxPosition` (the instrument's largest market order), the entry is then lowered, step by step,
 * until the entry and the DCA quantities (`dcaQuantities`) of the levels on the entry's side of the stop
 * sum to at most it: the reduce-only stop for the whole position is one market order
 * (docs/adr/0071-when-and-how-a-rest-goes.md). A level at or past the stop is not counted: the stop
 * closes the position before the price gets there, and that order is cancelled with the plan.
 * Max open positions and max drawdown are enforced by the trade manager and the kernel.
 */
import { div, divRound, mul, ONE, roundToIncrement, type Fixed } from '../core/money/fixed.js';

export interface SizingInput {
  readonly equity: Fixed;
  /** Percent of equity risked per trade (1 = 1 %). */
  readonly riskPercent: Fixed;
  readonly entry: Fixed;
  readonly stop: Fixed;
  readonly stepSize: Fixed;
  readonly leverage: number;
  /** Fraction of the affordable notional kept free for fees and slippage (default 0.02). */
  readonly headroom?: Fixed;
  /**
   * The funds the ladder's margin and fee reserve may take (default `equity`): a futures account's
   * available balance, which the margin of its other positions and orders has already left.
   */
  readonly funds?: Fixed;
  /**
   * The fee rate the venue reserves on every resting order's notional on top of its margin (the
   * account's worst rate, fee-model.ts `worstFeeRate`; default 0): the cap is then for margin plus
   * fee reserve, Σ notional × (1 / leverage + feeRate).
   */
  readonly feeRate?: Fixed;
  /**
   * The notional the leverage's bracket allows the position to reach (Binance −2027; the kernel counts
   * the resting orders that can add to it, position-limit.ts); the ladder's stays within it less the headroom.
   */
  readonly maxNotional?: Fixed;
  /** A DCA ladder placed with the entry: its LIMIT prices, in order, and the size multiplier (tactics `dca`). */
  readonly dca?: { readonly prices: readonly Fixed[]; readonly sizeMultiplier: Fixed };
  /**
   * The largest position the ladder may reach, the entry and every DCA order on the entry's side of the
   * stop filled (base units, a multiple of `stepSize`): the instrument's largest market order (MARKET_LOT_SIZE `maxMarketQty`,
   * down to the step), above which the position's reduce-only stop would be refused.
   */
  readonly maxPosition?: Fixed;
}

export interface Sizing {
  readonly quantity: Fixed;
  /** The quantity the risk budget alone allows, before the affordability cap. */
  readonly riskQuantity: Fixed;
  readonly riskAmount: Fixed;
  readonly capped: boolean;
  /** The quantity the risk budget and the affordability cap allow, before `maxPosition`. */
  readonly fundedQuantity: Fixed;
  /** True when `maxPosition` lowered the quantity below `fundedQuantity`. */
  readonly positionCapped: boolean;
  /** The DCA orders' quantities (`dcaQuantities` of the entry's), one per `dca.prices`; empty without a ladder. */
  readonly dcaQuantities: readonly Fixed[];
  /**
   * The largest position the ladder can reach before its stop: the entry and the DCA orders on the entry's side of
   * the stop, filled (base units); what `maxPosition` bounds.
   */
  readonly position: Fixed;
}

/** The i-th DCA order's quantity: the one before (the entry's for the first) × `multiplier`, rounded down to the step. */
export function dcaQuantities(entryQuantity: Fixed, multiplier: Fixed, count: number, stepSize: Fixed): Fixed[] {
  const sizes: Fixed[] = [];
  let size = entryQuantity;
  for (let i = 0; i < count; i += 1) {
    size = roundToIncrement(mul(size, multiplier, 'down'), stepSize, 'down');
    sizes.push(size);
  }
  return sizes;
}

/**
 * The entry's quantity (base units, a multiple of `stepSize`) for a stop at `stop`, and the DCA
 * quantities that go with it, by the rules of this file's header. Amounts are Fixed (×10^18) in the
 * quote asset; `riskPercent` is a percent (1 = 1 %). Throws a RangeError when the stop is at the entry
 * or a DCA price is at or below zero. The quantity may be 0 (the budget or the cap affords no step).
 */
export function sizeFromStop(input: SizingInput): Sizing {
  const { entry, stop } = input;
  const long = entry > stop;
  const distance = long ? entry - stop : stop - entry;
  if (distance === 0n) throw new RangeError('the stop is at the entry price: no risk-based size');
  // The ladder's weights per unit of the entry's quantity: its loss at the stop and its notional.
  let lossWeight = distance;
  let notionalWeight = entry;
  const prices = input.dca?.prices ?? [];
  let multiple = ONE;
  // The levels that can fill before the stop closes the position: on the entry's side of the stop.
  const beforeStop: boolean[] = [];
  for (const price of prices) {
    if (price <= 0n) throw new RangeError('a DCA price is at or below zero: no order rests there');
    multiple = mul(multiple, input.dca!.sizeMultiplier, 'up');
    const fills = long ? price > stop : price < stop;
    beforeStop.push(fills);
    if (fills) lossWeight += mul(multiple, long ? price - stop : stop - price, 'up');
    notionalWeight += mul(multiple, price, 'up');
  }
  const riskAmount = divRound(mul(input.equity, input.riskPercent, 'down'), 100n, 'down');
  const riskQuantity = roundToIncrement(div(riskAmount, lossWeight, 'down'), input.stepSize, 'down');
  const headroom = input.headroom ?? (2n * ONE) / 100n;
  // equity × (1 − headroom) of margin and fee reserve: notional × (1 / L + f) ≤ it ⇔ notional ≤ it × L / (1 + f × L).
  const feeRate = input.feeRate ?? 0n;
  const funds = input.funds ?? input.equity;
  const affordable = div(mul((funds > 0n ? funds : 0n) * BigInt(input.leverage), ONE - headroom, 'down'), ONE + feeRate * BigInt(input.leverage), 'down');
  const bracket = input.maxNotional === undefined ? undefined : mul(input.maxNotional, ONE - headroom, 'down');
  const maxQuantity = roundToIncrement(div(bracket !== undefined && bracket < affordable ? bracket : affordable, notionalWeight, 'down'), input.stepSize, 'down');
  const capped = riskQuantity > maxQuantity;
  const fundedQuantity = capped ? maxQuantity : riskQuantity;
  const multiplier = input.dca?.sizeMultiplier ?? ONE;
  const quantity = input.maxPosition === undefined ? fundedQuantity : withinPosition(fundedQuantity, input.maxPosition, beforeStop, multiplier, input.stepSize);
  const dca = input.dca === undefined ? [] : dcaQuantities(quantity, input.dca.sizeMultiplier, prices.length, input.stepSize);
  return { quantity, riskQuantity, riskAmount, capped, fundedQuantity, positionCapped: quantity < fundedQuantity, dcaQuantities: dca, position: positionOf(quantity, beforeStop, multiplier, input.stepSize) };
}

/** The entry and the DCA quantities (`dcaQuantities`) of the levels `counted` (one flag per level, in order), summed. */
function positionOf(entry: Fixed, counted: readonly boolean[], multiplier: Fixed, stepSize: Fixed): Fixed {
  const sizes = dcaQuantities(entry, multiplier, counted.length, stepSize);
  let position = entry;
  for (let i = 0; i < sizes.length; i += 1) if (counted[i] === true) position += sizes[i]!;
  return position;
}

/**
 * The largest entry quantity at or below `quantity` (multiples of `stepSize`) whose position, the entry and the DCA
 * orders (`dcaQuantities`) of the levels `counted` filled, is at most `maxPosition`; 0 when not even one step fits.
 */
function withinPosition(quantity: Fixed, maxPosition: Fixed, counted: readonly boolean[], multiplier: Fixed, stepSize: Fixed): Fixed {
  const position = (entry: Fixed): Fixed => positionOf(entry, counted, multiplier, stepSize);
  if (position(quantity) <= maxPosition) return quantity;
  // 1 + Σ m^i over the levels counted, each term rounded up: entry × it bounds the position, whose DCA quantities round down.
  let weight = ONE;
  let multiple = ONE;
  for (const count of counted) {
    multiple = mul(multiple, multiplier, 'up');
    if (count) weight += multiple;
  }
  let entry = roundToIncrement(div(maxPosition > 0n ? maxPosition : 0n, weight, 'down'), stepSize, 'down');
  // The DCA quantities' rounding can leave room for a few more steps.
  while (entry + stepSize < quantity && position(entry + stepSize) <= maxPosition) entry += stepSize;
  return entry;
}
