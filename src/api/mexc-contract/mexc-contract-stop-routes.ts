/**
 * MEXC contract stop orders (`/api/v1/private/stoporder/*`): the take-profit and stop-loss exits an
 * order attached (`takeProfitPrice`, `stopLossPrice` on `order/create`). The engine places them as
 * an OCO pair of reduce-only conditional orders once the entry fills (kernel/bracket-exits.ts);
 * MEXC shows such a pair as one stop order carrying both prices, and so do these routes: one entry
 * per group of open exits, its id the group's name.
 *
 * `open_orders` lists the waiting pairs (state 1, not triggered); `cancel` takes MEXC's
 * `[{"stopPlanOrderId": id}]` and cancels both legs; `cancel_all` cancels every waiting exit (of a
 * symbol). Not modelled: exits on a whole position without an entry order (`stoporder/place`), and
 * the history of triggered and cancelled pairs.
 */
import type { FastifyInstance } from 'fastify';
import { isConditional } from '../../core/orders/order.js';
import { accountOrders } from '../../execution/order-records.js';
import { auditCall, cancelOpenOrders, cancelTogether } from '../dialect-kit/facade-calls.js';
import { orderRecords } from '../order-groups.js';
import type { ExecutionResult, OrderView } from '../service-deps.js';
import { ok, type ContractContext } from './mexc-contract-api.js';
import { contractErrorOf, contractErrors } from './mexc-contract-errors.js';
import { num } from './mexc-contract-mappers.js';
import { contractOfSymbol, volOf } from './mexc-contract-symbols.js';

const tags = ['mexc contract'];

export function registerContractStopRoutes(app: FastifyInstance, ctx: ContractContext): void {
  const { deps } = ctx;
  const kernel = () => deps.hub.kernel;
  const audit = auditCall(app, deps, 'mexc-contract', ctx.wallClock);
  const unwrap = <T>(result: ExecutionResult<T>): T => {
    if (!result.ok) throw contractErrorOf(result.error);
    return result.value;
  };
  const isExit = (o: OrderView): boolean => isConditional(o.type) && o.ocoGroup !== undefined && contractOfSymbol(kernel(), o.symbol) !== undefined;

  /** The account's waiting exits (of a contract), by group. */
  const groups = async (accountId: string, symbol: unknown): Promise<Map<string, OrderView[]>> => {
    const engineSymbol = symbol === undefined || symbol === '' ? undefined : ctx.contract(symbol).instrument.symbol;
    const byGroup = new Map<string, OrderView[]>();
    for (const o of unwrap(await deps.execution.openOrders(accountId, engineSymbol)).filter(isExit)) {
      const legs = byGroup.get(o.ocoGroup!) ?? [];
      legs.push(o);
      byGroup.set(o.ocoGroup!, legs);
    }
    return byGroup;
  };

  app.get('/api/v1/private/stoporder/open_orders', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const out = [];
    for (const [group, legs] of await groups(account.accountId, ctx.query(request).symbol)) {
      const c = contractOfSymbol(kernel(), legs[0]!.symbol)!;
      // The bracket's entry, filled (closed) as a rule: the kernel's, else its row.
      const entry = (await accountOrders(kernel(), orderRecords(deps), account.accountId, { clientOrderId: group })).find((o) => !isConditional(o.type));
      const takeProfit = legs.find((l) => l.type.startsWith('TAKE_PROFIT'));
      const stopLoss = legs.find((l) => l.type.startsWith('STOP_LOSS'));
      out.push({
        id: group,
        ...(entry !== undefined ? { orderId: entry.id } : {}),
        symbol: c.symbol,
        ...(takeProfit?.stopPrice !== undefined ? { takeProfitPrice: num(takeProfit.stopPrice) } : {}),
        ...(stopLoss?.stopPrice !== undefined ? { stopLossPrice: num(stopLoss.stopPrice) } : {}),
        state: 1,
        triggerSide: 0,
        positionType: legs[0]!.side === 'SELL' ? 1 : 2,
        vol: num(volOf(c, legs[0]!.quantity)),
        isFinished: 0,
        createTime: Math.min(...legs.map((l) => l.createdAt)),
        updateTime: Math.max(...legs.map((l) => l.updatedAt)),
      });
    }
    return ok(out);
  });

  app.post('/api/v1/private/stoporder/cancel', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const body = ctx.body(request);
    if (!Array.isArray(body) || body.length === 0) throw contractErrors.param('the body must be an array of {"stopPlanOrderId": id}');
    // An id as the list gives it (a string), or a whole number; anything else (a list, an object, a
    // boolean) is refused by name, not turned into text that might name an order.
    const ids = body.map((item: unknown, i) => {
      const id = typeof item === 'object' && item !== null && !Array.isArray(item) ? (item as Record<string, unknown>).stopPlanOrderId : undefined;
      if (typeof id === 'string' && id !== '') return id;
      if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
      throw contractErrors.param(`entry ${i + 1}: stopPlanOrderId must be the id of a stop order (a string or a whole number)`);
    });
    const open = await groups(account.accountId, undefined);
    // Every id is checked before any cancel (one unknown id cancels nothing); then every leg as one step (cancelTogether).
    const legs = new Set<string>();
    for (const id of ids) {
      const group = open.get(id);
      if (group === undefined) throw contractErrors.unknownOrder();
      for (const leg of group) legs.add(leg.orderId);
    }
    await cancelTogether(deps, audit, account.accountId, [...legs].map((orderId) => ({ orderId })));
    return ok();
  });

  app.post('/api/v1/private/stoporder/cancel_all', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const raw = ctx.body(request);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw contractErrors.param('the body must be a JSON object');
    const body = raw as Record<string, unknown>;
    const symbol = body.symbol === undefined || body.symbol === '' ? undefined : ctx.contract(body.symbol).instrument.symbol;
    unwrap(await cancelOpenOrders(deps, audit, account.accountId, symbol, isExit));
    return ok();
  });
}
