/**
 * The paper side of the facade: orders go to the kernel as inputs, answers come from its events,
 * queries read its state. Nothing here touches an exchange.
 *
 * Guarantees:
 * - every order and cancel is one kernel input submitted through the port (the durable engine
 *   journals it before handling it), stamped with the port's clock;
 * - an order always carries a clientOrderId (generated when absent), by which its answer is found;
 * - an answer is acknowledged only after the kernel handled the order's arrival at the simulated
 *   venue, and only once its input is durable (with `beforeDurable`, AnswerOptions, the result comes
 *   once handled, with `durable` for the caller to wait for before it answers). With zero latency
 *   that is the submit itself. With latency the order arrives while a later input is handled: the
 *   port's optional `waitForEvent` hook (see EventWaiter) delivers that answer, up to
 *   `arrivalTimeoutMs`; without the hook, or past the timeout, the call answers ORDER_PENDING (the
 *   command is journaled and will still arrive; look it up by clientOrderId);
 * - an account only sees its own orders: another account's order is UNKNOWN_ORDER.
 * Not modelled here: the rules themselves (the kernel's), audit logging (the API's).
 */
import type { KernelEvent } from '../core/kernel/events.js';
import type { CancelOrderInput, KernelInput, OrderListLegInput, PlaceOrderListInput } from '../core/kernel/inputs.js';
import type { Kernel } from '../core/kernel/kernel.js';
import { formatFixed } from '../core/money/fixed.js';
import { extend } from '../core/objects.js';
import type { ExitLeg, Order } from '../core/orders/order.js';
import { isOpenStatus } from '../core/orders/order-status.js';
import { rejection, type RejectionCode } from '../core/orders/rejection.js';
import { InputRefusedError } from '../engine/input-guard.js';
import type { EventWait } from './event-waiter.js';
import { accountOrder, accountOrders, type OrderRecordSource } from './order-records.js';
import {
  EXECUTION_ERROR_CODES,
  failure,
  generateClientOrderId,
  ok,
  type BalancesView,
  type ExecutionError,
  type Answered,
  type AnswerOptions,
  type ExecutionResult,
  type ExitLegRequest,
  type OrderExecutionService,
  type OrderListResult,
  type OrderRef,
  type OrderView,
  type PlaceOrderRequest,
} from './order-execution-service.js';

/** What the paper service needs from the engine (the durable engine provides it). */
export interface PaperExecutionPort {
  /** Journals the input, handles it, resolves with its events once it is durable. */
  submit(input: KernelInput): Promise<KernelEvent[]>;
  /** Optional: `submit` resolved once the input is handled, with `durable` (EngineHub.submitHandled). */
  submitHandled?(input: KernelInput): Promise<{ readonly events: KernelEvent[]; readonly durable: Promise<void> }>;
  /** The kernel, for queries only; read on every call (a restore may replace it). */
  readonly kernel: Kernel;
  /** Unix ms stamped on commands (the market clock in replay, the wall clock live). */
  now(): number;
  /** Optional: resolves with the first matching event of a later input (see EventWaiter). */
  waitForEvent?(match: (event: KernelEvent) => boolean, timeoutMs: number): EventWait;
  /** Optional: the read tables, for the orders the kernel no longer holds (closed ones); without them only the kernel's are found. */
  readonly records?: OrderRecordSource;
}

export interface PaperExecutionOptions {
  /** How long to wait for an order's arrival when latency delays it (default 5,000 ms). */
  readonly arrivalTimeoutMs?: number;
}

export class PaperExecutionService implements OrderExecutionService {
  readonly mode = 'paper' as const;
  private readonly arrivalTimeoutMs: number;

  constructor(
    private readonly port: PaperExecutionPort,
    options: PaperExecutionOptions = {},
  ) {
    this.arrivalTimeoutMs = options.arrivalTimeoutMs ?? 5_000;
  }

  async placeOrder(accountId: string, request: PlaceOrderRequest, options: AnswerOptions = {}): Promise<Answered<OrderView>> {
    return this.placeAt(accountId, request, options, this.time());
  }

  /**
   * Every order is submitted before any is awaited, all stamped with one time: one run of the
   * journal in `requests`' order, arriving together when latency delays them (see OrderExecutionService).
   */
  async placeOrders(accountId: string, requests: readonly PlaceOrderRequest[], options: AnswerOptions = {}): Promise<PromiseSettledResult<Answered<OrderView>>[]> {
    const time = this.time();
    return Promise.allSettled(requests.map((request) => this.placeAt(accountId, request, options, time)));
  }

  /** `placeOrder`, stamped `time`; submitted before its first await. */
  private async placeAt(accountId: string, request: PlaceOrderRequest, options: AnswerOptions, time: number): Promise<Answered<OrderView>> {
    const clientOrderId = request.clientOrderId ?? generateClientOrderId();
    const input = withOrderFields({ kind: 'order.place' as const, time, account: accountId }, request, clientOrderId);
    const isAnswer = (e: KernelEvent): boolean =>
      (e.type === 'ORDER_NEW' || e.type === 'ORDER_REJECTED') && e.account === accountId && e.clientOrderId === clientOrderId;
    const answer = await this.submitAndAwait(input, isAnswer, options.beforeDurable === true);
    if (!answer.ok) return answer;
    const { event, durable } = answer.value;
    if (event === undefined) {
      return answered(failure(pending(`order ${clientOrderId} was accepted and reaches the venue after the simulated latency; look it up by its clientOrderId`)), durable);
    }
    if (event.type === 'ORDER_REJECTED') return answered(failure({ code: event.code, message: event.message, mexcCode: event.mexcCode }), durable);
    if (event.type !== 'ORDER_NEW') throw new Error(`unexpected answer ${event.type}`);
    return answered(await this.viewOf(accountId, event.orderId, answer.value.events), durable);
  }

  /**
   * One `order.list` input: the kernel places every leg or none. The answer is the first leg's
   * ORDER_NEW (then all were placed) or the one ORDER_REJECTED (then none was; `leg` names it).
   */
  async placeOrderList(accountId: string, requests: readonly PlaceOrderRequest[], options: AnswerOptions = {}): Promise<OrderListResult & { readonly durable?: Promise<void> }> {
    const clientOrderIds = requests.map((r) => r.clientOrderId ?? generateClientOrderId());
    const input: PlaceOrderListInput = { kind: 'order.list', time: this.time(), account: accountId, orders: requests.map((r, i) => withOrderFields({}, r, clientOrderIds[i]!)) };
    const mine = new Set(clientOrderIds);
    const isAnswer = (e: KernelEvent): boolean => (e.type === 'ORDER_NEW' || e.type === 'ORDER_REJECTED') && e.account === accountId && mine.has(e.clientOrderId);
    const answer = await this.submitAndAwait(input, isAnswer, options.beforeDurable === true);
    if (!answer.ok) return answer;
    const { event, durable } = answer.value;
    const withDurable = <T extends OrderListResult>(result: T): OrderListResult & { durable?: Promise<void> } => (durable === undefined ? result : extend(result, { durable }));
    if (event === undefined) {
      return withDurable(failure(pending(`order list ${clientOrderIds.join(', ')} was accepted and reaches the venue after the simulated latency; look its orders up by their clientOrderIds`)));
    }
    if (event.type === 'ORDER_REJECTED') {
      return withDurable({ ok: false, error: { code: event.code, message: event.message, mexcCode: event.mexcCode }, leg: clientOrderIds.indexOf(event.clientOrderId) });
    }
    const views: OrderView[] = [];
    for (const clientOrderId of clientOrderIds) {
      const announced = answer.value.events.find((e) => e.type === 'ORDER_NEW' && e.account === accountId && e.clientOrderId === clientOrderId);
      const orderId = announced?.type === 'ORDER_NEW' ? announced.orderId : (await this.find(accountId, { clientOrderId }))?.id;
      if (orderId === undefined) throw new Error(`the kernel placed order list leg ${clientOrderId} but neither it nor the read tables hold it`);
      const view = await this.viewOf(accountId, orderId, answer.value.events);
      if (!view.ok) return withDurable(view);
      views.push(view.value);
    }
    return withDurable(ok(views));
  }

  cancelOrder(accountId: string, ref: OrderRef, options: AnswerOptions = {}): Promise<Answered<OrderView>> {
    return this.cancelAt(accountId, ref, options, undefined);
  }

  /**
   * Every cancel is submitted before any is awaited, all stamped with one time: one run of the
   * journal in `refs`' order, arriving together when latency delays them (see OrderExecutionService).
   */
  async cancelOrders(accountId: string, refs: readonly OrderRef[], options: AnswerOptions = {}): Promise<PromiseSettledResult<Answered<OrderView>>[]> {
    const time = this.time();
    return Promise.allSettled(refs.map((ref) => this.cancelAt(accountId, ref, options, time)));
  }

  /** `cancelOrder`, stamped `stepTime` when given and submitted without a read first (else the time when submitted). */
  private async cancelAt(accountId: string, ref: OrderRef, options: AnswerOptions, stepTime: number | undefined): Promise<Answered<OrderView>> {
    if (ref.orderId === undefined && ref.clientOrderId === undefined) return failure(reject('INVALID_ORDER', 'orderId or clientOrderId is required'));
    // Not found (or another account's, or another symbol's): unknown, unless it may still be on its
    // way to the venue (latency), which only a clientOrderId can name. Then the cancel goes at once,
    // so that it follows the order it chases, and the rows are read only if the venue knows no such order.
    const pendingMayMatch = this.mayBePending(ref);
    let known = this.held(accountId, ref);
    let time = stepTime;
    // A closed order the kernel still holds may be an earlier life's (a reset's cancel): the records decide, as for a read.
    if (known !== undefined && !isOpenStatus(known.status) && this.port.records !== undefined) {
      known = await this.recorded(accountId, ref);
      time = undefined; // the market may have moved during the read: stamped when submitted
    } else if (known === undefined && !pendingMayMatch && this.port.records !== undefined) {
      known = await this.recorded(accountId, ref);
      time = undefined;
    }
    if (known === undefined && !pendingMayMatch) return failure(reject('UNKNOWN_ORDER'));
    const input: CancelOrderInput = {
      kind: 'order.cancel',
      time: time ?? this.time(),
      account: accountId,
      ...(known !== undefined ? { orderId: known.id } : defined({ orderId: ref.orderId, clientOrderId: ref.clientOrderId })),
    };
    const isAnswer = (e: KernelEvent): boolean => {
      if (e.type !== 'CANCEL_REJECTED' && e.type !== 'ORDER_CANCELED' && e.type !== 'ORDER_EXPIRED') return false;
      if (e.account !== accountId) return false;
      return input.orderId !== undefined ? e.orderId === input.orderId : e.clientOrderId === input.clientOrderId;
    };
    const answer = await this.submitAndAwait(input, isAnswer, options.beforeDurable === true);
    if (!answer.ok) return answer;
    const { event, durable } = answer.value;
    if (event === undefined) return answered(failure(pending('the cancel was accepted and takes effect after the simulated latency; query the order for its status')), durable);
    if (event.type === 'CANCEL_REJECTED') {
      // The kernel no longer holds a closed order: to it, the order is unknown; to the caller, it is not open.
      if (event.code === 'UNKNOWN_ORDER' && known === undefined && this.port.records !== undefined) known = await this.recorded(accountId, ref);
      if (event.code === 'UNKNOWN_ORDER' && known !== undefined && !isOpenStatus(known.status)) return answered(failure(reject('ORDER_NOT_OPEN')), durable);
      return answered(failure({ code: event.code, message: event.message, mexcCode: event.mexcCode }), durable);
    }
    if (event.type !== 'ORDER_CANCELED' && event.type !== 'ORDER_EXPIRED') throw new Error(`unexpected answer ${event.type}`);
    return answered(await this.viewOf(accountId, event.orderId, answer.value.events, known), durable);
  }

  async getOrder(accountId: string, ref: OrderRef): Promise<ExecutionResult<OrderView>> {
    if (ref.orderId === undefined && ref.clientOrderId === undefined) return failure(reject('INVALID_ORDER', 'orderId or clientOrderId is required'));
    const order = await this.find(accountId, ref);
    return order === undefined ? failure(reject('UNKNOWN_ORDER')) : ok(paperOrderView(order));
  }

  async openOrders(accountId: string, symbol?: string): Promise<ExecutionResult<OrderView[]>> {
    const kernel = this.port.kernel;
    if (kernel.account(accountId) === undefined) return failure(reject('UNKNOWN_ACCOUNT'));
    const orders = kernel.openOrders(accountId).filter((o) => symbol === undefined || o.symbol === symbol);
    return ok(orders.sort(byId).map(paperOrderView));
  }

  async balances(accountId: string): Promise<ExecutionResult<BalancesView>> {
    const balances = this.port.kernel.balances(accountId);
    return balances === undefined ? failure(reject('UNKNOWN_ACCOUNT')) : ok(balances);
  }

  // ---- internals ----

  private time(): number {
    return Math.floor(this.port.now());
  }

  /**
   * Submits the command and finds its answer among its own events, or, when latency delays it,
   * among later ones. The wait is registered before the submit so that no answer slips by.
   * `beforeDurable` (with a port that can): resolves once the command is handled, with `durable`.
   */
  private async submitAndAwait(
    input: KernelInput,
    isAnswer: (e: KernelEvent) => boolean,
    beforeDurable = false,
  ): Promise<ExecutionResult<{ event: KernelEvent | undefined; events: readonly KernelEvent[]; durable: Promise<void> | undefined }>> {
    const wait = this.port.waitForEvent?.(isAnswer, this.arrivalTimeoutMs);
    let events: KernelEvent[];
    let durable: Promise<void> | undefined;
    try {
      if (beforeDurable && this.port.submitHandled !== undefined) ({ events, durable } = await this.port.submitHandled(input));
      else events = await this.port.submit(input);
    } catch (error) {
      wait?.cancel();
      if (error instanceof InputRefusedError) return failure(reject('INVALID_ORDER', error.message));
      throw error; // the engine failed: nothing was acknowledged, and the API must say so (5xx)
    }
    const own = events.find(isAnswer);
    if (own !== undefined || wait === undefined) {
      wait?.cancel();
      return ok({ event: own, events: own === undefined ? [] : events, durable });
    }
    // Not the rest of the answer's input: the order is read from the kernel, else from its row.
    // The answer comes from a later input, durable before it is told (EngineHub): so is this one.
    const later = await wait.event;
    return ok({ event: later, events: [], durable });
  }

  /**
   * The order `ref` names: the kernel's when it holds it (an open order, or one its latest input
   * closed), else its row. The kernel's order with a clientOrderId is the latest carrying it: a
   * newer one cannot be placed while it is open.
   */
  private async find(accountId: string, ref: OrderRef): Promise<Readonly<Order> | undefined> {
    const held = this.held(accountId, ref);
    // An open order is the account's current life's; a closed one the kernel still holds (until the
    // next input) may be an earlier life's, a reset's cancel: the records, which know the life, decide.
    if (held !== undefined && (isOpenStatus(held.status) || this.port.records === undefined)) return held;
    return this.port.records === undefined ? undefined : await this.recorded(accountId, ref);
  }

  private held(accountId: string, ref: OrderRef): Readonly<Order> | undefined {
    const kernel = this.port.kernel;
    let order: Readonly<Order> | undefined;
    if (ref.orderId !== undefined) order = kernel.order(ref.orderId);
    // A clientOrderId may be reused once its order is closed: the latest order carrying it is meant.
    else if (ref.clientOrderId !== undefined) order = kernel.orders(accountId).filter((o) => o.clientOrderId === ref.clientOrderId).sort(byId).at(-1);
    return this.named(accountId, ref, order);
  }

  private async recorded(accountId: string, ref: OrderRef): Promise<Readonly<Order> | undefined> {
    const kernel = this.port.kernel;
    let order: Readonly<Order> | undefined;
    if (ref.orderId !== undefined) order = await accountOrder(kernel, this.port.records, accountId, ref.orderId);
    else if (ref.clientOrderId !== undefined) order = (await accountOrders(kernel, this.port.records, accountId, { clientOrderId: ref.clientOrderId })).at(-1);
    return this.named(accountId, ref, order);
  }

  /** The order, if it is the account's and agrees with the rest of `ref`. */
  private named(accountId: string, ref: OrderRef, order: Readonly<Order> | undefined): Readonly<Order> | undefined {
    if (order === undefined || order.account !== accountId) return undefined;
    if (ref.orderId !== undefined && ref.clientOrderId !== undefined && order.clientOrderId !== ref.clientOrderId) return undefined;
    if (ref.symbol !== undefined && order.symbol !== ref.symbol) return undefined;
    return order;
  }

  /** A cancel by clientOrderId may target an order still on its way to the venue. */
  private mayBePending(ref: OrderRef): boolean {
    return ref.orderId === undefined && ref.clientOrderId !== undefined && this.port.kernel.pendingCount() > 0;
  }

  /**
   * The order as its answer's events left it: the kernel's while it holds it; else `closed`, the
   * kernel's own order object read before the command, when the events close it as that object
   * now says (the kernel drops a closed order at its next input, and the cancels of one step are
   * handled back to back: all but the last are dropped before their answers are read); else built
   * from the events (a placement's ORDER_NEW); else the order's row.
   */
  private async viewOf(accountId: string, orderId: string, events: readonly KernelEvent[], closed?: Readonly<Order>): Promise<ExecutionResult<OrderView>> {
    const held = this.port.kernel.order(orderId) ?? (closed !== undefined && closesAsTold(closed, orderId, events) ? closed : undefined);
    if (held !== undefined) return ok(paperOrderView(held));
    const told = viewFromEvents(orderId, events);
    if (told !== undefined) return ok(told);
    const recorded = await accountOrder(this.port.kernel, this.port.records, accountId, orderId);
    if (recorded === undefined) throw new Error(`the kernel announced order ${orderId} but neither it nor the read tables hold it`);
    return ok(paperOrderView(recorded));
  }
}

/**
 * Whether `order` (a kernel order object) is `orderId` and the events end it as it now stands:
 * an ORDER_CANCELED or ORDER_EXPIRED of that order with its status and executed quantity.
 */
function closesAsTold(order: Readonly<Order>, orderId: string, events: readonly KernelEvent[]): boolean {
  if (order.id !== orderId) return false;
  for (const e of events) {
    if ((e.type === 'ORDER_CANCELED' || e.type === 'ORDER_EXPIRED') && e.orderId === orderId) return e.status === order.status && e.executedQty === formatFixed(order.executedQty);
  }
  return false;
}

/** `result` with the promise of its command's durability, when it was answered before it. */
function answered<T>(result: ExecutionResult<T>, durable: Promise<void> | undefined): Answered<T> {
  if (durable === undefined) return result;
  return result.ok ? { ok: true, value: result.value, durable } : { ok: false, error: result.error, durable };
}

/** The facade's view of a kernel order. `createdAt` is its arrival at the simulated venue. */
export function paperOrderView(order: Readonly<Order>): OrderView {
  return {
    orderId: order.id,
    clientOrderId: order.clientOrderId,
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    status: order.status,
    ...(order.price !== undefined ? { price: formatFixed(order.price) } : {}),
    quantity: formatFixed(order.quantity),
    ...(order.quoteOrderQty !== undefined ? { quoteOrderQty: formatFixed(order.quoteOrderQty) } : {}),
    ...(order.stopPrice !== undefined ? { stopPrice: formatFixed(order.stopPrice) } : {}),
    ...(order.activationPrice !== undefined ? { activationPrice: formatFixed(order.activationPrice) } : {}),
    ...(order.callbackRate !== undefined ? { callbackRate: formatFixed(order.callbackRate) } : {}),
    ...(order.maxSlippage !== undefined ? { maxSlippage: formatFixed(order.maxSlippage) } : {}),
    ...(order.triggerSource !== undefined ? { triggerSource: order.triggerSource } : {}),
    ...(order.ocoGroup !== undefined ? { ocoGroup: order.ocoGroup } : {}),
    ...(order.bracket?.takeProfit !== undefined ? { takeProfit: exitLegView(order.bracket.takeProfit) } : {}),
    ...(order.bracket?.stopLoss !== undefined ? { stopLoss: exitLegView(order.bracket.stopLoss) } : {}),
    executedQty: formatFixed(order.executedQty),
    cumulativeQuoteQty: formatFixed(order.cumulativeQuoteQty),
    createdAt: order.arrivesAt,
    updatedAt: order.updatedAt,
    mode: 'paper',
  };
}

/** The order as one input's events tell it: its ORDER_NEW, then what happened to it after; undefined without its ORDER_NEW. */
export function viewFromEvents(orderId: string, events: readonly KernelEvent[]): OrderView | undefined {
  let view: OrderView | undefined;
  for (const e of events) {
    if (!('orderId' in e) || e.orderId !== orderId) continue;
    if (e.type === 'ORDER_NEW') {
      view = {
        orderId, clientOrderId: e.clientOrderId, symbol: e.symbol, side: e.side, type: e.orderType, status: e.status,
        ...(e.price !== undefined ? { price: e.price } : {}),
        quantity: e.quantity,
        ...(e.quoteOrderQty !== undefined ? { quoteOrderQty: e.quoteOrderQty } : {}),
        ...(e.stopPrice !== undefined ? { stopPrice: e.stopPrice } : {}),
        ...(e.activationPrice !== undefined ? { activationPrice: e.activationPrice } : {}),
        ...(e.callbackRate !== undefined ? { callbackRate: e.callbackRate } : {}),
        ...(e.maxSlippage !== undefined ? { maxSlippage: e.maxSlippage } : {}),
        ...(e.triggerSource !== undefined ? { triggerSource: e.triggerSource } : {}),
        ...(e.ocoGroup !== undefined ? { ocoGroup: e.ocoGroup } : {}),
        ...(e.takeProfit !== undefined ? { takeProfit: e.takeProfit } : {}),
        ...(e.stopLoss !== undefined ? { stopLoss: e.stopLoss } : {}),
        executedQty: '0', cumulativeQuoteQty: '0', createdAt: e.at, updatedAt: e.at, mode: 'paper',
      };
    } else if (view === undefined) {
      continue;
    } else if (e.type === 'FILL') {
      view = { ...view, status: e.status, executedQty: e.executedQty, cumulativeQuoteQty: e.cumulativeQuoteQty, updatedAt: e.at };
    } else if (e.type === 'ORDER_TRIGGERED') {
      view = { ...view, status: e.status, stopPrice: e.stopPrice, updatedAt: e.at };
    } else if (e.type === 'ORDER_CANCELED' || e.type === 'ORDER_EXPIRED') {
      view = { ...view, status: e.status, executedQty: e.executedQty, updatedAt: e.at, ...(e.stopPrice !== undefined ? { stopPrice: e.stopPrice } : {}) };
    }
  }
  return view;
}

function exitLegView(leg: ExitLeg): ExitLegRequest {
  return { stopPrice: formatFixed(leg.stopPrice), ...(leg.price !== undefined ? { price: formatFixed(leg.price) } : {}), ...(leg.triggerSource !== undefined ? { triggerSource: leg.triggerSource } : {}) };
}

function reject(code: RejectionCode, detail?: string): ExecutionError {
  const r = rejection(code, detail);
  return { code: r.code, message: r.message, mexcCode: r.mexcCode };
}

function pending(message: string): ExecutionError {
  return { code: EXECUTION_ERROR_CODES.ORDER_PENDING, message, retryable: false };
}

function byId(a: Readonly<Order>, b: Readonly<Order>): number {
  return Number(a.id) - Number(b.id);
}

/**
 * `target` with a request's order fields added as the kernel takes them, undefined ones left out
 * (key order fixed: inputs are journaled as JSON, with no undefined keys). Written into `target`
 * rather than spread from an object of its own: this runs per order.
 */
function withOrderFields<T extends object>(target: T, request: PlaceOrderRequest, clientOrderId: string): T & OrderListLegInput {
  const out = target as Record<string, unknown>;
  out.symbol = request.symbol;
  out.side = request.side;
  out.type = request.type;
  out.clientOrderId = clientOrderId;
  putDefined(out, 'quantity', request.quantity);
  putDefined(out, 'quoteOrderQty', request.quoteOrderQty);
  putDefined(out, 'price', request.price);
  putDefined(out, 'stopPrice', request.stopPrice);
  putDefined(out, 'activationPrice', request.activationPrice);
  putDefined(out, 'callbackRate', request.callbackRate);
  putDefined(out, 'maxSlippage', request.maxSlippage);
  putDefined(out, 'triggerSource', request.triggerSource);
  putDefined(out, 'expireAfterMs', request.expireAfterMs);
  putDefined(out, 'reduceOnly', request.reduceOnly);
  // A bracket's group is named after its entry unless the request names it.
  putDefined(out, 'ocoGroup', request.ocoGroup ?? (request.takeProfit !== undefined || request.stopLoss !== undefined ? clientOrderId : undefined));
  putDefined(out, 'takeProfit', request.takeProfit);
  putDefined(out, 'stopLoss', request.stopLoss);
  return target as T & OrderListLegInput;
}

function putDefined(target: Record<string, unknown>, key: keyof OrderListLegInput, value: unknown): void {
  if (value !== undefined) target[key] = value;
}

/** The object without its undefined fields, in its key order (inputs are journaled JSON: no undefined keys). A loop: this runs per order. */
function defined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  const kept: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (value !== undefined) kept[key] = value;
  }
  return kept as Partial<T>;
}
