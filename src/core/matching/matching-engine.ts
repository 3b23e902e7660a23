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
 *   from a level is unavailable to all paper orders until the book updates that level.
 * - Paper orders never trade with each other. No fill is computed while the book is not synced.
 * Not modelled: hidden liquidity, self-trade prevention against real orders, market impact
 * beyond the displayed depth.
 * Cost: a taker walk is O(levels walked); a trade or book update is O(resting orders it reaches).
 */
import { formatFixed, mul, type Fixed } from '../money/fixed.js';
import type { SpotAccount } from '../accounts/spot-account.js';
import { chargedFee, feeAssetMode, feeRate, initialLock, releaseExcess, settleFill } from '../accounts/spot-settlement.js';
import type { ChangedLevel } from '../book/book-synchronizer.js';
import type { KernelEvent } from '../kernel/events.js';
import { nextStatus, isOpenStatus, type OrderTransition } from '../orders/order-status.js';
import { remainingQty, type Liquidity, type Order } from '../orders/order.js';
import { rejection, type Rejection, type RejectionCode } from '../orders/rejection.js';
import type { Market } from './market.js';
import { planTakerWalk, type WalkPlan } from './taker-walk.js';

export interface EngineContext {
  now(): number;
  emit(event: KernelEvent): void;
  nextTradeId(): string;
  account(id: string): SpotAccount;
}

const fmt = (v: Fixed): string => formatFixed(v);

export class MatchingEngine {
  constructor(private readonly ctx: EngineContext) {}

  /**
   * An order reaches the venue: reserve funds, acknowledge, then execute (or wait for the book).
   * Returns the rejection when the order is refused before it was acknowledged.
   */
  arrive(order: Order, market: Market): Rejection | undefined {
    const account = this.ctx.account(order.account);
    const instrument = market.instrument;
    if (order.type === 'LIMIT_MAKER' && market.usable && this.wouldTake(order, market)) {
      return rejection('WOULD_TAKE');
    }
    const lock = initialLock(order, account, instrument);
    if (!account.lock(order.lockedAsset, lock)) {
      return rejection('INSUFFICIENT_BALANCE', `${fmt(lock)} ${order.lockedAsset} needed, ${fmt(account.balance(order.lockedAsset).free)} free`);
    }
    order.locked = lock;
    if (order.type === 'MARKET' && market.usable) {
      const refusal = this.marketAffordability(order, market);
      if (refusal !== undefined) {
        account.unlock(order.lockedAsset, lock);
        order.locked = 0n;
        return refusal;
      }
    }
    this.ctx.emit({
      type: 'ORDER_NEW',
      at: this.ctx.now(),
      ...orderFields(order),
      ...(order.price !== undefined ? { price: fmt(order.price) } : {}),
      quantity: fmt(order.quantity),
      ...(order.quoteOrderQty !== undefined ? { quoteOrderQty: fmt(order.quoteOrderQty) } : {}),
    });
    if (market.usable) this.execute(order, market);
    else market.waiting.push(order);
    return undefined;
  }

  /** Cancels an open order; the caller has checked that it is open. */
  cancel(order: Order, market: Market, reason: string): void {
    this.detach(order, market);
    this.finish(order, market, 'cancel', reason);
  }

  /** A real trade printed: fill resting paper orders it reaches. */
  onTrade(market: Market, price: Fixed, quantity: Fixed, buyerMaker: boolean): void {
    if (!market.usable) return;
    // Resting buys are reached by trades at or below their price; sells at or above.
    this.fillFromTrade(market, 'BUY', price, quantity, buyerMaker);
    this.fillFromTrade(market, 'SELL', price, quantity, !buyerMaker);
  }

  /** The book changed: refresh own liquidity, tighten queues, fill crossed orders. */
  onBookChanged(market: Market, changed: readonly ChangedLevel[], resynced: boolean): void {
    if (resynced) market.own.clear();
    for (const level of changed) market.own.refresh(level.side, level.price);
    if (resynced) {
      for (const side of [market.bids, market.asks]) {
        for (const order of side.all()) this.clampQueue(order, market);
      }
    } else {
      for (const level of changed) {
        const resting = level.side === 'bid' ? market.bids : market.asks;
        for (const order of resting.at(level.price)) this.clampQueue(order, market);
      }
    }
    this.fillCrossed(market, 'BUY');
    this.fillCrossed(market, 'SELL');
    if (resynced && market.waiting.length > 0) {
      const waiting = market.waiting.splice(0);
      for (const order of waiting) if (isOpenStatus(order.status)) this.executeWaiting(order, market);
    }
  }

  private executeWaiting(order: Order, market: Market): void {
    if (order.type === 'LIMIT_MAKER' && this.wouldTake(order, market)) {
      this.finish(order, market, 'expire', 'WOULD_TAKE');
      return;
    }
    if (order.type === 'MARKET') {
      const refusal = this.marketAffordability(order, market);
      if (refusal !== undefined) {
        this.finish(order, market, 'expire', refusal.code);
        return;
      }
    }
    this.execute(order, market);
  }

  private execute(order: Order, market: Market): void {
    const plan = this.plan(order, market, remainingQty(order));
    switch (order.type) {
      case 'MARKET': {
        // A quote-sized order is complete when its budget, not the book's depth, stopped the walk.
        const complete = order.quoteOrderQty !== undefined ? plan.budgetBound : plan.quantity === order.quantity;
        this.takeSlices(order, market, plan, complete);
        if (isOpenStatus(order.status)) this.finish(order, market, 'expire', plan.quantity === 0n ? 'NO_LIQUIDITY' : 'DEPTH_EXHAUSTED');
        return;
      }
      case 'FILL_OR_KILL':
        if (plan.quantity < remainingQty(order)) {
          this.finish(order, market, 'expire', 'FILL_OR_KILL_UNFILLABLE');
          return;
        }
        this.takeSlices(order, market, plan, true);
        return;
      case 'IMMEDIATE_OR_CANCEL':
        this.takeSlices(order, market, plan, plan.quantity === remainingQty(order));
        if (isOpenStatus(order.status)) this.finish(order, market, 'expire', 'IMMEDIATE_OR_CANCEL');
        return;
      case 'LIMIT':
        this.takeSlices(order, market, plan, plan.quantity === remainingQty(order));
        if (isOpenStatus(order.status)) this.rest(order, market);
        return;
      case 'LIMIT_MAKER':
        this.rest(order, market);
        return;
    }
  }

  private plan(order: Order, market: Market, quantity: Fixed): WalkPlan {
    const instrument = market.instrument;
    const opposite = order.side === 'BUY' ? market.book.asks : market.book.bids;
    const account = this.ctx.account(order.account);
    if (order.type === 'MARKET' && order.quoteOrderQty !== undefined) {
      const quoteFee = order.side === 'BUY' && feeAssetMode(account, instrument) === 'quote';
      return planTakerWalk(opposite, market.own, {
        budget: order.quoteOrderQty - order.cumulativeQuoteQty,
        budgetFeeRate: quoteFee ? feeRate(account, instrument, 'TAKER') : 0n,
        stepSize: instrument.stepSize,
      });
    }
    return planTakerWalk(opposite, market.own, {
      quantity,
      ...(order.price !== undefined ? { limitPrice: order.price } : {}),
      stepSize: instrument.stepSize,
    });
  }

  /** Refuses a market order its account cannot pay for at today's book (nothing is executed). */
  private marketAffordability(order: Order, market: Market): Rejection | undefined {
    const account = this.ctx.account(order.account);
    const instrument = market.instrument;
    if (order.side === 'BUY' && order.quoteOrderQty === undefined) {
      const plan = this.plan(order, market, order.quantity);
      const fee = feeAssetMode(account, instrument) === 'quote' ? chargedFee(plan.quote, feeRate(account, instrument, 'TAKER'), instrument.quoteCommissionPrecision) : 0n;
      const free = account.balance(instrument.quote).free;
      if (plan.quote + fee > free) return rejection('INSUFFICIENT_BALANCE', `about ${fmt(plan.quote)} ${instrument.quote} needed, ${fmt(free)} free`);
      if (plan.quantity > 0n && plan.quote < instrument.minNotional) return rejection('MIN_NOTIONAL', `${fmt(instrument.minNotional)} ${instrument.quote}`);
    }
    if (order.side === 'SELL' && order.quoteOrderQty !== undefined) {
      const plan = this.plan(order, market, 0n);
      const free = account.balance(instrument.base).free;
      if (plan.quantity > free) return rejection('INSUFFICIENT_BALANCE', `${fmt(plan.quantity)} ${instrument.base} needed, ${fmt(free)} free`);
    }
    if (order.side === 'SELL' && order.quoteOrderQty === undefined) {
      const best = market.book.bids.bestPrice();
      if (best !== undefined && mul(best, order.quantity, 'down') < instrument.minNotional) {
        return rejection('MIN_NOTIONAL', `${fmt(instrument.minNotional)} ${instrument.quote}`);
      }
    }
    return undefined;
  }

  private takeSlices(order: Order, market: Market, plan: WalkPlan, completes: boolean): void {
    const oppositeSide = order.side === 'BUY' ? 'ask' : 'bid';
    plan.slices.forEach((slice, i) => {
      market.own.take(oppositeSide, slice.price, slice.quantity);
      this.fill(order, market, slice.price, slice.quantity, 'TAKER', completes && i === plan.slices.length - 1);
    });
  }

  private rest(order: Order, market: Market): void {
    const ownSide = order.side === 'BUY' ? market.book.bids : market.book.asks;
    order.queueAhead = ownSide.sizeAt(order.price!);
    market.resting(order.side).insert(order);
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
   */
  private fillFromTrade(market: Market, side: Order['side'], price: Fixed, quantity: Fixed, hitsThisSide: boolean): void {
    const resting = market.resting(side);
    if (resting.size === 0) return;
    let budget = quantity;
    for (const order of [...resting.all()]) {
      const p = order.price!;
      const through = side === 'BUY' ? p > price : p < price;
      if (!through && p !== price) break;
      let fill: Fixed;
      if (through) {
        fill = remainingQty(order) < budget ? remainingQty(order) : budget;
      } else {
        if (!hitsThisSide) continue;
        const excess = quantity > order.queueAhead ? quantity - order.queueAhead : 0n;
        order.queueAhead = order.queueAhead > quantity ? order.queueAhead - quantity : 0n;
        fill = remainingQty(order);
        if (excess < fill) fill = excess;
        if (budget < fill) fill = budget;
      }
      if (fill <= 0n) continue;
      budget -= fill;
      this.fill(order, market, p, fill, 'MAKER', fill === remainingQty(order));
      if (!isOpenStatus(order.status)) resting.remove(order);
    }
  }

  /** Resting orders the displayed book now crosses fill at their own price against that liquidity. */
  private fillCrossed(market: Market, side: Order['side']): void {
    const resting = market.resting(side);
    const opposite = side === 'BUY' ? market.book.asks : market.book.bids;
    while (resting.size > 0) {
      const order = resting.best()!;
      const best = opposite.bestPrice();
      if (best === undefined) return;
      const crossed = side === 'BUY' ? best <= order.price! : best >= order.price!;
      if (!crossed) return;
      const plan = planTakerWalk(opposite, market.own, {
        quantity: remainingQty(order),
        limitPrice: order.price!,
        stepSize: market.instrument.stepSize,
      });
      if (plan.quantity === 0n) return; // crossed liquidity already taken by paper orders
      for (const slice of plan.slices) market.own.take(opposite.side, slice.price, slice.quantity);
      this.fill(order, market, order.price!, plan.quantity, 'MAKER', plan.quantity === remainingQty(order));
      if (!isOpenStatus(order.status)) resting.remove(order);
      else return; // crossed liquidity exhausted for this order; worse-priced orders get none
    }
  }

  private fill(order: Order, market: Market, price: Fixed, quantity: Fixed, liquidity: Liquidity, completes: boolean): void {
    const account = this.ctx.account(order.account);
    const settled = settleFill(order, account, market.instrument, price, quantity, liquidity);
    this.transition(order, completes ? 'fill' : 'partial-fill');
    releaseExcess(order, account, market.instrument);
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
      executedQty: fmt(order.executedQty),
      cumulativeQuoteQty: fmt(order.cumulativeQuoteQty),
    });
  }

  private detach(order: Order, market: Market): void {
    const resting = market.resting(order.side);
    const at = order.price === undefined ? [] : resting.at(order.price);
    if (at.includes(order)) {
      resting.remove(order);
      return;
    }
    const i = market.waiting.indexOf(order);
    if (i >= 0) market.waiting.splice(i, 1);
  }

  private finish(order: Order, market: Market, transition: 'cancel' | 'expire', reason: RejectionCode | string): void {
    this.transition(order, transition);
    releaseExcess(order, this.ctx.account(order.account), market.instrument);
    this.ctx.emit({
      type: transition === 'cancel' ? 'ORDER_CANCELED' : 'ORDER_EXPIRED',
      at: this.ctx.now(),
      ...orderFields(order),
      executedQty: fmt(order.executedQty),
      reason,
    });
  }

  private transition(order: Order, transition: OrderTransition): void {
    order.status = nextStatus(order.status, transition);
    order.updatedAt = this.ctx.now();
  }
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
  };
}
