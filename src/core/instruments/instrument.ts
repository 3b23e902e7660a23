/**
 * Instrument specifications: the exchange rules an order must satisfy and the fees it pays.
 *
 * Guarantees: every size is a Fixed; `validateInstrument` rejects a spec whose numbers cannot work
 * (non-positive tick or step, minimum above maximum, tiers out of order).
 */
import type { Fixed } from '../money/fixed.js';

export type MarketKind = 'spot' | 'perpetual';

/** One notional bracket of a perpetual's margin table (Binance "leverage bracket"). */
export interface MarginTier {
  /** Upper bound of the position notional in this bracket (exclusive of the next). */
  readonly notionalCap: Fixed;
  readonly notionalFloor: Fixed;
  readonly maxLeverage: number;
  /** Maintenance margin rate, e.g. 0.004. */
  readonly maintenanceMarginRate: Fixed;
  /** Maintenance amount ("cum"), so that MM = notional × rate − amount is continuous. */
  readonly maintenanceAmount: Fixed;
}

/**
 * A price band around a reference price: a BUY's limit price must lie in
 * [reference × bidDown, reference × bidUp], a SELL's in [reference × askDown, reference × askUp].
 * Binance spot's PERCENT_PRICE_BY_SIDE (PERCENT_PRICE is the same with both sides equal) uses the
 * volume-weighted average price of the last `averageMinutes` minutes; Binance USD-M's PERCENT_PRICE
 * uses the mark price.
 */
export interface PriceBand {
  readonly reference: 'average' | 'mark';
  readonly bidUp: Fixed;
  readonly bidDown: Fixed;
  readonly askUp: Fixed;
  readonly askDown: Fixed;
  /** Minutes the average price is taken over (reference 'average'); 0: the last trade price. */
  readonly averageMinutes: number;
}

/** Bounds of a trailing stop's callback rate, as fractions (0.001 = 0.1 %), both inclusive. */
export interface TrailingBounds {
  readonly min: Fixed;
  readonly max: Fixed;
}

export interface Instrument {
  /** The exchange's own symbol, e.g. `BTCUSDT`; unique within one engine. */
  readonly symbol: string;
  readonly exchange: string;
  readonly market: MarketKind;
  readonly base: string;
  readonly quote: string;
  readonly tickSize: Fixed;
  /** Lowest and highest price (and stop price) an order may name, where the exchange sets them (PRICE_FILTER). */
  readonly minPrice?: Fixed;
  readonly maxPrice?: Fixed;
  readonly stepSize: Fixed;
  readonly minQty: Fixed;
  readonly maxQty: Fixed;
  /** Largest quantity of one MARKET order, where the exchange sets one. */
  readonly maxMarketQty?: Fixed;
  readonly minNotional: Fixed;
  /** Largest notional of one order, where the exchange sets one (MEXC `maxQuoteAmount`). */
  readonly maxNotional?: Fixed;
  /** Reduce-only orders need not reach `minNotional` (Binance USD-M: "unless you choose reduce only"). */
  readonly reduceOnlyExemptFromMinNotional?: boolean;
  /** Limit prices must lie in this band around the market (PERCENT_PRICE / PERCENT_PRICE_BY_SIDE). */
  readonly priceBand?: PriceBand;
  /** Trailing stops' callback rate bounds (spot TRAILING_DELTA, USD-M callbackRate 0.1 %–10 %). */
  readonly trailingBounds?: TrailingBounds;
  /** Fee rates as fractions (0.001 = 0.1 %). */
  readonly makerFee: Fixed;
  readonly takerFee: Fixed;
  /** The asset spot fees are charged in: the one received (Binance) or always the quote (MEXC). */
  readonly feeAsset: 'received' | 'quote';
  /** Fractional digits fees are charged in, per asset (fees round up to these). */
  readonly baseCommissionPrecision: number;
  readonly quoteCommissionPrecision: number;
  /**
   * Open orders one account may have on this symbol, where the exchange caps them (Binance
   * MAX_NUM_ORDERS, which counts conditional orders too), and of those, conditional orders still
   * waiting for their trigger (Binance MAX_NUM_ALGO_ORDERS).
   */
  readonly maxNumOrders?: number;
  readonly maxNumAlgoOrders?: number;
  readonly maxLeverage?: number;
  readonly marginTiers?: readonly MarginTier[];
  /** Liquidation clearance fee rate, charged on the liquidated notional. */
  readonly liquidationFeeRate?: Fixed;
  /** Where the spec came from. */
  readonly source: string;
}

export class InstrumentSpecError extends Error {
  override readonly name = 'InstrumentSpecError';
}

export function validateInstrument(spec: Instrument): Instrument {
  const fail = (why: string): never => {
    throw new InstrumentSpecError(`${spec.exchange} ${spec.symbol}: ${why}`);
  };
  if (spec.tickSize <= 0n) fail('tick size must be positive');
  if (spec.stepSize <= 0n) fail('step size must be positive');
  if (spec.minQty < 0n || spec.minQty > spec.maxQty) fail('minimum quantity must lie in [0, max]');
  if (spec.minNotional < 0n) fail('minimum notional must not be negative');
  if (spec.minPrice !== undefined && spec.minPrice < 0n) fail('minimum price must not be negative');
  if (spec.maxPrice !== undefined && spec.maxPrice <= (spec.minPrice ?? 0n)) fail('maximum price must exceed the minimum');
  const band = spec.priceBand;
  if (band !== undefined) {
    if (band.bidDown <= 0n || band.askDown <= 0n || band.bidUp <= band.bidDown || band.askUp <= band.askDown) fail('a price band needs 0 < down < up on each side');
    if (!Number.isInteger(band.averageMinutes) || band.averageMinutes < 0) fail('a price band averages over a whole number of minutes');
  }
  const trailing = spec.trailingBounds;
  if (trailing !== undefined && (trailing.min <= 0n || trailing.max < trailing.min || trailing.max >= 10n ** 18n)) fail('trailing bounds must satisfy 0 < min <= max < 1');
  if (spec.makerFee < 0n && spec.makerFee < -spec.takerFee) fail('a maker rebate larger than the taker fee');
  if (spec.market === 'perpetual') {
    const tiers = spec.marginTiers ?? [];
    if (tiers.length === 0) fail('a perpetual needs margin tiers');
    let floor = 0n;
    for (const tier of tiers) {
      if (tier.notionalFloor !== floor) fail('margin tiers must be contiguous from 0');
      if (tier.notionalCap <= tier.notionalFloor) fail('margin tier cap must exceed its floor');
      floor = tier.notionalCap;
    }
  }
  return spec;
}
