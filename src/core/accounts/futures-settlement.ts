/**
 * The `Settlement` of a futures account (USD-M perpetuals, one-way mode).
 *
 * Guarantees:
 * - an order reserves initial margin for the part of its remainder that would open or increase the
 *   position (open-order-margin.ts: against the position, the orders on the other side share its
 *   size in placement order) at its leverage (price × qty / lev), plus the fee model's reserve of
 *   that part's notional at the worst rate; a stop-market order (not reduce-only) reserves the same
 *   at its trigger price, as NautilusTrader's margin accounts do, and is checked again against its
 *   funds when it triggers. After every change of the position or of the orders sharing it (each
 *   walk, each resting fill, each stop triggered to the market, each end of such an order)
 *   `followPosition` sizes every open order of
 *   the account on the symbol again by that rule, so Σ reservations = Σ opening parts' needs after
 *   every input; an order whose larger need the free cash cannot cover is ended by the engine
 *   (docs/adr/0074-open-order-margin-follows-the-position.md);
 * - reduce-only orders reserve nothing, are never refused for
 *   funds (market ones included: the fee comes from what the close releases) and never open or flip
 *   a position; a market order is checked for the part that opens beyond the position only (one-way
 *   mode: the part that closes needs no margin, as a crossing limit order's taker check counts it);
 * - a fill first reduces an opposite position (realized PnL and its margin return to cash), then
 *   opens or adds with margin = price × qty / leverage, taken from the order's reservation;
 * - fees come from the fee model (matching/fee-model.ts): notional × rate in the settlement asset,
 *   rounded once per order.
 * - a position's feesPaid holds the fee of every fill on it, booked before the fill's position
 *   events are built: POSITION_CLOSED carries the closing fee (a flip's whole fee stays with the
 *   position it closed).
 * - a fill never leaves the free cash negative: a realized loss + fee beyond it is paid from the
 *   position's margin, then by the insurance fund (reported as the fill's `insuranceCovered`).
 * Not modelled: Binance's "open loss" surcharge on order cost.
 */
import { divRound, formatFixed, mul, roundToDecimals, type Fixed } from '../money/fixed.js';
import { applyFillFee, feeRate, feeReserve, fillFee, futuresFeeBasis, wholeFee, worstFeeRate } from '../matching/fee-model.js';
import type { Instrument } from '../instruments/instrument.js';
import type { KernelEvent, PositionEvent } from '../kernel/events.js';
import type { MarketBudget, Settlement, SettledFill } from '../matching/settlement.js';
import type { WalkPlan } from '../matching/taker-walk.js';
import { isOpenStatus } from '../orders/order-status.js';
import { executionType, isConditional, remainingQty, type Liquidity, type Order } from '../orders/order.js';
import { rejection, type Rejection } from '../orders/rejection.js';
import type { FuturesAccount } from './futures-account.js';
import { applyFill, sideOf, type Position } from './position.js';
import { positionEvent, type PositionContext } from './position-events.js';
import { conditionalReservePrice } from './spot-settlement.js';
import { against, openingQuantities, takesShare } from './open-order-margin.js';

const fmt = (v: Fixed): string => formatFixed(v);

export class FuturesOrderSettlement implements Settlement {
  constructor(
    private readonly account: FuturesAccount,
    private readonly instrument: Instrument,
    private readonly now: () => number,
    private readonly mark: (symbol: string) => Fixed | undefined,
    /** The market's price for sizing a trailing stop's reservation (mark, else last trade). */
    private readonly marketPrice: () => Fixed | undefined = () => undefined,
    /** Instruments of the account's other positions (a cross liquidation price depends on them). */
    private readonly instrumentOf: (symbol: string) => Instrument | undefined = (symbol) => (symbol === instrument.symbol ? instrument : undefined),
    /** The account's open orders on the symbol, in any order (read, never kept). */
    private readonly openOrders: () => readonly Order[] = () => [],
  ) {}

  private get context(): PositionContext {
    return { account: this.account, instrumentOf: this.instrumentOf, markOf: this.mark };
  }

  private rate(liquidity: Liquidity): Fixed {
    return feeRate(this.account.fees, this.instrument, liquidity);
  }

  private get feeDecimals(): number {
    return futuresFeeBasis(this.account.settleAsset, this.instrument).decimals;
  }

  /** notional ÷ leverage, up, then up to the settle asset's precision (÷ L as a Fixed is ÷ L as an integer: no scaling). */
  private marginFor(notional: Fixed, order: Order, leverage = order.leverage): Fixed {
    return roundToDecimals(divRound(notional, BigInt(leverage), 'up'), this.instrument.quoteCommissionPrecision, 'ceil');
  }

  /** What the remainder of an open order keeps reserved (market-executing orders: what they hold). */
  private required(order: Order): Fixed {
    if (!isOpenStatus(order.status) || order.reduceOnly) return 0n;
    return this.requiredOpen(order);
  }

  /**
   * `required` of an order taken as open and not reduce-only: its whole remainder's margin and fee
   * reserve, the most it can need; `followPosition` then takes it down to its opening part.
   */
  private requiredOpen(order: Order): Fixed {
    if (executionType(order.type) === 'MARKET') return order.locked;
    const notional = mul(order.price!, remainingQty(order), 'up');
    return this.marginFor(notional, order) + feeReserve(order, notional, worstFeeRate(this.account.fees, this.instrument), this.feeDecimals);
  }

  /** What an order reserves when it arrives; undefined when a trailing stop has no price to size it yet. */
  private initial(order: Order): Fixed | undefined {
    if (order.reduceOnly || order.type === 'MARKET') return 0n;
    return this.reservationFor(order, this.openingOf(order), order.leverage);
  }

  /** The signed size of the account's position on the symbol (0 when flat). */
  private positionSize(): Fixed {
    return this.account.positions.get(this.instrument.symbol)?.size ?? 0n;
  }

  /** What of the remainder of `order` (open or arriving) would open or increase the position now (open-order-margin.ts). */
  private openingOf(order: Order): Fixed {
    const others = this.openOrders();
    const orders: Order[] = [];
    for (const o of others) if (o !== order) orders.push(o);
    orders.push(order);
    return openingQuantities(this.positionSize(), orders).get(order) ?? remainingQty(order);
  }

  /**
   * What an order whose reservation follows the position keeps for `opening` of its remainder at
   * `leverage`: a priced order, the margin of `opening` at its price and the fee reserve of that
   * notional at the worst rate (its fees so far counted); a conditional market order not yet
   * triggered, the same at its reserve price with the whole fee. Undefined when a trailing stop
   * has no price to size it. With `opening` = the remainder, what the order reserved before
   * reservations followed the position.
   */
  private reservationFor(order: Order, opening: Fixed, leverage: number): Fixed | undefined {
    const worst = worstFeeRate(this.account.fees, this.instrument);
    if (executionType(order.type) !== 'MARKET') {
      const notional = mul(order.price!, opening, 'up');
      return this.marginFor(notional, order, leverage) + feeReserve(order, notional, worst, this.feeDecimals);
    }
    const price = conditionalReservePrice(order, this.marketPrice(), this.instrument.tickSize);
    if (price === undefined) return undefined;
    const notional = mul(price, opening, 'up');
    return this.marginFor(notional, order, leverage) + wholeFee(notional, worst, this.feeDecimals);
  }

  /**
   * What the open order would keep reserved at `leverage`, by the rules it was reserved by: a priced
   * order's remainder (its margin at `leverage`, its fee reserve as it stands), a conditional market
   * order not yet triggered at its reserve price (a trailing stop without activation price at the
   * market price now). Orders whose reservation does not depend on the leverage keep theirs:
   * reduce-only orders (none), market orders and triggered conditional market orders (what they
   * hold; their fills are checked against the funds when they execute). Changes nothing.
   */
  reservationAt(order: Order, leverage: number): Fixed {
    if (!isOpenStatus(order.status) || order.reduceOnly) return order.locked;
    if (executionType(order.type) === 'MARKET' && (!isConditional(order.type) || order.triggered)) return order.locked;
    return this.reservationFor(order, this.openingOf(order), leverage) ?? order.locked;
  }

  /**
   * Whether the end of `order` (cancelled, expired, filled) can change what the account's other
   * open orders on the symbol reserve: it took a share of the position's offset (against the
   * position, not reduce-only, not executing at the market).
   */
  offsetShare(order: Order): boolean {
    return takesShare(order) && against(this.positionSize(), order.side);
  }

  /**
   * The reservation of each open order of the account on the symbol becomes what its opening part
   * against the position as it now stands needs (open-order-margin.ts). `arriving`: the order whose
   * walk or end prompted this, counted even before the account's list holds it (an order still
   * arriving). What is released goes back to the cash first; then what more the orders need is taken
   * from the cash, in placement order. The first order the cash cannot cover is returned untouched,
   * for the caller to end (its reservation then comes back and the shares are taken again); undefined
   * once every order holds what it needs. Never takes the cash below zero, never releases more than an
   * order holds. Cost: O(n log n) in the account's open orders on the symbol.
   */
  followPosition(arriving?: Order): Order | undefined {
    const listed = this.openOrders();
    const orders = arriving !== undefined && isOpenStatus(arriving.status) && !listed.includes(arriving) ? [...listed, arriving] : listed;
    if (orders.length === 0) return undefined;
    const opening = openingQuantities(this.positionSize(), orders);
    let short: Array<[Order, Fixed]> | undefined;
    for (const [order, quantity] of opening) {
      const target = this.reservationFor(order, quantity, order.leverage);
      if (target === undefined || target === order.locked) continue;
      if (target < order.locked) this.give(order, order.locked - target);
      else (short ??= []).push([order, target]);
    }
    for (const [order, target] of short ?? []) {
      const more = target - order.locked;
      if (more > this.account.cash) return order;
      this.take(order, more);
    }
    return undefined;
  }

  private take(order: Order, amount: Fixed): void {
    if (amount <= 0n) return;
    this.account.cash -= amount;
    this.account.reserved += amount;
    order.locked += amount;
  }

  private give(order: Order, amount: Fixed): void {
    if (amount <= 0n) return;
    if (amount > order.locked) throw new Error(`order ${order.id}: releasing more than it reserved`);
    order.locked -= amount;
    this.account.reserved -= amount;
    this.account.cash += amount;
  }

  /** Each leg of an OCO list reserves its own margin (reduce-only exits reserve none). */
  readonly sharesOcoReservation = false;

  reserve(order: Order): Rejection | undefined {
    if (order.reduceOnly) {
      const position = this.account.positions.get(order.symbol);
      const reduces = position !== undefined && position.size !== 0n && sideOf(position.size) !== (order.side === 'BUY' ? 1n : -1n);
      return reduces ? undefined : rejection('REDUCE_ONLY_REJECTED', 'no position for this order to reduce');
    }
    const need = this.initial(order);
    if (need === undefined) return rejection('INVALID_ORDER', 'no market price yet to size the trailing stop’s reservation; give an activationPrice');
    const available = this.account.available(this.mark);
    // Nothing to reserve (a market order): its funds are checked against what it fills (checkMarket).
    if (need > 0n && need > available) return rejection('INSUFFICIENT_BALANCE', `margin ${fmt(need)} ${this.account.settleAsset} needed, ${fmt(available)} available`);
    this.take(order, need);
    return undefined;
  }

  checkMarket(order: Order, plan: WalkPlan): Rejection | undefined {
    if (plan.quantity > 0n && plan.quote < this.instrument.minNotional && !order.reduceOnly) {
      return rejection('MIN_NOTIONAL', `${fmt(this.instrument.minNotional)} ${this.instrument.quote}`);
    }
    // A reduce-only order opens nothing: its fee is paid from what the close releases (see
    // coverShortfall), as a reduce-only limit's is, so a close is never refused for funds.
    if (order.reduceOnly) return undefined;
    // One-way mode: what closes the position needs no margin and pays its fee from what the close
    // releases, as a reduce-only order does; what opens beyond it needs its margin and fee. Margin is
    // taken per fill, each rounded up: reserve the sum of those, not the rounded total.
    const position = this.account.positions.get(order.symbol);
    const closes = position !== undefined && position.size !== 0n && sideOf(position.size) !== (order.side === 'BUY' ? 1n : -1n);
    let closable = closes ? (position.size < 0n ? -position.size : position.size) : 0n;
    let margin = 0n;
    let opening = 0n;
    for (const slice of plan.slices) {
      const closing = slice.quantity < closable ? slice.quantity : closable;
      closable -= closing;
      const notional = mul(slice.price, slice.quantity - closing, 'up');
      if (slice.quantity === closing) continue;
      margin += this.marginFor(notional, order);
      opening += notional;
    }
    const fee = wholeFee(opening, this.rate('TAKER'), this.feeDecimals);
    const need = margin + fee;
    const available = this.account.available(this.mark) + order.locked;
    if (need > 0n && need > available) return rejection('INSUFFICIENT_BALANCE', `margin ${fmt(need)} ${this.account.settleAsset} needed, ${fmt(available)} available`);
    this.take(order, need - order.locked);
    return undefined;
  }

  checkTaker(order: Order, plan: WalkPlan): Rejection | undefined {
    if (order.reduceOnly || plan.slices.length === 0) return undefined;
    // Margin for what the taker fills open (what they close needs none), the rest's margin at the
    // limit, and every fee at the worst rate.
    const position = this.account.positions.get(order.symbol);
    const closes = position !== undefined && position.size !== 0n && sideOf(position.size) !== (order.side === 'BUY' ? 1n : -1n);
    let closable = closes ? (position.size < 0n ? -position.size : position.size) : 0n;
    let takerMargin = 0n;
    for (const slice of plan.slices) {
      const closing = slice.quantity < closable ? slice.quantity : closable;
      closable -= closing;
      takerMargin += this.marginFor(mul(slice.price, slice.quantity - closing, 'up'), order);
    }
    const restNotional = mul(order.price!, remainingQty(order) - plan.quantity, 'up');
    const fees = feeReserve(order, plan.quote + restNotional, worstFeeRate(this.account.fees, this.instrument), this.feeDecimals);
    const need = takerMargin + this.marginFor(restNotional, order) + fees;
    const available = this.account.available(this.mark) + order.locked;
    if (need > available) return rejection('INSUFFICIENT_BALANCE', `margin ${fmt(need)} ${this.account.settleAsset} needed, ${fmt(available)} available`);
    this.take(order, need - order.locked);
    return undefined;
  }

  marketBudget(order: Order): MarketBudget | undefined {
    if (order.quoteOrderQty === undefined) return undefined;
    return { amount: order.quoteOrderQty - order.cumulativeQuoteQty, feeRate: this.rate('TAKER') };
  }

  fillableQty(order: Order, wanted: Fixed): Fixed {
    if (!order.reduceOnly) return wanted;
    const position = this.account.positions.get(order.symbol);
    if (position === undefined || position.size === 0n || sideOf(position.size) === (order.side === 'BUY' ? 1n : -1n)) return 0n;
    const size = position.size < 0n ? -position.size : position.size;
    return wanted < size ? wanted : size;
  }

  settle(order: Order, price: Fixed, quantity: Fixed, liquidity: Liquidity): SettledFill {
    const account = this.account;
    const at = this.now();
    const notional = mul(price, quantity, 'up');
    const charge = fillFee(order, notional, this.rate(liquidity), this.feeDecimals);
    const fee = charge.fee;
    // Built once the fill is fully booked (fee included), so that a cross position's liquidation
    // price sees the wallet after this fill; a flip's two events are about two position objects.
    const changed: Array<[PositionEvent['type'], Position]> = [];
    let delta = order.side === 'BUY' ? quantity : -quantity;
    let realized = 0n;
    let position = account.positionFor(order.symbol, at);
    const started = position;
    // A flip's whole fee is booked on the position it started from, and before any position event is
    // built: every event's feesPaid includes the fee of the fill that caused it (a close its closing fee).
    position.feesPaid += fee;

    if (position.size !== 0n && sideOf(position.size) !== sideOf(delta)) {
      const closing = -position.size;
      const step = (delta < 0n ? -delta : delta) <= (closing < 0n ? -closing : closing) ? delta : closing;
      const effect = applyFill(position, step, price);
      account.cash += effect.releasedMargin + effect.realizedPnl;
      account.ledger.realizedPnl += effect.realizedPnl;
      realized += effect.realizedPnl;
      delta -= step;
      changed.push([effect.closedAll ? 'POSITION_CLOSED' : 'POSITION_UPDATED', position]);
      if (effect.closedAll && delta !== 0n) position = account.positionFor(order.symbol, at);
    }
    if (delta !== 0n) {
      const opening = position.size === 0n;
      position.leverage = order.leverage;
      const opened = delta < 0n ? -delta : delta;
      // Rounded down per fill, so that the fills' margins never sum past what was reserved (rounded up once).
      const margin = roundToDecimals(divRound(mul(price, opened, 'up'), BigInt(order.leverage), 'down'), this.instrument.quoteCommissionPrecision, 'floor');
      const fromOrder = order.locked < margin ? order.locked : margin;
      this.give(order, fromOrder);
      account.cash -= margin;
      position.margin += margin;
      applyFill(position, delta, price);
      if (opening) position.openedAt = at;
      changed.push([opening ? 'POSITION_OPENED' : 'POSITION_UPDATED', position]);
    }
    // The fee comes out of the order's reservation first, then cash.
    if (fee > 0n) this.give(order, order.locked < fee ? order.locked : fee);
    account.cash -= fee;
    applyFillFee(order, charge);
    account.ledger.fees += fee;
    const insuranceCovered = this.coverShortfall(started, position, fee - realized);
    realized += insuranceCovered;
    order.executedQty += quantity;
    order.cumulativeQuoteQty += notional;
    const followUps: KernelEvent[] = changed.map(([type, p]) => positionEvent(type, account.id, p, at, this.instrument, this.mark, this.context));
    return { notional, fee, feeAsset: account.settleAsset, realizedPnl: realized, ...(insuranceCovered > 0n ? { insuranceCovered } : {}), followUps };
  }

  /**
   * A fill never leaves the free balance negative. What its cost (fee − realized PnL) takes beyond
   * the cash is paid from the position's margin (collateral of the same wallet), and what is beyond
   * that too is the insurance fund's (Binance: the fund covers losses that would take an account
   * below zero): it is booked as realized PnL on the position the fill started from, so that
   * wallet = deposits + realized − fees − funding stays exact. Returns what the fund covered.
   */
  private coverShortfall(started: Position, current: Position, cost: Fixed): Fixed {
    const account = this.account;
    if (account.cash >= 0n || cost <= 0n) return 0n;
    const shortfall = -account.cash < cost ? -account.cash : cost;
    const fromMargin = current.margin < shortfall ? (current.margin > 0n ? current.margin : 0n) : shortfall;
    current.margin -= fromMargin;
    account.cash += fromMargin;
    const covered = shortfall - fromMargin;
    account.cash += covered;
    account.ledger.realizedPnl += covered;
    started.realizedPnl += covered;
    return covered;
  }

  release(order: Order): void {
    const excess = order.locked - this.required(order);
    if (excess > 0n) this.give(order, excess);
  }
}

export type { Position };
