/**
 * Binance USD-M SIGNED order endpoints: order (new, query, cancel), openOrder, openOrders,
 * allOpenOrders, allOrders, userTrades, and the Algo Service's conditional orders (algoOrder,
 * openAlgoOrders, allAlgoOrders, algoOpenOrders). Orders, cancels and queries go through the facade
 * and into the audit log exactly as the native routes do: an order placed here is the same order
 * on `/api/orders` of the same account, and a conditional order's algoId is its order id.
 *
 * The order lists (`openOrders`, `allOrders`) hold the orders working on the book: conditional
 * orders join them when they trigger, as Binance's Algo Service places the order then; until then
 * they are found through the algo endpoints only (`GET /fapi/v1/order` answers -2013 for them).
 * A FOK order that cannot fill whole answers -5021 and a post-only order that would take -5022,
 * as on Binance; the expired FOK order still shows in `allOrders`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Instrument } from '../../core/instruments/instrument.js';
import { extend } from '../../core/objects.js';
import { isConditional, type Order } from '../../core/orders/order.js';
import type { AccountProfile } from '../../persistence/credential-store.js';
import type { BinanceContext } from '../binance/binance-api.js';
import { binanceErrors } from '../binance/binance-errors.js';
import { binanceStatusOf } from '../binance/binance-mappers.js';
import { parseFixed } from '../../core/money/fixed.js';
import { fillsPage, ordersPage, type HistoryWindow } from '../dialect-kit/history-pages.js';
import { auditCall, cancelTogether, outcomeOf, type AuditCall } from '../dialect-kit/facade-calls.js';
import type { OrderRef } from '../../execution/order-execution-service.js';
import type { ReadResult } from '../../execution/account-read-port.js';
import { accountReads } from '../paper-account-reads.js';
import { freshValueOr } from '../read-answers.js';
import type { ExecutionResult, OrderView } from '../service-deps.js';
import { usdmErrorOf, usdmErrors } from './usdm-errors.js';
import { isWaitingConditional, usdmAlgoOrder, usdmOrder, usdmUserTrade } from './usdm-mappers.js';
import { usdmOrderRequest } from './usdm-order-request.js';

const invalid = binanceErrors.invalidParameter;
const DAY_MS = 24 * 3_600_000;

/** What the USD-M route files share: the signed futures account, the audit, the facade's answers in USD-M's errors. */
export interface UsdmTrading {
  readonly ctx: BinanceContext;
  readonly audit: AuditCall;
  /** The account of a correctly signed request; -2015 for a spot account's key. */
  account(request: FastifyRequest, p: Record<string, string>): AccountProfile;
  perpetual(symbol: string | undefined): Instrument;
  unwrap<T>(result: ExecutionResult<T>, on: 'place' | 'query' | 'cancel', instrument?: Instrument): T;
}

export function usdmTrading(app: FastifyInstance, ctx: BinanceContext): UsdmTrading {
  const kernel = () => ctx.deps.hub.kernel;
  return {
    ctx,
    audit: auditCall(app, ctx.deps, 'binance-usdm', ctx.wallClock),
    account(request, p) {
      const account = ctx.signed(request, p);
      if (kernel().account(account.accountId)?.kind !== 'futures') throw usdmErrors.notFuturesAccount();
      return account;
    },
    perpetual(symbol) {
      if (symbol === undefined || symbol === '') throw binanceErrors.mandatory('symbol');
      const instrument = kernel().instrument(symbol);
      if (instrument === undefined || instrument.market !== 'perpetual') throw binanceErrors.invalidSymbol();
      return instrument;
    },
    unwrap(result, on, instrument) {
      if (!result.ok) throw usdmErrorOf(result.error, on, instrument);
      return result.value;
    },
  };
}

export function registerUsdmTradingRoutes(t: UsdmTrading): void {
  const { ctx, audit } = t;
  const { deps } = ctx;
  // History and an order's terms beyond the facade's view come from the read port: the kernel on paper, the venue live.
  const reads = () => accountReads(deps, ctx.tape);
  const kernelOrder = (accountId: string, o: OrderView) => reads().orderDetail(accountId, o.orderId);
  /** The orders' engine records, looked up once: a lookup by order. */
  const detailsOf = async (accountId: string, orders: readonly OrderView[]): Promise<(o: OrderView) => Readonly<Order> | undefined> => {
    const details = new Map<string, Readonly<Order> | undefined>();
    for (const o of orders) details.set(o.orderId, await kernelOrder(accountId, o));
    return (o) => details.get(o.orderId);
  };
  /** A conditional order still waiting for its trigger (an algo order), by its engine record. */
  const waitingOf = async (accountId: string, o: OrderView): Promise<boolean> => isWaitingConditional(o, await kernelOrder(accountId, o));
  /** A read port answer, with its age on the reply (X-Data-As-Of, Age), or the Binance error. */
  const freshOrThrow = <T>(reply: FastifyReply, result: ReadResult<T>): T => freshValueOr(reply, result, (error) => usdmErrorOf(error, 'query'), ctx.wallClock());
  const orderRef = (p: Record<string, string>, idName: string, clientName: string): OrderRef & { symbol: string } => {
    const symbol = t.perpetual(p.symbol).symbol;
    if ((p[idName] ?? '') === '' && (p[clientName] ?? '') === '') throw binanceErrors.eitherOf(idName, clientName);
    const id = p[idName];
    if (id && !/^\d{1,20}$/.test(id)) throw binanceErrors.illegalChars(idName, '^[0-9]{1,20}$');
    return { symbol, ...(id ? { orderId: id } : {}), ...(p[clientName] ? { clientOrderId: p[clientName] } : {}) };
  };
  const openOf = async (accountId: string, symbol: string | undefined) => t.unwrap(await deps.execution.openOrders(accountId, symbol), 'query');
  /**
   * allOrders, allAlgoOrders and Query Order (GET /v1/order): "These orders will not be found: order status is CANCELED or
   * EXPIRED AND order has NO filled trade AND created time + 3 days < current time; order create
   * time + 90 days < current time", on the exchange's clock (paper; live, the venue's lists stand).
   */
  const stillFound = (o: OrderView): boolean => {
    if (deps.execution.mode !== 'paper') return true;
    const now = deps.hub.now();
    if (o.createdAt + 90 * DAY_MS < now) return false;
    const status = binanceStatusOf(o);
    return !((status === 'CANCELED' || status === 'EXPIRED') && parseFixed(o.executedQty) === 0n && o.createdAt + 3 * DAY_MS < now);
  };
  /**
   * userTrades, allOrders, allAlgoOrders: "The time between startTime and endTime cannot be longer
   * than 7 days", and without either (nor a first id) "the last 7 days' data will be returned",
   * the last 7 days of the exchange's clock (a replay's time on paper; live, the venue applies its own).
   */
  const historyWindow: HistoryWindow = {
    maxSpanMs: 7 * DAY_MS,
    tooLong: binanceErrors.intervalTooLong,
    ...(deps.execution.mode === 'paper' ? { recentBefore: () => deps.hub.now() } : {}),
  };

  /** Places through the facade; FOK orders that expired unfilled answer -5021 (they stay in the history). */
  const place = async (request: FastifyRequest, reply: { header(name: string, value: string): unknown }, p: Record<string, string>, endpoint: 'order' | 'algo') => {
    const account = t.account(request, p);
    for (const [header, count] of Object.entries(ctx.meter.chargeOrder(account.accountId))) reply.header(header, String(count));
    const { order } = usdmOrderRequest(p, endpoint);
    const instrument = t.perpetual(order.symbol);
    const result = await deps.execution.placeOrder(account.accountId, order, { beforeDurable: true });
    await audit('order.place', account.accountId, { request: order, result: outcomeOf(result) }, result.durable);
    const placed = t.unwrap(result, 'place', instrument);
    if (placed.type === 'FILL_OR_KILL' && placed.status === 'EXPIRED') throw usdmErrors.fokRejected();
    return { account, placed };
  };

  ctx.route('POST', '/v1/order', 0, async (request, reply, p) => {
    const { account, placed } = await place(request, reply, p, 'order');
    return usdmOrder(placed, await kernelOrder(account.accountId, placed));
  });

  ctx.route('GET', '/v1/order', 1, async (request, _reply, p) => {
    const account = t.account(request, p);
    const found = t.unwrap(await deps.execution.getOrder(account.accountId, orderRef(p, 'orderId', 'origClientOrderId')), 'query');
    // Query Order documents the same orders not found as allOrders (`stillFound`).
    if ((await waitingOf(account.accountId, found)) || !stillFound(found)) throw binanceErrors.orderDoesNotExist();
    return usdmOrder(found, await kernelOrder(account.accountId, found));
  });

  ctx.route('DELETE', '/v1/order', 1, async (request, _reply, p) => {
    const account = t.account(request, p);
    const ref = orderRef(p, 'orderId', 'origClientOrderId');
    const found = await deps.execution.getOrder(account.accountId, ref);
    if (found.ok && (await waitingOf(account.accountId, found.value))) throw binanceErrors.unknownOrderOnCancel();
    const result = await deps.execution.cancelOrder(account.accountId, ref, { beforeDurable: true });
    await audit('order.cancel', account.accountId, extend(ref, { result: result.ok ? { status: result.value.status } : result.error }), result.durable);
    const canceled = t.unwrap(result, 'cancel');
    return usdmOrder(canceled, await kernelOrder(account.accountId, canceled));
  });

  ctx.route('GET', '/v1/openOrder', 1, async (request, _reply, p) => {
    const account = t.account(request, p);
    const found = t.unwrap(await deps.execution.getOrder(account.accountId, orderRef(p, 'orderId', 'origClientOrderId')), 'query');
    if ((await waitingOf(account.accountId, found)) || !(found.status === 'NEW' || found.status === 'PARTIALLY_FILLED')) throw binanceErrors.orderDoesNotExist();
    return usdmOrder(found, await kernelOrder(account.accountId, found));
  });

  ctx.route('GET', '/v1/openOrders', (p) => (p.symbol ? 1 : 40), async (request, _reply, p) => {
    const account = t.account(request, p);
    const symbol = p.symbol ? t.perpetual(p.symbol).symbol : undefined;
    const open = await openOf(account.accountId, symbol);
    const detail = await detailsOf(account.accountId, open);
    return open.filter((o) => !isWaitingConditional(o, detail(o))).map((o) => usdmOrder(o, detail(o)));
  });

  /** Cancels the symbol's open orders of one kind (book orders, or conditional orders still waiting). */
  const cancelAll = async (request: FastifyRequest, p: Record<string, string>, algo: boolean) => {
    const account = t.account(request, p);
    const symbol = t.perpetual(p.symbol).symbol;
    const open = await openOf(account.accountId, symbol);
    const detail = await detailsOf(account.accountId, open);
    const kinds = open.filter((o) => isWaitingConditional(o, detail(o)) === algo);
    await cancelTogether(deps, audit, account.accountId, kinds.map((o) => ({ orderId: o.orderId, symbol })));
    return { code: 200, msg: 'The operation of cancel all open order is done.' };
  };
  ctx.route('DELETE', '/v1/allOpenOrders', 1, async (request, _reply, p) => cancelAll(request, p, false));
  ctx.route('DELETE', '/v1/algoOpenOrders', 1, async (request, _reply, p) => cancelAll(request, p, true));

  ctx.route('GET', '/v1/allOrders', 5, async (request, reply, p) => {
    const account = t.account(request, p);
    let detail: (o: OrderView) => Readonly<Order> | undefined = () => undefined;
    const page = await ordersPage(reads(), account.accountId, t.perpetual(p.symbol).symbol, p, 'orderId', invalid, (o) => stillFound(o) && !isWaitingConditional(o, detail(o)), async (orders) => {
      detail = await detailsOf(account.accountId, orders);
    }, historyWindow);
    return freshOrThrow(reply, page).map((o) => usdmOrder(o, detail(o)));
  });

  ctx.route('GET', '/v1/userTrades', 5, async (request, reply, p) => {
    const account = t.account(request, p);
    return freshOrThrow(reply, await fillsPage(reads(), account.accountId, t.perpetual(p.symbol).symbol, p, { invalid, combination: binanceErrors.combination }, historyWindow)).map(usdmUserTrade);
  });

  // ---- the Algo Service: conditional orders ----

  ctx.route('POST', '/v1/algoOrder', 0, async (request, reply, p) => {
    const { account, placed } = await place(request, reply, p, 'algo');
    return usdmAlgoOrder(placed, await kernelOrder(account.accountId, placed));
  });

  /** The conditional order `algoId` or `clientAlgoId` names; unknown: -2013 on query, -2011 on cancel. */
  const algoOrder = async (request: FastifyRequest, p: Record<string, string>, on: 'query' | 'cancel'): Promise<{ account: AccountProfile; order: OrderView }> => {
    const account = t.account(request, p);
    if ((p.algoId ?? '') === '' && (p.clientAlgoId ?? '') === '') throw binanceErrors.eitherOf('algoId', 'clientAlgoId');
    if (p.algoId && !/^\d{1,20}$/.test(p.algoId)) throw binanceErrors.illegalChars('algoId', '^[0-9]{1,20}$');
    const ref: OrderRef = p.algoId ? { orderId: p.algoId } : { clientOrderId: p.clientAlgoId! };
    const found = t.unwrap(await deps.execution.getOrder(account.accountId, ref), on);
    if (!isConditional(found.type)) throw on === 'query' ? binanceErrors.orderDoesNotExist() : binanceErrors.unknownOrderOnCancel();
    return { account, order: found };
  };

  ctx.route('GET', '/v1/algoOrder', 1, async (request, _reply, p) => {
    const { account, order } = await algoOrder(request, p, 'query');
    return usdmAlgoOrder(order, await kernelOrder(account.accountId, order));
  });

  ctx.route('DELETE', '/v1/algoOrder', 1, async (request, _reply, p) => {
    const { account, order } = await algoOrder(request, p, 'cancel');
    if (!(await waitingOf(account.accountId, order))) throw binanceErrors.unknownOrderOnCancel();
    const result = await deps.execution.cancelOrder(account.accountId, { orderId: order.orderId, symbol: order.symbol });
    await audit('order.cancel', account.accountId, { orderId: order.orderId, result: result.ok ? { status: result.value.status } : result.error });
    t.unwrap(result, 'cancel');
    return { algoId: Number(order.orderId), clientAlgoId: order.clientOrderId, code: '200', msg: 'success' };
  });

  ctx.route('GET', '/v1/openAlgoOrders', (p) => (p.symbol ? 1 : 40), async (request, _reply, p) => {
    const account = t.account(request, p);
    const symbol = p.symbol ? t.perpetual(p.symbol).symbol : undefined;
    const open = await openOf(account.accountId, symbol);
    const detail = await detailsOf(account.accountId, open);
    return open.filter((o) => isWaitingConditional(o, detail(o))).map((o) => usdmAlgoOrder(o, detail(o)));
  });

  ctx.route('GET', '/v1/allAlgoOrders', 5, async (request, reply, p) => {
    const account = t.account(request, p);
    const page = await ordersPage(reads(), account.accountId, t.perpetual(p.symbol).symbol, p, 'algoId', invalid, (o) => stillFound(o) && isConditional(o.type), undefined, historyWindow);
    const orders = freshOrThrow(reply, page);
    const detail = await detailsOf(account.accountId, orders);
    return orders.map((o) => usdmAlgoOrder(o, detail(o)));
  });
}
