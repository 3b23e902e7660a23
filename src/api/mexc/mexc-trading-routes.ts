/**
 * MEXC Spot v3 signed endpoints: account, order (new, test, query, cancel), openOrders (list, cancel
 * per symbol), order/all (cancel everything), allOrders, myTrades, capital/config/getall and
 * tradeFee. Orders, cancels and queries go through the paper/live facade and into the audit log
 * exactly as the native routes do, so an order placed through one API is visible through the other.
 *
 * History (allOrders, myTrades) is the engine's: its orders, and its fills from the read tables plus
 * those this process saw that the asynchronous projection may not have written yet.
 */
import type { FastifyInstance } from 'fastify';
import { formatFixed, parseFixed } from '../../core/money/fixed.js';
import { paperOrderView } from '../../execution/index.js';
import type { AccountProfile } from '../../persistence/credential-store.js';
import type { ExecutionResult, OrderView, PlaceOrderRequest } from '../service-deps.js';
import type { MexcContext } from './mexc-api.js';
import { MexcError, mexcErrorOf, mexcErrors } from './mexc-errors.js';
import { fillOfEvent, isMexcOrderType, mexcCanceledOrder, mexcMyTrade, mexcNewOrder, mexcOrder, type AccountFill } from './mexc-mappers.js';
import { intParam, optionalInt } from './mexc-market-routes.js';

const tags = ['mexc v3'];
const DECIMAL = /^\d+(\.\d+)?$/;
const CLIENT_ORDER_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

export function registerMexcTradingRoutes(app: FastifyInstance, ctx: MexcContext): void {
  const { deps } = ctx;
  // As in the native routes: an audit entry that cannot be written is logged, the answer stands.
  const audit = (action: string, accountId: string, details: Record<string, unknown>) =>
    deps.audit
      .append({ at: ctx.wallClock(), actor: accountId, mode: deps.execution.mode, action, accountId, details: { api: 'mexc-v3', ...details } })
      .catch((error: unknown) => app.log.error({ err: error, action, accountId }, 'audit entry not written'));
  const unwrap = <T>(result: ExecutionResult<T>, on: 'place' | 'query' | 'cancel'): T => {
    if (!result.ok) throw mexcErrorOf(result.error, on);
    return result.value;
  };
  const outcome = (result: ExecutionResult<OrderView>) => (result.ok ? { orderId: result.value.orderId, status: result.value.status } : result.error);

  /** The order request a MEXC `POST /api/v3/order` describes, validated as MEXC does. */
  const orderRequest = (p: Record<string, string>): PlaceOrderRequest => {
    for (const name of ['symbol', 'side', 'type'] as const) if (p[name] === undefined || p[name] === '') throw mexcErrors.mandatory(name);
    const side = p.side!;
    const type = p.type!;
    if (side !== 'BUY' && side !== 'SELL') throw mexcErrors.invalidParameter(`side ${side}`);
    if (!isMexcOrderType(type)) throw mexcErrors.invalidParameter(`type ${type}`);
    for (const name of ['quantity', 'quoteOrderQty', 'price'] as const) {
      const v = p[name];
      if (v !== undefined && !DECIMAL.test(v)) throw mexcErrors.invalidParameter(`${name} must be a decimal`);
    }
    if (p.newClientOrderId !== undefined && !CLIENT_ORDER_ID.test(p.newClientOrderId)) throw mexcErrors.invalidParameter('newClientOrderId');
    const common = { symbol: p.symbol!, side, type, ...(p.newClientOrderId !== undefined ? { clientOrderId: p.newClientOrderId } : {}) } as const;
    if (type === 'MARKET') {
      // MEXC ignores a price on market orders (ccxt sends one with quoteOrderQty).
      if (p.quantity !== undefined && p.quoteOrderQty !== undefined) throw new MexcError(-1128, 'Combination of optional parameters invalid.');
      if (p.quantity === undefined && p.quoteOrderQty === undefined) throw mexcErrors.mandatory('quantity');
      return { ...common, ...(p.quantity !== undefined ? { quantity: p.quantity } : { quoteOrderQty: p.quoteOrderQty! }) };
    }
    if (p.quantity === undefined) throw mexcErrors.mandatory('quantity');
    if (p.price === undefined) throw mexcErrors.mandatory('price');
    return { ...common, quantity: p.quantity, price: p.price };
  };

  const orderRef = (p: Record<string, string>) => {
    if (p.symbol === undefined || p.symbol === '') throw mexcErrors.mandatory('symbol');
    if ((p.orderId ?? '') === '' && (p.origClientOrderId ?? '') === '') throw mexcErrors.orderRefMissing();
    return { symbol: p.symbol, ...(p.orderId ? { orderId: p.orderId } : {}), ...(p.origClientOrderId ? { clientOrderId: p.origClientOrderId } : {}) };
  };

  const cancelAll = async (account: AccountProfile, symbol: string | undefined): Promise<OrderView[]> => {
    const open = unwrap(await deps.execution.openOrders(account.accountId, symbol), 'query');
    const canceled: OrderView[] = [];
    for (const order of open) {
      const result = await deps.execution.cancelOrder(account.accountId, { orderId: order.orderId, symbol: order.symbol });
      await audit('order.cancel', account.accountId, { orderId: order.orderId, result: result.ok ? { status: result.value.status } : result.error });
      // An order that filled or ended meanwhile is no longer open: nothing to cancel.
      if (result.ok) canceled.push(result.value);
    }
    return canceled;
  };

  app.get('/api/v3/account', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const balances = unwrap(await deps.execution.balances(account.accountId), 'query');
    const { maker, taker } = feesOf(ctx, account.accountId, undefined);
    return {
      // MEXC states account commissions in basis points (20 = 0.2 %).
      makerCommission: Number(formatFixed(parseFixed(maker) * 10_000n)),
      takerCommission: Number(formatFixed(parseFixed(taker) * 10_000n)),
      buyerCommission: 0,
      sellerCommission: 0,
      canTrade: !deps.hub.kernel.isHalted(account.accountId),
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
    const { maker, taker } = feesOf(ctx, account.accountId, symbol);
    return { data: { makerCommission: Number(maker), takerCommission: Number(taker) }, code: 0, msg: 'success', timestamp: ctx.wallClock() };
  });

  app.post('/api/v3/order', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const order = orderRequest(ctx.params(request));
    const result = await deps.execution.placeOrder(account.accountId, order);
    await audit('order.place', account.accountId, { request: order, result: outcome(result) });
    return mexcNewOrder(unwrap(result, 'place'));
  });

  app.post('/api/v3/order/test', { schema: { tags } }, async (request) => {
    ctx.signed(request);
    const order = orderRequest(ctx.params(request));
    const instrument = deps.hub.kernel.instrument(order.symbol);
    if (instrument === undefined || instrument.market !== 'spot') throw new MexcError(30014, 'invalid symbol');
    return {};
  });

  app.get('/api/v3/order', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    return mexcOrder(unwrap(await deps.execution.getOrder(account.accountId, orderRef(ctx.params(request))), 'query'));
  });

  app.delete('/api/v3/order', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const ref = orderRef(ctx.params(request));
    const result = await deps.execution.cancelOrder(account.accountId, ref);
    await audit('order.cancel', account.accountId, { ...ref, result: result.ok ? { status: result.value.status } : result.error });
    return mexcCanceledOrder(unwrap(result, 'cancel'));
  });

  app.get('/api/v3/openOrders', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const symbol = ctx.params(request).symbol;
    return unwrap(await deps.execution.openOrders(account.accountId, symbol === '' ? undefined : symbol), 'query').map(mexcOrder);
  });

  app.delete('/api/v3/openOrders', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const symbols = (ctx.params(request).symbol ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (symbols.length === 0) throw mexcErrors.mandatory('symbol');
    if (symbols.length > 5) throw mexcErrors.invalidParameter('at most 5 symbols');
    const canceled: OrderView[] = [];
    for (const symbol of symbols) canceled.push(...(await cancelAll(account, symbol)));
    return canceled.map(mexcCanceledOrder);
  });

  app.delete('/api/v3/order/all', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    await cancelAll(account, undefined);
    return { code: 200, msg: 'success', timestamp: ctx.wallClock() };
  });

  app.get('/api/v3/allOrders', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const p = ctx.params(request);
    if (p.symbol === undefined || p.symbol === '') throw mexcErrors.mandatory('symbol');
    const limit = intParam(p.limit, 'limit', 500, 1_000);
    const start = optionalInt(p.startTime, 'startTime');
    const end = optionalInt(p.endTime, 'endTime');
    const orders = deps.hub.kernel
      .orders(account.accountId)
      .filter((o) => o.symbol === p.symbol && (start === undefined || o.arrivesAt >= start) && (end === undefined || o.arrivesAt <= end))
      .sort((a, b) => Number(a.id) - Number(b.id))
      .map(paperOrderView);
    return (start !== undefined ? orders.slice(0, limit) : orders.slice(-limit)).map(mexcOrder);
  });

  app.get('/api/v3/myTrades', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const p = ctx.params(request);
    if (p.symbol === undefined || p.symbol === '') throw mexcErrors.mandatory('symbol');
    const limit = intParam(p.limit, 'limit', 100, 100);
    const start = optionalInt(p.startTime, 'startTime');
    const end = optionalInt(p.endTime, 'endTime');
    let query = deps.db.selectFrom('trades').selectAll().where('accountId', '=', account.accountId).where('symbol', '=', p.symbol);
    if (p.orderId) query = query.where('orderId', '=', p.orderId);
    if (start !== undefined) query = query.where('timestamp', '>=', start);
    if (end !== undefined) query = query.where('timestamp', '<=', end);
    const byId = new Map<string, AccountFill>();
    for (const r of await query.execute()) {
      byId.set(r.id, { id: r.id, orderId: r.orderId, symbol: r.symbol, side: r.orderSide, price: r.price, quantity: r.size, quoteQuantity: r.quoteQty, fee: r.fee, feeAsset: r.feeAsset, liquidity: r.liquidity, time: Number(r.timestamp) });
    }
    for (const event of ctx.tape.fillsOf(account.accountId)) {
      const fill = fillOfEvent(event);
      if (fill.symbol !== p.symbol || (p.orderId && fill.orderId !== p.orderId)) continue;
      if ((start !== undefined && fill.time < start) || (end !== undefined && fill.time > end)) continue;
      byId.set(fill.id, fill);
    }
    const fills = [...byId.values()].sort((a, b) => a.time - b.time || Number(a.id) - Number(b.id));
    const page = start !== undefined ? fills.slice(0, limit) : fills.slice(-limit);
    return page.map((f) => mexcMyTrade(f, deps.hub.kernel.order(f.orderId)?.clientOrderId ?? null));
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

/** The account's fee rates (its own, else the instrument's) as decimal strings. */
function feesOf(ctx: MexcContext, accountId: string, symbol: string | undefined): { maker: string; taker: string } {
  const kernel = ctx.deps.hub.kernel;
  const instrument = symbol !== undefined ? kernel.instrument(symbol) : kernel.instruments().find((i) => i.market === 'spot');
  const own = kernel.account(accountId)?.fees;
  const maker = own?.maker ?? instrument?.makerFee ?? 0n;
  const taker = own?.taker ?? instrument?.takerFee ?? 0n;
  return { maker: formatFixed(maker), taker: formatFixed(taker) };
}
