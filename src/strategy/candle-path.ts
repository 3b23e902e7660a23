/**
 * The conservative intrabar rule for candle backtests (docs/adr/0009-candle-backtests.md).
 *
 * A bar is replayed as a path of prices: open → first extreme → second extreme → close, where
 * the first extreme is the one *adverse* to the exposure: low first for a long (position or
 * waiting buy entry), high first for a short. Flat: low first when the bar closed up, high first
 * when it closed down. So when one bar reaches both the stop and the target, the stop comes first.
 * Between two anchors, the path also stops at every open order's price lying on the way (stop
 * and take-profit triggers, resting limit prices), nearest first, so each order meets the tape at
 * its own price and nothing jumps over it. Each path price becomes, in the kernel, a one-level
 * book (bid = price − tick, ask = price + tick, deep enough never to run out) and a trade at the
 * price: a market order pays one tick, a triggered stop sells one tick under its stop.
 */
import type { Order } from '../core/orders/order.js';
import { parseFixed, type Fixed } from '../core/money/fixed.js';
import type { Candle } from './candles.js';

export type Exposure = 'LONG' | 'SHORT' | 'FLAT';

export interface PathAnchors {
  readonly open: Fixed;
  /** The two extremes in visiting order, then the close. */
  readonly anchors: readonly [Fixed, Fixed, Fixed];
}

export function intrabarAnchors(candle: Candle, exposure: Exposure): PathAnchors {
  const open = parseFixed(candle.open);
  const high = parseFixed(candle.high);
  const low = parseFixed(candle.low);
  const close = parseFixed(candle.close);
  const lowFirst = exposure === 'LONG' || (exposure === 'FLAT' && close >= open);
  return { open, anchors: lowFirst ? [low, high, close] : [high, low, close] };
}

/** The price at which an open order meets the tape, if any: a waiting trigger or a resting limit. */
export function orderTouchPrice(order: Readonly<Order>): Fixed | undefined {
  if (order.type === 'TRAILING_STOP_MARKET' || order.type === 'STOP_LOSS' || order.type === 'STOP_LOSS_LIMIT' || order.type === 'TAKE_PROFIT' || order.type === 'TAKE_PROFIT_LIMIT') {
    return order.triggered ? order.price : order.stopPrice;
  }
  return order.price;
}

/** The nearest of `prices` strictly between `from` and `to` (in the direction of travel). */
export function nextStop(from: Fixed, to: Fixed, prices: Iterable<Fixed>): Fixed | undefined {
  let best: Fixed | undefined;
  const up = to > from;
  for (const p of prices) {
    if (up ? p > from && p < to : p < from && p > to) {
      if (best === undefined || (up ? p < best : p > best)) best = p;
    }
  }
  return best;
}
