/**
 * The order execution facade: one interface in front of the paper service (the kernel) and the
 * live service (a real exchange through ccxt). The API routes talk to this interface only, so the
 * same endpoints serve both modes; which one is behind it is decided once, at start, by the
 * live-trading interlock (src/config/live-interlock.ts).
 *
 * Conventions shared by both implementations:
 * - numbers are decimal strings, never floats; times are Unix ms;
 * - statuses are MEXC's: NEW, PARTIALLY_FILLED, FILLED, CANCELED, PARTIALLY_CANCELED, REJECTED, EXPIRED;
 * - a business rejection is a value (`ok: false`) with our code, MEXC's code when known, and a
 *   message; only broken invariants and a failed engine throw.
 */
import type { OrderType, Side, TriggerSource } from '../core/orders/order.js';

export type ExecutionMode = 'paper' | 'live';

export interface PlaceOrderRequest {
  /** Exchange symbol without separator, e.g. BTCUSDT. */
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly quantity?: string;
  readonly quoteOrderQty?: string;
  readonly price?: string;
  readonly stopPrice?: string;
  readonly activationPrice?: string;
  readonly callbackRate?: string;
  /**
   * Orders that execute at the market: the slippage cap, a fraction of the best opposite price when
   * the order executes ("0.005" = 0.5 %); the walk stops there and the rest expires (SLIPPAGE_CAP).
   */
  readonly maxSlippage?: string;
  /**
   * Conditional orders, perpetuals: the price the trigger watches, 'last' (the prints, Binance's
   * workingType CONTRACT_PRICE) or 'mark' (MARK_PRICE). Absent: the engine's setting (the last price
   * unless configured otherwise). Paper only for 'mark' (ADR 0066).
   */
  readonly triggerSource?: TriggerSource;
  /**
   * Paper, conditional orders: how long (ms) the order waits for its trigger from its arrival; not
   * triggered by then, it expires (MEXC's `executeCycle`). Absent: it waits until cancelled.
   */
  readonly expireAfterMs?: number;
  readonly reduceOnly?: boolean;
  /** Generated when absent, so that the order can always be found again by it. */
  readonly clientOrderId?: string;
  /** Paper: conditional orders sharing a group; when one triggers, the others are cancelled (OCO). */
  readonly ocoGroup?: string;
  /**
   * Paper: a bracket. Exits attached to this entry, placed as an OCO pair once it fills, sized to
   * what filled; the group is `ocoGroup`, else the entry's clientOrderId (kernel/bracket-exits.ts).
   */
  readonly takeProfit?: ExitLegRequest;
  readonly stopLoss?: ExitLegRequest;
}

/** An attached exit: trigger price and, for a limit exit, its limit price (decimal strings). */
export interface ExitLegRequest {
  readonly stopPrice: string;
  readonly price?: string;
  /** Perpetuals: the price the exit triggers on, 'last' or 'mark' (absent: the engine's setting; ADR 0066). */
  readonly triggerSource?: TriggerSource;
}

export interface OrderRef {
  readonly orderId?: string;
  readonly clientOrderId?: string;
  /** Optional in paper mode (a check); required by the live exchange (MEXC looks orders up per symbol). */
  readonly symbol?: string;
}

export interface OrderView {
  readonly orderId: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  /** MEXC status name. */
  readonly status: string;
  readonly price?: string;
  readonly quantity: string;
  readonly quoteOrderQty?: string;
  /** Conditional orders: the trigger price; a trailing stop's current one once armed, on the tick grid. */
  readonly stopPrice?: string;
  /** Trailing stops: the activation price asked (absent: armed at once) and the callback rate (0.01 = 1 %). */
  readonly activationPrice?: string;
  readonly callbackRate?: string;
  /** Market execution: the slippage cap asked (a fraction of the best opposite price). */
  readonly maxSlippage?: string;
  /** Conditional orders: the price the trigger watches, when stated (absent: the engine's setting). */
  readonly triggerSource?: TriggerSource;
  /** The order list (OCO pair, bracket) the order belongs to. */
  readonly ocoGroup?: string;
  /** A bracket entry: the exits its fills place. */
  readonly takeProfit?: ExitLegRequest;
  readonly stopLoss?: ExitLegRequest;
  readonly executedQty: string;
  readonly cumulativeQuoteQty: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly mode: ExecutionMode;
}

export type BalancesView = Record<string, { free: string; locked: string }>;

export interface ExecutionError {
  /** Ours: a kernel rejection code (INSUFFICIENT_BALANCE, UNKNOWN_ORDER, …) or one of EXECUTION_ERROR_CODES. */
  readonly code: string;
  readonly message: string;
  /** The MEXC error code, when one applies. */
  readonly mexcCode?: number;
  /** True when the same call may succeed later (the exchange was unreachable). */
  readonly retryable?: boolean;
}

export type ExecutionResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ExecutionError };

/**
 * How a command may be answered. `beforeDurable`: the service may resolve once the command is
 * handled, before it is durable, with `durable` on the result (paper: the engine's input on its
 * way to disk; ADR 0084). The caller must not answer anyone before `durable` resolves (it rejects
 * when the engine stops first: the outcome is then unknown); it writes its own record of the answer
 * (the audit entry) meanwhile, so that one fdatasync covers both. Without it, or from a service that
 * has no such step (live: the venue's answer is final), the result comes without `durable`.
 */
export interface AnswerOptions {
  readonly beforeDurable?: boolean;
}

/** A result, and when given before its command was durable, the promise of that (see `AnswerOptions`). */
export type Answered<T> = ExecutionResult<T> & { readonly durable?: Promise<void> };

/** An order list's answer: every leg placed (their views, in order), or none, with the failing leg's index when one was refused. */
export type OrderListResult = { readonly ok: true; readonly value: OrderView[] } | { readonly ok: false; readonly error: ExecutionError; readonly leg?: number };

/** Codes the facade adds to the kernel's rejection codes. */
export const EXECUTION_ERROR_CODES = {
  /** Paper, with latency: the order is journaled but has not reached the simulated venue yet. */
  ORDER_PENDING: 'ORDER_PENDING',
  /** Live: the exchange did not answer (network, timeout, maintenance, rate limit). */
  EXCHANGE_UNAVAILABLE: 'EXCHANGE_UNAVAILABLE',
  /** Live: the account's keys were refused; that account halts and its later calls are refused. */
  EXCHANGE_AUTH_FAILED: 'EXCHANGE_AUTH_FAILED',
  /** Live: the account has no exchange credentials, so it cannot trade live. */
  EXCHANGE_CREDENTIALS_MISSING: 'EXCHANGE_CREDENTIALS_MISSING',
  /** Live: any other exchange error. */
  EXCHANGE_ERROR: 'EXCHANGE_ERROR',
  /** Live: the exchange has no such order type (MEXC spot has no stop or trailing orders). */
  UNSUPPORTED_ORDER_TYPE: 'UNSUPPORTED_ORDER_TYPE',
} as const;

export interface OrderExecutionService {
  readonly mode: ExecutionMode;
  placeOrder(accountId: string, request: PlaceOrderRequest, options?: AnswerOptions): Promise<Answered<OrderView>>;
  /**
   * Places the orders `requests` describe, as `placeOrder` would one by one, and resolves once
   * every one has settled, with each one's outcome in the order given: its result, or what its
   * `placeOrder` threw, so that the caller can record those that were made before it answers the
   * error. Paper: the orders are submitted together, stamped with one time, so that the kernel
   * handles them back to back with no market input between them (closing every position at one
   * market, as a venue's close of all positions does) and they share one journal commit and one
   * fdatasync (with `beforeDurable`, each result carries `durable`). Live: one by one, each sent
   * when the one before it was answered (a venue's rate limits count each order).
   */
  placeOrders(accountId: string, requests: readonly PlaceOrderRequest[], options?: AnswerOptions): Promise<PromiseSettledResult<Answered<OrderView>>[]>;
  /**
   * An order list (an OCO pair) placed as one command: all its legs, sharing their `ocoGroup`, or
   * none. Paper only: the live venues are sent single orders, and the list routes refuse live mode
   * before they get here, so the live facade has no such method. `beforeDurable` as for
   * `placeOrder` (`AnswerOptions`).
   */
  placeOrderList?(accountId: string, requests: readonly PlaceOrderRequest[], options?: AnswerOptions): Promise<OrderListResult & { readonly durable?: Promise<void> }>;
  cancelOrder(accountId: string, ref: OrderRef, options?: AnswerOptions): Promise<Answered<OrderView>>;
  /**
   * Cancels the orders `refs` name, as `cancelOrder` would one by one, and resolves once every one
   * has settled, with each one's outcome in the order given: its result, or what its
   * `cancelOrder` threw (the engine unavailable, a cancel refused before the journal), so that
   * the caller can record those that were made before it answers the error. Paper: the cancels are
   * submitted together, so that the kernel handles them back to back with no market input between
   * them, as a venue's cancel of all open orders, and they share one journal commit and one
   * fdatasync instead of one each (with `beforeDurable`, each result carries `durable`). A cancel
   * that must first read the read tables (an order the kernel no longer holds open) follows once
   * read. Live: one by one, each sent when the one before it was answered.
   */
  cancelOrders(accountId: string, refs: readonly OrderRef[], options?: AnswerOptions): Promise<PromiseSettledResult<Answered<OrderView>>[]>;
  /**
   * The venue's leverage for new positions on a perpetual (exchange symbol, e.g. BTCUSDT; a whole
   * number ≥ 1). Live only: paper accounts change it through the kernel's `leverage.set` input in
   * the routes, which a live account's orders never meet; without this the venue's own leverage
   * would stand behind an answer of success.
   */
  setLeverage?(accountId: string, symbol: string, leverage: number): Promise<ExecutionResult<{ readonly symbol: string; readonly leverage: number }>>;
  getOrder(accountId: string, ref: OrderRef): Promise<ExecutionResult<OrderView>>;
  openOrders(accountId: string, symbol?: string): Promise<ExecutionResult<OrderView[]>>;
  balances(accountId: string): Promise<ExecutionResult<BalancesView>>;
}

export const ok = <T>(value: T): ExecutionResult<T> => ({ ok: true, value });
export const failure = <T = never>(error: ExecutionError): ExecutionResult<T> => ({ ok: false, error });

/** A client order id for requests that came without one (MEXC allows up to 32 characters). */
export function generateClientOrderId(): string {
  return `pt${globalThis.crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`;
}
