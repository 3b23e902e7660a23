/**
 * Binance Spot v3 order lists (SIGNED): `POST /api/v3/orderList/oco` (above/below legs), the
 * legacy `POST /api/v3/order/oco` (a LIMIT_MAKER and a stop), `GET` and `DELETE /api/v3/orderList`,
 * `GET /api/v3/openOrderList` and `GET /api/v3/allOrderList`, in Binance's shapes
 * (https://developers.binance.com/docs/binance-spot-api-docs/rest-api/trading-endpoints).
 *
 * A list is papertrade's order group (api/order-groups.ts): its legs are placed through the facade
 * as one kernel command (`order.list`, all legs or none) with `ocoGroup` = listClientOrderId, and the kernel cancels the legs that have not acted when one
 * triggers or first fills. On spot the legs share one reservation, as Binance locks an OCO's
 * quantity once. `orderListId` is the id of the list's first order (Binance ids are numbers; a
 * group's first order id is one and never changes). A bracket placed through the native API
 * (an entry with its exits) shows here as Binance's OTOCO does, contingencyType OTO.
 * Leg rules (Binance's): one leg LIMIT_MAKER, TAKE_PROFIT or TAKE_PROFIT_LIMIT, the other
 * STOP_LOSS or STOP_LOSS_LIMIT; on a SELL the take-profit kind is above, on a BUY below. The
 * trigger and price checks against the last trade are the kernel's (-2010 "Stop price would
 * trigger immediately.", "Order would immediately match and take.").
 * Not modelled, answered -1014: trailing legs (`aboveTrailingDelta`, `belowTrailingDelta`),
 * iceberg legs, stop-limit legs with IOC or FOK. Paper only: a live facade answers -1020.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { extend } from '../../core/objects.js';
import { isOpenStatus } from '../../core/orders/order-status.js';
import type { Order } from '../../core/orders/order.js';
import { auditCall, outcomeOf } from '../dialect-kit/facade-calls.js';
import { intParam, optionalInt } from '../dialect-kit/request-params.js';
import { accountOrder, accountOrders } from '../../execution/order-records.js';
import { ok } from '../../execution/order-execution-service.js';
import { placeOrderList } from '../oco-routes.js';
import { cancelGroup, groupOrders, orderRecords } from '../order-groups.js';
import type { PlaceOrderRequest } from '../service-deps.js';
import type { BinanceContext } from './binance-api.js';
import { binanceErrorOf, binanceErrors } from './binance-errors.js';
import { requireSpotSymbol } from './binance-trading-routes.js';
import { binanceCanceledOrderList, binanceOrderList, type OrderListReports } from './binance-order-lists.js';

const DECIMAL = /^\d{1,20}(\.\d{1,20})?$/;
const DECIMAL_RANGE = '^([0-9]{1,20})(\\.[0-9]{1,20})?$';
const CLIENT_ID = /^[a-zA-Z0-9_-]{1,36}$/;
const PROFIT_TYPES = ['LIMIT_MAKER', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'] as const;
const STOP_TYPES = ['STOP_LOSS', 'STOP_LOSS_LIMIT'] as const;
type LegType = (typeof PROFIT_TYPES)[number] | (typeof STOP_TYPES)[number];

interface Leg {
  readonly type: LegType;
  readonly price?: string;
  readonly stopPrice?: string;
  readonly clientOrderId?: string;
}

/** A leg as the facade places it; -1102 for a price its type needs, -1106 for one it refuses. */
function legRequest(leg: Leg, name: string, common: { symbol: string; side: 'BUY' | 'SELL'; quantity: string; ocoGroup: string }): PlaceOrderRequest {
  const needs = (field: 'price' | 'stopPrice', key: string): string => {
    const v = leg[field];
    if (v === undefined) throw binanceErrors.mandatory(key);
    return v;
  };
  const refuses = (field: 'price' | 'stopPrice', key: string): void => {
    if (leg[field] !== undefined) throw binanceErrors.notRequired(key);
  };
  const key = (field: string) => (name === '' ? field : `${name}${field[0]!.toUpperCase()}${field.slice(1)}`);
  const base = extend(common, leg.clientOrderId !== undefined ? { clientOrderId: leg.clientOrderId } : {});
  switch (leg.type) {
    case 'LIMIT_MAKER':
      refuses('stopPrice', key('stopPrice'));
      return extend(base, { type: 'LIMIT_MAKER', price: needs('price', key('price')) });
    case 'TAKE_PROFIT':
    case 'STOP_LOSS':
      refuses('price', key('price'));
      return extend(base, { type: leg.type, stopPrice: needs('stopPrice', key('stopPrice')) });
    case 'TAKE_PROFIT_LIMIT':
    case 'STOP_LOSS_LIMIT':
      return extend(base, { type: leg.type, price: needs('price', key('price')), stopPrice: needs('stopPrice', key('stopPrice')) });
  }
}

export function registerBinanceOrderListRoutes(app: FastifyInstance, ctx: BinanceContext): void {
  const { deps } = ctx;
  const audit = auditCall(app, deps, 'binance-spot-v3', ctx.wallClock);
  const given = (p: Record<string, string>, name: string): string | undefined => (p[name] === undefined || p[name] === '' ? undefined : p[name]);
  const decimal = (p: Record<string, string>, name: string): string | undefined => {
    const v = given(p, name);
    if (v !== undefined && !DECIMAL.test(v)) throw binanceErrors.illegalChars(name, DECIMAL_RANGE);
    return v;
  };
  const clientId = (p: Record<string, string>, name: string): string | undefined => {
    const v = given(p, name);
    if (v !== undefined && !CLIENT_ID.test(v)) throw binanceErrors.illegalChars(name, '^[a-zA-Z0-9-_]{1,36}$');
    return v;
  };
  const mandatory = (p: Record<string, string>, name: string): string => {
    const v = given(p, name);
    if (v === undefined) throw binanceErrors.mandatory(name);
    return v;
  };
  const paperOnly = () => {
    if (deps.execution.mode !== 'paper') throw binanceErrors.unsupportedOperation('Order lists are simulated on paper only.');
  };

  /** The list as Binance states it (binance-order-lists.ts), its orders read when not given. */
  const listView = async (accountId: string, group: string, reports: OrderListReports, members?: readonly Readonly<Order>[]): Promise<Record<string, unknown>> =>
    binanceOrderList(group, members ?? (await groupOrders(deps, accountId, group)), reports);
  /** The group a request names by `orderListId` or by its list client id; -2013 (query) / -2011 (cancel) when there is none. */
  const groupNamed = async (accountId: string, p: Record<string, string>, listIdKey: string, on: 'query' | 'cancel'): Promise<string> => {
    const listId = given(p, 'orderListId');
    const clientListId = given(p, listIdKey);
    if (listId === undefined && clientListId === undefined) throw binanceErrors.eitherOf('orderListId', listIdKey);
    if (listId !== undefined && !/^\d{1,20}$/.test(listId)) throw binanceErrors.illegalChars('orderListId', '^[0-9]{1,20}$');
    const missing = on === 'query' ? binanceErrors.orderDoesNotExist() : binanceErrors.unknownOrderOnCancel();
    let group = clientListId;
    if (listId !== undefined) {
      const first = await accountOrder(deps.hub.kernel, orderRecords(deps), accountId, listId);
      const members = first?.ocoGroup === undefined ? [] : await groupOrders(deps, accountId, first.ocoGroup);
      if (members[0]?.id !== listId || (group !== undefined && group !== first!.ocoGroup)) throw missing;
      group = first!.ocoGroup;
    }
    if (group === undefined || (await groupOrders(deps, accountId, group)).length === 0) throw missing;
    return group;
  };

  /** Places both legs as one list (the stop kind first, as Binance lists it): both or neither; a refusal is the failing leg's. */
  const placeList = async (reply: FastifyReply, accountId: string, p: Record<string, string>, legs: { below: Leg; above: Leg }, side: 'BUY' | 'SELL', listClientOrderId: string | undefined) => {
    if ((p.newOrderRespType ?? '') !== '' && !['ACK', 'RESULT', 'FULL'].includes(p.newOrderRespType!)) throw binanceErrors.invalidRespType();
    const symbol = mandatory(p, 'symbol');
    requireSpotSymbol(deps.hub.kernel, symbol);
    const quantity = decimal(p, 'quantity');
    if (quantity === undefined) throw binanceErrors.mandatory('quantity');
    const profit = side === 'SELL' ? legs.above : legs.below;
    const stop = side === 'SELL' ? legs.below : legs.above;
    if (!(PROFIT_TYPES as readonly string[]).includes(profit.type) || !(STOP_TYPES as readonly string[]).includes(stop.type)) {
      throw binanceErrors.unsupportedCombination(`a ${side} OCO takes ${side === 'SELL' ? 'above' : 'below'} LIMIT_MAKER, TAKE_PROFIT or TAKE_PROFIT_LIMIT and ${side === 'SELL' ? 'below' : 'above'} STOP_LOSS or STOP_LOSS_LIMIT`);
    }
    const group = listClientOrderId ?? `oco_${randomBytes(8).toString('hex')}`;
    if ((await groupOrders(deps, accountId, group)).length > 0) throw binanceErrorOf({ code: 'DUPLICATE_CLIENT_ORDER_ID', message: `listClientOrderId ${group} is already used` }, 'place');
    const common = { symbol, side, quantity, ocoGroup: group };
    const requests = [legRequest(legs.below, 'below', common), legRequest(legs.above, 'above', common)];
    for (const [header, count] of Object.entries(ctx.meter.chargeOrder(accountId))) void reply.header(header, String(count));
    // One command: the kernel places both legs or neither.
    const placed = await placeOrderList(deps, accountId, requests);
    if (!placed.ok) {
      const failed = requests[placed.leg ?? 0]!;
      await audit('order.place', accountId, { request: failed, result: placed.error }, placed.durable);
      throw binanceErrorOf(placed.error, 'place');
    }
    // Both entries written while the list's fdatasync is still to come; answered once it and they are done (ADR 0084).
    await Promise.all(requests.map((request, i) => audit('order.place', accountId, { request, result: outcomeOf(ok(placed.value[i]!)) }, placed.durable)));
    // transactionTime: the legs' placement, on the exchange clock every order time here is on.
    return extend(await listView(accountId, group, 'placed'), { listStatusType: 'EXEC_STARTED' });
  };

  const leg = (p: Record<string, string>, name: 'above' | 'below'): Leg => {
    const type = mandatory(p, `${name}Type`);
    if (![...PROFIT_TYPES, ...STOP_TYPES].includes(type as LegType)) throw binanceErrors.invalidOrderType();
    if (given(p, `${name}TrailingDelta`) !== undefined) throw binanceErrors.unsupportedCombination('trailing legs are not simulated');
    const iceberg = given(p, `${name}IcebergQty`);
    if (iceberg !== undefined && !/^0*(\.0*)?$/.test(iceberg)) throw binanceErrors.unsupportedCombination('iceberg orders are not simulated');
    const tif = given(p, `${name}TimeInForce`);
    if (tif !== undefined && tif !== 'GTC') throw binanceErrors.unsupportedCombination('stop-limit legs rest as GTC');
    if (type.endsWith('_LIMIT') && tif === undefined) throw binanceErrors.mandatory(`${name}TimeInForce`);
    const price = decimal(p, `${name}Price`);
    const stopPrice = decimal(p, `${name}StopPrice`);
    const clientOrderId = clientId(p, `${name}ClientOrderId`);
    return { type: type as LegType, ...(price !== undefined ? { price } : {}), ...(stopPrice !== undefined ? { stopPrice } : {}), ...(clientOrderId !== undefined ? { clientOrderId } : {}) };
  };
  const sideOf = (p: Record<string, string>): 'BUY' | 'SELL' => {
    const side = mandatory(p, 'side');
    if (side !== 'BUY' && side !== 'SELL') throw binanceErrors.invalidSide();
    return side;
  };

  ctx.route('POST', '/api/v3/orderList/oco', 1, async (request, reply, p) => {
    const account = ctx.signed(request, p);
    paperOnly();
    const side = sideOf(p);
    return placeList(reply, account.accountId, p, { above: leg(p, 'above'), below: leg(p, 'below') }, side, clientId(p, 'listClientOrderId'));
  });

  // The deprecated form: a LIMIT_MAKER at `price` and a stop at `stopPrice` (a stop-limit with `stopLimitPrice`).
  ctx.route('POST', '/api/v3/order/oco', 1, async (request, reply, p) => {
    const account = ctx.signed(request, p);
    paperOnly();
    const side = sideOf(p);
    const tif = given(p, 'stopLimitTimeInForce');
    const stopLimitPrice = decimal(p, 'stopLimitPrice');
    if (stopLimitPrice !== undefined && tif === undefined) throw binanceErrors.mandatory('stopLimitTimeInForce');
    if (tif !== undefined && tif !== 'GTC') throw binanceErrors.unsupportedCombination('stop-limit legs rest as GTC');
    for (const name of ['limitIcebergQty', 'stopIcebergQty']) {
      const v = given(p, name);
      if (v !== undefined && !/^0*(\.0*)?$/.test(v)) throw binanceErrors.unsupportedCombination('iceberg orders are not simulated');
    }
    const limitClientOrderId = clientId(p, 'limitClientOrderId');
    const stopClientOrderId = clientId(p, 'stopClientOrderId');
    const limit: Leg = { type: 'LIMIT_MAKER', price: mandatory(p, 'price'), ...(limitClientOrderId !== undefined ? { clientOrderId: limitClientOrderId } : {}) };
    const stop: Leg = {
      type: stopLimitPrice !== undefined ? 'STOP_LOSS_LIMIT' : 'STOP_LOSS',
      stopPrice: mandatory(p, 'stopPrice'),
      ...(stopLimitPrice !== undefined ? { price: stopLimitPrice } : {}),
      ...(stopClientOrderId !== undefined ? { clientOrderId: stopClientOrderId } : {}),
    };
    if (!DECIMAL.test(limit.price!)) throw binanceErrors.illegalChars('price', DECIMAL_RANGE);
    if (!DECIMAL.test(stop.stopPrice!)) throw binanceErrors.illegalChars('stopPrice', DECIMAL_RANGE);
    const legs = side === 'SELL' ? { above: limit, below: stop } : { above: stop, below: limit };
    return placeList(reply, account.accountId, p, legs, side, clientId(p, 'listClientOrderId'));
  });

  ctx.route('GET', '/api/v3/orderList', 4, async (request, _reply, p) => {
    const account = ctx.signed(request, p);
    paperOnly();
    return listView(account.accountId, await groupNamed(account.accountId, p, 'origClientOrderId', 'query'), 'none');
  });

  ctx.route('DELETE', '/api/v3/orderList', 1, async (request, _reply, p) => {
    const account = ctx.signed(request, p);
    paperOnly();
    const symbol = mandatory(p, 'symbol');
    const group = await groupNamed(account.accountId, p, 'listClientOrderId', 'cancel');
    if ((await groupOrders(deps, account.accountId, group))[0]!.symbol !== symbol) throw binanceErrors.unknownOrderOnCancel();
    const result = await cancelGroup(deps, audit, account.accountId, group);
    if (!result.ok) throw binanceErrors.unknownOrderOnCancel();
    return binanceCanceledOrderList(group, await groupOrders(deps, account.accountId, group));
  });

  /** The account's lists, oldest first, each once (by its first order). */
  const lists = async (accountId: string): Promise<{ group: string; first: Readonly<Order>; orders: Readonly<Order>[] }[]> => {
    const byGroup = new Map<string, Readonly<Order>[]>();
    for (const order of await accountOrders(deps.hub.kernel, orderRecords(deps), accountId, { grouped: true })) {
      if (order.ocoGroup === undefined) continue;
      const members = byGroup.get(order.ocoGroup) ?? [];
      members.push(order);
      byGroup.set(order.ocoGroup, members);
    }
    return [...byGroup].map(([group, orders]) => ({ group, first: orders[0]!, orders }));
  };

  ctx.route('GET', '/api/v3/openOrderList', 6, async (request, _reply, p) => {
    const account = ctx.signed(request, p);
    paperOnly();
    const open = (await lists(account.accountId)).filter((l) => l.orders.some((o) => isOpenStatus(o.status)));
    return Promise.all(open.map((l) => listView(account.accountId, l.group, 'none', l.orders)));
  });

  ctx.route('GET', '/api/v3/allOrderList', 20, async (request, _reply, p) => {
    const account = ctx.signed(request, p);
    paperOnly();
    const invalid = binanceErrors.invalidParameter;
    const limit = intParam(p.limit, 'limit', 500, 1_000, invalid);
    const fromId = optionalInt(p.fromId, 'fromId', invalid);
    const start = optionalInt(p.startTime, 'startTime', invalid);
    const end = optionalInt(p.endTime, 'endTime', invalid);
    if (fromId !== undefined && (start !== undefined || end !== undefined)) throw binanceErrors.combination();
    const chosen = (await lists(account.accountId)).filter(
      (l) => (fromId === undefined || Number(l.first.id) >= fromId) && (start === undefined || l.first.arrivesAt >= start) && (end === undefined || l.first.arrivesAt <= end),
    );
    const page = fromId !== undefined || start !== undefined ? chosen.slice(0, limit) : chosen.slice(-limit);
    return Promise.all(page.map((l) => listView(account.accountId, l.group, 'none', l.orders)));
  });
}
