/**
 * A one-way USDT-margined perpetual position and the exchange's formulas for it (Binance USD-M).
 *
 * Guarantees:
 * - `size` is signed (long > 0, short < 0); entry price is the size-weighted average of opening
 *   fills (rounded half-up at 18 digits); reducing never changes the entry price;
 * - realized PnL of a close = side × closed size × (fill price − entry price), exact;
 * - maintenance margin = |size| × mark × MMR − cum, with the bracket of the position's notional;
 * - liquidation price (isolated) solves margin + uPnL(LP) = MM(LP), re-checking the bracket at LP
 *   (Binance FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures Contracts").
 * Not modelled: hedge mode (two positions per symbol), ADL, the insurance fund's own balance.
 */
import { abs, div, divRound, mul, ONE, type Fixed } from '../money/fixed.js';
import type { Instrument, MarginTier } from '../instruments/instrument.js';

export type MarginMode = 'isolated' | 'cross';

export interface Position {
  readonly symbol: string;
  /** Signed size in base units: long > 0, short < 0. */
  size: Fixed;
  entryPrice: Fixed;
  leverage: number;
  /** Isolated margin (wallet balance of the position); in cross mode, the initial margin in use. */
  margin: Fixed;
  realizedPnl: Fixed;
  totalFundingPaid: Fixed;
  feesPaid: Fixed;
  openedAt: number;
  /** Increments each time a position on this symbol is opened anew. */
  readonly id: string;
}

export function sideOf(size: Fixed): 1n | -1n {
  return size >= 0n ? 1n : -1n;
}

export function unrealizedPnl(position: Position, mark: Fixed): Fixed {
  return mul(position.size, mark - position.entryPrice, 'half-up');
}

export function notional(size: Fixed, price: Fixed): Fixed {
  return mul(abs(size), price, 'half-up');
}

export function tierFor(instrument: Instrument, positionNotional: Fixed): MarginTier {
  const tiers = instrument.marginTiers;
  if (tiers === undefined || tiers.length === 0) throw new Error(`${instrument.symbol} has no margin tiers`);
  for (const tier of tiers) if (positionNotional < tier.notionalCap) return tier;
  return tiers[tiers.length - 1]!;
}

export function maintenanceMargin(instrument: Instrument, size: Fixed, mark: Fixed): Fixed {
  const n = notional(size, mark);
  const tier = tierFor(instrument, n);
  const mm = mul(n, tier.maintenanceMarginRate, 'up') - tier.maintenanceAmount;
  return mm > 0n ? mm : 0n;
}

/** Highest leverage the instrument allows for a position of this notional. */
export function maxLeverageFor(instrument: Instrument, positionNotional: Fixed): number {
  return tierFor(instrument, positionNotional).maxLeverage;
}

/**
 * The largest position notional `leverage` allows (Binance USD-M `maxNotionalValue`): the cap of the
 * last margin tier whose maximum leverage reaches it; 0 when none does, undefined when the instrument
 * has no margin tiers.
 */
export function maxNotionalAt(instrument: Instrument, leverage: number): Fixed | undefined {
  const tiers = instrument.marginTiers;
  if (tiers === undefined || tiers.length === 0) return undefined;
  let cap = 0n;
  for (const tier of tiers) if (tier.maxLeverage >= leverage) cap = tier.notionalCap;
  return cap;
}

/**
 * Isolated liquidation price: long LP = (Q·EP − WB − cum) / (Q·(1 − MMR)),
 * short LP = (Q·EP + WB + cum) / (Q·(1 + MMR)), with the bracket that contains LP's notional.
 * Undefined when the position cannot be liquidated (LP ≤ 0).
 */
export function isolatedLiquidationPrice(instrument: Instrument, position: Position): Fixed | undefined {
  if (position.size === 0n) return undefined;
  const q = abs(position.size);
  const long = position.size > 0n;
  const cost = mul(q, position.entryPrice, 'half-up');
  for (const tier of instrument.marginTiers ?? []) {
    const numerator = long ? cost - position.margin - tier.maintenanceAmount : cost + position.margin + tier.maintenanceAmount;
    const denominator = mul(q, long ? ONE - tier.maintenanceMarginRate : ONE + tier.maintenanceMarginRate, 'half-up');
    if (denominator <= 0n) continue;
    const lp = div(numerator, denominator, 'half-up');
    if (lp <= 0n) return undefined;
    const n = mul(q, lp, 'half-up');
    if (n >= tier.notionalFloor && n < tier.notionalCap) return lp;
  }
  return undefined;
}

/** The price at which the position's margin (net of `fee`) is exhausted: EP ∓ (margin − fee) / Q. */
export function bankruptcyPrice(position: Position, fee: Fixed): Fixed {
  const q = abs(position.size);
  const cushion = div(position.margin - fee, q, 'half-up');
  return position.size > 0n ? position.entryPrice - cushion : position.entryPrice + cushion;
}

export interface FillEffect {
  /** Base quantity that reduced an existing position. */
  readonly closed: Fixed;
  /** Base quantity that opened or increased a position. */
  readonly opened: Fixed;
  readonly realizedPnl: Fixed;
  /** Margin released by the closed part. */
  readonly releasedMargin: Fixed;
  /** True when the fill closed the position entirely (then perhaps opened the other way). */
  readonly closedAll: boolean;
}

/**
 * Applies a fill of signed quantity `delta` (buy > 0, sell < 0) at `price`; the caller adds the
 * margin of the opened part. Returns what happened so the account can move its money.
 */
export function applyFill(position: Position, delta: Fixed, price: Fixed): FillEffect {
  let closed = 0n;
  let realized = 0n;
  let released = 0n;
  let closedAll = false;
  if (position.size !== 0n && sideOf(position.size) !== sideOf(delta)) {
    const q = abs(position.size);
    closed = abs(delta) < q ? abs(delta) : q;
    realized = mul(sideOf(position.size) * closed, price - position.entryPrice, 'half-up');
    released = closed === q ? position.margin : div(mul(position.margin, closed, 'down'), q, 'down');
    position.size += sideOf(delta) * closed;
    position.margin -= released;
    position.realizedPnl += realized;
    if (position.size === 0n) {
      closedAll = true;
      position.entryPrice = 0n;
    }
  }
  const opened = abs(delta) - closed;
  if (opened > 0n) {
    const q = abs(position.size);
    // The size-weighted average, rounded once: (q × entry + opened × price) / (q + opened), exact products.
    position.entryPrice = q === 0n ? price : divRound(q * position.entryPrice + opened * price, q + opened, 'half-up');
    position.size += sideOf(delta) * opened;
  }
  return { closed, opened, realizedPnl: realized, releasedMargin: released, closedAll };
}
