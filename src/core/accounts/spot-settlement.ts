/**
 * Spot order accounting: what an order reserves, and how one fill moves balances.
 *
 * Guarantees:
 * - an open order's lock always covers what its remainder may still spend (`requiredLock`): the
 *   notional and, when fees are paid in the quote asset, the fee reserve of the fee model, so a
 *   cancel releases exactly what is left and price improvement is released at once;
 * - every fee comes from the fee model (matching/fee-model.ts): asset, rate and one rounding;
 * - a conditional order that executes as MARKET reserves at placement what NautilusTrader reserves
 *   for it, quantity × trigger price (plus the fee reserve); it keeps that lock until it triggers;
 * - every fill is exact: notional = price × quantity with no rounding on the tick/step grid.
 */
import { mul, ONE, roundToIncrement, type Fixed } from '../money/fixed.js';
import type { Instrument } from '../instruments/instrument.js';
import { applyFillFee, feeRate, feeReserve, feeUnit, fillFee, NO_FEES_YET, spotFeeBasis, worstFeeRate } from '../matching/fee-model.js';
import { executionType, isConditional, type Liquidity, type Order } from '../orders/order.js';
import { isOpenStatus } from '../orders/order-status.js';
import type { SpotAccount } from './spot-account.js';

/** The asset an order reserves: quote for buys, base for sells. */
export function lockedAssetOf(side: Order['side'], instrument: Instrument): string {
  return side === 'BUY' ? instrument.quote : instrument.base;
}

/** What a buy of `notional` (still to fill) must keep reserved: the notional and, in quote, its fee reserve. */
function buyReserve(order: Order, notional: Fixed, account: SpotAccount, instrument: Instrument): Fixed {
  const basis = spotFeeBasis(account.fees, instrument, 'BUY');
  if (basis.onBase) return notional;
  return notional + feeReserve(order, notional, worstFeeRate(account.fees, instrument), basis.decimals);
}

/** What an open order must keep reserved for its remaining part. */
export function requiredLock(order: Order, account: SpotAccount, instrument: Instrument): Fixed {
  if (!isOpenStatus(order.status)) return 0n;
  // Market orders finish within one arrival, and a stop-market keeps its placement lock until it
  // triggers: both hold their reservation until then.
  if (executionType(order.type) === 'MARKET') return order.locked;
  const remaining = order.quantity - order.executedQty;
  if (order.side === 'SELL') return remaining;
  return buyReserve(order, mul(order.price!, remaining, 'up'), account, instrument);
}

/**
 * The price a conditional market order is reserved at: its stop price; for a trailing stop, the stop
 * it would have if it activated at its activation price (or at `marketPrice` when it has none), on
 * the tick grid as the matching engine arms it (a buy's rounded up, a sell's down).
 */
export function conditionalReservePrice(order: Order, marketPrice: Fixed | undefined, tickSize: Fixed): Fixed | undefined {
  if (order.type !== 'TRAILING_STOP_MARKET') return order.stopPrice;
  const from = order.activationPrice ?? marketPrice;
  if (from === undefined) return undefined;
  const rate = order.callbackRate ?? 0n;
  const buy = order.side === 'BUY';
  return roundToIncrement(mul(from, buy ? ONE + rate : ONE - rate, buy ? 'up' : 'down'), tickSize, buy ? 'up' : 'down');
}

/**
 * The reservation taken when an order arrives; undefined when a conditional buy has no price to
 * size it against yet (a trailing stop without activation price before any market price).
 */
export function initialLock(order: Order, account: SpotAccount, instrument: Instrument, marketPrice: Fixed | undefined): Fixed | undefined {
  if (order.type === 'MARKET') {
    if (order.side === 'BUY') return order.quoteOrderQty ?? 0n;
    return order.quoteOrderQty === undefined ? order.quantity : 0n;
  }
  if (isConditional(order.type) && executionType(order.type) === 'MARKET') {
    if (order.side === 'SELL') return order.quantity;
    const price = conditionalReservePrice(order, marketPrice, instrument.tickSize);
    if (price === undefined) return undefined;
    // Plus the commission unit a triggered buy keeps back from its budget when its fee is paid in
    // quote (SpotOrderSettlement.marketBudget), so that at its stop price it fills whole.
    const basis = spotFeeBasis(account.fees, instrument, 'BUY');
    const keptBack = !basis.onBase && feeRate(account.fees, instrument, 'TAKER') > 0n ? feeUnit(basis.decimals) : 0n;
    return buyReserve({ ...order, ...NO_FEES_YET }, mul(price, order.quantity, 'up'), account, instrument) + keptBack;
  }
  return requiredLock(order, account, instrument);
}

export interface SettledFill {
  readonly notional: Fixed;
  readonly fee: Fixed;
  readonly feeAsset: string;
}

/**
 * Moves balances for one fill of `quantity` at `price` and updates the order's executed amounts,
 * fees and lock. The caller changes the order's status.
 */
export function settleFill(
  order: Order,
  account: SpotAccount,
  instrument: Instrument,
  price: Fixed,
  quantity: Fixed,
  liquidity: Liquidity,
): SettledFill {
  const notional = mul(price, quantity, 'up');
  const basis = spotFeeBasis(account.fees, instrument, order.side);
  const charge = fillFee(order, basis.onBase ? quantity : notional, feeRate(account.fees, instrument, liquidity), basis.decimals);
  const fee = charge.fee;
  if (order.side === 'BUY') {
    const fromLocked = order.locked < notional ? order.locked : notional;
    const lockLeft = order.locked - fromLocked;
    // A fee in the paid asset comes out of the order's lock first; a rebate goes to free.
    const feeFromLocked = basis.onBase || fee <= 0n ? 0n : lockLeft < fee ? lockLeft : fee;
    account.settle({
      paidAsset: instrument.quote,
      paid: notional,
      fromLocked,
      receivedAsset: instrument.base,
      received: quantity,
      feeAsset: basis.asset,
      fee,
      feeFromLocked,
    });
    order.locked -= fromLocked + feeFromLocked;
  } else {
    const fromLocked = order.locked < quantity ? order.locked : quantity;
    account.settle({
      paidAsset: instrument.base,
      paid: quantity,
      fromLocked,
      receivedAsset: instrument.quote,
      received: notional,
      feeAsset: basis.asset,
      fee,
      feeFromLocked: 0n,
    });
    order.locked -= fromLocked;
  }
  applyFillFee(order, charge);
  order.executedQty += quantity;
  order.cumulativeQuoteQty += notional;
  return { notional, fee, feeAsset: basis.asset };
}

/** Releases whatever the order holds beyond what its remainder needs (all of it once it is done). */
export function releaseExcess(order: Order, account: SpotAccount, instrument: Instrument): void {
  const keep = requiredLock(order, account, instrument);
  const excess = order.locked - keep;
  if (excess > 0n) {
    account.unlock(order.lockedAsset, excess);
    order.locked = keep;
  }
}
