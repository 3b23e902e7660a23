/**
 * Orders as the engine keeps them.
 *
 * An order's numbers change only through the matching engine (fills) and the status table.
 * `locked` is what the order still reserves of its account (quote for buys, base for sells).
 */
import { mul, ONE, roundToIncrement, type Fixed } from '../money/fixed.js';
import type { OrderStatus } from './order-status.js';

export type Side = 'BUY' | 'SELL';
/**
 * The price stream a conditional order watches: 'last', the prints (Binance's workingType
 * CONTRACT_PRICE); 'mark', the mark price (MARK_PRICE), or where no mark input comes the book's
 * mid standing for it (ADR 0066).
 */
export type TriggerSource = 'last' | 'mark';
export const ORDER_TYPES = [
  'MARKET',
  'LIMIT',
  'LIMIT_MAKER',
  'IMMEDIATE_OR_CANCEL',
  'FILL_OR_KILL',
  'STOP_LOSS',
  'STOP_LOSS_LIMIT',
  'TAKE_PROFIT',
  'TAKE_PROFIT_LIMIT',
  'TRAILING_STOP_MARKET',
] as const;
export type OrderType = (typeof ORDER_TYPES)[number];
export type ConditionalType = 'STOP_LOSS' | 'STOP_LOSS_LIMIT' | 'TAKE_PROFIT' | 'TAKE_PROFIT_LIMIT' | 'TRAILING_STOP_MARKET';

export function isConditional(type: OrderType): type is ConditionalType {
  return type.startsWith('STOP_LOSS') || type.startsWith('TAKE_PROFIT') || type === 'TRAILING_STOP_MARKET';
}

/** The order type a conditional order becomes when it triggers; other types are themselves. */
export function executionType(type: OrderType): Exclude<OrderType, ConditionalType> {
  switch (type) {
    case 'STOP_LOSS':
    case 'TAKE_PROFIT':
    case 'TRAILING_STOP_MARKET':
      return 'MARKET';
    case 'STOP_LOSS_LIMIT':
    case 'TAKE_PROFIT_LIMIT':
      return 'LIMIT';
    default:
      return type;
  }
}
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
  /**
   * Priority among resting orders: the sequence number of the input it arrived in, or, for a
   * conditional order, of the input that triggered it. Orders arriving within one input (latency
   * releases, an OCO list, bracket exits, an import, stops one print triggers) share it; those
   * placed as they stand rank before those triggered (the input triggers after they arrive), then
   * their ids rank them (RestingOrders).
   */
  arrivalSeq: number;
  /**
   * Set on an order an account import brought in placed as it stands or already triggered: its
   * `arrivalSeq` is the import's, and among the import's orders its id ranks it, triggered or not
   * (the import gives ids in the exporting engine's priority; none of them was triggered by the
   * import). Absent on every other order, a conditional one the import brought untriggered included:
   * its trigger gives it its rank, as any other's.
   */
  readonly imported?: true;
  status: OrderStatus;
  executedQty: Fixed;
  cumulativeQuoteQty: Fixed;
  /** Reserved amount still held for this order, in `lockedAsset`. */
  locked: Fixed;
  readonly lockedAsset: string;
  /** Displayed size ahead of this order at its price (resting orders only). */
  queueAhead: Fixed;
  updatedAt: number;
  /**
   * Futures: leverage the order opens at; 1 for spot. A leverage change on the symbol moves the
   * account's open orders there to the new leverage, their reservations with it (accounts/leverage-change.ts).
   */
  leverage: number;
  /** Never opens or increases a position; fills stop at the position's size. */
  readonly reduceOnly: boolean;
  /** Conditional orders: the trigger price (trailing stops: set once activated, then follows). */
  stopPrice: Fixed | undefined;
  /** Trailing stops: activation price (absent = active at once) and callback rate (0.01 = 1 %). */
  readonly activationPrice: Fixed | undefined;
  readonly callbackRate: Fixed | undefined;
  /** Trailing stops: best price seen since activation. */
  trailPeak: Fixed | undefined;
  /**
   * Trailing stops with an activation price: event time (ms) of the price that activated it (the
   * print's or mark's own time; the clock's for a price without one). Prices stamped before it
   * neither move nor trigger the stop. Undefined before activation, and without an activation price.
   */
  activatedAt?: number;
  /**
   * Conditional orders: the price stream the trigger watches (ADR 0066). Set when it is 'mark' or
   * not the kernel's `triggerSource` setting; absent: the kernel's setting (orders placed before the
   * field existed restore so).
   */
  readonly triggerSource?: TriggerSource;
  /**
   * Conditional orders: event time (ms) at which the order expires if it has not triggered by then
   * (ORDER_EXPIRED, reason TRIGGER_EXPIRED, its reservation released): its arrival plus the input's
   * `expireAfterMs` (MEXC's `executeCycle`, NautilusTrader's `expire_time`). The order a trigger
   * placed works until it ends. Absent: the order waits until it triggers or is cancelled.
   */
  readonly expireTime?: number;
  /**
   * Closed orders: why it was cancelled or expired, the reason its ORDER_CANCELED or ORDER_EXPIRED
   * event gave (a rejection code such as INSUFFICIENT_BALANCE, or the engine's: REDUCE_ONLY,
   * NO_LIQUIDITY, TRIGGER_EXPIRED, …). Absent while open, and on an order that filled.
   */
  reason?: string;
  /** Conditional orders: false until the tape reaches the trigger. */
  triggered: boolean;
  /** Event time (ms) a conditional order triggered; undefined before, and for orders placed as they stand. */
  triggeredAt: number | undefined;
  /**
   * Event time (ms) the order started working on this venue (Binance's `workingTime`), when that
   * was not its arrival: it waited for a synced, fresh book (then later than its arrival or trigger),
   * or an import brought it in (then it may not have triggered yet, and an arrival stamped by the
   * exporting engine may be later). Prints and marks stamped before it happened without the order
   * (ADR 0026); it stands for the arrival where it is set. Undefined for an order that never waited
   * and was not imported.
   */
  workingTime?: number;
  /**
   * The order list (group) the order belongs to. Among its exit legs one cancels the other (OCO):
   * when a conditional leg triggers, or a plain leg first fills, the legs that have not acted yet
   * are cancelled. A bracket's entry (`bracket` set) belongs to the list but not to the OCO.
   */
  readonly ocoGroup: string | undefined;
  /** A bracket entry: the exits its fills attach (see kernel/bracket-exits.ts). */
  readonly bracket?: BracketExits;
  /** Market execution: the slippage cap, a fraction of the best opposite price when it executes (absent: none). */
  readonly maxSlippage?: Fixed;
  /** Σ amount × rate of the fills so far, exact, scaled by 10^36 (see matching/fee-model.ts). */
  feeExact: bigint;
  /** Σ of the fees charged so far: the exact sum rounded up once to the commission precision. */
  feeCharged: Fixed;
}

/** One attached exit: its trigger price and, for a limit exit, its limit price. */
export interface ExitLeg {
  readonly stopPrice: Fixed;
  readonly price: Fixed | undefined;
  /** The price the exit's trigger watches, given to the exit order (absent: the kernel's setting; ADR 0066). */
  readonly triggerSource?: TriggerSource;
}

/**
 * What a bracket entry attaches to its fills, NautilusTrader's bracket order (entry, take-profit,
 * stop-loss; the exits OCO, placed once the entry fills).
 */
export interface BracketExits {
  readonly takeProfit: ExitLeg | undefined;
  readonly stopLoss: ExitLeg | undefined;
  /** Quantity of the entry's fills already handed to exit pairs. */
  placed: Fixed;
  /** Exit pairs placed so far: pair n's legs are `<group>-tp`/`<group>-sl`, then `-tp-n`/`-sl-n`. */
  pairs: number;
}

export function remainingQty(order: Order): Fixed {
  return order.quantity - order.executedQty;
}

/**
 * A trailing stop's stop price when the best price it has seen is `peak`: `peak` × (1 − callbackRate)
 * for a sell, × (1 + callbackRate) for a buy, rounded to `tickSize` away from the market (a sell's
 * down, a buy's up). The matching engine's rule (matching-engine.ts `trail`), which an imported
 * order's stop is checked against.
 */
export function trailingStopPrice(side: Side, peak: Fixed, callbackRate: Fixed, tickSize: Fixed): Fixed {
  const sell = side === 'SELL';
  return roundToIncrement(mul(peak, sell ? ONE - callbackRate : ONE + callbackRate, sell ? 'down' : 'up'), tickSize, sell ? 'down' : 'up');
}
