/**
 * What the engine tells the world. Events are plain JSON (decimal strings) so that they can be
 * written, compared byte for byte and sent as they are. `at` is exchange time in Unix ms.
 */
import type { OrderStatus } from '../orders/order-status.js';
import type { Liquidity, OrderType, Side } from '../orders/order.js';
import type { RejectionCode } from '../orders/rejection.js';

interface OrderEventBase {
  readonly at: number;
  readonly account: string;
  readonly orderId: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly orderType: OrderType;
  readonly status: OrderStatus;
}

export interface OrderNewEvent extends OrderEventBase {
  readonly type: 'ORDER_NEW';
  readonly price?: string;
  readonly quantity: string;
  readonly quoteOrderQty?: string;
}

export interface OrderRejectedEvent {
  readonly type: 'ORDER_REJECTED';
  readonly at: number;
  readonly account: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly status: 'REJECTED';
  readonly code: RejectionCode;
  readonly mexcCode: number;
  readonly message: string;
}

export interface FillEvent extends OrderEventBase {
  readonly type: 'FILL';
  readonly tradeId: string;
  readonly price: string;
  readonly quantity: string;
  readonly quoteQuantity: string;
  readonly fee: string;
  readonly feeAsset: string;
  readonly liquidity: Liquidity;
  readonly executedQty: string;
  readonly cumulativeQuoteQty: string;
}

export interface OrderDoneEvent extends OrderEventBase {
  readonly type: 'ORDER_CANCELED' | 'ORDER_EXPIRED';
  readonly executedQty: string;
  readonly reason: string;
}

export interface CancelRejectedEvent {
  readonly type: 'CANCEL_REJECTED';
  readonly at: number;
  readonly account: string;
  readonly orderId?: string;
  readonly clientOrderId?: string;
  readonly code: RejectionCode;
  readonly mexcCode: number;
  readonly message: string;
}

export interface AccountOpenedEvent {
  readonly type: 'ACCOUNT_OPENED';
  readonly at: number;
  readonly account: string;
  readonly balances: Readonly<Record<string, string>>;
}

export interface AccountRejectedEvent {
  readonly type: 'ACCOUNT_REJECTED';
  readonly at: number;
  readonly account: string;
  readonly code: RejectionCode;
  readonly message: string;
}

export interface BookStatusEvent {
  readonly type: 'BOOK_SYNCED' | 'BOOK_RESYNC_NEEDED';
  readonly at: number;
  readonly symbol: string;
  readonly updateId: number;
  readonly reason?: string;
}

export type KernelEvent =
  | OrderNewEvent
  | OrderRejectedEvent
  | FillEvent
  | OrderDoneEvent
  | CancelRejectedEvent
  | AccountOpenedEvent
  | AccountRejectedEvent
  | BookStatusEvent;

export type KernelEventType = KernelEvent['type'];
