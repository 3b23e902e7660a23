/**
 * MEXC Spot v3 signed endpoints: account, order (new, test, query, cancel), openOrders (list, cancel
 * per symbol), order/all (cancel everything), allOrders, myTrades, capital/config/getall and
 * tradeFee. Orders, cancels and queries go through the paper/live facade and into the audit log
 * exactly as the native routes do, so an order placed through one API is visible through the other.
 *
 * History (allOrders, myTrades) comes from the read port: on paper the engine's orders and its fills
 * (read tables plus those the asynchronous projection may not have written yet), live the venue's.
 */
import type { FastifyInstance } from 'fastify';
import { formatFixed, parseFixed } from '../../core/money/fixed.js';
import { extend } from '../../core/objects.js';
import type { AccountProfile } from '../../persistence/credential-store.js';
import { accountReads } from '../paper-account-reads.js';
import { setDataAge } from '../read-answers.js';
import type { ReadResult } from '../../execution/account-read-port.js';
import type { FastifyReply } from 'fastify';
import { auditCall, cancelOpenOrders, feesOf, outcomeOf } from '../dialect-kit/facade-calls.js';
import { testOrder } from '../dialect-kit/order-test.js';
import type { ExecutionResult, OrderView, PlaceOrderRequest } from '../service-deps.js';
import type { MexcContext } from './mexc-api.js';
import { MexcError, mexcErrorOf, mexcErrors } from './mexc-errors.js';
import { DECIMAL_IN_WORDS } from '../schemas.js';
import { isMexcOrderType, MEXC_ORDER_TYPES, mexcCanceledOrder, mexcMyTrade, mexcNewOrder, mexcOrder } from './mexc-mappers.js';
import { intParam, optionalInt } from './mexc-market-routes.js';

const tags = ['mexc v3'];
const DECIMAL = /^\d+(\.\d+)?$/;
const CLIENT_ORDER_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
/** allOrders without startTime and endTime: the latest 24 hours. */
const ALL_ORDERS_DEFAULT_MS = 24 * 60 * 60 * 1000;

export function registerMexcTradingRoutes(app: FastifyInstance, ctx: MexcContext): void {
  const { deps } = ctx;
  const audit = auditCall(app, deps, 'mexc-v3', ctx.wallClock);
  const unwrap = <T>(result: ExecutionResult<T>, on: 'place' | 'query' | 'cancel'): T => {
    if (!result.ok) throw mexcErrorOf(result.error, on);
    return result.value;
  };
  /** A read port answer, with its age on the reply (X-Data-As-Of, Age), or MEXC's error. */
  const freshOrThrow = <T>(reply: FastifyReply, result: ReadResult<T>): T => {
    const { value, asOf } = unwrap(result, 'query');
    setDataAge(reply, asOf, ctx.wallClock());
    return value;
  };

  /** The order request a MEXC `POST /api/v3/order` describes, validated as MEXC does. */
  const orderRequest = (p: Record<string, string>): PlaceOrderRequest => {
    for (const name of ['symbol', 'side', 'type'] as const) if (p[name] === undefined || p[name] === '') throw mexcErrors.mandatory(name);
    const side = p.side!;
    const type = p.type!;
    if (side !== 'BUY' && side !== 'SELL') throw mexcErrors.invalidParameter(`side ${side}: must be one of BUY, SELL`);
    if (!isMexcOrderType(type)) throw mexcErrors.invalidParameter(`type ${type}: must be one of ${MEXC_ORDER_TYPES.join(', ')}`);
    for (const name of ['quantity', 'quoteOrderQty', 'price'] as const) {
      const v = p[name];
      if (v !== undefined && !DECIMAL.test(v)) throw mexcErrors.invalidParameter(`${name} must be ${DECIMAL_IN_WORDS}`);
    }
    if (p.newClientOrderId !== undefined && !CLIENT_ORDER_ID.test(p.newClientOrderId)) throw mexcErrors.invalidParameter('newClientOrderId');
    const common = { symbol: p.symbol!, side, type, ...(p.newClientOrderId !== undefined ? { clientOrderId: p.newClientOrderId } : {}) } as const;
    if (type === 'MARKET') {
      // MEXC ignores a price on market orders (ccxt sends one with quoteOrderQty).
      if (p.quantity !== undefined && p.quoteOrderQty !== undefined) throw new MexcError(-1128, 'Combination of optional parameters invalid.');
      if (p.quantity === undefined && p.quoteOrderQty === undefined) throw mexcErrors.mandatory('quantity');
      return extend(common, p.quantity !== undefined ? { quantity: p.quantity } : { quoteOrderQty: p.quoteOrderQty! });
    }
    if (p.quantity === undefined) throw mexcErrors.mandatory('quantity');
    if (p.price === undefined) throw mexcErrors.mandatory('price');
    return extend(common, { quantity: p.quantity, price: p.price });
  };

  /** A symbol the spot API does not trade (unknown, or a perpetual) answers -1121, as MEXC does, not an empty list or an unknown order. */
  const requireSpotSymbol = (symbol: string): void => {
    if (deps.hub.kernel.instrument(symbol)?.market !== 'spot') throw mexcErrors.invalidSymbol();
  };

  const orderRef = (p: Record<string, string>) => {
    if (p.symbol === undefined || p.symbol === '') throw mexcErrors.mandatory('symbol');
    if ((p.orderId ?? '') === '' && (p.origClientOrderId ?? '') === '') throw mexcErrors.orderRefMissing();
    return { symbol: p.symbol, ...(p.orderId ? { orderId: p.orderId } : {}), ...(p.origClientOrderId ? { clientOrderId: p.origClientOrderId } : {}) };
  };

  const cancelAll = async (account: AccountProfile, symbol: string | undefined): Promise<OrderView[]> =>
    unwrap(await cancelOpenOrders(deps, audit, account.accountId, symbol), 'query');

  app.get('/api/v3/account', { schema: { tags } }, async (request, reply) => {
    const account = ctx.signed(request);
    const balances = unwrap(await deps.execution.balances(account.accountId), 'query');
    const summary = freshOrThrow(reply, await accountReads(deps, ctx.tape).summary(account.accountId));
    const { maker, taker } = feesOf(deps, account.accountId, undefined);
    return {
      // MEXC states account commissions in basis points (20 = 0.2 %).
      makerCommission: Number(formatFixed(parseFixed(maker) * 10_000n)),
      takerCommission: Number(formatFixed(parseFixed(taker) * 10_000n)),
      buyerCommission: 0,
      sellerCommission: 0,
      canTrade: !summary.halted,
      canWithdraw: false,
      canDeposit: false,
      updateTime: null,
      accountType: 'SPOT',
      balances: Object.entries(balances).map(([asset, b]) => ({ asset, free: b.free, locked: b.locked })),
      permissions: ['SPOT'],
    };
  });

  app.get('/api/v3/tradeFee', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const symbol = ctx.params(request).symbol;
    if (symbol === undefined || symbol === '') throw mexcErrors.mandatory('symbol');
    if (deps.hub.kernel.instrument(symbol) === undefined) throw mexcErrors.invalidSymbol();
    const { maker, taker } = feesOf(deps, account.accountId, symbol);
    return { data: { makerCommission: Number(maker), takerCommission: Number(taker) }, code: 0, msg: 'success', timestamp: ctx.wallClock() };
  });

  app.post('/api/v3/order', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const order = orderRequest(ctx.params(request));
    // The spot API trades spot pairs: a perpetual (a futures account's) is refused as an unknown symbol is, before anything is placed.
    if (deps.hub.kernel.instrument(order.symbol)?.market === 'perpetual') throw new MexcError(30014, `invalid symbol (${order.symbol})`);
    const result = await deps.execution.placeOrder(account.accountId, order, { beforeDurable: true });
    await audit('order.place', account.accountId, { request: order, result: outcomeOf(result) }, result.durable);
    const placed = unwrap(result, 'place');
    return mexcNewOrder(placed, deps.hub.kernel.instrument(placed.symbol)?.tickSize);
  });

  app.post('/api/v3/order/test', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const order = orderRequest(ctx.params(request));
    const instrument = deps.hub.kernel.instrument(order.symbol);
    if (instrument === undefined || instrument.market !== 'spot') throw new MexcError(30014, 'invalid symbol');
    const refused = testOrder(deps.hub.kernel, account.accountId, order);
    if (refused !== undefined) throw mexcErrorOf(refused, 'place');
    return {};
  });

  app.get('/api/v3/order', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const ref = orderRef(ctx.params(request));
    requireSpotSymbol(ref.symbol);
    return mexcOrder(unwrap(await deps.execution.getOrder(account.accountId, ref), 'query'));
  });

  app.delete('/api/v3/order', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const ref = orderRef(ctx.params(request));
    requireSpotSymbol(ref.symbol);
    const result = await deps.execution.cancelOrder(account.accountId, ref, { beforeDurable: true });
    await audit('order.cancel', account.accountId, extend(ref, { result: result.ok ? { status: result.value.status } : result.error }), result.durable);
    return mexcCanceledOrder(unwrap(result, 'cancel'));
  });

  app.get('/api/v3/openOrders', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const symbol = ctx.params(request).symbol;
    if (symbol !== undefined && symbol !== '') requireSpotSymbol(symbol);
    return unwrap(await deps.execution.openOrders(account.accountId, symbol === '' ? undefined : symbol), 'query').map(mexcOrder);
  });

  app.delete('/api/v3/openOrders', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const symbols = (ctx.params(request).symbol ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (symbols.length === 0) throw mexcErrors.mandatory('symbol');
    if (symbols.length > 5) throw mexcErrors.invalidParameter('at most 5 symbols');
    symbols.forEach(requireSpotSymbol);
    const canceled: OrderView[] = [];
    for (const symbol of symbols) canceled.push(...(await cancelAll(account, symbol)));
    return canceled.map(mexcCanceledOrder);
  });

  app.delete('/api/v3/order/all', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    await cancelAll(account, undefined);
    return { code: 200, msg: 'success', timestamp: ctx.wallClock() };
  });

  app.get('/api/v3/allOrders', { schema: { tags } }, async (request, reply) => {
    const account = ctx.signed(request);
    const p = ctx.params(request);
    if (p.symbol === undefined || p.symbol === '') throw mexcErrors.mandatory('symbol');
    requireSpotSymbol(p.symbol);
    const limit = intParam(p.limit, 'limit', 500, 1_000);
    const start = optionalInt(p.startTime, 'startTime');
    const end = optionalInt(p.endTime, 'endTime');
    // MEXC: "the query period is the latest 24 hours by default", on the exchange's clock (a replay's
    // time on paper); live, the venue applies its own.
    const since = start === undefined && end === undefined && deps.execution.mode === 'paper' ? deps.hub.now() - ALL_ORDERS_DEFAULT_MS : start;
    const orders = freshOrThrow(reply, await accountReads(deps, ctx.tape).orders(account.accountId, p.symbol, since, end));
    return (start !== undefined ? orders.slice(0, limit) : orders.slice(-limit)).map(mexcOrder);
  });

  app.get('/api/v3/myTrades', { schema: { tags } }, async (request, reply) => {
    const account = ctx.signed(request);
    const p = ctx.params(request);
    if (p.symbol === undefined || p.symbol === '') throw mexcErrors.mandatory('symbol');
    requireSpotSymbol(p.symbol);
    const limit = intParam(p.limit, 'limit', 100, 100);
    const start = optionalInt(p.startTime, 'startTime');
    const end = optionalInt(p.endTime, 'endTime');
    const query = { symbol: p.symbol, ...(p.orderId ? { orderId: p.orderId } : {}), ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) };
    const fills = freshOrThrow(reply, await accountReads(deps, ctx.tape).fills(account.accountId, query));
    const page = start !== undefined ? fills.slice(0, limit) : fills.slice(-limit);
    return page.map((f) => mexcMyTrade(f, f.clientOrderId));
  });

  app.get('/api/v3/capital/config/getall', { schema: { tags } }, async (request) => {
    ctx.signed(request);
    const assets = [...new Set(deps.hub.kernel.instruments().flatMap((i) => [i.base, i.quote]))].sort();
    // Paper accounts are funded by the admin API: no network takes deposits or withdrawals.
    return assets.map((coin) => ({
      coin,
      name: coin,
      networkList: [
        {
          coin, depositDesc: null, depositEnable: false, minConfirm: 0, name: coin, network: coin, withdrawEnable: false,
          withdrawFee: '0', withdrawIntegerMultiple: null, withdrawMax: '0', withdrawMin: '0', sameAddress: false,
          contract: '', withdrawTips: null, depositTips: null, netWork: coin,
        },
      ],
    }));
  });
}
