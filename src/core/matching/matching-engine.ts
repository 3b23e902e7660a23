/**
 * Fill simulation against the real market.
 *
 * Guarantees:
 * - MARKET walks the displayed book level by level; what depth cannot fill expires.
 * - LIMIT takes what crosses (TAKER, at each level's price) and rests the rest; IOC takes and
 *   expires the rest; FOK fills whole or changes nothing; LIMIT_MAKER that would take is rejected.
 * - A resting order fills (MAKER, at its own limit price) only when
 *   (a) a real trade prints through its price,
 *   (b) trades at its price exceed the queue ahead of it (the displayed size at that price when it
 *       arrived, never more than the level's current displayed size), or
 *   (c) the displayed book crosses it.
 *   One trade's volume fills paper orders at most once in total; liquidity a paper order took
 *   from a level stays unavailable to all paper orders as book-view.ts says (ADR 0026).
 * - Conditional orders (stop-loss, take-profit, trailing stop) wait off the book and trigger on the
 *   tape (last trade or mark price), never on a candle's guess; then they execute as MARKET or
 *   LIMIT. When a leg of an OCO list triggers (or a plain leg first fills), the legs that have not
 *   acted are cancelled; on spot the legs share one reservation, passed on as legs end.
 * - A slippage cap (`maxSlippage`) is measured from the best takeable opposite price when the order
 *   executes; the capped orders of one account and side that one input triggers share the one
 *   before the first of them executed (ADR 0077).
 * - Taker walks and crossed books use the book view paper orders see (book-view.ts): displayed
 *   liquidity less what paper orders took and what real trades consumed since the level was stated.
 * - Paper orders never trade with each other. No order executes while the book is not synced or is
 *   stale (the clock moved more than `staleAfterMs` since its last update by the order's arrival): it waits.
 * Money moves only through the account's `Settlement` (spot or futures).
 * Not modelled: hidden liquidity, self-trade prevention against real orders, market impact
 * beyond the displayed depth.
 * Cost: a taker walk is O(levels walked); a trade or book update is O(resting orders it reaches);
 * a price update is O(conditional orders on the symbol).
 */
import { divRound, formatFixed, ONE, type Fixed } from '../money/fixed.js';
import type { ChangedLevels } from '../book/book-synchronizer.js';
import { DecimalLevels } from '../book/decimal-levels.js';
import type { Level, Levels } from '../book/order-book.js';
import type { ExitLegView, KernelEvent, OrderNewEvent } from '../kernel/events.js';
import { nextStatus, isOpenStatus, type OrderTransition } from '../orders/order-status.js';
import { executionType, isConditional, remainingQty, trailingStopPrice, type ExitLeg, type Liquidity, type Order, type TriggerSource } from '../orders/order.js';
import { rejection, type Rejection, type RejectionCode } from '../orders/rejection.js';
import type { Market } from './market.js';
import type { RestingOrders } from './resting-orders.js';
import type { Settlement } from './settlement.js';
import { planTakerWalk, type WalkPlan } from './taker-walk.js';
import { extend } from '../objects.js';
import { OrderFault } from './order-fault.js';

export interface EngineContext {
  now(): number;
  /** A book not updated while the engine's clock moved longer than this (ms) is stale: orders wait; undefined = never. */
  readonly staleAfterMs: number | undefined;
  emit(event: KernelEvent): void;
  /** The sequence number of the input being handled: a triggered order's priority from then on. */
  sequence(): number;
  nextTradeId(): string;
  settlement(order: Order, market: Market): Settlement;
  /**
   * The account's open orders on `symbol`, in no particular order (the kernel's index: every open
   * order in the market's lists, and one taken out of them while it executes). Read it at once;
   * never keep or change it.
   */
  openOrdersOn(account: string, symbol: string): readonly Order[];
  /** The stream a conditional order without its own `triggerSource` watches (the kernel's setting); absent: 'last'. */
  readonly triggerSource?: TriggerSource;
}

const fmt = (v: Fixed): string => formatFixed(v);

/** The most one MARKET order may execute, in base units: MARKET_LOT_SIZE's maximum where set, LOT_SIZE's otherwise, on the step grid. */
function marketQuantityCap(market: Market): Fixed {
  const { maxQty, maxMarketQty, stepSize } = market.instrument;
  const cap = maxMarketQty !== undefined && maxMarketQty < maxQty ? maxMarketQty : maxQty;
  return (cap / stepSize) * stepSize;
}

export class MatchingEngine {
  constructor(private readonly ctx: EngineContext) {}

  /**
   * The slippage-cap anchors of the input being handled (`anchorsSeq`), and of the book as it last
   * stated it: per account, symbol, side and trigger, the best takeable opposite price before the
   * first capped order that input triggered executed (`capAnchor`, ADR 0077). Never outlives the
   * input, so no snapshot holds it.
   */
  private readonly anchors = new Map<string, Fixed>();
  private anchorsSeq = -1;

  /**
   * An order reaches the venue: reserve funds, acknowledge, then execute, wait for its trigger, or
   * wait for the book. Returns the rejection when the order is refused before it was acknowledged.
   */
  arrive(order: Order, market: Market): Rejection | undefined {
    const settlement = this.ctx.settlement(order, market);
    const usable = this.usable(market);
    if (order.type === 'LIMIT_MAKER' && usable && this.wouldTake(order, market)) return rejection('WOULD_TAKE');
    const held = settlement.sharesOcoReservation ? this.ocoSiblings(order, market).reduce((sum, o) => (o.lockedAsset === order.lockedAsset ? sum + o.locked : sum), 0n) : 0n;
    const refused = settlement.reserve(order, held);
    if (refused !== undefined) return refused;
    if (!isConditional(order.type) && order.type === 'MARKET' && usable) {
      const refusal = settlement.checkMarket(order, this.plan(order, market));
      if (refusal !== undefined) {
        this.releaseAll(order, settlement);
        return refusal;
      }
    }
    this.ctx.emit(orderNewEvent(order, this.ctx.now()));
    if (isConditional(order.type)) market.conditionals.push(order);
    else if (usable) this.execute(order, market);
    else market.waiting.push(order);
    return undefined;
  }

  /** Cancels an open order; the caller has checked that it is open. */
  cancel(order: Order, market: Market, reason: string): void {
    this.detach(order, market);
    this.finish(order, market, 'cancel', reason);
  }

  /**
   * A waiting conditional order whose validity ran out (`expireTime`): it expires untriggered, its
   * reservation released; the caller has checked that it is open and has not triggered.
   */
  expireUntriggered(order: Order, market: Market): void {
    this.detach(order, market);
    this.finish(order, market, 'expire', 'TRIGGER_EXPIRED');
  }

  /**
   * A real trade printed: fill resting paper orders it reaches, then take what it traded through
   * out of the book view, so that orders it triggers meet the book as it stands after it.
   */
  onTrade(market: Market, price: Fixed, quantity: Fixed, buyerMaker: boolean, time: number): void {
    if (!market.usable) return;
    // The part of the print that took liquidity paper orders had already taken there (a buyer lifting
    // asks a paper bid bought) had no counterparty for a paper order on the aggressor's side: only
    // the rest can fill one resting through the price.
    const claimed = market.view.paperAt(buyerMaker ? 'bid' : 'ask', price);
    const unclaimed = claimed < quantity ? quantity - claimed : 0n;
    this.fillFromTrade(market, 'BUY', price, buyerMaker ? quantity : unclaimed, buyerMaker, time);
    this.fillFromTrade(market, 'SELL', price, buyerMaker ? unclaimed : quantity, !buyerMaker, time);
    market.view.onTrade(buyerMaker ? market.book.bids : market.book.asks, price, quantity);
  }

  /**
   * The book changed (an update of exchange time `statedAt`): the levels it stated are fresh in the
   * view, queues tighten, crossed orders fill, and orders waiting for a usable book execute.
   */
  onBookChanged(market: Market, changed: ChangedLevels, resynced: boolean, statedAt: number): void {
    market.bookStatedAt = statedAt;
    // A book stated anew is a new market to measure a cap from (a candle bar states one at each step of its path).
    this.anchors.clear();
    if (resynced) {
      market.view.statedAll(market.book.bids, market.book.asks);
      for (const side of [market.bids, market.asks]) {
        for (const order of side.all()) {
          this.clampQueue(order, market);
          side.statedAt.set(order.price!, statedAt);
        }
      }
    } else {
      this.restated(market, changed.bids, changed.asks, statedAt);
    }
    this.fillCrossed(market, 'BUY');
    this.fillCrossed(market, 'SELL');
    if (market.waiting.length > 0 && this.usable(market)) {
      // One at a time, each taken out of the list only as its turn comes: the ones behind it stay in
      // it, so that a fill ending an OCO list finds its waiting siblings (and a liquidation the
      // account's waiting orders). An order that waits again goes back at the end, after this batch.
      const waiting = market.waiting.slice();
      for (const order of waiting) {
        const at = market.waiting[0] === order ? 0 : market.waiting.indexOf(order);
        if (at < 0) continue; // ended meanwhile
        market.waiting.splice(at, 1);
        if (!isOpenStatus(order.status)) continue;
        // It works on the book from now: prints stamped between its arrival (or trigger) and now, still
        // to come on a late tape, happened while it waited.
        const now = this.ctx.now();
        if (now > restingSince(order)) order.workingTime = now;
        this.executeWaiting(order, market);
      }
    }
  }

  /**
   * A delta stated these levels: the view takes their new sizes, then the queues of resting orders
   * there tighten to them. Levels arrive as the edge read them; only one the view tracks or an
   * order rests at (same decimal mantissa) is looked up as a Fixed.
   */
  private restated(market: Market, bids: Levels, asks: Levels, statedAt: number): void {
    const { view, book } = market;
    if (view.tracks('bid')) this.restatedInView(view, book.bids, bids);
    if (view.tracks('ask')) this.restatedInView(view, book.asks, asks);
    if (market.bids.size > 0) this.restatedQueues(market, market.bids, bids, statedAt);
    if (market.asks.size > 0) this.restatedQueues(market, market.asks, asks, statedAt);
  }

  private restatedInView(view: Market['view'], side: Market['book']['bids'], levels: Levels): void {
    if (levels instanceof DecimalLevels) view.statedInLevels(side, levels);
    else for (const [price] of levels) view.statedIn(side, price);
  }

  private restatedQueues(market: Market, resting: RestingOrders, levels: Levels, statedAt: number): void {
    if (levels instanceof DecimalLevels) {
      const { priceMantissa, priceFraction, length } = levels;
      for (let i = resting.nextMayRest(priceMantissa, priceFraction, 0, length); i < length; i = resting.nextMayRest(priceMantissa, priceFraction, i + 1, length)) {
        this.restatedQueue(market, resting, levels.price(i), statedAt);
      }
      return;
    }
    for (const [price] of levels) this.restatedQueue(market, resting, price, statedAt);
  }

  /** The level at `price` was stated: the queues of the orders resting there tighten to its size. */
  private restatedQueue(market: Market, resting: RestingOrders, price: Fixed, statedAt: number): void {
    // Walked in place (most stated levels an order rests at are restated often): no array per level.
    const orders = resting.all();
    let i = resting.firstIndexAt(price);
    if (i < 0) return;
    for (; i < orders.length && orders[i]!.price === price; i += 1) this.clampQueue(orders[i]!, market);
    resting.statedAt.set(price, statedAt);
  }

  /**
   * A price on one trigger tape, `source`: a print ('last') or the mark ('mark'). The conditional
   * orders watching that tape (`Order.triggerSource`, ADR 0066) see it, the others do not:
   * trailing stops follow it; conditional orders it reaches trigger, in the order they were placed.
   * `time`: the input's own time, when the price is a print or a mark-price input; one stamped
   * before an order arrived (a late input) happened without it: it neither moves nor triggers that order.
   */
  onTriggerPrice(market: Market, price: Fixed, time: number | undefined, source: TriggerSource): void {
    if (market.conditionals.length === 0) return;
    const fired: Order[] = [];
    const fallback = this.ctx.triggerSource ?? 'last';
    for (const order of market.conditionals) {
      if ((order.triggerSource ?? fallback) !== source) continue;
      if (time !== undefined && time < triggerActiveSince(order)) {
        // A late price after the order arrived that reaches the activation price activated it then:
        // the activation is dated back and the price counts for the peak; it triggers nothing, the
        // prices that came after it on the tape having been seen already.
        if (activatesEarlier(order, price, time)) {
          order.activatedAt = time;
          this.trail(order, price, market.instrument.tickSize, time);
        }
        continue;
      }
      if (order.type === 'TRAILING_STOP_MARKET') this.trail(order, price, market.instrument.tickSize, time);
      if (order.stopPrice !== undefined && this.reached(order, price)) fired.push(order);
    }
    for (const order of fired) {
      if (!isOpenStatus(order.status) || order.triggered) continue; // cancelled by an OCO sibling
      this.removeConditional(order, market);
      order.triggered = true;
      order.triggeredAt = this.ctx.now();
      // A triggered order enters the book now, behind orders already resting at its price (Binance
      // gives it a new `workingTime`; NautilusTrader inserts the limit order it becomes).
      order.arrivalSeq = this.ctx.sequence();
      this.ctx.emit({ type: 'ORDER_TRIGGERED', at: this.ctx.now(), ...orderFields(order), stopPrice: fmt(order.stopPrice!), triggerPrice: fmt(price) });
      this.endSiblings(order, market, 'OCO_SIBLING_TRIGGERED');
      const before = order.executedQty;
      if (this.usable(market)) this.executeWaiting(order, market);
      else market.waiting.push(order);
      // Triggered to execute at the market, it no longer takes a share of the position's offset (a fill has followed already).
      if (order.executedQty === before && executionType(order.type) === 'MARKET') this.followPosition(order, market);
    }
  }

  /**
   * Cancels every open order of an account on this market (liquidation, halts, an account's end),
   * earliest arrival first; orders of one arrival in the order of the market's lists (bids, asks,
   * waiting, conditional). Found through the kernel's index of the account's orders, not a walk of
   * every order on the market (ADR 0088).
   */
  cancelAll(market: Market, account: string, reason: string): void {
    const open = inListOrder(this.listed(account, market, ANY_ORDER), market, CANCEL_ALL_LISTS);
    for (const order of open.sort((a, b) => a.arrivalSeq - b.arrivalSeq)) this.cancel(order, market, reason);
  }

  /**
   * The account's open orders on the market that `keep` keeps, each still in one of the market's
   * lists (not one taken out while it executes), with the list: from the kernel's index.
   */
  private listed(account: string, market: Market, keep: (o: Order) => boolean): Listed[] {
    const out: Listed[] = [];
    for (const order of this.ctx.openOrdersOn(account, market.instrument.symbol)) {
      if (!isOpenStatus(order.status) || !keep(order)) continue;
      const held = listHolding(order, market);
      if (held !== undefined) out.push(held);
    }
    return out;
  }

  /** Whether an arriving or triggered order may execute on the book now: synced, and not stale. */
  private usable(market: Market): boolean {
    return market.usable && !market.staleAt(this.ctx.now(), this.ctx.staleAfterMs);
  }

  /**
   * The stop follows the best price; on the tick grid, away from the market (a sell's down, a buy's up).
   * `time`: the price's own time, if it has one; an activation price reached dates the activation.
   */
  private trail(order: Order, price: Fixed, tickSize: Fixed, time: number | undefined): void {
    const sell = order.side === 'SELL';
    if (order.trailPeak === undefined) {
      const activated = order.activationPrice === undefined || (sell ? price >= order.activationPrice : price <= order.activationPrice);
      if (!activated) return;
      order.trailPeak = price;
      if (order.activationPrice !== undefined) order.activatedAt = time ?? this.ctx.now();
    } else if (sell ? price > order.trailPeak : price < order.trailPeak) {
      order.trailPeak = price;
    }
    order.stopPrice = trailingStopPrice(order.side, order.trailPeak, order.callbackRate!, tickSize);
  }

  private reached(order: Order, price: Fixed): boolean {
    const stop = order.stopPrice!;
    const buy = order.side === 'BUY';
    switch (order.type) {
      case 'STOP_LOSS':
      case 'STOP_LOSS_LIMIT':
      case 'TRAILING_STOP_MARKET':
        return buy ? price >= stop : price <= stop;
      case 'TAKE_PROFIT':
      case 'TAKE_PROFIT_LIMIT':
        return buy ? price <= stop : price >= stop;
      default:
        return false;
    }
  }

  private removeConditional(order: Order, market: Market): void {
    const i = market.conditionals.indexOf(order);
    if (i >= 0) market.conditionals.splice(i, 1);
  }

  private executeWaiting(order: Order, market: Market): void {
    const type = executionType(order.type);
    if (type === 'LIMIT_MAKER' && this.wouldTake(order, market)) {
      this.finish(order, market, 'expire', 'WOULD_TAKE');
      return;
    }
    if (type === 'MARKET') {
      const refusal = this.ctx.settlement(order, market).checkMarket(order, this.plan(order, market));
      if (refusal !== undefined) {
        this.finish(order, market, 'expire', refusal.code);
        return;
      }
    }
    this.execute(order, market);
  }

  /** Executes the order on the book now; once its walk filled anything, the account's reservations on the market follow the position. */
  private execute(order: Order, market: Market): void {
    const before = order.executedQty;
    this.executeNow(order, market);
    if (order.executedQty !== before) this.followPosition(order, market);
  }

  private executeNow(order: Order, market: Market): void {
    const wanted = this.ctx.settlement(order, market).fillableQty(order, remainingQty(order));
    if (order.reduceOnly && wanted === 0n) {
      this.finish(order, market, 'expire', 'REDUCE_ONLY');
      return;
    }
    const plan = this.plan(order, market);
    const all = plan.quantity === wanted;
    const whole = all && wanted === remainingQty(order);
    if (executionType(order.type) !== 'MARKET' && plan.slices.length > 0 && (whole || order.type !== 'FILL_OR_KILL')) {
      const refusal = this.ctx.settlement(order, market).checkTaker(order, plan);
      if (refusal !== undefined) {
        this.finish(order, market, 'expire', refusal.code);
        return;
      }
    }
    switch (executionType(order.type)) {
      case 'MARKET': {
        // A quote-sized order is complete when its budget, not the book's depth, stopped the walk.
        this.takeSlices(order, market, plan, order.quoteOrderQty !== undefined ? plan.budgetBound : whole);
        if (isOpenStatus(order.status)) this.finish(order, market, 'expire', this.marketExpiry(order, market, plan, all));
        return;
      }
      case 'FILL_OR_KILL':
        if (!whole) {
          this.finish(order, market, 'expire', 'FILL_OR_KILL_UNFILLABLE');
          return;
        }
        this.takeSlices(order, market, plan, true);
        return;
      case 'IMMEDIATE_OR_CANCEL':
        this.takeSlices(order, market, plan, whole);
        if (isOpenStatus(order.status)) this.finish(order, market, 'expire', 'IMMEDIATE_OR_CANCEL');
        return;
      case 'LIMIT':
        this.takeSlices(order, market, plan, whole);
        if (isOpenStatus(order.status)) this.rest(order, market);
        return;
      case 'LIMIT_MAKER':
        this.rest(order, market);
        return;
    }
  }

  /** Why a market order's remainder expires: its funds (a triggered stop), the book, or its position. */
  private marketExpiry(order: Order, market: Market, plan: WalkPlan, all: boolean): string {
    if (plan.budgetBound && order.quoteOrderQty === undefined) return 'INSUFFICIENT_BALANCE';
    if (plan.priceBound) return 'SLIPPAGE_CAP';
    if (plan.quantity === 0n) return 'NO_LIQUIDITY';
    if (order.quoteOrderQty !== undefined && plan.quantity === marketQuantityCap(market)) return 'MAX_MARKET_QUANTITY';
    return order.reduceOnly && all ? 'REDUCE_ONLY' : 'DEPTH_EXHAUSTED';
  }

  private plan(order: Order, market: Market): WalkPlan {
    const settlement = this.ctx.settlement(order, market);
    const opposite = order.side === 'BUY' ? market.book.asks : market.book.bids;
    const stepSize = market.instrument.stepSize;
    const atMarket = executionType(order.type) === 'MARKET';
    const budget = atMarket ? settlement.marketBudget(order) : undefined;
    const anchor = atMarket && order.maxSlippage !== undefined ? this.capAnchor(order, opposite, market.view, stepSize) : undefined;
    const cap = anchor === undefined ? undefined : slippageCap(anchor, opposite.side, order.maxSlippage!, market.instrument.tickSize);
    const spend = extend(budget === undefined ? {} : { budget: budget.amount, budgetFeeRate: budget.feeRate }, cap === undefined ? {} : { limitPrice: cap });
    // A quote-sized order buys no more than a MARKET order may name (Binance: quoteOrderQty "will not break LOT_SIZE filter rules").
    if (atMarket && order.quoteOrderQty !== undefined) return planTakerWalk(opposite, market.view, extend(spend, { quantity: marketQuantityCap(market), stepSize }));
    const quantity = settlement.fillableQty(order, remainingQty(order));
    return planTakerWalk(opposite, market.view, {
      quantity,
      ...(atMarket ? spend : { limitPrice: order.price! }),
      stepSize,
    });
  }

  /**
   * The price a capped order's cap is measured from: the best takeable opposite price (`bestTakeable`).
   * A triggered order shares it with the capped orders of its account and side that the same input
   * triggered (ADR 0077): the first of them to execute fixes it, so that together they go no further
   * from the market of their trigger than the cap; the fills of one would otherwise move the next
   * one's reference. Other orders, and other accounts', measure from the book as it is.
   */
  private capAnchor(order: Order, opposite: Market['book']['asks'], view: Market['view'], step: Fixed): Fixed | undefined {
    if (!order.triggered) return bestTakeable(opposite, view, step);
    const seq = this.ctx.sequence();
    if (seq !== this.anchorsSeq) {
      this.anchors.clear();
      this.anchorsSeq = seq;
    }
    // `arrivalSeq` of a triggered order is the sequence of the input that triggered it.
    const key = `${order.account}\u0000${order.symbol}\u0000${order.side}\u0000${order.arrivalSeq}`;
    let anchor = this.anchors.get(key);
    if (anchor === undefined) {
      anchor = bestTakeable(opposite, view, step);
      if (anchor !== undefined) this.anchors.set(key, anchor);
    }
    return anchor;
  }

  private takeSlices(order: Order, market: Market, plan: WalkPlan, completes: boolean): void {
    const oppositeSide = order.side === 'BUY' ? 'ask' : 'bid';
    plan.slices.forEach((slice, i) => {
      market.view.take(oppositeSide, slice.price, slice.quantity);
      this.fill(order, market, slice.price, slice.quantity, 'TAKER', completes && i === plan.slices.length - 1);
    });
  }

  private rest(order: Order, market: Market): void {
    const ownSide = order.side === 'BUY' ? market.book.bids : market.book.asks;
    order.queueAhead = ownSide.sizeAt(order.price!);
    const resting = market.resting(order.side);
    // The queue is the size the latest update left: a trade stamped at or before that update may
    // still arrive, and is already in it (for orders already resting there too: their queues were
    // clamped to the same sizes). No level was stated later than the latest update.
    if (market.bookStatedAt !== undefined) resting.statedAt.set(order.price!, market.bookStatedAt);
    resting.insert(order);
  }

  private wouldTake(order: Order, market: Market): boolean {
    const best = order.side === 'BUY' ? market.book.asks.bestPrice() : market.book.bids.bestPrice();
    if (best === undefined) return false;
    return order.side === 'BUY' ? best <= order.price! : best >= order.price!;
  }

  /** The queue ahead can never exceed what the level still displays. */
  private clampQueue(order: Order, market: Market): void {
    const displayed = (order.side === 'BUY' ? market.book.bids : market.book.asks).sizeAt(order.price!);
    if (order.queueAhead > displayed) order.queueAhead = displayed;
  }

  /**
   * One trade's volume, shared once among resting paper orders on one side: those priced better
   * than the trade fill first; at the trade's price, the queue ahead is consumed before any fill.
   * `hitsThisSide` says the aggressor traded against this side (only then does the queue move).
   * A trade stamped at or before the latest depth update that stated its level is already in the
   * queue sizes (it arrived late): it neither moves the queue nor fills at its price a second time.
   */
  private fillFromTrade(market: Market, side: Order['side'], price: Fixed, quantity: Fixed, hitsThisSide: boolean, time: number): void {
    const resting = market.resting(side);
    if (resting.size === 0) return;
    let budget = quantity;
    // Only a prefix of the side (best first) is through or at the print's price; copy just that
    // prefix, since fills remove orders from the side while it is walked.
    const all = resting.all();
    let reach = 0;
    while (reach < all.length && (side === 'BUY' ? all[reach]!.price! >= price : all[reach]!.price! <= price)) reach += 1;
    if (reach === 0) return;
    for (const order of all.slice(0, reach)) {
      const p = order.price!;
      const through = side === 'BUY' ? p > price : p < price;
      // On a quote derived from trades there is no queue to measure: only a print through the price fills.
      if (!through && (p !== price || market.tradesOnly)) break;
      // An order ended by an earlier fill of this print (its margin no longer covered) is gone.
      if (!isOpenStatus(order.status)) continue;
      const remaining = this.restingRemainder(order, market);
      if (remaining === undefined) continue;
      // A print stamped before the order reached the book (a late trade) happened without it: it may
      // shorten the queue the order found, never fill it.
      const before = time < restingSince(order);
      let fill: Fixed;
      if (through) {
        if (before) continue;
        fill = remaining < budget ? remaining : budget;
      } else {
        if (!hitsThisSide) continue;
        const stated = resting.statedAt.get(p);
        if (stated !== undefined && time <= stated) continue;
        // What paper orders ahead (better priced, or earlier at this price) took of the print is not
        // there for this one: its line is the queue, then them.
        const excess = budget > order.queueAhead ? budget - order.queueAhead : 0n;
        order.queueAhead = order.queueAhead > quantity ? order.queueAhead - quantity : 0n;
        if (before) continue;
        fill = remaining < excess ? remaining : excess;
      }
      if (fill <= 0n) continue;
      budget -= fill;
      this.fill(order, market, p, fill, 'MAKER', fill === remainingQty(order));
      this.afterRestingFill(order, market);
    }
  }

  /** Resting orders the displayed book now crosses fill at their own price against that liquidity. */
  private fillCrossed(market: Market, side: Order['side']): void {
    if (market.tradesOnly) return; // a quote derived from a print is no liquidity a resting order could have met
    const resting = market.resting(side);
    const opposite = side === 'BUY' ? market.book.asks : market.book.bids;
    while (resting.size > 0) {
      const order = resting.best()!;
      const best = opposite.bestPrice();
      if (best === undefined) return;
      const crossed = side === 'BUY' ? best <= order.price! : best >= order.price!;
      if (!crossed) return;
      const remaining = this.restingRemainder(order, market);
      if (remaining === undefined) continue;
      const plan = planTakerWalk(opposite, market.view, { quantity: remaining, limitPrice: order.price!, stepSize: market.instrument.stepSize });
      if (plan.quantity === 0n) return; // crossed liquidity already taken by paper orders
      for (const slice of plan.slices) market.view.take(opposite.side, slice.price, slice.quantity);
      this.fill(order, market, order.price!, plan.quantity, 'MAKER', plan.quantity === remainingQty(order));
      this.afterRestingFill(order, market);
      if (isOpenStatus(order.status)) return; // crossed liquidity exhausted for this order; worse-priced orders get none
    }
  }

  /** What a resting order may still fill; a reduce-only order with nothing left to reduce expires. */
  private restingRemainder(order: Order, market: Market): Fixed | undefined {
    const fillable = this.ctx.settlement(order, market).fillableQty(order, remainingQty(order));
    if (fillable > 0n) return fillable;
    market.resting(order.side).remove(order);
    this.finish(order, market, 'expire', 'REDUCE_ONLY');
    return undefined;
  }

  private afterRestingFill(order: Order, market: Market): void {
    if (!isOpenStatus(order.status)) market.resting(order.side).remove(order);
    else if (order.reduceOnly) this.restingRemainder(order, market);
    this.followPosition(order, market);
  }

  /** Set while `followPosition` ends orders: their ends do not start it again (it asks again itself). */
  private following = false;

  /**
   * After a fill moved the position of `order`'s account on the market, or an order that took a share
   * of the position's offset ended: the account's open orders there reserve again what their opening
   * parts need (Settlement.followPosition). An order the free balance cannot cover expires
   * (INSUFFICIENT_BALANCE, as a triggered stop refused for funds does), its reservation released,
   * and the rest are sized again without it. Spot: nothing.
   */
  private followPosition(order: Order, market: Market): void {
    const settlement = this.ctx.settlement(order, market);
    if (settlement.followPosition === undefined || this.following) return;
    this.following = true;
    try {
      for (let uncovered = settlement.followPosition(order); uncovered !== undefined; uncovered = settlement.followPosition(order)) {
        this.detach(uncovered, market);
        this.finish(uncovered, market, 'expire', 'INSUFFICIENT_BALANCE');
      }
    } finally {
      this.following = false;
    }
  }

  /** Fills `order`; a broken invariant met on the way is thrown as an `OrderFault` naming it (the kernel contains it there). */
  private fill(order: Order, market: Market, price: Fixed, quantity: Fixed, liquidity: Liquidity, completes: boolean): void {
    try {
      this.settleFill(order, market, price, quantity, liquidity, completes);
    } catch (error) {
      throw OrderFault.of(order, error);
    }
  }

  private settleFill(order: Order, market: Market, price: Fixed, quantity: Fixed, liquidity: Liquidity, completes: boolean): void {
    // A plain OCO leg (a LIMIT_MAKER take-profit) acts by its first fill: its siblings go first.
    if (!isConditional(order.type) && order.executedQty === 0n) this.endSiblings(order, market, 'OCO_SIBLING_FILLED');
    const settlement = this.ctx.settlement(order, market);
    const settled = settlement.settle(order, price, quantity, liquidity);
    this.transition(order, completes ? 'fill' : 'partial-fill');
    settlement.release(order);
    this.ctx.emit({
      type: 'FILL',
      at: this.ctx.now(),
      ...orderFields(order),
      tradeId: this.ctx.nextTradeId(),
      price: fmt(price),
      quantity: fmt(quantity),
      quoteQuantity: fmt(settled.notional),
      fee: fmt(settled.fee),
      feeAsset: settled.feeAsset,
      liquidity,
      ...(settled.realizedPnl !== undefined ? { realizedPnl: fmt(settled.realizedPnl) } : {}),
      ...(settled.insuranceCovered !== undefined ? { insuranceCovered: fmt(settled.insuranceCovered) } : {}),
      executedQty: fmt(order.executedQty),
      cumulativeQuoteQty: fmt(order.cumulativeQuoteQty),
    });
    for (const event of settled.followUps ?? []) this.ctx.emit(event);
  }

  private detach(order: Order, market: Market): void {
    const resting = market.resting(order.side);
    if (resting.has(order)) {
      resting.remove(order);
      return;
    }
    for (const list of [market.waiting, market.conditionals]) {
      const i = list.indexOf(order);
      if (i >= 0) list.splice(i, 1);
    }
  }

  private releaseAll(order: Order, settlement: Settlement): void {
    const status = order.status;
    order.status = 'EXPIRED';
    settlement.release(order);
    order.status = status;
  }

  /**
   * The open legs of the order's OCO list that have not acted yet (untriggered; plain legs unfilled),
   * itself and a bracket's entry aside. Empty for an order in no list and for a bracket entry.
   */
  private ocoSiblings(order: Order, market: Market): Order[] {
    if (order.ocoGroup === undefined || order.bracket !== undefined) return [];
    const siblings = this.listed(order.account, market, (o) =>
      o !== order && o.ocoGroup === order.ocoGroup && o.bracket === undefined && (isConditional(o.type) ? !o.triggered : o.executedQty === 0n),
    );
    // In the order of the market's lists (conditional, bids, asks, waiting), each list's own, as their events come.
    return inListOrder(siblings, market, OCO_SIBLING_LISTS);
  }

  /** The order acted (triggered, or first filled): its waiting siblings are cancelled, their shared reservation passed to it. */
  private endSiblings(order: Order, market: Market, reason: string): void {
    const siblings = this.ocoSiblings(order, market);
    if (siblings.length === 0) return;
    const shares = this.ctx.settlement(order, market).sharesOcoReservation;
    for (const sibling of siblings) {
      if (shares && sibling.lockedAsset === order.lockedAsset) {
        order.locked += sibling.locked;
        sibling.locked = 0n;
      }
      this.detach(sibling, market);
      this.finish(sibling, market, 'cancel', reason);
    }
  }

  private finish(order: Order, market: Market, transition: 'cancel' | 'expire', reason: RejectionCode | string): void {
    order.reason = reason;
    const settlement = this.ctx.settlement(order, market);
    if (settlement.sharesOcoReservation && order.locked > 0n) {
      // A leg ending before it acted leaves its siblings' shared reservation to the first of them.
      const heir = this.ocoSiblings(order, market).find((o) => o.lockedAsset === order.lockedAsset);
      if (heir !== undefined) {
        heir.locked += order.locked;
        order.locked = 0n;
        this.transition(order, transition);
        settlement.release(heir);
        this.emitDone(order, transition, reason);
        return;
      }
    }
    const shared = settlement.offsetShare?.(order) === true;
    this.transition(order, transition);
    settlement.release(order);
    this.emitDone(order, transition, reason);
    // Its share of the position's offset passes to the orders placed after it: they may need less.
    if (shared) this.followPosition(order, market);
  }

  private emitDone(order: Order, transition: 'cancel' | 'expire', reason: RejectionCode | string): void {
    this.ctx.emit({
      type: transition === 'cancel' ? 'ORDER_CANCELED' : 'ORDER_EXPIRED',
      at: this.ctx.now(),
      ...orderFields(order),
      executedQty: fmt(order.executedQty),
      reason,
      ...(order.type === 'TRAILING_STOP_MARKET' && !order.triggered && order.stopPrice !== undefined ? { stopPrice: fmt(order.stopPrice) } : {}),
    });
  }

  private transition(order: Order, transition: OrderTransition): void {
    order.status = nextStatus(order.status, transition);
    order.updatedAt = this.ctx.now();
  }
}

/** The market's lists an open order can be in. */
type ListName = 'bids' | 'asks' | 'waiting' | 'conditionals';

/** An open order, the market's list that holds it, and its index there (waiting and conditional lists; 0 on a side, ranked by priority). */
interface Listed {
  readonly order: Order;
  readonly list: ListName;
  readonly at: number;
}

const CANCEL_ALL_LISTS: readonly ListName[] = ['bids', 'asks', 'waiting', 'conditionals'];
const OCO_SIBLING_LISTS: readonly ListName[] = ['conditionals', 'bids', 'asks', 'waiting'];

const ANY_ORDER = (): boolean => true;

/** Where the market's lists hold `order`; undefined when none does (it is executing). */
function listHolding(order: Order, market: Market): Listed | undefined {
  if (market.resting(order.side).has(order)) return { order, list: order.side === 'BUY' ? 'bids' : 'asks', at: 0 };
  const conditional = market.conditionals.indexOf(order);
  if (conditional >= 0) return { order, list: 'conditionals', at: conditional };
  const waiting = market.waiting.indexOf(order);
  if (waiting >= 0) return { order, list: 'waiting', at: waiting };
  return undefined;
}

/**
 * The orders as the market's lists give them, the lists taken in `lists`' order: a side's orders in
 * its priority (compared, not looked up among every order resting there), the waiting and
 * conditional lists' orders as they stand in them.
 */
function inListOrder(listed: Listed[], market: Market, lists: readonly ListName[]): Order[] {
  if (listed.length > 1) {
    listed.sort((a, b) => {
      if (a.list !== b.list) return lists.indexOf(a.list) - lists.indexOf(b.list);
      if (a.list === 'bids' || a.list === 'asks') return a.order === b.order ? 0 : market.resting(a.order.side).before(a.order, b.order) ? -1 : 1;
      return a.at - b.at;
    });
  }
  return listed.map((l) => l.order);
}

/**
 * Event time from which a conditional order watches the tape: its arrival, or for a trailing stop with
 * an activation price, once activated, the activation (a price before it found the stop not yet active).
 */
function triggerActiveSince(order: Order): number {
  const since = workingSince(order);
  return order.activatedAt !== undefined && order.activatedAt > since ? order.activatedAt : since;
}

/**
 * Event time the order is on this venue from: its `workingTime` where it has one (it waited for a
 * usable book, then later than its arrival; or an import brought it in, then the import's time on this
 * engine's clock, which may be earlier than an arrival stamped by the exporting engine's), else its arrival.
 */
function workingSince(order: Order): number {
  return order.workingTime ?? order.arrivesAt;
}

/**
 * Whether `price`, stamped `time` before an activated trailing stop's activation but not before its
 * arrival, reaches its activation price: the stop was active from `time` on the exchange's tape.
 */
function activatesEarlier(order: Order, price: Fixed, time: number): boolean {
  if (order.activatedAt === undefined || order.activationPrice === undefined || time < workingSince(order)) return false;
  return order.side === 'SELL' ? price >= order.activationPrice : price <= order.activationPrice;
}

/**
 * Event time from which the order stands on the book, the later of: when it is on this venue
 * (`workingSince`: its arrival, or when it waited for a usable book the moment it got one, or when an
 * import brought it in that moment); for a conditional order, its trigger.
 */
export function restingSince(order: Order): number {
  const since = workingSince(order);
  return order.triggeredAt !== undefined && order.triggeredAt > since ? order.triggeredAt : since;
}

/**
 * The best price a paper order can still take on `opposite` (`view`: at least a step left), the
 * reference of a slippage cap; undefined when there is none. A level the paper orders already took, or
 * a print went through, is not the market's price, and a cap from it would leave the order nothing
 * until the book is stated again.
 */
function bestTakeable(opposite: Market['book']['asks'], view: Market['view'], step: Fixed): Fixed | undefined {
  for (const [price, displayed] of opposite.levels()) {
    if (view.available(opposite.side, price, displayed) >= step) return price;
  }
  return undefined;
}

/**
 * The worst price a market order capped at `maxSlippage` (a fraction) may take on the `side` it takes
 * from, measured from `anchor` (`capAnchor`): anchor × (1 + maxSlippage) for a buy (from the asks),
 * × (1 − maxSlippage) for a sell, rounded to the tick toward the anchor (the cap is never looser than
 * asked), from the exact product.
 */
function slippageCap(anchor: Fixed, side: Market['book']['asks']['side'], maxSlippage: Fixed, tick: Fixed): Fixed {
  const buy = side === 'ask';
  return divRound(anchor * (buy ? ONE + maxSlippage : ONE - maxSlippage), tick * ONE, buy ? 'down' : 'up') * tick;
}

export function orderFields(order: Order) {
  return {
    account: order.account,
    orderId: order.id,
    clientOrderId: order.clientOrderId,
    symbol: order.symbol,
    side: order.side,
    orderType: order.type,
    status: order.status,
    ...(order.ocoGroup !== undefined ? { ocoGroup: order.ocoGroup } : {}),
    ...(order.workingTime !== undefined ? { workingTime: order.workingTime } : {}),
  };
}

/**
 * ORDER_NEW: the fields of `orderFields`, then the order's own, each optional one only when set,
 * in this order (assigned one by one: no object made and spread per optional field).
 */
function orderNewEvent(order: Order, at: number): OrderNewEvent {
  const event: { -readonly [K in keyof OrderNewEvent]: OrderNewEvent[K] } = {
    type: 'ORDER_NEW',
    at,
    account: order.account,
    orderId: order.id,
    clientOrderId: order.clientOrderId,
    symbol: order.symbol,
    side: order.side,
    orderType: order.type,
    status: order.status,
  } as OrderNewEvent;
  if (order.ocoGroup !== undefined) event.ocoGroup = order.ocoGroup;
  if (order.price !== undefined) event.price = fmt(order.price);
  event.quantity = fmt(order.quantity);
  if (order.quoteOrderQty !== undefined) event.quoteOrderQty = fmt(order.quoteOrderQty);
  if (order.stopPrice !== undefined) event.stopPrice = fmt(order.stopPrice);
  if (order.activationPrice !== undefined) event.activationPrice = fmt(order.activationPrice);
  if (order.callbackRate !== undefined) event.callbackRate = fmt(order.callbackRate);
  if (order.maxSlippage !== undefined) event.maxSlippage = fmt(order.maxSlippage);
  if (order.triggerSource !== undefined) event.triggerSource = order.triggerSource;
  if (order.reduceOnly) event.reduceOnly = true;
  if (order.leverage !== 1) event.leverage = order.leverage;
  if (order.bracket !== undefined) Object.assign(event, bracketFields(order));
  return event;
}

/** ORDER_NEW of a bracket entry: the exits it attaches. */
function bracketFields(order: Order): { takeProfit?: ExitLegView; stopLoss?: ExitLegView } {
  const b = order.bracket;
  if (b === undefined) return {};
  const leg = (l: ExitLeg): ExitLegView => ({ stopPrice: fmt(l.stopPrice), ...(l.price !== undefined ? { price: fmt(l.price) } : {}), ...(l.triggerSource !== undefined ? { triggerSource: l.triggerSource } : {}) });
  return extend(b.takeProfit !== undefined ? { takeProfit: leg(b.takeProfit) } : {}, b.stopLoss !== undefined ? { stopLoss: leg(b.stopLoss) } : {});
}
