/**
 * A leverage change on one symbol of a futures account, with a position, open orders, both or
 * neither (Binance USD-M "Change Initial Leverage" and its error list: the change is allowed with
 * open orders; what is checked is the initial margin at the new leverage):
 * - an increase is allowed while the notional the account holds or could reach on either side
 *   (position plus that side's open orders) stays within the bracket of the new leverage; beyond it
 *   −2027 MAX_LEVERAGE_RATIO "Exceeded the maximum allowable position at current leverage.";
 * - in isolated margin a reduction with a position is refused: −4161
 *   ISOLATED_LEVERAGE_REJECT_WITH_POSITION "Leverage reduction is not supported in Isolated Margin
 *   Mode with open positions";
 * - otherwise the change is allowed when the account can pay what the larger initial margin asks
 *   (the position's in cross margin and the open orders' reservations), else −2028
 *   MIN_LEVERAGE_RATIO "Leverage is smaller than permitted: insufficient margin balance.".
 *
 * Guarantees: the position's notional is taken at the larger of its entry and the mark, so that the
 * position stays within the bracket by either measure (an account export checks it at the entry);
 * in cross margin the position's margin becomes |size| × entry / leverage, rounded as a fill rounds
 * it (down, at the quote's commission precision), the difference moving between it and the cash
 * (on an increase it stays lower when funding has drawn it below that: an increase needs no margin);
 * an isolated position keeps its margin (an increase leaves more margin behind it than the new
 * leverage needs, as on Binance). Each open order on the symbol moves to the new leverage and its
 * reservation becomes exactly what its settlement reserves for it at that leverage (an increase
 * frees margin to the cash, a reduction takes it), so that wallet = cash + position margins + order
 * reservations holds to the unit and the orders' later fills open at the new leverage. The check
 * is on the net amount the whole change asks. Nothing changes when the change is refused.
 * Cost: O(open orders on the symbol).
 */
import { abs, divRound, formatFixed, mul, roundToDecimals, type Fixed } from '../money/fixed.js';
import type { Instrument } from '../instruments/instrument.js';
import { rejection, type Rejection } from '../orders/rejection.js';
import type { FuturesAccount } from './futures-account.js';
import type { Order } from '../orders/order.js';
import { maxLeverageFor, type Position } from './position.js';

/** The initial margin of `size` at `entry` and `leverage`, rounded as a fill's margin is (futures-settlement.ts). */
export function initialMarginOf(size: Fixed, entry: Fixed, leverage: number, instrument: Instrument): Fixed {
  return roundToDecimals(divRound(mul(entry, abs(size), 'up'), BigInt(leverage), 'down'), instrument.quoteCommissionPrecision, 'floor');
}

/** What a leverage change touches on one symbol of a futures account. */
export interface LeverageScope {
  readonly account: FuturesAccount;
  readonly instrument: Instrument;
  /** The open position on the symbol (size ≠ 0), if any. */
  readonly position: Position | undefined;
  /** The account's open orders on the symbol. */
  readonly orders: readonly Order[];
  /** What an open order would keep reserved at a leverage, by its settlement's rules (FuturesOrderSettlement.reservationAt). */
  readonly reservationAt: (order: Order, leverage: number) => Fixed;
  /** Mark prices: the bracket's notional, and what cross margin has available. */
  readonly marks: (symbol: string) => Fixed | undefined;
}

/**
 * The largest notional the account holds or could reach on one side: its position on that side
 * (at the larger of its entry and the mark; an opposite one counts against it) plus the open orders
 * of that side (remaining quantity at their price, trigger, activation price or the mark), as
 * accounts/position-limit.ts counts it for a new order.
 */
function exposure(scope: LeverageScope): Fixed {
  const { position, instrument } = scope;
  const mark = scope.marks(instrument.symbol);
  let positionNotional = 0n;
  if (position !== undefined) {
    const price = mark !== undefined && mark > position.entryPrice ? mark : position.entryPrice;
    positionNotional = mul(abs(position.size), price, 'up');
  }
  let most = 0n;
  for (const side of ['BUY', 'SELL'] as const) {
    const direction = side === 'BUY' ? 1n : -1n;
    let total = position === undefined ? 0n : (position.size > 0n ? 1n : -1n) === direction ? positionNotional : -positionNotional;
    for (const order of scope.orders) {
      if (order.side !== side || order.reduceOnly) continue;
      const price = order.price ?? order.stopPrice ?? order.activationPrice ?? mark;
      if (price !== undefined) total += mul(order.quantity - order.executedQty, price, 'up');
    }
    if (total > most) most = total;
  }
  return most;
}

/**
 * Applies the change to the symbol's position and open orders, or says why it is refused (nothing
 * changed then). `previous` is the leverage the symbol has now.
 */
export function changeLeverage(scope: LeverageScope, previous: number, next: number): Rejection | undefined {
  const { account, position, instrument } = scope;
  const current = position?.leverage ?? previous;
  if (next > current) {
    const notional = exposure(scope);
    const most = maxLeverageFor(instrument, notional);
    if (next > most) {
      return rejection('MAX_POSITION_EXCEEDED', `the position's and open orders' notional ${formatFixed(roundToDecimals(notional, 2, 'half-up'))} ${instrument.quote} allows at most ${most}x`);
    }
  } else if (next < current && position !== undefined && account.marginMode === 'isolated') {
    return rejection('LEVERAGE_REDUCTION_REFUSED');
  }
  // The position's margin at the new leverage (cross only: an isolated position keeps its margin).
  let margin = position?.margin ?? 0n;
  if (position !== undefined && account.marginMode === 'cross' && next !== position.leverage) {
    const needed = initialMarginOf(position.size, position.entryPrice, next, instrument);
    // An increase never asks for margin: one funding has drawn below the new initial margin stays as it is.
    margin = next > position.leverage && needed > position.margin ? position.margin : needed;
  }
  const reservations = scope.orders.map((order) => (order.leverage === next ? order.locked : scope.reservationAt(order, next)));
  let more = margin - (position?.margin ?? 0n);
  scope.orders.forEach((order, i) => (more += reservations[i]! - order.locked));
  if (more > 0n) {
    const available = account.available(scope.marks);
    if (more > available) return rejection('LEVERAGE_MARGIN_INSUFFICIENT', `${formatFixed(more)} ${account.settleAsset} more margin needed at ${next}x, ${formatFixed(available > 0n ? available : 0n)} available`);
  }
  account.cash -= more;
  if (position !== undefined) {
    position.margin = margin;
    position.leverage = next;
  }
  scope.orders.forEach((order, i) => {
    account.reserved += reservations[i]! - order.locked;
    order.locked = reservations[i]!;
    order.leverage = next;
  });
  return undefined;
}
