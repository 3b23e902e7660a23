/**
 * One-cancels-the-other over REST (paper): a take-profit and a stop-loss on one position, placed,
 * shown and cancelled as one group.
 *
 * `POST /api/orders/oco` places the two legs as conditional orders sharing an OCO group: the
 * take-profit (`TAKE_PROFIT`, or `TAKE_PROFIT_LIMIT` with a price) and the stop-loss (`STOP_LOSS`,
 * or `STOP_LOSS_LIMIT`). When the tape reaches one trigger, the kernel cancels the other
 * (`OCO_SIBLING_TRIGGERED`). The legs are found again by their client order ids, `<group>-tp` and
 * `<group>-sl`. If the second leg is refused, the first is cancelled and the refusal answered:
 * a group is whole or absent.
 *
 * On spot the legs share one reservation (a sell OCO of 0.01 BTC locks 0.01 BTC), as on Binance.
 * Not modelled:
 * live trading (refused: the facade sends single orders only).
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { requireAccount } from './auth.js';
import { ACCOUNT_KEY } from './edge-guards.js';
import { HttpError } from './http-errors.js';
import { Decimal } from './schemas.js';
import type { OrderView, ServiceDeps } from './service-deps.js';

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

const GroupParams = Type.Object({ group: Type.String({ minLength: 1, maxLength: 60, pattern: '^[A-Za-z0-9_.:]+$', description: 'an OCO group id' }) });

const OPEN = new Set(['NEW', 'PARTIALLY_FILLED']);

export function registerOcoRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const tags = ['trading'];

  /** The group's legs as they are now; undefined when the account has no such group. */
  const legsOf = async (accountId: string, group: string): Promise<OrderView[] | undefined> => {
    const legs: OrderView[] = [];
    for (const suffix of ['tp', 'sl']) {
      const found = await deps.execution.getOrder(accountId, { clientOrderId: `${group}-${suffix}` });
      if (found.ok && found.value.ocoGroup === group) legs.push(found.value);
    }
    return legs.length === 0 ? undefined : legs;
  };
  const groupView = (group: string, symbol: string, legs: readonly OrderView[]) => ({
    ocoGroup: group,
    symbol,
    // Binance's listOrderStatus: EXECUTING while a leg is open, ALL_DONE after.
    listOrderStatus: legs.some((l) => OPEN.has(l.status)) ? 'EXECUTING' : 'ALL_DONE',
    orders: legs,
  });
  const audit = (action: string, accountId: string, details: Record<string, unknown>) =>
    deps.audit
      .append({ at: (deps.wallClock ?? Date.now)(), actor: accountId, mode: deps.execution.mode, action, accountId, details })
      .catch((error: unknown) => app.log.error({ err: error, action, accountId }, 'audit entry not written'));

  app.post<{ Body: PlaceOcoBodyType }>('/api/orders/oco', { config: ACCOUNT_KEY, schema: { tags, body: PlaceOcoBody } }, async (request, reply) => {
    const account = requireAccount(request, deps.credentials);
    if (deps.execution.mode !== 'paper') throw HttpError.of({ code: 'UNSUPPORTED_ORDER_TYPE', message: 'OCO groups are simulated on paper only' });
    const body = request.body;
    const group = body.listClientOrderId ?? `oco_${randomBytes(8).toString('hex')}`;
    if ((await legsOf(account.accountId, group)) !== undefined) throw HttpError.of({ code: 'DUPLICATE_CLIENT_ORDER_ID', message: `listClientOrderId ${group} is already used` });
    const common = { symbol: body.symbol, side: body.side, quantity: body.quantity, ocoGroup: group, ...(body.reduceOnly !== undefined ? { reduceOnly: body.reduceOnly } : {}) } as const;
    const tp = await deps.execution.placeOrder(account.accountId, {
      ...common, clientOrderId: `${group}-tp`, stopPrice: body.takeProfit.stopPrice,
      ...(body.takeProfit.price !== undefined ? { type: 'TAKE_PROFIT_LIMIT', price: body.takeProfit.price } : { type: 'TAKE_PROFIT' }),
    });
    if (!tp.ok) throw HttpError.of({ ...tp.error, message: `takeProfit: ${tp.error.message}` });
    const sl = await deps.execution.placeOrder(account.accountId, {
      ...common, clientOrderId: `${group}-sl`, stopPrice: body.stopLoss.stopPrice,
      ...(body.stopLoss.price !== undefined ? { type: 'STOP_LOSS_LIMIT', price: body.stopLoss.price } : { type: 'STOP_LOSS' }),
    });
    if (!sl.ok) {
      // A group is whole or absent: the take-profit does not stay alone.
      await deps.execution.cancelOrder(account.accountId, { orderId: tp.value.orderId });
      await audit('oco.place', account.accountId, { request: body, result: sl.error });
      throw HttpError.of({ ...sl.error, message: `stopLoss: ${sl.error.message}` });
    }
    await audit('oco.place', account.accountId, { request: body, result: { ocoGroup: group, orderIds: [tp.value.orderId, sl.value.orderId] } });
    return reply.code(201).send(groupView(group, body.symbol, [tp.value, sl.value]));
  });

  app.get<{ Params: { group: string } }>('/api/orders/oco/:group', { config: ACCOUNT_KEY, schema: { tags, params: GroupParams } }, async (request) => {
    const account = requireAccount(request, deps.credentials);
    const legs = await legsOf(account.accountId, request.params.group);
    if (legs === undefined) throw HttpError.of({ code: 'UNKNOWN_ORDER', message: `no OCO group ${request.params.group}` });
    return groupView(request.params.group, legs[0]!.symbol, legs);
  });

  app.delete<{ Params: { group: string } }>('/api/orders/oco/:group', { config: ACCOUNT_KEY, schema: { tags, params: GroupParams } }, async (request) => {
    const account = requireAccount(request, deps.credentials);
    const legs = await legsOf(account.accountId, request.params.group);
    if (legs === undefined) throw HttpError.of({ code: 'UNKNOWN_ORDER', message: `no OCO group ${request.params.group}` });
    if (!legs.some((l) => OPEN.has(l.status))) throw HttpError.of({ code: 'ORDER_NOT_OPEN', message: `OCO group ${request.params.group} has no open order` });
    for (const leg of legs) if (OPEN.has(leg.status)) await deps.execution.cancelOrder(account.accountId, { orderId: leg.orderId });
    await audit('oco.cancel', account.accountId, { ocoGroup: request.params.group });
    return groupView(request.params.group, legs[0]!.symbol, (await legsOf(account.accountId, request.params.group))!);
  });
}
