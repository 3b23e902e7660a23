/**
 * What every dialect does around the facade the same way: audit its commands, cancel many orders
 * as one step, refuse a step on a paper engine that is not ready, read the account's fee rates.
 */
import type { FastifyInstance } from 'fastify';
import { formatFixed } from '../../core/money/fixed.js';
import { EngineUnavailableError } from '../../engine/engine-status.js';
import type { Answered } from '../../execution/order-execution-service.js';
import { HttpError } from '../http-errors.js';
import type { ExecutionResult, OrderView, ServiceDeps } from '../service-deps.js';

/**
 * Writes an audit entry of a command's answer; resolves once it is written and, when the answer came
 * before its command was durable (`durable`, from an `Answered` result), once that is too: the
 * route answers after it, and the entry is written while the command's fdatasync is still to come,
 * so that one covers both (ADR 0084). A `durable` that rejects (the engine stopped before the
 * command was on disk) rejects the call: the route must not answer success.
 */
export type AuditCall = (action: string, accountId: string, details: Record<string, unknown>, durable?: Promise<void>) => Promise<void>;

/**
 * The routes' audit call: an entry that cannot be written is logged and the answer stands (the
 * command is journaled). `api`, when given, is written into the entry's details (a dialect's name).
 */
export function auditCall(app: FastifyInstance, deps: ServiceDeps, api: string | undefined, wallClock: () => number): AuditCall {
  return async (action, accountId, details, durable) => {
    const written = deps.audit
      .append({ at: wallClock(), actor: accountId, mode: deps.execution.mode, action, accountId, details: api === undefined ? details : { api, ...details } })
      .then(() => undefined)
      .catch((error: unknown) => app.log.error({ err: error, action, accountId }, 'audit entry not written'));
    // The entry's own write is waited for whatever becomes of `durable`: an answer, even a 503, comes after it.
    try {
      await durable;
    } finally {
      await written;
    }
  };
}

/** The order's audit outcome: its id and status, or the refusal. */
export function outcomeOf(result: ExecutionResult<OrderView>): unknown {
  return result.ok ? { orderId: result.value.orderId, status: result.value.status } : result.error;
}

/**
 * Cancels the account's open orders (of `symbol`, or all; only those `which` selects, when given);
 * answers those it cancelled. An order that filled or ended meanwhile is no longer open: nothing to
 * cancel. A failed listing is returned as it is, for the dialect to map. The cancels go as one step
 * (`cancelTogether`).
 */
export async function cancelOpenOrders(deps: ServiceDeps, audit: AuditCall, accountId: string, symbol: string | undefined, which?: (order: OrderView) => boolean): Promise<ExecutionResult<OrderView[]>> {
  const open = await deps.execution.openOrders(accountId, symbol);
  if (!open.ok) return open;
  const results = await cancelTogether(deps, audit, accountId, which === undefined ? open.value : open.value.filter(which));
  const canceled: OrderView[] = [];
  for (const result of results) if (result.ok) canceled.push(result.value);
  return { ok: true, value: canceled };
}

/**
 * Cancels `orders` (each named by its id, and its symbol when it has one) as one step
 * (`OrderExecutionService.cancelOrders`: on paper, back to back in the journal with no market input
 * between them), writes the `order.cancel` audit entry of each cancel that was made or refused by
 * the venue, in the order given, and resolves once all are written and durable: one fdatasync
 * covers the cancels and their entries (ADR 0084). Answers one result per order, in order (a cancel
 * refused, even before the journal, is that order's result: `stepResult`). Rejects, once those
 * entries are written, with the first error that is no order's own (`stepError`: the engine stopped
 * or unreachable), and as `AuditCall` does when the engine stopped before the cancels were on disk:
 * the route must not answer success. A paper engine that is not `ready` is
 * refused first (EngineUnavailableError), even with no order to cancel.
 */
export async function cancelTogether(deps: ServiceDeps, audit: AuditCall, accountId: string, orders: readonly { readonly orderId: string; readonly symbol?: string }[]): Promise<ExecutionResult<OrderView>[]> {
  requireReadyEngine(deps, 'nothing was cancelled');
  const outcomes = await deps.execution.cancelOrders(accountId, orders.map((o) => (o.symbol !== undefined ? { orderId: o.orderId, symbol: o.symbol } : { orderId: o.orderId })), { beforeDurable: true });
  const results = outcomes.map(stepResult);
  const written: Promise<void>[] = [];
  results.forEach((result, i) => {
    if (result !== undefined) written.push(audit('order.cancel', accountId, { orderId: orders[i]!.orderId, result: result.ok ? { status: result.value.status } : result.error }, result.durable));
  });
  // Every entry's outcome is awaited before any error is raised: none is left unhandled.
  const settled = await Promise.allSettled(written);
  const thrown = stepError(outcomes, results) ?? settled.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (thrown !== undefined) throw thrown.reason;
  return results as Answered<OrderView>[];
}

/**
 * Refuses a step of many orders (EngineUnavailableError, `nothing` saying what was not done) when a
 * paper engine is not taking input: it cannot vouch for its state, even with nothing to do, so no
 * success comes from it. After a failed fdatasync, for one, the stopped kernel shows the failed
 * step as handled.
 */
export function requireReadyEngine(deps: ServiceDeps, nothing: string): void {
  const engine = deps.execution.mode === 'paper' ? deps.hub.engineStatus : undefined;
  if (engine !== undefined && engine.state !== 'ready') throw new EngineUnavailableError(engine.state, `the engine is ${engine.state}: ${nothing}`, 'not-applied');
}

/**
 * One call's outcome in a step (`OrderExecutionService.cancelOrders`, `placeOrders`) as that
 * order's result. What the call threw while the engine still takes input is that order's refusal,
 * not the step's: the kernel set the command aside (its INPUT_REJECTED, an HttpError once journaled
 * and durable), or it was refused before the journal while the read tables were behind
 * (OVERLOADED). Undefined for anything else it threw (the engine stopped or unreachable, an error
 * of ours): the step's error.
 */
export function stepResult(outcome: PromiseSettledResult<Answered<OrderView>>): Answered<OrderView> | undefined {
  if (outcome.status === 'fulfilled') return outcome.value;
  const error: unknown = outcome.reason;
  if (error instanceof HttpError) return { ok: false, error: { code: error.body.code, message: error.body.message } };
  if (error instanceof EngineUnavailableError && error.state === 'ready') return { ok: false, error: { code: error.code, message: error.message, retryable: true } };
  return undefined;
}

/**
 * The error a step raises once its audit entries are written: the first outcome `stepResult` did not
 * answer as an order's own (`results` is `outcomes.map(stepResult)`); undefined when every outcome is an order's.
 */
export function stepError(outcomes: readonly PromiseSettledResult<unknown>[], results: readonly (Answered<OrderView> | undefined)[]): PromiseRejectedResult | undefined {
  const i = results.indexOf(undefined);
  return i < 0 ? undefined : (outcomes[i] as PromiseRejectedResult);
}

/** The account's fee rates (its own, else the instrument's, else the first spot one's) as decimal strings. */
export function feesOf(deps: ServiceDeps, accountId: string, symbol: string | undefined): { maker: string; taker: string } {
  const kernel = deps.hub.kernel;
  const instrument = symbol !== undefined ? kernel.instrument(symbol) : kernel.instruments().find((i) => i.market === 'spot');
  const own = kernel.account(accountId)?.fees;
  const maker = own?.maker ?? instrument?.makerFee ?? 0n;
  const taker = own?.taker ?? instrument?.takerFee ?? 0n;
  return { maker: formatFixed(maker), taker: formatFixed(taker) };
}
