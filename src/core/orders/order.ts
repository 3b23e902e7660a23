/**
 * Orders as the engine keeps them.
 *
 * An order's numbers change only through the matching engine (fills) and the status table.
 * `locked` is what the order still reserves of its account (quote for buys, base for sells).
 */
import type { Fixed } from '../money/fixed.js';
import type { OrderStatus } from './order-status.js';

export type Side = 'BUY' | 'SELL';
export const ORDER_TYPES = ['MARKET', 'LIMIT', 'LIMIT_MAKER', 'IMMEDIATE_OR_CANCEL', 'FILL_OR_KILL'] as const;
export type OrderType = (typeof ORDER_TYPES)[number];
export type Liquidity = 'MAKER' | 'TAKER';

export interface Order {
  readonly id: string;
  readonly clientOrderId: string;
  readonly account: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  /** Limit price; absent for MARKET. */
  readonly price: Fixed | undefined;
  /** Quantity in base units; zero for a MARKET buy sized by `quoteOrderQty`. */
  readonly quantity: Fixed;
  /** Quote amount to spend (MARKET buy) or receive (MARKET sell), when the order is sized in quote. */
  readonly quoteOrderQty: Fixed | undefined;
  readonly submittedAt: number;
  /** Event time the order reaches the simulated venue (submission + latency). */
  readonly arrivesAt: number;
  /** Priority among resting orders: the sequence number of its arrival. */
  arrivalSeq: number;
  status: OrderStatus;
  executedQty: Fixed;
  cumulativeQuoteQty: Fixed;
  /** Reserved amount still held for this order, in `lockedAsset`. */
  locked: Fixed;
  readonly lockedAsset: string;
  /** Displayed size ahead of this order at its price (resting orders only). */
  queueAhead: Fixed;
  updatedAt: number;
}

export function remainingQty(order: Order): Fixed {
  return order.quantity - order.executedQty;
}
