/**
 * Spot order accounting: what an order reserves, and how one fill moves balances.
 *
 * Guarantees:
 * - an open order's lock always equals what its remainder may still spend (`requiredLock`), so a
 *   cancel releases exactly what is left and price improvement is released at once;
 * - fees are charged as the exchange charges them: in the asset received (Binance, MEXC), or in
 *   the quote asset when the account says so; rounded up to the instrument's commission precision;
 * - every fill is exact: notional = price × quantity with no rounding on the tick/step grid.
 */
import { mul, roundToDecimals, type Fixed } from '../money/fixed.js';
import type { Instrument } from '../instruments/instrument.js';
import type { Liquidity, Order } from '../orders/order.js';
import { isOpenStatus } from '../orders/order-status.js';
import type { SpotAccount } from './spot-account.js';

export function feeRate(account: SpotAccount, instrument: Instrument, liquidity: Liquidity): Fixed {
  return liquidity === 'MAKER' ? (account.fees.maker ?? instrument.makerFee) : (account.fees.taker ?? instrument.takerFee);
}

/** The asset mode this account pays fees in on this instrument. */
export function feeAssetMode(account: SpotAccount, instrument: Instrument): 'received' | 'quote' {
  return account.fees.feeAsset ?? instrument.feeAsset;
}

/** The higher of the two rates: what a resting buy must reserve when fees are paid in quote. */
export function worstFeeRate(account: SpotAccount, instrument: Instrument): Fixed {
  const maker = feeRate(account, instrument, 'MAKER');
  const taker = feeRate(account, instrument, 'TAKER');
  return maker > taker ? maker : taker;
}

/** A fee on `amount`, rounded up to the fee asset's commission precision. */
export function chargedFee(amount: Fixed, rate: Fixed, decimals: number): Fixed {
  return roundToDecimals(mul(amount, rate, 'ceil'), decimals, 'ceil');
}

/** The asset an order reserves: quote for buys, base for sells. */
export function lockedAssetOf(side: Order['side'], instrument: Instrument): string {
  return side === 'BUY' ? instrument.quote : instrument.base;
}

/** What an open order must keep reserved for its remaining part. */
export function requiredLock(order: Order, account: SpotAccount, instrument: Instrument): Fixed {
  if (!isOpenStatus(order.status)) return 0n;
  if (order.type === 'MARKET') {
    // Market orders finish within one arrival; they keep their reservation until then.
    return order.locked;
  }
  const remaining = order.quantity - order.executedQty;
  if (order.side === 'SELL') return remaining;
  const notional = mul(order.price!, remaining, 'up');
  if (feeAssetMode(account, instrument) === 'quote') {
    return notional + chargedFee(notional, worstFeeRate(account, instrument), instrument.quoteCommissionPrecision);
  }
  return notional;
}

/** The reservation taken when an order arrives. */
export function initialLock(order: Order, account: SpotAccount, instrument: Instrument): Fixed {
  if (order.type === 'MARKET') {
    if (order.side === 'BUY') return order.quoteOrderQty ?? 0n;
    return order.quoteOrderQty === undefined ? order.quantity : 0n;
  }
  return requiredLock(order, account, instrument);
}

export interface SettledFill {
  readonly notional: Fixed;
  readonly fee: Fixed;
  readonly feeAsset: string;
}

/**
 * Moves balances for one fill of `quantity` at `price` and updates the order's executed amounts and
 * lock. The caller changes the order's status.
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
  const rate = feeRate(account, instrument, liquidity);
  if (order.side === 'BUY') {
    const feeInBase = feeAssetMode(account, instrument) === 'received';
    const fee = feeInBase
      ? chargedFee(quantity, rate, instrument.baseCommissionPrecision)
      : chargedFee(notional, rate, instrument.quoteCommissionPrecision);
    const fromLocked = order.locked < notional ? order.locked : notional;
    const lockLeft = order.locked - fromLocked;
    const feeFromLocked = feeInBase ? 0n : lockLeft < fee ? lockLeft : fee;
    account.settle({
      paidAsset: instrument.quote,
      paid: notional,
      fromLocked,
      receivedAsset: instrument.base,
      received: quantity,
      feeAsset: feeInBase ? instrument.base : instrument.quote,
      fee,
      feeFromLocked,
    });
    order.locked -= fromLocked + feeFromLocked;
    order.executedQty += quantity;
    order.cumulativeQuoteQty += notional;
    return { notional, fee, feeAsset: feeInBase ? instrument.base : instrument.quote };
  }
  const fee = chargedFee(notional, rate, instrument.quoteCommissionPrecision);
  const fromLocked = order.locked < quantity ? order.locked : quantity;
  account.settle({
    paidAsset: instrument.base,
    paid: quantity,
    fromLocked,
    receivedAsset: instrument.quote,
    received: notional,
    feeAsset: instrument.quote,
    fee,
    feeFromLocked: 0n,
  });
  order.locked -= fromLocked;
  order.executedQty += quantity;
  order.cumulativeQuoteQty += notional;
  return { notional, fee, feeAsset: instrument.quote };
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
