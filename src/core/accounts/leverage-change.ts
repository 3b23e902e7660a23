/**
 * A leverage change on a symbol where the account holds a position (Binance USD-M "Change Initial
 * Leverage" and its error list):
 * - an increase is allowed while the position's notional stays within the bracket of the new
 *   leverage; beyond it −2027 MAX_LEVERAGE_RATIO "Exceeded the maximum allowable position at
 *   current leverage.";
 * - in isolated margin a reduction is refused: −4161 ISOLATED_LEVERAGE_REJECT_WITH_POSITION
 *   "Leverage reduction is not supported in Isolated Margin Mode with open positions";
 * - in cross margin a reduction is allowed when the account can pay the larger initial margin,
 *   else −2028 MIN_LEVERAGE_RATIO "Leverage is smaller than permitted: insufficient margin balance.".
 *
 * Guarantees: the position's notional is taken at the larger of its entry and the mark, so that the
 * position stays within the bracket by either measure (an account export checks it at the entry);
 * in cross margin the position's margin becomes |size| × entry / leverage, rounded as a fill rounds
 * it (down, at the quote's commission precision), the difference moving between it and the cash
 * (on an increase it stays lower when funding has drawn it below that: an increase needs no margin);
 * an isolated position keeps its margin (an increase leaves more margin behind it than the new
 * leverage needs, as on Binance). Nothing changes when the change is refused.
 * Not modelled: the change with open orders on the symbol (refused before this is asked).
 * Cost: O(1).
 */
import { abs, divRound, formatFixed, mul, roundToDecimals, type Fixed } from '../money/fixed.js';
import type { Instrument } from '../instruments/instrument.js';
import { rejection, type Rejection } from '../orders/rejection.js';
import type { FuturesAccount } from './futures-account.js';
import { maxLeverageFor, type Position } from './position.js';

/** The initial margin of `size` at `entry` and `leverage`, rounded as a fill's margin is (futures-settlement.ts). */
export function initialMarginOf(size: Fixed, entry: Fixed, leverage: number, instrument: Instrument): Fixed {
  return roundToDecimals(divRound(mul(entry, abs(size), 'up'), BigInt(leverage), 'down'), instrument.quoteCommissionPrecision, 'floor');
}

/**
 * Applies the change to an open position, or says why it is refused (nothing changed then).
 * `marks` values the account's other positions for what cross margin has available.
 */
export function changePositionLeverage(
  account: FuturesAccount,
  position: Position,
  next: number,
  instrument: Instrument,
  marks: (symbol: string) => Fixed | undefined,
): Rejection | undefined {
  const previous = position.leverage;
  if (next === previous) return undefined;
  if (next > previous) {
    const mark = marks(position.symbol);
    const price = mark !== undefined && mark > position.entryPrice ? mark : position.entryPrice;
    const notional = mul(abs(position.size), price, 'up');
    const most = maxLeverageFor(instrument, notional);
    if (next > most) {
      return rejection('MAX_POSITION_EXCEEDED', `the position's notional ${formatFixed(roundToDecimals(notional, 2, 'half-up'))} ${instrument.quote} allows at most ${most}x`);
    }
  } else if (account.marginMode === 'isolated') {
    return rejection('LEVERAGE_REDUCTION_REFUSED');
  }
  if (account.marginMode === 'cross') {
    const needed = initialMarginOf(position.size, position.entryPrice, next, instrument);
    // An increase never asks for margin: one funding has drawn below the new initial margin stays as it is.
    const margin = next > previous && needed > position.margin ? position.margin : needed;
    const more = margin - position.margin;
    if (more > 0n) {
      const available = account.available(marks);
      if (more > available) return rejection('LEVERAGE_MARGIN_INSUFFICIENT', `${formatFixed(more)} ${account.settleAsset} more margin needed at ${next}x, ${formatFixed(available > 0n ? available : 0n)} available`);
    }
    account.cash -= more;
    position.margin = margin;
  }
  position.leverage = next;
  return undefined;
}
