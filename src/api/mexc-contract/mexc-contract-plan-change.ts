/**
 * `POST /api/v1/private/planorder/change_price` (MEXC futures API, "Modify plan order"): a waiting
 * trigger order's trigger price, execute price (`price`), `orderType`, `triggerType` and `trend`
 * changed, its contract, side, `vol` and cycle kept (docs/adr/0079-mexc-trigger-order-change.md).
 *
 * The engine has no amend of a working order: the change is the replacement placed (a new trigger
 * order, a new id, answered as `data`), then the original cancelled (the list states it 2). Its cycle
 * ends when the original's would have: the replacement's `expireAfterMs` is what was left of it.
 *
 * Guarantees: every refusal of the body, the order or the replacement's terms is decided before
 * anything is placed or cancelled; a replacement the kernel refuses leaves the original waiting, its
 * reservation untouched. Once the replacement is placed, an original that can no longer be cancelled
 * (it triggered or ended between the two steps) withdraws the replacement, whose reservation is
 * released: either the original waits or the replacement does, never both. Cost: the account holds
 * both reservations between the two steps, so it needs the replacement's margin free beside the
 * original's (2005 otherwise, nothing changed). Paper only (the kernel's orders).
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { extend } from '../../core/objects.js';
import { isOpenStatus } from '../../core/orders/order-status.js';
import { accountOrder } from '../../execution/order-records.js';
import { auditCall } from '../dialect-kit/facade-calls.js';
import { orderRecords } from '../order-groups.js';
import { ok, type ContractContext } from './mexc-contract-api.js';
import { contractErrorOf, contractErrors, MexcContractError } from './mexc-contract-errors.js';
import { sideCodeOf } from './mexc-contract-mappers.js';
import { contractOpenType } from './mexc-contract-order-request.js';
import { cycleOf, isPlanOrder, placePlanOrder, planOrderRequest, planState } from './mexc-contract-plan-routes.js';
import { volOf } from './mexc-contract-symbols.js';

const tags = ['mexc contract'];
/** The fields of a change the replacement takes from the body; every other term is the original's. */
const CHANGED = ['triggerPrice', 'price', 'orderType', 'triggerType', 'trend'] as const;

/** MEXC's 2041 in a change's words: the order is no longer waiting (MEXC documents 2041 with its cancel's words). */
const notWaiting = (id: string, state: number) => new MexcContractError(2041, `order state cannot be changed: trigger order ${id} is ${STATE_WORDS[state] ?? 'closed'}, not waiting`);
const STATE_WORDS: Readonly<Record<number, string>> = { 2: 'cancelled', 3: 'executed', 4: 'invalid', 5: 'execution failed' };

export function registerContractPlanChangeRoute(app: FastifyInstance, ctx: ContractContext): void {
  const { deps } = ctx;
  const kernel = () => deps.hub.kernel;
  const audit = auditCall(app, deps, 'mexc-contract', ctx.wallClock);

  app.post('/api/v1/private/planorder/change_price', { schema: { tags } }, async (request) => {
    const account = ctx.signed(request);
    const raw = ctx.body(request);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw contractErrors.param('the body must be a JSON object');
    const body = raw as Record<string, unknown>;
    const c = ctx.contract(body.symbol);
    const orderId = body.orderId;
    const id = typeof orderId === 'number' && Number.isSafeInteger(orderId) && orderId > 0 ? String(orderId) : typeof orderId === 'string' && /^[1-9][0-9]{0,18}$/.test(orderId) ? orderId : undefined;
    if (id === undefined) throw contractErrors.param('orderId must be a whole number');
    // Unknown, another account's, not a trigger order, or on another contract: 2040, as planorder/cancel answers them.
    const original = await accountOrder(kernel(), orderRecords(deps), account.accountId, id);
    if (original === undefined || !isPlanOrder(original) || original.symbol !== c.instrument.symbol) throw contractErrors.unknownOrder();
    const state = planState(original);
    if (state !== 1) throw notWaiting(id, state);
    // What is left of its cycle; one whose end has passed ends at the next input and cannot be changed.
    const remaining = original.expireTime === undefined ? undefined : original.expireTime - deps.hub.now();
    if (remaining !== undefined && remaining <= 0) throw notWaiting(id, 4);
    const cycle = cycleOf(original);
    // The replacement, checked as planorder/place checks one: the original's terms, the body's prices and types.
    const replacementBody: Record<string, unknown> = {
      symbol: c.symbol,
      side: sideCodeOf(original.side, original.reduceOnly),
      vol: volOf(c, original.quantity),
      openType: contractOpenType(ctx, account.accountId),
      executeCycle: cycle === 168 ? 2 : 1,
    };
    for (const name of CHANGED) replacementBody[name] = body[name];
    const { order, terms } = planOrderRequest(ctx, account, replacementBody);
    // Its cycle ends when the original's does (its client id names the original's cycle for the list);
    // an original without a cycle (placed through another API) gets a replacement without one.
    const { expireAfterMs: _fullCycle, clientOrderId, ...rest } = order;
    const replacement = remaining === undefined ? extend(rest, { clientOrderId: `chg${randomBytes(10).toString('hex')}` }) : extend(rest, { clientOrderId, expireAfterMs: remaining });
    const placed = await placePlanOrder(ctx, audit, account.accountId, replacement, terms);
    /** The change refused after the replacement was placed: the replacement withdrawn, its reservation released, the original as it now is. */
    const withdraw = async (refusal: MexcContractError): Promise<never> => {
      const withdrawn = await deps.execution.cancelOrder(account.accountId, { orderId: placed.orderId });
      await audit('order.cancel', account.accountId, { orderId: placed.orderId, withdrawn: true, result: withdrawn.ok ? { status: withdrawn.value.status } : withdrawn.error });
      throw refusal;
    };
    // The original may have triggered or ended while the replacement was placed (inputs between the two steps): then it is no longer the trigger order to change.
    const live = kernel().order(original.id);
    if (live === undefined || live.triggered || !isOpenStatus(live.status)) return withdraw(notWaiting(id, live === undefined ? 4 : planState(live)));
    const cancelled = await deps.execution.cancelOrder(account.accountId, { orderId: original.id });
    await audit('order.cancel', account.accountId, { orderId: original.id, replacedBy: placed.orderId, result: cancelled.ok ? { status: cancelled.value.status } : cancelled.error });
    if (!cancelled.ok) return withdraw(contractErrorOf(cancelled.error));
    return ok(placed.orderId);
  });
}
