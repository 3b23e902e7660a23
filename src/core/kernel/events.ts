/**
 * What the engine tells the world. Events are plain JSON (decimal strings) so that they can be
 * written, compared byte for byte and sent as they are. `at` is exchange time in Unix ms.
 */
import type { OrderStatus } from '../orders/order-status.js';
import type { Liquidity, OrderType, Side, TriggerSource } from '../orders/order.js';
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
  /** The order list the order belongs to (an OCO pair, a bracket's entry and exits); absent for a lone order. */
  readonly ocoGroup?: string;
  /**
   * When the order started working, where that is not when it arrived (it waited for a usable book,
   * or an import brought it in): Binance's `workingTime`, so that its record keeps it once the
   * kernel drops the order. Absent otherwise.
   */
  readonly workingTime?: number;
}

/** An exit a bracket entry attaches: trigger price and, for a limit exit, its limit price. */
export interface ExitLegView {
  readonly stopPrice: string;
  readonly price?: string;
  /** The price the exit's trigger watches, when the entry named it (absent: the kernel's setting). */
  readonly triggerSource?: TriggerSource;
}

export interface OrderNewEvent extends OrderEventBase {
  readonly type: 'ORDER_NEW';
  readonly price?: string;
  readonly quantity: string;
  readonly quoteOrderQty?: string;
  readonly stopPrice?: string;
  /** Trailing stops: activation price (absent = active at once) and callback rate. */
  readonly activationPrice?: string;
  readonly callbackRate?: string;
  /** Market execution: the slippage cap (a fraction of the best opposite price when it executes). */
  readonly maxSlippage?: string;
  /** Conditional orders: the price stream the trigger watches, as `Order.triggerSource` (absent: the kernel's setting). */
  readonly triggerSource?: TriggerSource;
  readonly reduceOnly?: boolean;
  /** Futures: the leverage the order opens at, when it is not 1 (absent: 1, and always on spot). */
  readonly leverage?: number;
  /** A bracket entry: the exits it places, as an OCO pair in its group, once it fills. */
  readonly takeProfit?: ExitLegView;
  readonly stopLoss?: ExitLegView;
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
  readonly realizedPnl?: string;
  /** Futures: what the insurance fund paid of this fill's loss and fee beyond the account's balance (included in realizedPnl). */
  readonly insuranceCovered?: string;
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
  /** A trailing stop that ended armed (activated, not triggered): the stop it had reached. */
  readonly stopPrice?: string;
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
  readonly accountType: 'spot' | 'futures';
  readonly balances: Readonly<Record<string, string>>;
}

export interface AccountLifecycleEvent {
  readonly type: 'ACCOUNT_RESET' | 'ACCOUNT_CLOSED' | 'ACCOUNT_IMPORTED';
  readonly at: number;
  readonly account: string;
  readonly balances?: Readonly<Record<string, string>>;
  readonly openOrders?: number;
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

/** A `bar` input with `pauseOnFill` stopped after a fill or trigger: resume it from `price` on `leg`. */
export interface BarPausedEvent {
  readonly type: 'BAR_PAUSED';
  readonly at: number;
  readonly symbol: string;
  readonly leg: 1 | 2 | 3;
  readonly price: string;
}

export interface PositionEvent {
  readonly type: 'POSITION_OPENED' | 'POSITION_UPDATED' | 'POSITION_CLOSED';
  readonly at: number;
  readonly account: string;
  readonly symbol: string;
  readonly positionId: string;
  readonly direction: 'LONG' | 'SHORT' | 'FLAT';
  readonly totalSize: string;
  readonly entryPrice: string;
  readonly currentPrice?: string;
  readonly unrealizedPnl?: string;
  readonly leverage: number;
  readonly marginUsed: string;
  readonly liquidationPrice?: string;
  readonly realizedPnl: string;
  readonly totalFundingPaid: string;
  readonly feesPaid: string;
  readonly openedAt: number;
}

export interface LiquidationEvent {
  readonly type: 'LIQUIDATION';
  readonly at: number;
  readonly account: string;
  readonly symbol: string;
  readonly positionId: string;
  readonly direction: 'LONG' | 'SHORT';
  readonly size: string;
  readonly entryPrice: string;
  readonly markPrice: string;
  readonly liquidationPrice?: string;
  readonly bankruptcyPrice: string;
  readonly liquidationFee: string;
  readonly realizedPnl: string;
  readonly marginLost: string;
}

export interface FundingEvent {
  readonly type: 'FUNDING';
  readonly at: number;
  readonly account: string;
  readonly symbol: string;
  readonly positionId: string;
  readonly rate: string;
  readonly markPrice: string;
  /** Positive: the account paid; negative: it received. */
  readonly amount: string;
  readonly totalFundingPaid: string;
}

export interface EquityEvent {
  readonly type: 'EQUITY';
  readonly at: number;
  readonly account: string;
  readonly equity: string;
  readonly currentDrawdown: string;
  readonly maxDrawdown: string;
}

export interface MaxDrawdownEvent {
  readonly type: 'MAX_DRAWDOWN_REACHED';
  readonly at: number;
  readonly account: string;
  readonly equity: string;
  readonly drawdown: string;
  readonly limit: string;
}

export interface OrderTriggeredEvent extends OrderEventBase {
  readonly type: 'ORDER_TRIGGERED';
  readonly stopPrice: string;
  readonly triggerPrice: string;
}

export interface LeverageEvent {
  readonly type: 'LEVERAGE_SET' | 'LEVERAGE_REJECTED';
  readonly at: number;
  readonly account: string;
  readonly symbol: string;
  readonly leverage: number;
  /** LEVERAGE_REJECTED: why, as ACCOUNT_REJECTED says it. */
  readonly code?: RejectionCode;
  readonly message?: string;
}

/**
 * An input the kernel did not apply: it changed nothing but the sequence number.
 * INVALID_INPUT: the input is not of a shape the kernel can apply (a time that is not Unix ms, an
 * unknown kind, market data for a symbol it does not trade, a malformed decimal).
 * INTERNAL: applying it broke an invariant half-way; the state was rolled back to what it was
 * before the input. Always a defect to report, never a business rule.
 */
export interface InputRejectedEvent {
  readonly type: 'INPUT_REJECTED';
  readonly at: number;
  /** The input's sequence number. */
  readonly seq: number;
  /** The input's kind, as given (may be anything for an invalid input). */
  readonly kind: string;
  readonly code: 'INVALID_INPUT' | 'INTERNAL';
  readonly message: string;
  /** The account the input named, when it named one. */
  readonly account?: string;
}

export type KernelEvent =
  | InputRejectedEvent
  | OrderNewEvent
  | OrderRejectedEvent
  | FillEvent
  | OrderDoneEvent
  | CancelRejectedEvent
  | AccountOpenedEvent
  | AccountRejectedEvent
  | AccountLifecycleEvent
  | BookStatusEvent
  | BarPausedEvent
  | PositionEvent
  | LiquidationEvent
  | FundingEvent
  | EquityEvent
  | MaxDrawdownEvent
  | OrderTriggeredEvent
  | LeverageEvent;

export type KernelEventType = KernelEvent['type'];
