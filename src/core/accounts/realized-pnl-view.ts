/**
 * Realized PnL per fill, from an account's fills alone, for views that have only the fills (the
 * trade history): the position in each symbol is netted fill by fill at its average price, and a
 * fill that reduces it realizes `closed quantity × (fill price − average price)` (× −1 when short).
 *
 * Guarantees: exact fixed-point arithmetic; the average price is the quantity-weighted average of
 * the fills that built the position (rounded half-up to 18 decimals), like a futures position's
 * entry price, so futures figures equal the exchange's. Fees are left out, as exchanges leave them
 * out of realized PnL (each fill shows its own fee). Spot cannot go short: a sell beyond the holding
 * the fills built (coins deposited, not bought) realizes on the covered part only, and a fill that
 * covers nothing has no realized PnL (null). A spot buy whose fee is paid in the base asset adds
 * the quantity net of that fee to the holding, and weighs in the average by that net quantity.
 * Cost: O(fills); the caller passes them in execution order.
 */
import { divRound, mul, type Fixed } from '../money/fixed.js';

export interface FillForPnl {
  readonly symbol: string;
  readonly side: 'BUY' | 'SELL';
  readonly quantity: Fixed;
  readonly price: Fixed;
  readonly fee: Fixed;
  /** True when the fee was paid in the base asset (spot). */
  readonly feeInBase: boolean;
}

interface Holding {
  /** Signed: > 0 long, < 0 short. */
  size: Fixed;
  average: Fixed;
}

/** Realized PnL of each fill (null: the fill closed nothing), in the order given. */
export function realizedPnlByFill(fills: readonly FillForPnl[], market: 'spot' | 'futures'): Array<Fixed | null> {
  return fills.map(realizedPnlTracker(market));
}

/** The same, one fill at a time (for streams): call the function returned with each fill in execution order. */
export function realizedPnlTracker(market: 'spot' | 'futures'): (fill: FillForPnl) => Fixed | null {
  const holdings = new Map<string, Holding>();
  return (fill) => {
    let h = holdings.get(fill.symbol);
    if (h === undefined) {
      h = { size: 0n, average: 0n };
      holdings.set(fill.symbol, h);
    }
    const direction = fill.side === 'BUY' ? 1n : -1n;
    const opposite = h.size !== 0n && (h.size > 0n) !== (direction > 0n);
    if (!opposite) {
      if (market === 'spot' && direction < 0n) return null; // selling coins the fills never bought
      const added = market === 'spot' && fill.feeInBase ? fill.quantity - fill.fee : fill.quantity;
      const held = h.size < 0n ? -h.size : h.size;
      // Exact products, rounded once (as a position's entry price: core/accounts/position.ts applyFill).
      // Weighted by what the fill adds to the holding, as the holding already counts its earlier buys
      // net of their base-asset fees: a lot weighed gross beside lots weighed net moves the average
      // off the prices paid (1 @ 100 then 1 @ 200, each less a 0.1 % fee in BTC, average 150).
      if (held + added > 0n) h.average = divRound(held * h.average + added * fill.price, held + added, 'half-up');
      h.size += direction * added;
      return null;
    }
    const held = h.size < 0n ? -h.size : h.size;
    const closed = fill.quantity < held ? fill.quantity : held;
    const sign = h.size > 0n ? 1n : -1n;
    const realized = mul(closed, fill.price - h.average, 'half-up') * sign;
    h.size += direction * closed;
    const rest = fill.quantity - closed;
    if (rest > 0n && market === 'futures') {
      h.size = direction * rest;
      h.average = fill.price;
    }
    if (h.size === 0n) h.average = 0n;
    return realized;
  };
}
