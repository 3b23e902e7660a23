/**
 * Everything that can change the engine's state arrives as one of these inputs.
 *
 * Inputs are plain JSON (decimal strings for every price, quantity and amount) so that they can be
 * journaled and replayed byte for byte. `time` is exchange (event) time in Unix milliseconds.
 */
import type { OrderType, Side, TriggerSource } from '../orders/order.js';
import type { FeeAssetMode } from '../accounts/spot-account.js';

export type DecimalString = string;
export type LevelInput = readonly [price: DecimalString, size: DecimalString];

export interface BookSnapshotInput {
  readonly kind: 'book.snapshot';
  readonly time: number;
  readonly symbol: string;
  readonly lastUpdateId: number;
  readonly bids: readonly LevelInput[];
  readonly asks: readonly LevelInput[];
  /**
   * `trades`: not the exchange's book but a quote derived from one trade print (a recording without
   * depth, ADR 0041). Takers fill on it; resting orders fill only on prints through their price, never
   * on its levels or at their own price.
   */
  readonly derivedFrom?: 'trades';
}

export interface BookDeltaInput {
  readonly kind: 'book.delta';
  readonly time: number;
  readonly symbol: string;
  readonly firstUpdateId: number;
  readonly finalUpdateId: number;
  readonly previousFinalUpdateId?: number;
  readonly bids: readonly LevelInput[];
  readonly asks: readonly LevelInput[];
}

/**
 * The source no longer trusts its view of a book (a silent feed, a dropped connection, a gap the
 * source saw first): the kernel marks the book `resync-needed` and computes no fill on it until the
 * next `book.snapshot`. Ignored when the book is not synced.
 */
export interface BookInvalidateInput {
  readonly kind: 'book.invalidate';
  readonly time: number;
  readonly symbol: string;
  readonly reason: string;
}

export interface TradeInput {
  readonly kind: 'trade';
  readonly time: number;
  readonly symbol: string;
  readonly tradeId: number;
  readonly price: DecimalString;
  readonly quantity: DecimalString;
  /** True when the buyer was the resting side (the aggressor sold). */
  readonly buyerMaker: boolean;
}

/**
 * One candle bar as one input (ADR 0042): the market moves along the bar's price path
 * (open → first extreme → second extreme → close), filling and triggering what the path reaches.
 * For a backtest over candles; no book or trade input is needed for the symbol.
 */
export interface BarInput {
  readonly kind: 'bar';
  /** The bar's open time. */
  readonly time: number;
  readonly symbol: string;
  readonly open: DecimalString;
  readonly high: DecimalString;
  readonly low: DecimalString;
  readonly close: DecimalString;
  readonly volume: DecimalString;
  /** The bar's length in ms: the extremes are stamped at +¼ and +½ of it, the close at its last ms (absent: all at `time`). */
  readonly intervalMs?: number;
  /** The high before the low (absent: high first when the bar closed down, low first otherwise). */
  readonly highFirst?: boolean;
  /** Stop after the first step of the path that filled or triggered an order, liquidated, funded or halted an account (BAR_PAUSED), so that the caller can react. */
  readonly pauseOnFill?: boolean;
  /**
   * With `pauseOnFill`: pause after the open's step even when nothing acted there, so that the caller
   * sends the orders it decided between bars at the open's quote, after what rested reacted to the
   * open's print (a signal at bar t trades at the open of bar t + 1, as in a walk of prices).
   */
  readonly pauseAtOpen?: boolean;
  /** Go on with a paused bar: from `price` on leg 1 (toward the first extreme), 2 (the second) or 3 (the close). */
  readonly resume?: { readonly leg: 1 | 2 | 3; readonly price: DecimalString };
}

export interface ClockInput {
  readonly kind: 'clock';
  readonly time: number;
}

/** A mark price from the source (futures); without one the book's mid is the mark. */
export interface MarkPriceInput {
  readonly kind: 'mark';
  readonly time: number;
  readonly symbol: string;
  readonly price: DecimalString;
}

/** A funding rate applied now to every open position on the symbol (positive: longs pay). */
export interface FundingInput {
  readonly kind: 'funding';
  readonly time: number;
  readonly symbol: string;
  readonly rate: DecimalString;
}

export interface OpenAccountInput {
  readonly kind: 'account.open';
  readonly time: number;
  readonly account: string;
  readonly balances: Readonly<Record<string, DecimalString>>;
  /** `spot` (default) or `futures` (USDT-margined perpetuals; balances must hold the settlement asset). */
  readonly type?: 'spot' | 'futures';
  readonly marginMode?: 'isolated' | 'cross';
  /** Leverage for symbols without their own setting (futures; default 1). */
  readonly leverage?: number;
  readonly fees?: {
    readonly maker?: DecimalString;
    readonly taker?: DecimalString;
    readonly feeAsset?: FeeAssetMode;
  };
  readonly risk?: {
    /** Halt when equity falls this fraction below its peak (e.g. "0.2"). */
    readonly maxDrawdown?: DecimalString;
    /** On halt, also close every position (futures). */
    readonly closeOnMaxDrawdown?: boolean;
  };
}

/** Back to a fresh start: orders cancelled, positions dropped, balances set anew (default: as opened). */
export interface ResetAccountInput {
  readonly kind: 'account.reset';
  readonly time: number;
  readonly account: string;
  readonly balances?: Readonly<Record<string, DecimalString>>;
}

/** Closes an account: its orders are cancelled and it trades no more; its history stays. */
export interface CloseAccountInput {
  readonly kind: 'account.close';
  readonly time: number;
  readonly account: string;
}

/** Brings in one account exported by `Kernel.exportAccount` (from this engine or another). */
export interface ImportAccountInput {
  readonly kind: 'account.import';
  readonly time: number;
  /** The exported JSON document, as text. */
  readonly document: string;
  /** The id to import it under (default: the id it was exported with). */
  readonly account?: string;
}

export interface SetLeverageInput {
  readonly kind: 'leverage.set';
  readonly time: number;
  readonly account: string;
  readonly symbol: string;
  readonly leverage: number;
}

export interface PlaceOrderInput {
  readonly kind: 'order.place';
  readonly time: number;
  readonly account: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity?: DecimalString;
  readonly quoteOrderQty?: DecimalString;
  readonly price?: DecimalString;
  readonly clientOrderId?: string;
  /** Trigger price of STOP_LOSS[_LIMIT] / TAKE_PROFIT[_LIMIT]. */
  readonly stopPrice?: DecimalString;
  /** TRAILING_STOP_MARKET: price at which trailing starts (absent: at once) and callback rate ("0.01" = 1 %). */
  readonly activationPrice?: DecimalString;
  readonly callbackRate?: DecimalString;
  readonly reduceOnly?: boolean;
  /**
   * Orders that execute at the market (MARKET, STOP_LOSS, TAKE_PROFIT, TRAILING_STOP_MARKET): the
   * slippage cap, a fraction of the best opposite price when the order executes ("0.005" = 0.5 %,
   * 0 to below 1). The walk stops at that price, rounded to the tick toward the best; the rest expires
   * (SLIPPAGE_CAP). Absent: no cap.
   */
  readonly maxSlippage?: DecimalString;
  /**
   * Conditional orders: the price their trigger (and a trailing stop's peak) watches, 'last' (the
   * prints) or 'mark' (the mark price; perpetuals only). Absent: the kernel's `triggerSource`
   * setting. A non-conditional order takes none (INVALID_ORDER). ADR 0066.
   */
  readonly triggerSource?: TriggerSource;
  /**
   * Conditional orders: how long (ms, a whole number above 0) the order waits for its trigger from
   * its arrival; not triggered by then, it expires (ORDER_EXPIRED, reason TRIGGER_EXPIRED) at the
   * first input whose time reaches arrival + expireAfterMs (MEXC's `executeCycle`). Once triggered
   * it no longer expires. Absent: it waits until it triggers or is cancelled. A non-conditional
   * order takes none (INVALID_ORDER).
   */
  readonly expireAfterMs?: number;
  /** Orders of one account sharing a group: when one triggers, the others are cancelled (OCO). */
  readonly ocoGroup?: string;
  /**
   * A bracket: exits attached to this entry, placed as an OCO pair in `ocoGroup` (required) once the
   * entry fills, sized to what filled. At least one of the two; stopPrice on the tick grid, `price`
   * makes the exit a limit order (TAKE_PROFIT_LIMIT, STOP_LOSS_LIMIT).
   */
  readonly takeProfit?: ExitLegInput;
  readonly stopLoss?: ExitLegInput;
}

export interface ExitLegInput {
  readonly stopPrice: DecimalString;
  readonly price?: DecimalString;
  /** The price the exit's trigger watches, as an order's `triggerSource` (absent: the kernel's setting; 'mark' on perpetuals only). */
  readonly triggerSource?: TriggerSource;
}

/**
 * An order list (an OCO pair): its legs placed as one command, all of them or none. Each leg is an
 * `order.place` without kind, time and account (the list's). A leg is LIMIT_MAKER or a stop
 * (STOP_LOSS[_LIMIT], TAKE_PROFIT[_LIMIT], TRAILING_STOP_MARKET) without exits: none of them can
 * fill as it arrives, so a refused later leg takes back the earlier ones as if never placed. A
 * refusal is one ORDER_REJECTED carrying the failing leg's clientOrderId.
 */
export interface PlaceOrderListInput {
  readonly kind: 'order.list';
  readonly time: number;
  readonly account: string;
  readonly orders: readonly OrderListLegInput[];
}

export type OrderListLegInput = Omit<PlaceOrderInput, 'kind' | 'time' | 'account'>;

export interface CancelOrderInput {
  readonly kind: 'order.cancel';
  readonly time: number;
  readonly account: string;
  readonly orderId?: string;
  readonly clientOrderId?: string;
}

export type KernelInput =
  | BookSnapshotInput
  | BookDeltaInput
  | BookInvalidateInput
  | TradeInput
  | BarInput
  | ClockInput
  | MarkPriceInput
  | FundingInput
  | OpenAccountInput
  | ResetAccountInput
  | CloseAccountInput
  | ImportAccountInput
  | SetLeverageInput
  | PlaceOrderInput
  | PlaceOrderListInput
  | CancelOrderInput;

export type CommandInput = OpenAccountInput | ResetAccountInput | CloseAccountInput | SetLeverageInput | PlaceOrderInput | PlaceOrderListInput | CancelOrderInput;

/** Order commands: they reach the simulated venue after the configured latency. */
export type OrderCommandInput = PlaceOrderInput | PlaceOrderListInput | CancelOrderInput;
