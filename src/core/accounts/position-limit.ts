/**
 * The leverage bracket on the position an order can lead to (Binance USD-M "Leverage and Margin of
 * USDⓈ-M Futures": the notional a leverage allows is the position's, not the order's; an order past
 * it is refused with −2027 "Exceeded the maximum allowable position at current leverage.").
 *
 * Guarantees: for every order type that can open or add (reduce-only orders cannot), the notional
 * the account could reach on the order's side is
 *   existing position on that side (at the mark, else its entry) − an opposite position
 *   + every open order of the account on that side (remaining quantity at its price, trigger or the mark)
 *   + this order (at its price or trigger; a market order at what walking the displayed book costs,
 *     the mark beyond the book; a quote-sized market order at its quote amount),
 * and the account's leverage must not exceed the bracket of that notional.
 * Not modelled: the exchange's per-user position caps beyond the brackets.
 */
import { abs, formatFixed, mul, roundToDecimals, type Fixed } from '../money/fixed.js';
import type { Instrument } from '../instruments/instrument.js';
import type { BookSide } from '../book/book-side.js';
import type { OrderRequest } from '../orders/order-validation.js';
import { isOpenStatus } from '../orders/order-status.js';
import { remainingQty, type Order } from '../orders/order.js';
import { rejection, type Rejection } from '../orders/rejection.js';
import type { FuturesAccount } from './futures-account.js';
import { maxLeverageFor } from './position.js';

export interface PositionLimitView {
  readonly instrument: Instrument;
  readonly mark: Fixed | undefined;
  /** The displayed side a market order of this side would walk (asks for a buy). */
  readonly opposite: BookSide;
  /** The account's open orders on this symbol. */
  readonly openOrders: Iterable<Order>;
}

/** What walking `side` for `quantity` costs; the rest beyond the book at `fallback` (undefined when there is none). */
function walkCost(side: BookSide, quantity: Fixed, fallback: Fixed | undefined): Fixed | undefined {
  let left = quantity;
  let cost = 0n;
  let last: Fixed | undefined;
  for (const [price, size] of side.levels()) {
    if (left === 0n) break;
    const take = size < left ? size : left;
    cost += mul(take, price, 'up');
    left -= take;
    last = price;
  }
  if (left === 0n) return cost;
  const rest = fallback ?? last;
  return rest === undefined ? undefined : cost + mul(left, rest, 'up');
}

function requestNotional(request: OrderRequest, view: PositionLimitView): Fixed | undefined {
  const sized = request.price ?? request.stopPrice ?? request.activationPrice;
  if (request.quantity === undefined) return request.quoteOrderQty;
  if (sized !== undefined) return mul(request.quantity, sized, 'up');
  return walkCost(view.opposite, request.quantity, view.mark);
}

/** The notional the account's position on `side` could reach with this order. */
export function reachableNotional(account: FuturesAccount, request: OrderRequest, view: PositionLimitView): Fixed | undefined {
  const mine = requestNotional(request, view);
  if (mine === undefined) return undefined;
  const direction = request.side === 'BUY' ? 1n : -1n;
  let total = mine;
  const position = account.positions.get(view.instrument.symbol);
  if (position !== undefined && position.size !== 0n) {
    const atMark = mul(abs(position.size), view.mark ?? position.entryPrice, 'up');
    total += (position.size > 0n ? 1n : -1n) === direction ? atMark : -atMark;
  }
  for (const order of view.openOrders) {
    if (order.side !== request.side || order.reduceOnly || !isOpenStatus(order.status)) continue;
    const price = order.price ?? order.stopPrice ?? order.activationPrice ?? view.mark;
    if (price !== undefined) total += mul(remainingQty(order), price, 'up');
  }
  return total;
}

/** Refuses an order that would take the position past what its leverage's bracket allows. */
export function checkPositionLimit(account: FuturesAccount, request: OrderRequest, leverage: number, reduceOnly: boolean, view: PositionLimitView): Rejection | undefined {
  if (reduceOnly) return undefined;
  const reach = reachableNotional(account, request, view);
  if (reach === undefined || reach <= 0n) return undefined;
  const max = maxLeverageFor(view.instrument, reach);
  if (leverage <= max) return undefined;
  return rejection('MAX_POSITION_EXCEEDED', `${leverage}x allows a position below the next bracket; this order could reach ${formatFixed(roundToDecimals(reach, 2, 'half-up'))} ${view.instrument.quote}, where at most ${max}x is allowed`);
}
