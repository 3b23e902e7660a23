/**
 * MEXC contract trigger orders (`/api/v1/private/planorder/*`, MEXC calls them plan orders): an
 * order MEXC places once the price reaches a trigger price. On paper a trigger order is one of the
 * engine's conditional orders (docs/adr/0068):
 *
 * | side (MEXC)            | triggerType       | engine type (orderType 5 / 1)        |
 * |------------------------|-------------------|--------------------------------------|
 * | 1, 2: buy              | 1: price ≥ trigger | STOP_LOSS / STOP_LOSS_LIMIT          |
 * | 1, 2: buy              | 2: price ≤ trigger | TAKE_PROFIT / TAKE_PROFIT_LIMIT      |
 * | 3, 4: sell             | 2: price ≤ trigger | STOP_LOSS / STOP_LOSS_LIMIT          |
 * | 3, 4: sell             | 1: price ≥ trigger | TAKE_PROFIT / TAKE_PROFIT_LIMIT      |
 *
 * (an engine stop buys as the price rises to it and sells as it falls to it, a take-profit the other
 * way round); `trend` 1 (latest price) and 2 (fair price, MEXC's mark) are the order's
 * `triggerSource` 'last' and 'mark' (ADR 0066). A trigger already reached when the order arrives is
 * refused (3004), as the engine refuses any stop already reached. The engine triggers the order in
 * place: the order it becomes keeps the trigger order's id, which is the `orderId` of an executed
 * trigger order, and the order routes list it as a regular order from then on.
 *
 * `executeCycle` (1: 24 hours, 2: 7 days) is the order's validity: not triggered within it from its
 * arrival, the engine expires it (the kernel's `expireTime`, on the inputs' clock) and the list
 * states it invalid (4), its margin released.
 *
 * Guarantees: every refusal is decided before anything is placed or cancelled. Paper only (the
 * kernel's orders). Not modelled: orderType 2–4 on a trigger order; attached take-profit and
 * stop-loss (`planorder/place/v2`). `planorder/change_price`: mexc-contract-plan-change.ts.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { formatFixed, parseFixed } from '../../core/money/fixed.js';
import { extend } from '../../core/objects.js';
import { isOpenStatus } from '../../core/orders/order-status.js';
import { executionType, isConditional, type Order, type OrderType, type TriggerSource } from '../../core/orders/order.js';
import { accountOrder, accountOrders } from '../../execution/order-records.js';
import { auditCall, cancelOpenOrders, cancelTogether, outcomeOf, type AuditCall } from '../dialect-kit/facade-calls.js';
import { historyBounds } from '../dialect-kit/history-pages.js';
import { intParam, optionalInt } from '../dialect-kit/request-params.js';
import { orderRecords } from '../order-groups.js';
import type { AccountProfile } from '../../persistence/credential-store.js';
import type { ExecutionResult, OrderView, PlaceOrderRequest } from '../service-deps.js';
import { ok, type ContractContext } from './mexc-contract-api.js';
import { contractErrorOf, contractErrors, type ContractOrderTerms } from './mexc-contract-errors.js';
import { num, sideCodeOf } from './mexc-contract-mappers.js';
import { contractOpenType, contractOrderRequest, decimalField, intField } from './mexc-contract-order-request.js';
import { contractOfSymbol, volOf, type Contract } from './mexc-contract-symbols.js';

const tags = ['mexc contract'];
/** planorder/list/orders without start_time and end_time: the last 7 days (MEXC's default). */
const LIST_DEFAULT_MS = 7 * 24 * 60 * 60 * 1000;
/** MEXC's `executeCycle` codes and the hours its list answers for them. */
const CYCLE_HOURS: Readonly<Record<number, number>> = { 1: 24, 2: 168 };
/** The clientOrderId of a trigger order placed here names its cycle: `plan24h…`, `plan168h…`. */
const CYCLE_TAG = /^plan(24|168)h/;
const HOUR_MS = 60 * 60 * 1000;

/**
 * A trigger order as MEXC shows it: a conditional order of the engine that is neither an exit of a
 * bracket or OCO pair (those are MEXC stop orders, mexc-contract-stop-routes.ts) nor a trailing stop.
 */
export function isPlanOrder(o: { readonly type: OrderType; readonly ocoGroup?: string | undefined }): boolean {
  return isConditional(o.type) && o.type !== 'TRAILING_STOP_MARKET' && o.ocoGroup === undefined;
}

/**
 * MEXC's trigger order state: 1 untriggered, 2 cancelled, 3 executed, 4 invalid, 5 execution failed.
 * Execution failed is an order the trigger could not place: refused, or ended at its trigger with
 * nothing filled (a close side with no position left to close, margin short for a market order, no
 * book); one that was placed and ended later, filled or not, was executed.
 */
export function planState(o: Readonly<Order>): 1 | 2 | 3 | 4 | 5 {
  if (o.triggered) return o.status === 'REJECTED' || (o.status === 'EXPIRED' && o.executedQty === 0n && o.updatedAt === o.triggeredAt) ? 5 : 3;
  if (isOpenStatus(o.status)) return 1;
  return o.status === 'CANCELED' ? 2 : 4;
}

/**
 * The engine's reasons for an order ended at its trigger with nothing filled that are not refusals
 * `order/create` answers: nothing to close (2009, as a close side with no position is refused), and
 * nothing to take on the book within the order's bounds (2008 "The quantity is insufficient").
 */
const FAILURE_CODES: Readonly<Record<string, number>> = { REDUCE_ONLY: 2009, NO_LIQUIDITY: 2008, DEPTH_EXHAUSTED: 2008, SLIPPAGE_CAP: 2008 };

/**
 * The list's `errorCode` for a trigger order that could not place its order (state 5): the MEXC code
 * of the reason the engine kept on the order (`Order.reason`), as the order routes answer that
 * refusal (mexc-contract-errors.ts: INSUFFICIENT_BALANCE 2005, WOULD_TAKE 2007, …; the engine's own
 * reasons by FAILURE_CODES); 9999 ("Public abnormal") for an order that kept none. 0 in every other state.
 */
export function planErrorCode(o: Readonly<Order>, state: 1 | 2 | 3 | 4 | 5): number {
  if (state !== 5) return 0;
  if (o.reason === undefined) return 9999;
  return FAILURE_CODES[o.reason] ?? contractErrorOf({ code: o.reason, message: o.reason }).code;
}

/** Whether a trigger order placed its order (executed, 3): from then on MEXC lists that order among its orders. */
export const placedItsOrder = (o: Readonly<Order>): boolean => o.triggered && planState(o) === 3;

/** 1 (≥) when the order waits for the price to rise to its trigger, 2 (≤) when to fall to it. */
const triggerTypeOf = (side: 'BUY' | 'SELL', type: OrderType): 1 | 2 => ((side === 'BUY') === type.startsWith('STOP_LOSS') ? 1 : 2);

/**
 * One entry of `GET /api/v1/private/planorder/list/orders` (MEXC futures API, "Gets the trigger order
 * list") and the `push.personal.plan.order` body; `state`, when given, is the state an event stated
 * (the order may have moved on since), else the order's own.
 */
export function contractPlanOrder(o: Readonly<Order>, c: Contract, openType: 1 | 2, state: 1 | 2 | 3 | 4 | 5 = planState(o)): Record<string, unknown> {
  const cycle = cycleOf(o);
  return {
    id: o.id,
    symbol: c.symbol,
    leverage: o.leverage,
    side: sideCodeOf(o.side, o.reduceOnly),
    triggerPrice: num(formatFixed(o.stopPrice ?? 0n)),
    // MEXC's list states every field, a market order's execute price as 0 (its example: "price":0.0).
    price: num(o.price ?? 0n),
    vol: num(volOf(c, o.quantity)),
    openType,
    triggerType: triggerTypeOf(o.side, o.type),
    state,
    ...(cycle !== undefined ? { executeCycle: cycle } : {}),
    // Unstated: the engine's setting, the latest price unless the service is configured otherwise.
    trend: o.triggerSource === 'mark' ? 2 : 1,
    orderType: executionType(o.type) === 'LIMIT' ? 1 : 5,
    ...(state === 3 ? { orderId: o.id } : {}),
    errorCode: planErrorCode(o, state),
    createTime: o.arrivesAt,
    // Its last change of state: the trigger is one (1 to 3, or 5), though the order it placed may not have changed since.
    updateTime: Math.max(o.updatedAt, o.triggeredAt ?? o.updatedAt),
  };
}

/**
 * The cycle, in hours, of a trigger order placed here, from the tag of its client id; none for an
 * open order without a validity (`expireTime`): one placed through another API under a client id
 * that looks like the tag never expires, whatever its id says. A closed order read back from its
 * record (which keeps no `expireTime`) states its tag.
 */
export function cycleOf(o: Readonly<Order>): number | undefined {
  const tagged = CYCLE_TAG.exec(o.clientOrderId)?.[1];
  if (tagged === undefined || (o.expireTime === undefined && isOpenStatus(o.status))) return undefined;
  return Number(tagged);
}

/** `trend` (1 latest price, 2 fair price, 3 index price) as the engine's trigger source; 3 is refused as `profitTrend` 3 is. */
function trendOf(body: Record<string, unknown>): TriggerSource {
  const trend = intField(body, 'trend');
  if (trend === undefined) throw contractErrors.param('trend is required: 1 (latest price), 2 (fair price) or 3 (index price)');
  if (trend === 1) return 'last';
  if (trend === 2) return 'mark';
  if (trend === 3) throw contractErrors.notSupported('trend 3 (the index price)');
  throw contractErrors.triggerPriceType('trend must be 1 (latest price), 2 (fair price) or 3 (index price)');
}

/**
 * The engine's order a `planorder/place` body describes (also the replacement `planorder/change_price`
 * places, mexc-contract-plan-change.ts); every refusal is thrown here, before anything is placed.
 */
export function planOrderRequest(ctx: ContractContext, account: AccountProfile, raw: unknown): { order: PlaceOrderRequest; terms: ContractOrderTerms } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw contractErrors.param('the body must be a JSON object');
  const body = raw as Record<string, unknown>;
  for (const name of ['takeProfitPrice', 'stopLossPrice']) {
    if (body[name] !== undefined && body[name] !== null && body[name] !== '') throw contractErrors.notSupported(`${name} on a trigger order`);
  }
  const orderType = intField(body, 'orderType');
  if (orderType === 2 || orderType === 3 || orderType === 4) throw contractErrors.notSupported(`orderType ${orderType} on a trigger order`);
  if (orderType !== 1 && orderType !== 5) throw contractErrors.param('orderType must be 1 (limit) or 5 (market)');
  // The order it places, checked as order/create checks one (`type` is the trigger order's orderType).
  const { order, terms } = contractOrderRequest(ctx, account, extend(body, { type: orderType, externalOid: undefined }));
  const triggerPrice = decimalField(body, 'triggerPrice');
  if (triggerPrice === undefined) throw contractErrors.param('triggerPrice is required');
  if (parseFixed(triggerPrice) === 0n) throw contractErrors.triggerPrice('triggerPrice must be above 0');
  const triggerType = intField(body, 'triggerType');
  if (triggerType !== 1 && triggerType !== 2) throw contractErrors.triggerType('triggerType must be 1 (more than or equal) or 2 (less than or equal)');
  const cycle = CYCLE_HOURS[intField(body, 'executeCycle') ?? 0];
  if (cycle === undefined) throw contractErrors.executeCycle('executeCycle must be 1 (24 hours) or 2 (7 days)');
  const triggerSource = trendOf(body);
  // A buy waiting for the price to rise (≥) is the engine's stop, one waiting for it to fall (≤) its take-profit; a sell the other way round.
  const stop = (order.side === 'BUY') === (triggerType === 1);
  const type: OrderType = stop ? (orderType === 1 ? 'STOP_LOSS_LIMIT' : 'STOP_LOSS') : orderType === 1 ? 'TAKE_PROFIT_LIMIT' : 'TAKE_PROFIT';
  const clientOrderId = `plan${cycle}h${randomBytes(10).toString('hex')}`;
  // MEXC ends a trigger order not triggered within its cycle (state 4): the engine expires it at its arrival + the cycle.
  return { order: extend(order, { type, stopPrice: triggerPrice, triggerSource, clientOrderId, expireAfterMs: cycle * HOUR_MS }), terms };
}

/**
 * Places a trigger order the engine's way and answers its view; a refusal is thrown in MEXC's terms:
 * a trigger already reached is 3004 "Trigger price error", naming the price and the direction.
 */
export async function placePlanOrder(ctx: ContractContext, audit: AuditCall, accountId: string, order: PlaceOrderRequest, terms: ContractOrderTerms): Promise<OrderView> {
  const result = await ctx.deps.execution.placeOrder(accountId, order);
  await audit('order.place', accountId, { request: order, result: outcomeOf(result) });
  if (result.ok) return result.value;
  if (result.error.code === 'WOULD_TRIGGER_IMMEDIATELY') {
    const words = triggerTypeOf(order.side, order.type) === 1 ? 'at or above' : 'at or below';
    throw contractErrors.triggerPrice(`the ${order.triggerSource === 'mark' ? 'fair' : 'latest'} price is already ${words} ${order.stopPrice} (${result.error.message})`);
  }
  // The mark the perpetual's price band is measured from, to tell a price too high from one too low.
  const mark = ctx.deps.hub.kernel.markPrice(order.symbol);
  throw contractErrorOf(result.error, mark === undefined ? terms : { ...terms, mark });
}

export function registerContractPlanRoutes(app: FastifyInstance, ctx: ContractContext): void {
  const { deps } = ctx;
  const kernel = () => deps.hub.kernel;
  const audit = auditCall(app, deps, 'mexc-contract', ctx.wallClock);
  const invalid = (detail: string) => contractErrors.param(detail);
  const unwrap = <T>(result: ExecutionResult<T>, terms?: ContractOrderTerms): T => {
    if (!result.ok) throw contractErrorOf(result.error, terms);
    return result.value;
  };

  app.post('/api/v1/private/planorder/place', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const { order, terms } = planOrderRequest(ctx, account, ctx.body(request));
    // MEXC: "success = true, data value is the order ID".
    return ok((await placePlanOrder(ctx, audit, account.accountId, order, terms)).orderId);
  });

  /** The account's trigger orders on perpetuals (of one contract), closed ones included, oldest first. */
  const planOrders = async (accountId: string, c: Contract | undefined): Promise<Readonly<Order>[]> =>
    (await accountOrders(kernel(), orderRecords(deps), accountId, c === undefined ? {} : { symbol: c.instrument.symbol })).filter(
      (o) => isPlanOrder(o) && contractOfSymbol(kernel(), o.symbol) !== undefined,
    );

  app.get('/api/v1/private/planorder/list/orders', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const q = ctx.query(request);
    const c = q.symbol === undefined || q.symbol === '' ? undefined : ctx.contract(q.symbol);
    let states: Set<number> | undefined;
    if (q.states !== undefined && q.states !== '') {
      const codes = q.states.split(',');
      if (!codes.every((s) => /^[1-5]$/.test(s))) throw invalid('states: 1 to 5, separated by ","');
      states = new Set(codes.map(Number));
    }
    // `side` (MEXC: 1 open long, 2 close short, 3 open short, 4 close long) narrows the list to that side.
    if (q.side !== undefined && q.side !== '' && !/^[1-4]$/.test(q.side)) throw invalid('side must be 1 (open long), 2 (close short), 3 (open short) or 4 (close long)');
    const side = q.side === undefined || q.side === '' ? undefined : Number(q.side);
    const window = {
      maxSpanMs: Number.POSITIVE_INFINITY,
      tooLong: () => invalid('the window is too wide'),
      recentSpanMs: LIST_DEFAULT_MS,
      ...(deps.execution.mode === 'paper' ? { recentBefore: () => deps.hub.now() } : {}),
    };
    const since = optionalInt(q.start_time, 'start_time', invalid);
    const until = optionalInt(q.end_time, 'end_time', invalid);
    const { start, end } = historyBounds(since, until, undefined, window);
    // MEXC ends a trigger order within its cycle, 7 days at most, so its default 7 days show every
    // waiting one, as here for those placed through planorder/place; a conditional order placed
    // through another API has no cycle, and one older is still listed while it waits.
    const defaulted = since === undefined && until === undefined;
    const pageNum = intParam(q.page_num, 'page_num', 1, 1_000_000, invalid);
    const pageSize = intParam(q.page_size, 'page_size', 20, 100, invalid);
    const openType = contractOpenType(ctx, account.accountId);
    const wanted = (await planOrders(account.accountId, c))
      .filter((o) => (start === undefined || o.arrivesAt >= start || (defaulted && planState(o) === 1)) && (end === undefined || o.arrivesAt <= end) && (states === undefined || states.has(planState(o))) && (side === undefined || sideCodeOf(o.side, o.reduceOnly) === side))
      .sort((a, b) => b.arrivesAt - a.arrivesAt || Number(b.id) - Number(a.id));
    const page = wanted.slice((pageNum - 1) * pageSize, pageNum * pageSize);
    return ok(page.map((o) => contractPlanOrder(o, contractOfSymbol(kernel(), o.symbol)!, openType)));
  });

  app.post('/api/v1/private/planorder/cancel', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const body = ctx.body(request);
    if (!Array.isArray(body) || body.length === 0 || body.length > 50) throw invalid('the body must be an array of 1 to 50 {"symbol": …, "orderId": …}');
    // Every entry is checked before any cancel: one wrong entry cancels nothing.
    const targets: Readonly<Order>[] = [];
    for (const [i, item] of body.entries()) {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalid(`entry ${i + 1} must be {"symbol": …, "orderId": …}`);
      const { symbol, orderId } = item as Record<string, unknown>;
      const c = ctx.contract(symbol);
      const id = typeof orderId === 'number' && Number.isSafeInteger(orderId) && orderId > 0 ? String(orderId) : typeof orderId === 'string' && /^[1-9][0-9]{0,18}$/.test(orderId) ? orderId : undefined;
      if (id === undefined) throw invalid(`entry ${i + 1}: orderId must be a whole number`);
      const order = await accountOrder(kernel(), orderRecords(deps), account.accountId, id);
      if (order === undefined || !isPlanOrder(order) || order.symbol !== c.instrument.symbol) throw contractErrors.unknownOrder();
      if (planState(order) !== 1) throw contractErrors.notCancellable();
      // An id listed twice is cancelled once: a second cancel would find it cancelled and fail the whole answer.
      if (!targets.some((t) => t.id === order.id)) targets.push(order);
    }
    // One step (cancelTogether); every target was checked cancellable above, so a refusal here is the engine's, answered as the first one.
    for (const result of await cancelTogether(deps, audit, account.accountId, targets.map((order) => ({ orderId: order.id })))) unwrap(result);
    return ok();
  });

  app.post('/api/v1/private/planorder/cancel_all', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const raw = ctx.body(request);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid('the body must be a JSON object');
    const body = raw as Record<string, unknown>;
    // `symbol` is optional (absent: every contract); null, as a client's None or nil sends it, is absent.
    const symbol = body.symbol === undefined || body.symbol === null || body.symbol === '' ? undefined : ctx.contract(body.symbol).instrument.symbol;
    // Untriggered trigger orders only: one that triggered is a regular order now (order/cancel_all).
    const waiting = (o: OrderView) => isPlanOrder(o) && kernel().order(o.orderId)?.triggered === false && contractOfSymbol(kernel(), o.symbol) !== undefined;
    unwrap(await cancelOpenOrders(deps, audit, account.accountId, symbol, waiting));
    return ok();
  });
}
