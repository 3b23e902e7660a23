/**
 * Binance Spot v3 SIGNED endpoints: account, account/commission, order (new, test, query, cancel),
 * openOrders (list, cancel per symbol, order lists as whole lists), allOrders, myTrades, the order-list endpoints, and the
 * wallet's coin list and (empty) margin pair lists ccxt's `loadMarkets` reads. Orders, cancels and queries go through the facade
 * and into the audit log exactly as the native and MEXC routes do: an order placed through one API
 * is the same order through the others. Everything else read about the account (allOrders,
 * myTrades, whether it may trade, an order's terms beyond the facade's view) comes from the read
 * port: on paper the engine, live the venue with the account's own keys.
 *
 * OCO lists are binance-order-list-routes.ts; OTO and OTOCO lists answer -1020 "This operation is
 * not supported." (a bracket of the native API is the nearest).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { extend } from '../../core/objects.js';
import type { ReadResult } from '../../execution/account-read-port.js';
import { formatFixed, parseFixed } from '../../core/money/fixed.js';
import type { AccountProfile } from '../../persistence/credential-store.js';
import { fillOfEvent } from '../dialect-kit/account-history.js';
import { fillsPage, ordersPage, type HistoryWindow } from '../dialect-kit/history-pages.js';
import { auditCall, feesOf, outcomeOf } from '../dialect-kit/facade-calls.js';
import { testOrder } from '../dialect-kit/order-test.js';
import { cancelOpenOrdersAndLists, cancelRestOfList, groupOrders, orderRecords } from '../order-groups.js';
import { accountOrders } from '../../execution/order-records.js';
import { accountReads } from '../paper-account-reads.js';
import { freshValueOr } from '../read-answers.js';
import type { ExecutionResult, OrderView } from '../service-deps.js';
import type { BinanceContext } from './binance-api.js';
import { binanceErrorOf, binanceErrors } from './binance-errors.js';
import { binanceCanceledOrder, binanceMyTrade, binanceNewOrder, binanceOrder, idNumber } from './binance-mappers.js';
import { binanceCanceledOrderList } from './binance-order-lists.js';
import { binanceOrderRequest } from './binance-order-request.js';

const invalid = binanceErrors.invalidParameter;
/** myTrades and allOrders: "The time between startTime and endTime can't be longer than 24 hours." */
const HISTORY_WINDOW: HistoryWindow = { maxSpanMs: 24 * 3_600_000, tooLong: binanceErrors.intervalTooLong };

/**
 * Refuses a symbol the spot API does not trade: unknown, or a perpetual. Binance's /api/v3 lists
 * spot pairs only (a perpetual is traded on /fapi), so both answer -1121 "Invalid symbol.", before
 * anything is placed; without it a futures account's key could open a position through the spot routes.
 */
export function requireSpotSymbol(kernel: { instrument(symbol: string): { readonly market: string } | undefined }, symbol: string): void {
  const instrument = kernel.instrument(symbol);
  if (instrument === undefined || instrument.market !== 'spot') throw binanceErrors.invalidSymbol();
}

export function registerBinanceTradingRoutes(app: FastifyInstance, ctx: BinanceContext): void {
  const { deps } = ctx;
  const audit = auditCall(app, deps, 'binance-spot-v3', ctx.wallClock);
  // Every account read beyond the facade goes through the read port: the kernel on paper, the venue live.
  const reads = () => accountReads(deps, ctx.tape);
  const detail = (accountId: string) => (o: OrderView) => reads().orderDetail(accountId, o.orderId);
  /** Per order, its list's id (the id of the list's first order) when it belongs to one, else -1. */
  const listIds = async (accountId: string, orders: readonly OrderView[]): Promise<(o: OrderView) => number | string> => {
    const ids = new Map<string, number | string>();
    for (const o of orders) {
      if (o.ocoGroup === undefined || ids.has(o.ocoGroup) || deps.execution.mode !== 'paper') continue;
      const first = (await groupOrders(deps, accountId, o.ocoGroup))[0];
      ids.set(o.ocoGroup, first === undefined ? -1 : idNumber(first.id));
    }
    return (o) => (o.ocoGroup === undefined ? -1 : (ids.get(o.ocoGroup) ?? -1));
  };
  /** Per order id, the id of its list (Binance's myTrades: "Unless OCO, the value will always be -1"), from one read of the account's grouped orders. */
  const orderListIds = async (accountId: string): Promise<(orderId: string) => number | string> => {
    if (deps.execution.mode !== 'paper') return () => -1;
    const firstOfGroup = new Map<string, string>();
    const groupOf = new Map<string, string>();
    // Oldest first: a group's first order is its list's id, as `listIds` and GET orderList state it.
    for (const o of await accountOrders(deps.hub.kernel, orderRecords(deps), accountId, { grouped: true })) {
      if (o.ocoGroup === undefined) continue;
      if (!firstOfGroup.has(o.ocoGroup)) firstOfGroup.set(o.ocoGroup, o.id);
      groupOf.set(o.id, o.ocoGroup);
    }
    return (orderId) => {
      const first = firstOfGroup.get(groupOf.get(orderId) ?? '');
      return first === undefined ? -1 : idNumber(first);
    };
  };
  const unwrap = <T>(result: ExecutionResult<T>, on: 'place' | 'query' | 'cancel'): T => {
    if (!result.ok) throw binanceErrorOf(result.error, on);
    return result.value;
  };
  /** A read port answer, with its age on the reply (X-Data-As-Of, Age), or Binance's error. */
  const freshOrThrow = <T>(reply: FastifyReply, result: ReadResult<T>): T => freshValueOr(reply, result, (error) => binanceErrorOf(error, 'query'), ctx.wallClock());
  const symbolOf = (p: Record<string, string>): string => {
    if (p.symbol === undefined || p.symbol === '') throw binanceErrors.mandatory('symbol');
    return p.symbol;
  };
  const orderRef = (p: Record<string, string>) => {
    const symbol = symbolOf(p);
    if ((p.orderId ?? '') === '' && (p.origClientOrderId ?? '') === '') throw binanceErrors.eitherOf('orderId', 'origClientOrderId');
    if (p.orderId && !/^\d{1,20}$/.test(p.orderId)) throw binanceErrors.illegalChars('orderId', '^[0-9]{1,20}$');
    return { symbol, ...(p.orderId ? { orderId: p.orderId } : {}), ...(p.origClientOrderId ? { clientOrderId: p.origClientOrderId } : {}) };
  };
  const commissionRates = (accountId: string, symbol: string | undefined) => {
    const { maker, taker } = feesOf(deps, accountId, symbol);
    return { maker, taker, buyer: '0', seller: '0' };
  };
  const bips = (rate: string) => Number(formatFixed(parseFixed(rate) * 10_000n));

  ctx.route('GET', '/api/v3/account', 20, async (request, reply, p) => {
    const account = ctx.signed(request, p);
    const balances = unwrap(await deps.execution.balances(account.accountId), 'query');
    const summary = freshOrThrow(reply, await reads().summary(account.accountId));
    const rates = commissionRates(account.accountId, undefined);
    const nonZero = p.omitZeroBalances === 'true';
    return {
      // Binance states account commissions in basis points (10 = 0.1 %) and, since 2023, as rates too.
      makerCommission: bips(rates.maker),
      takerCommission: bips(rates.taker),
      buyerCommission: 0,
      sellerCommission: 0,
      commissionRates: rates,
      canTrade: !summary.halted,
      canWithdraw: false,
      canDeposit: false,
      brokered: false,
      requireSelfTradePrevention: false,
      preventSor: false,
      // Binance: the last time the account changed. Paper: on the exchange clock (a replay's time); live: when read.
      updateTime: summary.updateTime ?? ctx.wallClock(),
      accountType: 'SPOT',
      balances: Object.entries(balances)
        .filter(([, b]) => !nonZero || parseFixed(b.free) + parseFixed(b.locked) !== 0n)
        .map(([asset, b]) => ({ asset, free: b.free, locked: b.locked })),
      permissions: ['SPOT'],
      uid: 0,
    };
  });

  ctx.route('GET', '/api/v3/account/commission', 20, async (request, _reply, p) => {
    const account = ctx.signed(request, p);
    const symbol = symbolOf(p);
    requireSpotSymbol(deps.hub.kernel, symbol);
    const zero = { maker: '0', taker: '0', buyer: '0', seller: '0' };
    return { symbol, standardCommission: commissionRates(account.accountId, symbol), taxCommission: zero, discount: { enabledForAccount: false, enabledForSymbol: false, discountAsset: 'BNB', discount: '0' } };
  });

  ctx.route('POST', '/api/v3/order', 1, async (request, reply, p) => {
    const account = ctx.signed(request, p);
    for (const [header, count] of Object.entries(ctx.meter.chargeOrder(account.accountId))) void reply.header(header, String(count));
    const { order, respType } = binanceOrderRequest(p);
    requireSpotSymbol(deps.hub.kernel, order.symbol);
    const result = await deps.execution.placeOrder(account.accountId, order, { beforeDurable: true });
    await audit('order.place', account.accountId, { request: order, result: outcomeOf(result) }, result.durable);
    const placed = unwrap(result, 'place');
    const fills = respType === 'FULL' ? ctx.tape.fillsOf(account.accountId).filter((f) => f.orderId === placed.orderId) : [];
    return binanceNewOrder(placed, await detail(account.accountId)(placed), respType, fills.map(fillOfEvent));
  });

  ctx.route('POST', '/api/v3/order/test', (p) => (p.computeCommissionRates === 'true' ? 20 : 1), async (request, _reply, p) => {
    const account = ctx.signed(request, p);
    const { order } = binanceOrderRequest(p);
    requireSpotSymbol(deps.hub.kernel, order.symbol);
    const refused = testOrder(deps.hub.kernel, account.accountId, order);
    if (refused !== undefined) throw binanceErrorOf(refused, 'place');
    if (p.computeCommissionRates !== 'true') return {};
    const zero = { maker: '0', taker: '0' };
    const { maker, taker } = commissionRates(account.accountId, order.symbol);
    return { standardCommissionForOrder: { maker, taker }, taxCommissionForOrder: zero, discount: { enabledForAccount: false, enabledForSymbol: false, discountAsset: 'BNB', discount: '0' } };
  });

  ctx.route('GET', '/api/v3/order', 4, async (request, _reply, p) => {
    const account = ctx.signed(request, p);
    const ref = orderRef(p);
    requireSpotSymbol(deps.hub.kernel, ref.symbol);
    const order = unwrap(await deps.execution.getOrder(account.accountId, ref), 'query');
    return binanceOrder(order, await detail(account.accountId)(order), (await listIds(account.accountId, [order]))(order));
  });

  ctx.route('DELETE', '/api/v3/order', 1, async (request, _reply, p) => {
    const account = ctx.signed(request, p);
    const ref = orderRef(p);
    requireSpotSymbol(deps.hub.kernel, ref.symbol);
    const result = await deps.execution.cancelOrder(account.accountId, ref, { beforeDurable: true });
    await audit('order.cancel', account.accountId, extend(ref, { result: result.ok ? { status: result.value.status } : result.error }), result.durable);
    const canceled = unwrap(result, 'cancel');
    const listId = (await listIds(account.accountId, [canceled]))(canceled);
    // Binance: "Canceling an individual order from an order list will cancel the entire order list."
    await cancelRestOfList(deps, audit, account.accountId, canceled);
    return binanceCanceledOrder(canceled, await detail(account.accountId)(canceled), canceled.clientOrderId, listId);
  });

  ctx.route('GET', '/api/v3/openOrders', (p) => (p.symbol ? 6 : 80), async (request, _reply, p) => {
    const account = ctx.signed(request, p);
    const symbol = p.symbol === '' ? undefined : p.symbol;
    if (symbol !== undefined) requireSpotSymbol(deps.hub.kernel, symbol);
    const orderDetail = detail(account.accountId);
    const open = unwrap(await deps.execution.openOrders(account.accountId, symbol), 'query');
    const listId = await listIds(account.accountId, open);
    return Promise.all(open.map(async (o) => binanceOrder(o, await orderDetail(o), listId(o))));
  });

  /**
   * Binance: "Cancels all active orders on a symbol. This includes orders that are part of an order
   * list." The answer is an array: a cancel report per order outside a list, and one entry per order
   * list, the list as `DELETE /api/v3/orderList` answers it (binance-order-lists.ts: its orders and
   * their cancel reports). A list is cancelled whole (order-groups.ts); its entry stands where its
   * first open order was listed. Live, the venue's lists are not grouped here: every order is a report.
   */
  ctx.route('DELETE', '/api/v3/openOrders', 1, async (request, _reply, p) => {
    const account: AccountProfile = ctx.signed(request, p);
    const symbol = symbolOf(p);
    requireSpotSymbol(deps.hub.kernel, symbol);
    const canceled = unwrap(await cancelOpenOrdersAndLists(deps, audit, account.accountId, symbol), 'query');
    const orderDetail = detail(account.accountId);
    const answer: Record<string, unknown>[] = [];
    const listed = new Set<string>();
    for (const o of canceled) {
      const list = deps.execution.mode === 'paper' ? o.ocoGroup : undefined;
      if (list === undefined) {
        answer.push(binanceCanceledOrder(o, await orderDetail(o), o.clientOrderId));
      } else if (!listed.has(list)) {
        listed.add(list);
        answer.push(binanceCanceledOrderList(list, await groupOrders(deps, account.accountId, list)));
      }
    }
    return answer;
  });

  ctx.route('GET', '/api/v3/allOrders', 20, async (request, reply, p) => {
    const account = ctx.signed(request, p);
    const symbol = symbolOf(p);
    requireSpotSymbol(deps.hub.kernel, symbol);
    const orderDetail = detail(account.accountId);
    const orders = freshOrThrow(reply, await ordersPage(reads(), account.accountId, symbol, p, 'orderId', invalid, undefined, undefined, HISTORY_WINDOW));
    const listId = await listIds(account.accountId, orders);
    return Promise.all(orders.map(async (o) => binanceOrder(o, await orderDetail(o), listId(o))));
  });

  ctx.route('GET', '/api/v3/myTrades', (p) => (p.orderId ? 5 : 20), async (request, reply, p) => {
    const account = ctx.signed(request, p);
    const symbol = symbolOf(p);
    requireSpotSymbol(deps.hub.kernel, symbol);
    if (p.orderId && !/^\d{1,20}$/.test(p.orderId)) throw binanceErrors.illegalChars('orderId', '^[0-9]{1,20}$');
    // Binance's supported combinations take orderId alone or with fromId, never with a time (-1128).
    if (p.orderId && (p.startTime || p.endTime)) throw binanceErrors.combination();
    const fills = freshOrThrow(reply, await fillsPage(reads(), account.accountId, symbol, p, { invalid, combination: binanceErrors.combination }, HISTORY_WINDOW));
    const listId = fills.length === 0 ? () => -1 : await orderListIds(account.accountId);
    return fills.map((f) => binanceMyTrade(f, listId(f.orderId)));
  });

  // OCO lists and their queries: binance-order-list-routes.ts.
  for (const path of ['/api/v3/orderList/oto', '/api/v3/orderList/otoco', '/api/v3/sor/order', '/api/v3/order/cancelReplace']) {
    ctx.route('POST', path, 1, async (request, _reply, p) => {
      ctx.signed(request, p);
      throw binanceErrors.unsupportedOperation('OTO lists, SOR and cancel-replace are not simulated; place single orders and OCO lists.');
    });
  }

  // No margin trading on paper: ccxt's `loadMarkets` asks for the margin pairs, and there are none.
  ctx.route('GET', '/sapi/v1/margin/allPairs', 1, async () => []);
  ctx.route('GET', '/sapi/v1/margin/isolated/allPairs', 10, async (request, _reply, p) => {
    ctx.signed(request, p);
    return [];
  });

  ctx.route('GET', '/sapi/v1/capital/config/getall', 10, async (request, _reply, p) => {
    const account = ctx.signed(request, p);
    const balances = unwrap(await deps.execution.balances(account.accountId), 'query');
    const assets = [...new Set(deps.hub.kernel.instruments().flatMap((i) => [i.base, i.quote]))].sort();
    // Paper accounts are funded by the admin API: no network takes deposits or withdrawals.
    return assets.map((coin) => ({
      coin, name: coin, depositAllEnable: false, withdrawAllEnable: false, free: balances[coin]?.free ?? '0', locked: balances[coin]?.locked ?? '0',
      freeze: '0', withdrawing: '0', ipoing: '0', ipoable: '0', storage: '0', isLegalMoney: false, trading: true,
      networkList: [
        {
          network: coin, coin, withdrawIntegerMultiple: '0', isDefault: true, depositEnable: false, withdrawEnable: false, depositDesc: '', withdrawDesc: '',
          specialTips: '', name: coin, resetAddressStatus: false, addressRegex: '', memoRegex: '', withdrawFee: '0', withdrawMin: '0', withdrawMax: '0',
          minConfirm: 0, unLockConfirm: 0, sameAddress: false, estimatedArrivalTime: 0, busy: false,
        },
      ],
    }));
  });
}
