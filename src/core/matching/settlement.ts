/**
 * What the matching engine asks of an account, whatever its kind: reserve funds for an order,
 * check a market order against the account before it executes, move money for a fill, and release
 * what an order no longer needs. Spot and futures accounts each implement it.
 */
import type { Fixed } from '../money/fixed.js';
import type { KernelEvent } from '../kernel/events.js';
import type { Liquidity, Order } from '../orders/order.js';
import type { Rejection } from '../orders/rejection.js';
import type { WalkPlan } from './taker-walk.js';

export interface SettledFill {
  readonly notional: Fixed;
  readonly fee: Fixed;
  readonly feeAsset: string;
  readonly realizedPnl?: Fixed;
  /** What the insurance fund paid of the fill's cost beyond the account's balance (futures). */
  readonly insuranceCovered?: Fixed;
  /** Events the fill caused beyond itself (positions opened, updated, closed). */
  readonly followUps?: readonly KernelEvent[];
}

export interface MarketBudget {
  readonly amount: Fixed;
  readonly feeRate: Fixed;
}

export interface Settlement {
  /**
   * True when the legs of an OCO list share one reservation (spot: the list spends one leg's funds,
   * as Binance locks an OCO's quantity once): a leg reserves only what its group's other legs do not
   * hold already, and a leg that ends hands its reservation to the legs still waiting.
   */
  readonly sharesOcoReservation: boolean;
  /**
   * Reserves what the order may spend (sets `order.locked`); a rejection leaves nothing reserved.
   * `heldBySiblings`: what the order's OCO siblings already hold in its asset (shared reservations only).
   */
  reserve(order: Order, heldBySiblings?: Fixed): Rejection | undefined;
  /** Checks (and for futures, reserves for) a market order's walk before it executes. */
  checkMarket(order: Order, plan: WalkPlan): Rejection | undefined;
  /**
   * Checks (and for futures, tops up the reservation for) the taker part of a priced order before
   * it executes: a futures sell fills at bids above its limit, so its margin can exceed what was
   * reserved at the limit. A refusal leaves the order as it was.
   */
  checkTaker(order: Order, plan: WalkPlan): Rejection | undefined;
  /**
   * The most a market-executing order may spend on its walk (fees at `feeRate` included), when
   * something else than its quantity bounds it: a quote amount, or the funds of a triggered stop.
   */
  marketBudget(order: Order): MarketBudget | undefined;
  /** Largest quantity the order may still fill (reduce-only orders stop at the position's size). */
  fillableQty(order: Order, wanted: Fixed): Fixed;
  settle(order: Order, price: Fixed, quantity: Fixed, liquidity: Liquidity): SettledFill;
  /** Releases what the order holds beyond its remainder's needs (all of it once it is done). */
  release(order: Order): void;
  /**
   * Futures: sizes the reservations of the account's open orders on the market again against the
   * position as it now stands (`arriving`: the order that prompted it, counted even while it is
   * still arriving). Returns an order the free balance cannot cover, for the caller to end before
   * asking again; undefined once all are covered. Absent (spot): reservations do not depend on a position.
   */
  followPosition?(arriving?: Order): Order | undefined;
  /** Futures: whether the end of `order` can change what the account's other orders there reserve (it took a share of the position's offset). */
  offsetShare?(order: Order): boolean;
}
