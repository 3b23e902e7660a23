/**
 * The fee model: the fee of every fill, spot and futures, computed in one place (docs/adr/0016).
 *
 * Guarantees:
 * - the asset charged is the exchange's: on spot, the asset received (Binance) or always the quote
 *   (MEXC, or an account that asks for it); on futures, the settlement asset;
 * - the rate is the account's override, else the instrument's default, maker or taker by the fill;
 * - an order's fees are rounded once: after fill k its cumulative fee is
 *   F_k = ceil_p(Σ_{j≤k} amount_j × rate_j), the sum kept exactly (bigint at 10^36), ceil_p rounding
 *   toward +∞ to the fee asset's commission precision p; fill k is charged F_k − F_{k−1};
 * - what an order reserves for fees, ceil_p(exact so far + remaining amount × worst rate) − F_k, is
 *   never less than what its remaining fills can be charged, so no sequence of fills overdraws.
 * Not modelled: fee discounts (BNB, MX), VIP tiers, rebates beyond a negative maker rate.
 * Cost: two bigint multiplications and one division per fill.
 */
import { divRound, pow10, SCALE, SCALE_DIGITS, type Fixed } from '../money/fixed.js';
import type { Instrument } from '../instruments/instrument.js';
import type { Liquidity, Order, Side } from '../orders/order.js';

/** Which asset spot fees are charged in: the asset received (Binance) or always the quote (MEXC). */
export type FeeAssetMode = 'received' | 'quote';

/** An account's fee terms; absent fields take the instrument's defaults. */
export interface FeeSchedule {
  /** Overrides of the instrument's rates, as fractions. */
  readonly maker?: Fixed;
  readonly taker?: Fixed;
  /** Absent = as the exchange charges (the instrument's `feeAsset`). */
  readonly feeAsset?: FeeAssetMode;
}

/** Where a fill's fee is charged and on what. */
export interface FeeBasis {
  readonly asset: string;
  /** Commission precision of `asset` (fractional digits). */
  readonly decimals: number;
  /** True when the fee is a share of the base quantity (Binance buys); otherwise of the notional. */
  readonly onBase: boolean;
}

/** The cumulative fee state an order carries between fills. */
export interface OrderFees {
  /** Σ amount × rate of the order's fills so far, exact, scaled by 10^36. */
  feeExact: bigint;
  /** Σ of the fees charged so far: ceil_p(feeExact). */
  feeCharged: Fixed;
}

export interface FillFee {
  readonly fee: Fixed;
  readonly feeExact: bigint;
  readonly feeCharged: Fixed;
}

const PRODUCT_DIGITS = 2 * SCALE_DIGITS;

export function feeRate(fees: FeeSchedule, instrument: Instrument, liquidity: Liquidity): Fixed {
  return liquidity === 'MAKER' ? (fees.maker ?? instrument.makerFee) : (fees.taker ?? instrument.takerFee);
}

/** The higher of the two rates: what a resting order reserves its fee at. */
export function worstFeeRate(fees: FeeSchedule, instrument: Instrument): Fixed {
  const maker = feeRate(fees, instrument, 'MAKER');
  const taker = feeRate(fees, instrument, 'TAKER');
  return maker > taker ? maker : taker;
}

export function feeAssetMode(fees: FeeSchedule, instrument: Instrument): FeeAssetMode {
  return fees.feeAsset ?? instrument.feeAsset;
}

/** Spot: the base asset on a buy when fees are taken from what is received, else the quote. */
export function spotFeeBasis(fees: FeeSchedule, instrument: Instrument, side: Side): FeeBasis {
  return side === 'BUY' && feeAssetMode(fees, instrument) === 'received'
    ? { asset: instrument.base, decimals: instrument.baseCommissionPrecision, onBase: true }
    : { asset: instrument.quote, decimals: instrument.quoteCommissionPrecision, onBase: false };
}

/** Futures: always the settlement asset, on the notional. */
export function futuresFeeBasis(settleAsset: string, instrument: Instrument): FeeBasis {
  return { asset: settleAsset, decimals: instrument.quoteCommissionPrecision, onBase: false };
}

/** ceil_p of an exact amount scaled by 10^36, as a Fixed. */
export function ceilToPrecision(exact: bigint, decimals: number): Fixed {
  const units = divRound(exact, pow10(PRODUCT_DIGITS - decimals), 'ceil');
  return units * pow10(SCALE_DIGITS - decimals);
}

/** One unit of a commission precision (0.01 for cents). */
export function feeUnit(decimals: number): Fixed {
  return pow10(SCALE_DIGITS - decimals);
}

/**
 * The fee of one fill of `amount` (base quantity or notional, per the basis) at `rate`, given the
 * order's cumulative state; returns the new state without changing the order.
 */
export function fillFee(order: OrderFees, amount: Fixed, rate: Fixed, decimals: number): FillFee {
  const feeExact = order.feeExact + amount * rate;
  const feeCharged = ceilToPrecision(feeExact, decimals);
  return { fee: feeCharged - order.feeCharged, feeExact, feeCharged };
}

/** Records a fill's fee on the order. */
export function applyFillFee(order: Order, fill: FillFee): void {
  order.feeExact = fill.feeExact;
  order.feeCharged = fill.feeCharged;
}

/**
 * What an order must keep reserved for the fees of its remaining `amount` at `worstRate`:
 * ceil_p(exact so far + amount × worstRate) − charged so far. For a new order, ceil_p(amount × rate).
 */
export function feeReserve(order: OrderFees, amount: Fixed, worstRate: Fixed, decimals: number): Fixed {
  const reserve = ceilToPrecision(order.feeExact + amount * worstRate, decimals) - order.feeCharged;
  return reserve > 0n ? reserve : 0n;
}

/** A whole fee on `amount` at `rate`, rounded once (a one-shot estimate, e.g. a market order's check). */
export function wholeFee(amount: Fixed, rate: Fixed, decimals: number): Fixed {
  return ceilToPrecision(amount * rate, decimals);
}

export const NO_FEES_YET: OrderFees = { feeExact: 0n, feeCharged: 0n };

/** Exposed for tests and ADR examples: the exact fee sum as a decimal Fixed rounded up at 18 digits. */
export function exactAsFixed(exact: bigint): Fixed {
  return divRound(exact, SCALE, 'ceil');
}
