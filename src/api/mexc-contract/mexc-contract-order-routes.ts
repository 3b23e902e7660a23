/**
 * MEXC contract orders (`/api/v1/private/order/*`): create (and its older name submit), cancel by
 * ids, cancel all, get by id or external id, open orders, history and deals. Orders, cancels and
 * queries go through the paper/live facade and into the audit log as the native routes do: an order
 * placed here is the native API's order, its size converted from contracts to base units.
 *
 * Accepted: order types 1 limit, 2 post-only, 3 IOC, 4 FOK, 5 and 6 market; sides 1–4 in one-way
 * mode (2 and 4 are reduce-only); `openType` must be the account's margin mode (1 isolated,
 * 2 cross: papertrade sets it per account); `leverage`, when sent, must be the symbol's current
 * leverage (change it with `position/change_leverage`); `takeProfitPrice` and `stopLossPrice` attach
 * market exits of what the order fills (a bracket, listed as a MEXC stop order), `profitTrend` and
 * `lossTrend` the price each exit triggers on: 1 the latest price, 2 the fair price (MEXC's mark;
 * the engine's `triggerSource` 'last' / 'mark', ADR 0066); 3, the index price, is refused (no index
 * stream). Refused: hedge mode. A trigger order's id is not an order's until the trigger places
 * the order under it: before that, get (by id or external id), deal details and cancel answer it
 * 2040 (docs/adr/0068).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isConditional } from '../../core/orders/order.js';
import { accountOrder } from '../../execution/order-records.js';
import type { AccountFill } from '../dialect-kit/account-history.js';
import { auditCall, cancelOpenOrders, cancelTogether, outcomeOf } from '../dialect-kit/facade-calls.js';
import { historyBounds, type HistoryWindow } from '../dialect-kit/history-pages.js';
import { intParam, optionalInt } from '../dialect-kit/request-params.js';
import { orderRecords } from '../order-groups.js';
import { accountReads } from '../paper-account-reads.js';
import type { ExecutionResult, OrderView } from '../service-deps.js';
import { ok, type ContractContext } from './mexc-contract-api.js';
import { contractErrorOf, contractErrors, ORDER_NOT_FOUND, type ContractOrderTerms } from './mexc-contract-errors.js';
import { contractDeal, contractOrder, fillTotals } from './mexc-contract-mappers.js';
import { contractOpenType, contractOrderRequest } from './mexc-contract-order-request.js';
import { isPlanOrder, placedItsOrder } from './mexc-contract-plan-routes.js';
import { contractOfSymbol, type Contract } from './mexc-contract-symbols.js';

const tags = ['mexc contract'];
/**
 * MEXC lists take-profit and stop-loss exits as stop orders (mexc-contract-stop-routes.ts) and trigger
 * orders as plan orders (mexc-contract-plan-routes.ts), apart from its orders; a trigger order that
 * triggered is the order it placed, a regular one (`triggered`: the engine's order has triggered).
 */
export const isRegular = (o: OrderView, triggered: boolean): boolean => !isConditional(o.type) || (triggered && isPlanOrder(o));
/** history_orders and order_deals without start_time and end_time: the last 7 days. */
const HISTORY_DEFAULT_MS = 7 * 24 * 60 * 60 * 1000;

export function registerContractOrderRoutes(app: FastifyInstance, ctx: ContractContext): void {
  const { deps } = ctx;
  const kernel = () => deps.hub.kernel;
  // History, deals and an order's terms beyond the facade's view come from the read port: the kernel on paper, the venue live.
  const reads = () => accountReads(deps, ctx.tape);
  const audit = auditCall(app, deps, 'mexc-contract', ctx.wallClock);
  const invalid = (detail: string) => contractErrors.param(detail);
  /** The value, or the refusal in MEXC's words; `terms` states an order's refused sizes in contracts. */
  const unwrap = <T>(result: ExecutionResult<T>, terms?: ContractOrderTerms): T => {
    if (!result.ok) throw contractErrorOf(result.error, terms);
    return result.value;
  };
  const contractNamed = (symbol: unknown): Contract => ctx.contract(symbol);
  const openTypeOf = (accountId: string): 1 | 2 => contractOpenType(ctx, accountId);
  /** An open order (the kernel holds it) that MEXC lists as an order. */
  const isRegularOpen = (o: OrderView): boolean => isRegular(o, kernel().order(o.orderId)?.triggered === true);

  /** The MEXC order of one of the account's orders on a perpetual, with its fills' fees and profit. */
  const view = async (accountId: string, o: OrderView, fills: readonly AccountFill[]): Promise<Record<string, unknown>> => {
    const c = contractOfSymbol(kernel(), o.symbol);
    if (c === undefined) throw contractErrors.unknownOrder();
    const order = await reads().orderDetail(accountId, o.orderId);
    // The order a trigger order placed was created at its trigger.
    const triggeredAt = order !== undefined && isPlanOrder(order) && order.triggered ? order.triggeredAt : undefined;
    return contractOrder(o, c, { reduceOnly: order?.reduceOnly ?? false, leverage: order?.leverage ?? 1, openType: openTypeOf(accountId), orderMargin: order?.locked ?? 0n, triggeredAt }, fillTotals(fills));
  };
  const fillsByOrder = async (accountId: string, symbol: string): Promise<Map<string, AccountFill[]>> => {
    const byOrder = new Map<string, AccountFill[]>();
    for (const f of unwrap(await reads().fills(accountId, { symbol })).value) {
      const list = byOrder.get(f.orderId) ?? [];
      list.push(f);
      byOrder.set(f.orderId, list);
    }
    return byOrder;
  };
  const views = async (accountId: string, orders: readonly OrderView[]): Promise<Record<string, unknown>[]> => {
    const fills = new Map<string, Map<string, AccountFill[]>>();
    const out: Record<string, unknown>[] = [];
    for (const o of orders) {
      if (!fills.has(o.symbol)) fills.set(o.symbol, await fillsByOrder(accountId, o.symbol));
      out.push(await view(accountId, o, fills.get(o.symbol)!.get(o.orderId) ?? []));
    }
    return out;
  };
  const oneView = async (accountId: string, o: OrderView) => (await views(accountId, [o]))[0]!;
  /**
   * Whether `orderId` is one of the account's trigger orders that has not placed its order (waiting,
   * cancelled or expired before its trigger, or failed at it): MEXC keeps those as plan orders
   * only, and its order routes do not know the id (2040), until the trigger places the order under it.
   */
  const isUnplacedTrigger = async (accountId: string, orderId: string): Promise<boolean> => {
    const order = await accountOrder(kernel(), orderRecords(deps), accountId, orderId);
    return order !== undefined && isPlanOrder(order) && !placedItsOrder(order);
  };
  /** The account's order by id, as MEXC's order routes know it: a trigger order that placed no order is unknown (2040). */
  const regularOrder = async (accountId: string, query: { orderId: string } | { clientOrderId: string; symbol: string }): Promise<OrderView> => {
    const order = unwrap(await deps.execution.getOrder(accountId, query));
    if (isConditional(order.type) && (await isUnplacedTrigger(accountId, order.orderId))) throw contractErrors.unknownOrder();
    return order;
  };

  const place = async (request: FastifyRequest): Promise<OrderView> => {
    const account = ctx.signed(request);
    const { order, terms } = contractOrderRequest(ctx, account, ctx.body(request));
    const result = await deps.execution.placeOrder(account.accountId, order, { beforeDurable: true });
    await audit('order.place', account.accountId, { request: order, result: outcomeOf(result) }, result.durable);
    // The mark the perpetual's price band is measured from, to tell a price too high from one too low.
    const mark = result.ok ? undefined : kernel().markPrice(order.symbol);
    return unwrap(result, mark === undefined ? terms : { ...terms, mark });
  };

  app.post('/api/v1/private/order/create', { schema: { tags } }, async (request) => {
    const placed = await place(request);
    return ok({ orderId: placed.orderId, ts: placed.createdAt });
  });

  app.post('/api/v1/private/order/submit', { schema: { tags } }, async (request) => ok((await place(request)).orderId));

  app.post('/api/v1/private/order/cancel', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const ids = ctx.body(request);
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 50) throw contractErrors.param('the body must be an array of 1 to 50 order ids');
    // Order ids are whole numbers, as a JSON number or its decimal text; anything else refuses the
    // whole request before any cancel, rather than being turned into text ("[object Object]").
    const orderIds = ids.map((id: unknown) => (typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? String(id) : typeof id === 'string' && /^[1-9][0-9]{0,18}$/.test(id) ? id : undefined));
    const wrong = orderIds.indexOf(undefined);
    // An array or object is named, not written out: one nested past the stack would fail JSON.stringify.
    const got = (v: unknown) => (Array.isArray(v) ? 'an array' : typeof v === 'object' && v !== null ? 'an object' : (JSON.stringify(v)?.slice(0, 40) ?? 'nothing'));
    if (wrong >= 0) throw contractErrors.param(`order id ${wrong + 1} must be a whole number (got ${got(ids[wrong])})`);
    // A waiting trigger order is not among MEXC's orders: answered as an unknown id, and left waiting (planorder/cancel cancels it).
    const unplaced = new Set<string>();
    for (const orderId of orderIds as string[]) if (await isUnplacedTrigger(account.accountId, orderId)) unplaced.add(orderId);
    // The rest as one step, back to back (cancelTogether); an id listed twice is answered twice, the second time as MEXC would, not open.
    const sent = (orderIds as string[]).filter((orderId) => !unplaced.has(orderId));
    const results = await cancelTogether(deps, audit, account.accountId, sent.map((orderId) => ({ orderId })));
    let next = 0;
    return ok(
      (orderIds as string[]).map((orderId) => {
        if (unplaced.has(orderId)) return { orderId, errorCode: ORDER_NOT_FOUND.code, errorMsg: ORDER_NOT_FOUND.message };
        const result = results[next++]!;
        const error = result.ok ? undefined : contractErrorOf(result.error);
        return { orderId, errorCode: error?.code ?? 0, errorMsg: error?.msg ?? 'success' };
      }),
    );
  });

  app.post('/api/v1/private/order/cancel_all', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const raw = ctx.body(request);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw contractErrors.param('the body must be a JSON object');
    const body = raw as Record<string, unknown>;
    // `symbol` is optional (absent: every contract); null, as a client's None or nil sends it, is absent, as on planorder/cancel_all.
    const symbol = body.symbol === undefined || body.symbol === null || body.symbol === '' ? undefined : contractNamed(body.symbol).instrument.symbol;
    unwrap(await cancelOpenOrders(deps, audit, account.accountId, symbol, isRegularOpen));
    return ok();
  });

  app.get<{ Params: { order_id: string } }>('/api/v1/private/order/get/:order_id', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    return ok(await oneView(account.accountId, await regularOrder(account.accountId, { orderId: request.params.order_id })));
  });

  app.get<{ Params: { symbol: string; external_oid: string } }>('/api/v1/private/order/external/:symbol/:external_oid', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const c = contractNamed(request.params.symbol);
    // As order/get: a trigger order that placed no order is not among MEXC's orders, whatever id it is asked by.
    return ok(await oneView(account.accountId, await regularOrder(account.accountId, { clientOrderId: request.params.external_oid, symbol: c.instrument.symbol })));
  });

  /** A page of a newest-first list: `page_num` from 1, `page_size` (default 20, at most 100). */
  const page = <T>(items: readonly T[], q: Record<string, string>): T[] => {
    const num = intParam(q.page_num, 'page_num', 1, 1_000_000, invalid);
    const size = intParam(q.page_size, 'page_size', 20, 100, invalid);
    return items.slice((num - 1) * size, num * size);
  };
  const newestFirst = (orders: readonly OrderView[]) => [...orders].sort((a, b) => b.createdAt - a.createdAt || Number(b.orderId) - Number(a.orderId));

  const openOrders = async (request: FastifyRequest, symbol: string | undefined) => {
    const account = ctx.signed(request);
    const engineSymbol = symbol === undefined || symbol === '' ? undefined : contractNamed(symbol).instrument.symbol;
    const open = unwrap(await deps.execution.openOrders(account.accountId, engineSymbol)).filter((o) => isRegularOpen(o) && contractOfSymbol(kernel(), o.symbol) !== undefined);
    return ok(await views(account.accountId, page(newestFirst(open), ctx.query(request))));
  };
  app.get<{ Params: { symbol: string } }>('/api/v1/private/order/list/open_orders/:symbol', { schema: { tags } }, async (request) => openOrders(request, request.params.symbol));
  app.get('/api/v1/private/order/list/open_orders', { schema: { tags } }, async (request) => openOrders(request, ctx.query(request).symbol));

  /**
   * history_orders and order_deals read `start_time`…`end_time`, however wide; without either, MEXC's
   * "last 7 days", on the exchange's clock (a replay's time on paper; live, the venue applies its own).
   */
  const historyWindow: HistoryWindow = {
    maxSpanMs: Number.POSITIVE_INFINITY,
    tooLong: () => contractErrors.param('the window is too wide'),
    recentSpanMs: HISTORY_DEFAULT_MS,
    ...(deps.execution.mode === 'paper' ? { recentBefore: () => deps.hub.now() } : {}),
  };
  const windowOf = (q: Record<string, string>): { start?: number; end?: number } =>
    historyBounds(optionalInt(q.start_time, 'start_time', invalid), optionalInt(q.end_time, 'end_time', invalid), undefined, historyWindow);

  app.get('/api/v1/private/order/list/history_orders', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const q = ctx.query(request);
    const { start, end } = windowOf(q);
    // `states` (1 uninformed, 2 uncompleted, 3 completed, 4 cancelled, 5 invalid, several separated by
    // ",") and `side` (1–4) as MEXC lists them; anything else is refused, not read as "no orders".
    if (q.states !== undefined && q.states !== '' && !q.states.split(',').every((s) => /^[1-5]$/.test(s))) throw invalid('states: 1 to 5, separated by ","');
    if (q.side !== undefined && q.side !== '' && !/^[1-4]$/.test(q.side)) throw invalid('side must be 1 (open long), 2 (close short), 3 (open short) or 4 (close long)');
    const states = q.states === undefined || q.states === '' ? undefined : new Set(q.states.split(',').map(Number));
    const sides = q.side === undefined || q.side === '' ? undefined : Number(q.side);
    const symbols = q.symbol !== undefined && q.symbol !== '' ? [contractNamed(q.symbol)] : undefined;
    const engineSymbols = symbols?.map((c) => c.instrument.symbol) ?? kernel().instruments().map((i) => i.symbol).filter((s) => contractOfSymbol(kernel(), s) !== undefined);
    const orders: OrderView[] = [];
    for (const s of engineSymbols) {
      for (const o of unwrap(await reads().orders(account.accountId, s, start, end)).value) {
        if (!isConditional(o.type)) orders.push(o);
        else {
          // A trigger order that could not place its order (execution failed) left no order to list.
          const detail = await reads().orderDetail(account.accountId, o.orderId);
          if (isRegular(o, detail !== undefined && placedItsOrder(detail))) orders.push(o);
        }
      }
    }
    const all = await views(account.accountId, newestFirst(orders));
    const wanted = all.filter((o) => (states === undefined || states.has(o.state as number)) && (sides === undefined || o.side === sides));
    return ok(page(wanted, q));
  });

  const deals = async (accountId: string, c: Contract, q: { orderId?: string; start?: number; end?: number }) => {
    const fills = unwrap(await reads().fills(accountId, { symbol: c.instrument.symbol, ...q })).value;
    const deals = [];
    for (const f of fills.reverse()) deals.push(contractDeal(f, c, (await reads().orderDetail(accountId, f.orderId))?.reduceOnly ?? false));
    return deals;
  };

  app.get('/api/v1/private/order/list/order_deals', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const q = ctx.query(request);
    const c = contractNamed(q.symbol);
    return ok(page(await deals(account.accountId, c, windowOf(q)), q));
  });

  app.get<{ Params: { order_id: string } }>('/api/v1/private/order/deal_details/:order_id', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const order = await regularOrder(account.accountId, { orderId: request.params.order_id });
    const c = contractOfSymbol(kernel(), order.symbol);
    if (c === undefined) throw contractErrors.unknownOrder();
    return ok(await deals(account.accountId, c, { orderId: order.orderId }));
  });
}
