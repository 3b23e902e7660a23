/**
 * Futures risk in the kernel: liquidation on the mark price and funding payments.
 *
 * Liquidation (Binance USD-M, "Liquidation Protocols" and "How to Calculate Liquidation Price of
 * USDⓈ-M Futures Contracts"):
 * - isolated: when margin + uPnL(mark) ≤ maintenance margin(mark) = |size|·mark·MMR − cum, with the
 *   bracket of the notional at the mark. This is the condition the published liquidation price
 *   solves, so the position goes exactly when the mark crosses that price;
 * - cross: when wallet + Σ uPnL ≤ Σ maintenance margin: every position of the account goes; the
 *   liquidation price shown is the cross formula (accounts/liquidation-price.ts).
 * What happens: the account's open orders on the symbol are cancelled; a clearance fee of
 * `liquidationFeeRate` × |size| × mark is charged from what is left of the margin (isolated) or of
 * the account's equity (cross), never more ("Liquidation Protocols": the remaining collateral pays
 * the insurance clearance fee); the
 * position closes at the bankruptcy price, where the margin net of that fee is exhausted:
 *   BP = EP − (margin − fee)/|size| (long), EP + (margin − fee)/|size| (short).
 * So an isolated position loses exactly its margin, as on the exchange; a loss beyond it (a gap
 * through the bankruptcy price) is the insurance fund's, not the trader's.
 *
 * Funding: at each funding time, every open position pays |size| × mark × rate (rounded half-up
 * to the commission precision): a positive rate, longs pay and shorts receive. Isolated positions
 * pay from their margin (then cash), cross positions from cash (then their margin); never more than
 * the wallet holds (what is beyond is the insurance fund's), and a position the payment brings to
 * its maintenance margin is liquidated at once.
 */
import { abs, formatFixed, max, min, mul, ONE, roundToDecimals, type Fixed } from '../money/fixed.js';
import type { FuturesAccount } from '../accounts/futures-account.js';
import { liquidationPriceOf } from '../accounts/liquidation-price.js';
import { bankruptcyPrice, maintenanceMargin, notional, tierFor, unrealizedPnl, type Position } from '../accounts/position.js';
import type { Instrument } from '../instruments/instrument.js';
import { positionEvent } from '../accounts/position-events.js';
import type { Market } from '../matching/market.js';
import type { MatchingEngine } from '../matching/matching-engine.js';
import type { KernelEvent } from './events.js';

export interface RiskContext {
  readonly now: number;
  readonly engine: MatchingEngine;
  /** Per position, the range of marks last proven safe (`SafeRange`): the kernel state's own, never in a snapshot (a restored state proves again). */
  readonly safeRanges: WeakMap<Position, SafeRange>;
  emit(event: KernelEvent): void;
  market(symbol: string): Market;
  mark(symbol: string): Fixed | undefined;
}

/** Liquidates what the mark of `market` now puts under maintenance (spot accounts among `accounts` are passed over). */
export function checkLiquidations(ctx: RiskContext, market: Market, accounts: Iterable<FuturesAccount | { readonly kind: 'spot' }>): void {
  const mark = market.mark;
  if (mark === undefined) return;
  for (const account of accounts) {
    if (account.kind !== 'futures') continue;
    const position = account.positions.get(market.instrument.symbol);
    if (position === undefined || position.size === 0n) continue;
    if (account.marginMode === 'isolated') {
      if (provenSafe(ctx.safeRanges, position, position.margin, mark)) continue;
      const balance = position.margin + unrealizedPnl(position, mark);
      const maintenance = maintenanceMargin(market.instrument, position.size, mark);
      if (balance <= maintenance) liquidate(ctx, account, position, balance);
      else prove(ctx.safeRanges, position, position.margin, mark, balance - maintenance, market.instrument);
      continue;
    }
    const wallet = soleWallet(account, position);
    if (wallet !== undefined && provenSafe(ctx.safeRanges, position, wallet, mark)) continue;
    let maintenance = 0n;
    for (const p of account.openPositions()) {
      const m = ctx.mark(p.symbol);
      if (m !== undefined) maintenance += maintenanceMargin(ctx.market(p.symbol).instrument, p.size, m);
    }
    const equity = account.equity(ctx.mark);
    if (wallet !== undefined && equity > maintenance) prove(ctx.safeRanges, position, wallet, mark, equity - maintenance, market.instrument);
    if (equity <= maintenance) {
      // What is left of the account's equity pays each position's clearance fee in turn (gains are
      // closed first, so that they cover losses before the insurance fund does); the fee is charged
      // while equity remains, whatever the position's own margin + uPnL.
      let left = equity;
      const byPnl = account.openPositions().map((p) => [p, unrealizedPnl(p, ctx.mark(p.symbol)!)] as const).sort((a, b) => (a[1] > b[1] ? -1 : a[1] < b[1] ? 1 : 0));
      for (const [p] of byPnl) left -= liquidate(ctx, account, p, left);
    }
  }
}

/**
 * A range of marks over which a position cannot be under maintenance, proven at one mark `at` where
 * it was not, for as long as the position (size, entry) and `base` stay as they were: base + uPnL(m)
 * > MM(m) is the liquidation check with base = the isolated margin, or the cross wallet when the
 * position is the account's only open one (equity = wallet + its uPnL, maintenance = its MM).
 * Why it holds, with s the size, n(m) = |s|·m and MM(m) = max(0, n·r − cum) at the tier of n(at),
 * each rounded to the unit (half-up, MM up), while n(m) stays in that tier (`bound`) and 0 ≤ r:
 * - moving in the position's favour, uPnL rises and (short) n and MM fall, each rounding monotone:
 *   a short stays as safe as at `at`;
 * - a long's MM rises too, but by at most (rise of |s|·m)·r + 2 units while uPnL rises by that
 *   rise − 1 unit: with r ≤ 1 the margin above MM falls by at most 3 units, so a margin of 4 units
 *   or more at `at` proves every higher mark.
 * Toward the position's loss nothing is proven: the full check runs (a new proof then starts there).
 * Most marks of a candle bar land in the proven range: the check then costs a few comparisons
 * instead of three bigint divisions and a sorted copy of the positions.
 */
export interface SafeRange {
  readonly base: Fixed;
  readonly size: Fixed;
  readonly entry: Fixed;
  /** The mark proven at: marks at or beyond it in the position's favour are safe. */
  readonly at: Fixed;
  /** The last mark (long: highest, short: lowest) at which the notional stays in the tier of `at`; undefined: no limit. */
  readonly bound: Fixed | undefined;
}

function provenSafe(ranges: WeakMap<Position, SafeRange>, position: Position, base: Fixed, mark: Fixed): boolean {
  const range = ranges.get(position);
  if (range === undefined || range.base !== base || range.size !== position.size || range.entry !== position.entryPrice) return false;
  return position.size > 0n ? mark >= range.at && (range.bound === undefined || mark <= range.bound) : mark <= range.at && (range.bound === undefined || mark >= range.bound);
}

/** Records the range proven by `margin` (base + uPnL − MM > 0) at `mark`, when it proves one (see SafeRange). */
function prove(ranges: WeakMap<Position, SafeRange>, position: Position, base: Fixed, mark: Fixed, margin: Fixed, instrument: Instrument): void {
  const long = position.size > 0n;
  const tiers = instrument.marginTiers;
  if (tiers === undefined || tiers.length === 0 || (long && margin < 4n)) return;
  const size = abs(position.size);
  const n = notional(size, mark);
  const t = tiers.indexOf(tierFor(instrument, n));
  const rate = tiers[t]!.maintenanceMarginRate;
  if (rate < 0n || (long && rate > ONE)) return;
  let bound: Fixed | undefined;
  if (long) {
    // Every notional from n(mark) up selects tier t while below its cap (n ≥ every earlier cap already); the last tier has no cap.
    // m ≤ (cap − 2)/|s| keeps |s|·m ≤ cap − 2, so its rounding stays below the cap.
    if (t < tiers.length - 1) bound = ((tiers[t]!.notionalCap - 2n) * ONE) / size;
  } else {
    // Down to where the notional reaches back to an earlier tier's cap: m ≥ (cap + 1)/|s| keeps it at or above the cap.
    let below = -1n;
    for (let j = 0; j < t; j += 1) if (tiers[j]!.notionalCap > below) below = tiers[j]!.notionalCap;
    if (below >= 0n) bound = ((below + 1n) * ONE + size - 1n) / size;
  }
  ranges.set(position, { base, size: position.size, entry: position.entryPrice, at: mark, bound });
}

/** A cross account's wallet when `position` is its only open position; undefined otherwise. */
function soleWallet(account: FuturesAccount, position: Position): Fixed | undefined {
  let margins = 0n;
  for (const p of account.positions.values()) {
    if (p !== position && p.size !== 0n) return undefined;
    margins += p.margin;
  }
  return account.cash + margins + account.reserved;
}

/**
 * Closes one position at its bankruptcy price; `balance` caps the clearance fee: margin + uPnL at the
 * mark (isolated), what is left of the account's equity (cross). Returns the fee charged.
 */
function liquidate(ctx: RiskContext, account: FuturesAccount, position: Position, balance: Fixed): Fixed {
  const market = ctx.market(position.symbol);
  const instrument = market.instrument;
  const mark = market.mark!;
  ctx.engine.cancelAll(market, account.id, 'LIQUIDATION');
  const liquidationPrice = liquidationPriceOf(account, position, instrument, (symbol) => ctx.market(symbol).instrument, ctx.mark);
  const rate = instrument.liquidationFeeRate ?? 0n;
  const wanted = roundToDecimals(mul(mul(abs(position.size), mark, 'up'), rate, 'up'), instrument.quoteCommissionPrecision, 'ceil');
  const fee = balance > 0n ? min(wanted, balance) : 0n;
  const lost = position.margin;
  // Cross: a loss beyond the wallet is the insurance fund's, so the close books at most what is left.
  const realized = account.marginMode === 'isolated' ? fee - position.margin : max(unrealizedPnl(position, mark), fee - position.margin - account.cash);
  const bankruptcy = account.marginMode === 'isolated' ? bankruptcyPrice(position, fee) : mark;
  const direction = position.size > 0n ? 'LONG' : 'SHORT';
  const size = abs(position.size);
  const entry = position.entryPrice;

  account.cash += position.margin + realized - fee;
  account.ledger.realizedPnl += realized;
  account.ledger.fees += fee;
  position.realizedPnl += realized;
  position.feesPaid += fee;
  position.margin = 0n;
  position.size = 0n;
  ctx.emit({
    type: 'LIQUIDATION',
    at: ctx.now,
    account: account.id,
    symbol: position.symbol,
    positionId: position.id,
    direction,
    size: formatFixed(size),
    entryPrice: formatFixed(entry),
    markPrice: formatFixed(mark),
    ...(liquidationPrice !== undefined ? { liquidationPrice: formatFixed(liquidationPrice) } : {}),
    bankruptcyPrice: formatFixed(roundToDecimals(bankruptcy, 8, 'half-up')),
    liquidationFee: formatFixed(fee),
    realizedPnl: formatFixed(realized),
    marginLost: formatFixed(lost),
  });
  const closed = { ...position, entryPrice: entry };
  ctx.emit(positionEvent('POSITION_CLOSED', account.id, closed, ctx.now, instrument, ctx.mark));
  return fee;
}

/**
 * Takes a funding payment (negative: received) from the wallet: an isolated position's margin first,
 * then cash; a cross account's cash first, then the position's margin. A payment beyond the wallet
 * is not taken (the insurance fund's). Returns what was paid.
 */
function charge(account: FuturesAccount, position: Position, wanted: Fixed): Fixed {
  if (wanted <= 0n) {
    if (account.marginMode === 'isolated') position.margin -= wanted;
    else account.cash -= wanted;
    return wanted;
  }
  const isolated = account.marginMode === 'isolated';
  const first = isolated ? position.margin : account.cash;
  const second = isolated ? account.cash : position.margin;
  const fromFirst = min(wanted, max(first, 0n));
  const fromSecond = min(wanted - fromFirst, max(second, 0n));
  if (isolated) {
    position.margin -= fromFirst;
    account.cash -= fromSecond;
  } else {
    account.cash -= fromFirst;
    position.margin -= fromSecond;
  }
  return fromFirst + fromSecond;
}

/** Applies one funding rate to every open position on the market. */
export function applyFunding(ctx: RiskContext, market: Market, rate: Fixed, accounts: Iterable<FuturesAccount>): void {
  const mark = market.mark;
  if (mark === undefined) return;
  const symbol = market.instrument.symbol;
  const all = [...accounts];
  for (const account of all) {
    const position = account.positions.get(symbol);
    if (position === undefined || position.size === 0n) continue;
    const magnitude = roundToDecimals(mul(mul(abs(position.size), mark, 'half-up'), rate, 'half-up'), market.instrument.quoteCommissionPrecision, 'half-up');
    const paid = charge(account, position, position.size > 0n ? magnitude : -magnitude);
    account.ledger.funding += paid;
    position.totalFundingPaid += paid;
    ctx.emit({
      type: 'FUNDING',
      at: ctx.now,
      account: account.id,
      symbol,
      positionId: position.id,
      rate: formatFixed(rate),
      markPrice: formatFixed(mark),
      amount: formatFixed(paid),
      totalFundingPaid: formatFixed(position.totalFundingPaid),
    });
  }
  // A payment can take a position's margin to its maintenance level: it goes as a mark move would.
  checkLiquidations(ctx, market, all);
}
