/**
 * Trading routes for the account whose API key is presented (`Authorization: Bearer <apiKey>`).
 * Orders go through the paper/live facade; no account can see or touch another's orders (another
 * account's order id answers 404, like a missing one).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { formatFixed, parseFixed } from '../core/money/fixed.js';
import { extend } from '../core/objects.js';
import { checkSymbolLeverage } from './admin-input-checks.js';
import { auditCall, outcomeOf, requireReadyEngine, stepError, stepResult, type AuditCall } from './dialect-kit/facade-calls.js';
import { withOrderedQuantity } from './dialect-kit/order-quantity.js';
import { requireAccount } from './auth.js';
import { ACCOUNT_KEY } from './edge-guards.js';
import { HttpError, httpStatusOf } from './http-errors.js';
import { cancelOpenOrdersAndLists, cancelRestOfList } from './order-groups.js';
import { accountReads } from './paper-account-reads.js';
import { freshValue } from './read-answers.js';
import { PlaceOrderBody, type PlaceOrderBodyType } from './schemas.js';
import { EXECUTION_ERROR_CODES, generateClientOrderId, type ExecutionError } from '../execution/order-execution-service.js';
import type { ExecutionResult, OrderView, PlaceOrderRequest, ServiceDeps } from './service-deps.js';
import { givenFieldsFirst } from './given-fields-first.js';

/**
 * Live mode: the venue's leverage, set through the execution service (`setLeverage`), for every
 * dialect's leverage route; a service without it refuses rather than answer a change it did not make.
 */
export async function venueLeverage(deps: ServiceDeps, accountId: string, symbol: string, leverage: number): Promise<ExecutionResult<{ readonly symbol: string; readonly leverage: number }>> {
  if (deps.execution.setLeverage === undefined) {
    return { ok: false, error: { code: EXECUTION_ERROR_CODES.EXCHANGE_ERROR, message: 'this execution service cannot change the venue’s leverage' } };
  }
  return deps.execution.setLeverage(accountId, symbol, leverage);
}

function unwrap<T>(result: ExecutionResult<T>): T {
  if (!result.ok) throw HttpError.of(result.error);
  return result.value;
}

export function registerTradingRoutes(app: FastifyInstance, deps: ServiceDeps): void {
  const tags = ['trading'];
  // The engine's answer stands once given: an audit entry that cannot be written (the database went
  // away after the order was journaled) is logged, never turned into an error for an order placed.
  const audit: AuditCall = auditCall(app, deps, undefined, deps.wallClock ?? Date.now);

  app.post<{ Body: PlaceOrderBodyType }>('/api/orders', { config: ACCOUNT_KEY, schema: { tags, body: givenFieldsFirst(PlaceOrderBody) } }, async (request, reply) => {
    const account = requireAccount(request, deps.credentials);
    if ((request.body.takeProfit !== undefined || request.body.stopLoss !== undefined) && deps.execution.mode !== 'paper') {
      throw HttpError.of({ code: 'UNSUPPORTED_ORDER_TYPE', message: 'brackets (takeProfit, stopLoss) are simulated on paper only' });
    }
    const result = await deps.execution.placeOrder(account.accountId, request.body, { beforeDurable: true });
    await audit('order.place', account.accountId, { request: request.body, result: outcomeOf(result) }, result.durable);
    const order = withOrderedQuantity(unwrap(result));
    // Accepted on a book the engine does not trust (stale, resyncing): say why it may be waiting.
    const feed = deps.feeds().find((f) => f.symbol === order.symbol);
    const marketData = feed !== undefined && feed.status !== 'synced' ? { status: feed.status, ...(feed.reason !== undefined ? { reason: feed.reason } : {}) } : undefined;
    return reply.code(201).send(marketData !== undefined ? extend(order, { marketData }) : order);
  });

  // `symbol` is optional on paper and required live (the exchange looks orders up per symbol).
  const OrderRefQuery = Type.Object({ symbol: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })) });

  /**
   * The path's order id, or 400 INVALID_REQUEST saying what one looks like, instead of looking up a
   * word such as "open" (`DELETE /api/orders/open`) and answering 404 "Unknown order". Paper ids are
   * the engine's, decimal digits; live ids are the venue's, of its own form, so live only this API's
   * own words are refused.
   */
  const orderIdOf = (id: string, method: 'GET' | 'DELETE'): string => {
    const word = id === 'open' || id === 'oco';
    if (!word && (deps.execution.mode === 'live' || /^[0-9]{1,20}$/.test(id))) return id;
    const hint = method === 'DELETE' ? '; to cancel every open order on a symbol: DELETE /api/orders?symbol=BTCUSDT' : '';
    throw new HttpError(400, { code: 'INVALID_REQUEST', message: `${JSON.stringify(id.slice(0, 40))} is not an order id: an order id is the orderId POST /api/orders answered, ${deps.execution.mode === 'live' ? 'the venue’s' : 'decimal digits (e.g. "42")'}${hint}` });
  };

  app.get<{ Params: { id: string }; Querystring: { symbol?: string } }>('/api/orders/:id', { config: ACCOUNT_KEY, schema: { tags, querystring: OrderRefQuery } }, async (request) => {
    const account = requireAccount(request, deps.credentials);
    const orderId = orderIdOf(request.params.id, 'GET');
    return withOrderedQuantity(unwrap(await deps.execution.getOrder(account.accountId, { orderId, ...(request.query.symbol !== undefined ? { symbol: request.query.symbol } : {}) })));
  });

  /** Cancels the order; one leg of an order list cancels the whole list, as on Binance (paper; cancelRestOfList). Answers the order as cancelled. */
  app.delete<{ Params: { id: string }; Querystring: { symbol?: string } }>('/api/orders/:id', { config: ACCOUNT_KEY, schema: { tags, querystring: OrderRefQuery } }, async (request) => {
    const account = requireAccount(request, deps.credentials);
    const orderId = orderIdOf(request.params.id, 'DELETE');
    const result = await deps.execution.cancelOrder(account.accountId, { orderId, ...(request.query.symbol !== undefined ? { symbol: request.query.symbol } : {}) }, { beforeDurable: true });
    await audit('order.cancel', account.accountId, { orderId, result: result.ok ? { status: result.value.status } : result.error }, result.durable);
    const canceled = unwrap(result);
    await cancelRestOfList(deps, audit, account.accountId, canceled);
    return withOrderedQuantity(canceled);
  });

  /**
   * `DELETE /api/orders?symbol=BTCUSDT` (symbol required, as Binance's `DELETE /api/v3/openOrders`):
   * cancels every open order of the account on the symbol, an order list as a whole list (a symbol not
   * traded here: 400 UNKNOWN_SYMBOL). Answers
   * `{ items: [order…] }`, the orders cancelled as they are after the cancel (empty when none was open).
   */
  app.delete<{ Querystring: { symbol: string } }>(
    '/api/orders',
    { config: ACCOUNT_KEY, schema: { tags, querystring: Type.Object({ symbol: Type.String({ minLength: 1, maxLength: 32 }) }, { additionalProperties: false }) } },
    async (request) => {
      const account = requireAccount(request, deps.credentials);
      // An unknown symbol is a mistake to say, not an empty answer (an order on it is refused UNKNOWN_SYMBOL).
      if (deps.execution.mode === 'paper' && deps.hub.kernel.instrument(request.query.symbol) === undefined) throw HttpError.of({ code: 'UNKNOWN_SYMBOL', message: `unknown symbol ${request.query.symbol}` });
      const canceled = unwrap(await cancelOpenOrdersAndLists(deps, audit, account.accountId, request.query.symbol));
      return { items: canceled.map(withOrderedQuantity) };
    },
  );

  app.get<{ Querystring: { symbol?: string } }>('/api/orders/open', { config: ACCOUNT_KEY, schema: { tags, querystring: Type.Object({ symbol: Type.Optional(Type.String()) }) } }, async (request) => {
    const account = requireAccount(request, deps.credentials);
    return { items: unwrap(await deps.execution.openOrders(account.accountId, request.query.symbol)).map(withOrderedQuantity) };
  });

  app.get('/api/account', { config: ACCOUNT_KEY, schema: { tags } }, async (request, reply) => {
    const account = requireAccount(request, deps.credentials);
    const summary = freshValue(reply, await accountReads(deps).summary(account.accountId));
    return { id: account.accountId, name: account.name, type: account.type, mode: deps.execution.mode, ...summary };
  });

  app.get('/api/account/export', { config: ACCOUNT_KEY, schema: { tags } }, async (request, reply) => {
    const account = requireAccount(request, deps.credentials);
    const document = deps.hub.kernel.exportAccount(account.accountId);
    if (document === undefined) throw HttpError.of({ code: 'UNKNOWN_ACCOUNT', message: 'the account is gone' });
    return reply.header('content-disposition', `attachment; filename="${account.accountId}.json"`).type('application/json').send(document);
  });

  app.get('/api/account/balances', { config: ACCOUNT_KEY, schema: { tags } }, async (request) => {
    const account = requireAccount(request, deps.credentials);
    return { balances: unwrap(await deps.execution.balances(account.accountId)) };
  });

  app.get('/api/account/positions', { config: ACCOUNT_KEY, schema: { tags } }, async (request, reply) => {
    const account = requireAccount(request, deps.credentials);
    return { items: freshValue(reply, await accountReads(deps).positions(account.accountId)) };
  });

  app.post<{ Body: { symbol: string; leverage: number } }>(
    '/api/account/leverage',
    { config: ACCOUNT_KEY, schema: { tags, body: givenFieldsFirst(Type.Object({ symbol: Type.String({ minLength: 1, maxLength: 32 }), leverage: Type.Integer({ minimum: 1, maximum: 1000 }) }, { additionalProperties: false })) } },
    async (request) => {
      const account = requireAccount(request, deps.credentials);
      checkSymbolLeverage(deps.hub.kernel, request.body.symbol, request.body.leverage);
      if (deps.execution.mode === 'live') {
        // The venue's leverage: a live account's orders never meet the kernel's.
        const set = unwrap(await venueLeverage(deps, account.accountId, request.body.symbol, request.body.leverage));
        await audit('leverage.set', account.accountId, extend(request.body, { mode: 'live' }));
        return set;
      }
      const events = await deps.hub.submit({ kind: 'leverage.set', time: deps.hub.now(), account: account.accountId, symbol: request.body.symbol, leverage: request.body.leverage });
      const reply = events.find((e) => e.type === 'LEVERAGE_SET' || e.type === 'LEVERAGE_REJECTED');
      if (reply?.type !== 'LEVERAGE_SET') throw HttpError.of({ code: (reply?.type === 'LEVERAGE_REJECTED' ? reply.code : undefined) ?? 'INVALID_LEVERAGE', message: reply?.type === 'LEVERAGE_REJECTED' ? (reply.message ?? 'refused') : 'refused' });
      await audit('leverage.set', account.accountId, request.body);
      return { symbol: request.body.symbol, leverage: request.body.leverage };
    },
  );

  /**
   * The account's positions by symbol (signed sizes), or undefined for a spot account: live, the
   * venue's (the kernel holds only the paper account, which no live order reaches); on paper, the kernel's.
   */
  const positionsOf = async (reply: FastifyReply, accountId: string): Promise<Map<string, bigint> | undefined> => {
    if (deps.execution.mode === 'live') {
      const figures = freshValue(reply, await accountReads(deps).futuresFigures(accountId));
      if (figures === undefined) return undefined;
      const sizes = new Map<string, bigint>();
      for (const p of figures.positions) sizes.set(p.symbol, (sizes.get(p.symbol) ?? 0n) + parseFixed(p.size));
      return sizes;
    }
    const state = deps.hub.kernel.account(accountId);
    return state?.kind === 'futures' ? new Map(state.openPositions().map((p) => [p.symbol, p.size])) : undefined;
  };

  /**
   * Closes positions with reduce-only market orders through the same facade as any order, as one
   * step (`OrderExecutionService.placeOrders`: on paper back to back at one market, under one
   * fdatasync; live one by one). Each close carries a clientOrderId of the route's, so that every
   * one can be named and looked up. Answers `{ orders }`, the orders placed, with `errors` (by
   * symbol: `{ symbol, clientOrderId, code, message }`) for the closes that answered no order: refused,
   * on their way to the venue (ORDER_PENDING) or of unknown outcome live. When no close answered an
   * order, the error is the answer: a single close's own, or for several the first one's with
   * `errors` beside it. One `position.close` audit entry names every close and its outcome, written
   * before the answer. The caller has refused a paper engine that is not `ready` (`requireReadyEngine`).
   */
  const close = async (accountId: string, positions: Map<string, bigint> | undefined, symbols: readonly string[]) => {
    if (positions === undefined) throw HttpError.of({ code: 'NOT_A_FUTURES_ACCOUNT', message: 'spot accounts have no positions' });
    const requests: (PlaceOrderRequest & { readonly clientOrderId: string })[] = [];
    for (const symbol of symbols) {
      const position = positions.get(symbol) ?? 0n;
      if (position === 0n) continue;
      requests.push({ symbol, side: position > 0n ? 'SELL' : 'BUY', type: 'MARKET', quantity: formatFixed(position > 0n ? position : -position), reduceOnly: true, clientOrderId: generateClientOrderId() });
    }
    const outcomes = await deps.execution.placeOrders(accountId, requests, { beforeDurable: true });
    const results = outcomes.map(stepResult);
    const durables = results.flatMap((r) => (r?.durable !== undefined ? [r.durable] : []));
    const closes = results.map((result, i) => ({ symbol: requests[i]!.symbol, clientOrderId: requests[i]!.clientOrderId, result: result === undefined ? { thrown: String((outcomes[i] as PromiseRejectedResult).reason) } : outcomeOf(result) }));
    // Written while the orders' fdatasync is still to come (one covers both, ADR 0084), and before any error is raised.
    await audit('position.close', accountId, { symbols, closes }, durables.length === 0 ? undefined : Promise.all(durables).then(() => undefined));
    const thrown = stepError(outcomes, results);
    if (thrown !== undefined) throw thrown.reason;
    const orders: OrderView[] = [];
    const errors: { readonly symbol: string; readonly clientOrderId: string; readonly code: string; readonly message: string }[] = [];
    results.forEach((result, i) => {
      const { symbol, clientOrderId } = requests[i]!;
      if (result!.ok) orders.push(result!.value);
      else errors.push({ symbol, clientOrderId, code: result!.error.code, message: result!.error.message });
    });
    if (orders.length === 0 && errors.length === 1) throw HttpError.of((results[0] as { readonly error: ExecutionError }).error);
    if (orders.length === 0 && errors.length > 1) throw new HttpError(httpStatusOf(errors[0]!.code), extend({ code: errors[0]!.code, message: `no close answered an order; the first: ${errors[0]!.message}` }, { errors }));
    return errors.length === 0 ? { orders } : { orders, errors };
  };

  /**
   * No body, or an empty object: a close takes no terms. A field such as "quantity" is refused (400
   * INVALID_REQUEST naming it), not ignored: the route closes the whole position, and a partial
   * close is a reduce-only order.
   */
  const noTerms = (body: unknown): void => {
    if (body === undefined || body === null) return;
    if (typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, { code: 'INVALID_REQUEST', message: 'body must be an object' });
    const field = Object.keys(body)[0];
    if (field !== undefined) throw new HttpError(400, { code: 'INVALID_REQUEST', message: `body has an unknown field "${field.slice(0, 40)}"` });
  };

  app.post<{ Params: { symbol: string } }>('/api/positions/:symbol/close', { config: ACCOUNT_KEY, schema: { tags } }, async (request, reply) => {
    const account = requireAccount(request, deps.credentials);
    noTerms(request.body);
    // Before the kernel's positions are read: a stopped kernel cannot vouch for "no open position" either.
    requireReadyEngine(deps, 'no position was closed');
    const positions = await positionsOf(reply, account.accountId);
    if (positions !== undefined && (positions.get(request.params.symbol) ?? 0n) === 0n) throw HttpError.of({ code: 'NOT_FOUND', message: `no open position on ${request.params.symbol}` });
    return close(account.accountId, positions, [request.params.symbol]);
  });

  app.post('/api/positions/close-all', { config: ACCOUNT_KEY, schema: { tags } }, async (request, reply) => {
    const account = requireAccount(request, deps.credentials);
    noTerms(request.body);
    requireReadyEngine(deps, 'no position was closed');
    const positions = await positionsOf(reply, account.accountId);
    return close(account.accountId, positions, positions === undefined ? [] : [...positions.keys()]);
  });
}
