/**
 * Order lists over REST (paper): OCO pairs and brackets, placed, shown and cancelled as one group.
 *
 * `POST /api/orders/oco` places a take-profit (`TAKE_PROFIT`, or `TAKE_PROFIT_LIMIT` with a price)
 * and a stop-loss (`STOP_LOSS`, or `STOP_LOSS_LIMIT`) sharing a group, `<group>-tp` and
 * `<group>-sl`. When the tape reaches one trigger, the kernel cancels the other
 * (`OCO_SIBLING_TRIGGERED`). Both legs are one kernel command (`order.list`): a refused leg leaves
 * no trace of the other, and the refusal names it — a group is whole or absent. On spot the legs
 * share one reservation (a sell OCO of 0.01 BTC locks 0.01 BTC), as on Binance.
 * A bracket is placed by `POST /api/orders` with `takeProfit` and/or `stopLoss`: its group is the
 * entry's clientOrderId, and its exits come as the entry fills (kernel/bracket-exits.ts).
 * `GET` and `DELETE /api/orders/oco/:group` show and cancel either kind (order-groups.ts).
 * Not modelled: live trading (refused: the venue facade sends single orders only).
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { extend } from '../core/objects.js';
import { requireAccount } from './auth.js';
import { ACCOUNT_KEY } from './edge-guards.js';
import { HttpError } from './http-errors.js';
import { Decimal } from './schemas.js';
import { auditCall, type AuditCall } from './dialect-kit/facade-calls.js';
import { cancelGroup, groupOrders, groupView } from './order-groups.js';
import type { OrderListResult } from '../execution/order-execution-service.js';
import type { OrderView, PlaceOrderRequest, ServiceDeps } from './service-deps.js';
import { givenFieldsFirst } from './given-fields-first.js';

const Leg = Type.Object({ stopPrice: Decimal, price: Type.Optional(Decimal) }, { additionalProperties: false });

export const PlaceOcoBody = Type.Object(
  {
    symbol: Type.String({ minLength: 1, maxLength: 32 }),
    side: Type.Enum(['BUY', 'SELL']),
    quantity: Decimal,
    takeProfit: Leg,
    stopLoss: Leg,
    reduceOnly: Type.Optional(Type.Boolean()),
    listClientOrderId: Type.Optional(Type.String({ minLength: 1, maxLength: 60, pattern: '^[A-Za-z0-9_.:]+$', description: 'up to 60 letters, digits and the signs _ . :' })),
  },
  { additionalProperties: false },
);
type PlaceOcoBodyType = Static<typeof PlaceOcoBody>;

const GroupParams = Type.Object({ group: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$', description: 'an order group id: an OCO listClientOrderId, or a bracket entry\'s clientOrderId' }) });

/**
 * The legs as one order list (the facade's `placeOrderList`); refused when the facade has none
 * (live). Answered once handled, before it is durable (`durable` on the result, ADR 0084): the
 * caller writes its audit entries meanwhile and answers no one before `durable` resolves.
 */
export async function placeOrderList(deps: ServiceDeps, accountId: string, requests: readonly PlaceOrderRequest[]): Promise<OrderListResult & { readonly durable?: Promise<void> }> {
  if (deps.execution.placeOrderList === undefined) return { ok: false, error: { code: 'UNSUPPORTED_ORDER_TYPE', message: 'order groups are simulated on paper only' } };
  return deps.execution.placeOrderList(accountId, requests, { beforeDurable: true });
}

export function registerOcoRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const tags = ['trading'];
  const audit: AuditCall = auditCall(app, deps, undefined, deps.wallClock ?? Date.now);
  const paperOnly = () => {
    if (deps.execution.mode !== 'paper') throw HttpError.of({ code: 'UNSUPPORTED_ORDER_TYPE', message: 'order groups are simulated on paper only' });
  };

  app.post<{ Body: PlaceOcoBodyType }>('/api/orders/oco', { config: ACCOUNT_KEY, schema: { tags, body: givenFieldsFirst(PlaceOcoBody) } }, async (request, reply) => {
    const account = requireAccount(request, deps.credentials);
    paperOnly();
    const body = request.body;
    const group = body.listClientOrderId ?? `oco_${randomBytes(8).toString('hex')}`;
    if ((await groupOrders(deps, account.accountId, group)).length > 0) throw HttpError.of({ code: 'DUPLICATE_CLIENT_ORDER_ID', message: `listClientOrderId ${group} is already used` });
    const common = { symbol: body.symbol, side: body.side, quantity: body.quantity, ocoGroup: group, ...(body.reduceOnly !== undefined ? { reduceOnly: body.reduceOnly } : {}) } as const;
    const takeProfit: PlaceOrderRequest = extend(common, { clientOrderId: `${group}-tp`, stopPrice: body.takeProfit.stopPrice,
      ...(body.takeProfit.price !== undefined ? { type: 'TAKE_PROFIT_LIMIT', price: body.takeProfit.price } : { type: 'TAKE_PROFIT' }),
    });
    const stopLoss: PlaceOrderRequest = extend(common, { clientOrderId: `${group}-sl`, stopPrice: body.stopLoss.stopPrice,
      ...(body.stopLoss.price !== undefined ? { type: 'STOP_LOSS_LIMIT', price: body.stopLoss.price } : { type: 'STOP_LOSS' }),
    });
    // One command: the kernel places both legs or neither.
    const placed = await placeOrderList(deps, account.accountId, [takeProfit, stopLoss]);
    if (!placed.ok) {
      if (placed.leg === 1) await audit('oco.place', account.accountId, { request: body, result: placed.error }, placed.durable);
      else await placed.durable;
      throw HttpError.of({ ...placed.error, message: placed.leg === undefined ? placed.error.message : `${placed.leg === 0 ? 'takeProfit' : 'stopLoss'}: ${placed.error.message}` });
    }
    const [tp, sl] = placed.value as [OrderView, OrderView];
    await audit('oco.place', account.accountId, { request: body, result: { ocoGroup: group, orderIds: [tp.orderId, sl.orderId] } }, placed.durable);
    return reply.code(201).send(await groupView(deps, account.accountId, group));
  });

  /** One order list: an OCO pair or a bracket (its entry, then its exits). */
  app.get<{ Params: { group: string } }>('/api/orders/oco/:group', { config: ACCOUNT_KEY, schema: { tags, params: GroupParams } }, async (request) => {
    const account = requireAccount(request, deps.credentials);
    paperOnly();
    const view = await groupView(deps, account.accountId, request.params.group);
    if (view === undefined) throw HttpError.of({ code: 'UNKNOWN_ORDER', message: `no order group ${request.params.group}` });
    return view;
  });

  /** Cancels every open order of the list: a bracket's entry first, then its exits. */
  app.delete<{ Params: { group: string } }>('/api/orders/oco/:group', { config: ACCOUNT_KEY, schema: { tags, params: GroupParams } }, async (request) => {
    const account = requireAccount(request, deps.credentials);
    paperOnly();
    const result = await cancelGroup(deps, audit, account.accountId, request.params.group);
    if (!result.ok) throw HttpError.of(result.error);
    return result.value;
  });
}
