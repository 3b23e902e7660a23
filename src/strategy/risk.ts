/**
 * Risk rules: position size from the stop distance, exact in fixed point.
 *
 * size = floor_to_step( equity × riskPercent / 100 / |entry − stop| ), then capped so that the
 * notional fits `equity × leverage × (1 − headroom)` (margin plus fees must be affordable).
 * Every step rounds down: the loss at the stop never exceeds the risk budget (fees aside).
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
}

export interface Sizing {
  readonly quantity: Fixed;
  /** The quantity the risk budget alone allows, before the affordability cap. */
  readonly riskQuantity: Fixed;
  readonly riskAmount: Fixed;
  readonly capped: boolean;
}

export function sizeFromStop(input: SizingInput): Sizing {
  const distance = input.entry > input.stop ? input.entry - input.stop : input.stop - input.entry;
  if (distance === 0n) throw new RangeError('the stop is at the entry price: no risk-based size');
  const riskAmount = divRound(mul(input.equity, input.riskPercent, 'down'), 100n, 'down');
  const riskQuantity = roundToIncrement(div(riskAmount, distance, 'down'), input.stepSize, 'down');
  const headroom = input.headroom ?? (2n * ONE) / 100n;
  const affordable = mul(input.equity * BigInt(input.leverage), ONE - headroom, 'down');
  const maxQuantity = roundToIncrement(div(affordable, input.entry, 'down'), input.stepSize, 'down');
  const capped = riskQuantity > maxQuantity;
  return { quantity: capped ? maxQuantity : riskQuantity, riskQuantity, riskAmount, capped };
}
