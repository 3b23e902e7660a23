/**
 * The live side of the facade: the same calls, sent to the real exchange through ccxt.
 *
 * Guarantees:
 * - it trades the one exchange account behind the keys; `accountId` only labels the logs;
 * - reads (fetchOrder, fetchOpenOrders, fetchBalance, loadMarkets) are retried up to `readRetries`
 *   times (default 2) with doubling backoff when the network fails; createOrder and cancelOrder are
 *   never retried blindly: a timed-out createOrder may have reached the exchange, so the answer is
 *   EXCHANGE_UNAVAILABLE with the clientOrderId to look it up by (always set: generated if absent);
 * - refused keys (AuthenticationError, PermissionDenied) halt the service: every later call fails
 *   fast with EXCHANGE_AUTH_FAILED without contacting the exchange, until the process restarts;
 * - answers carry MEXC's own statuses and decimal strings (see ccxt-mapping.ts).
 * Not modelled: conditional orders (MEXC spot has none), futures (spot only for now).
 */
import type { Exchange, Order as CcxtOrder } from 'ccxt';
import { NetworkError } from 'ccxt';
import { ccxtBalancesToView, ccxtOrderToView, mapCcxtError, toCcxtOrderArgs } from './ccxt-mapping.js';
import {
  EXECUTION_ERROR_CODES,
  failure,
  generateClientOrderId,
  ok,
  type BalancesView,
  type ExecutionResult,
  type OrderExecutionService,
  type OrderRef,
  type OrderView,
  type PlaceOrderRequest,
} from './order-execution-service.js';

/** The part of a pino logger the service uses. */
export interface LiveLogger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

export interface LiveExecutionOptions {
  readonly readRetries?: number;
  /** First retry delay; doubles on each retry (default 250 ms). */
  readonly retryDelayMs?: number;
  readonly logger?: LiveLogger;
  readonly sleep?: (ms: number) => Promise<void>;
}

const SYMBOL_REQUIRED = 'symbol is required: the live exchange looks orders up per symbol';

export class LiveExecutionService implements OrderExecutionService {
  readonly mode = 'live' as const;
  private haltReason: string | undefined;
  private readonly readRetries: number;
  private readonly retryDelayMs: number;
  private readonly logger: LiveLogger | undefined;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    readonly exchange: Exchange,
    options: LiveExecutionOptions = {},
  ) {
    this.readRetries = options.readRetries ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.logger = options.logger;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** True once the exchange refused the keys. */
  get halted(): boolean {
    return this.haltReason !== undefined;
  }

  async placeOrder(accountId: string, request: PlaceOrderRequest): Promise<ExecutionResult<OrderView>> {
    if (this.haltReason !== undefined) return this.haltedResult();
    const clientOrderId = request.clientOrderId ?? generateClientOrderId();
    const args = toCcxtOrderArgs(request, clientOrderId);
    if (!args.ok) return args;
    const symbol = await this.unifiedSymbol(request.symbol);
    if (!symbol.ok) return symbol;
    const { type, side, amount, price, params } = args.value;
    let created: CcxtOrder;
    try {
      created = await this.exchange.createOrder(symbol.value, type, side, amount, price, params);
    } catch (error) {
      const mapped = this.failed<OrderView>(error, 'createOrder', accountId);
      if (mapped.ok || mapped.error.code !== EXECUTION_ERROR_CODES.EXCHANGE_UNAVAILABLE) return mapped;
      return failure({ ...mapped.error, message: `${mapped.error.message}; the order may have reached the exchange: look it up by clientOrderId ${clientOrderId}` });
    }
    this.logger?.info({ accountId, mode: 'live', clientOrderId, orderId: created.id, symbol: request.symbol }, 'live order placed');
    const defaults: Partial<OrderView> = {
      orderId: created.id, clientOrderId, symbol: request.symbol, side: request.side, type: request.type, status: 'NEW',
      ...(request.price !== undefined ? { price: request.price } : {}), quantity: request.quantity ?? '0', createdAt: created.timestamp ?? Date.now(),
    };
    // MEXC answers a new order with its id only: read the whole order back (a read, so retried).
    const full = await this.read(() => this.exchange.fetchOrder(created.id!, symbol.value), 'fetchOrder', accountId);
    return ok(ccxtOrderToView(full.ok ? full.value : created, defaults));
  }

  async cancelOrder(accountId: string, ref: OrderRef): Promise<ExecutionResult<OrderView>> {
    if (this.haltReason !== undefined) return this.haltedResult();
    const target = await this.target(ref);
    if (!target.ok) return target;
    try {
      const canceled = await this.exchange.cancelOrder(target.value.id, target.value.symbol, target.value.params);
      this.logger?.info({ accountId, mode: 'live', ...ref }, 'live order canceled');
      return ok(ccxtOrderToView(canceled, { ...definedRef(ref), status: 'CANCELED' }));
    } catch (error) {
      return this.failed(error, 'cancelOrder', accountId);
    }
  }

  async getOrder(accountId: string, ref: OrderRef): Promise<ExecutionResult<OrderView>> {
    if (this.haltReason !== undefined) return this.haltedResult();
    const target = await this.target(ref);
    if (!target.ok) return target;
    const { id, symbol, params } = target.value;
    const order = await this.read(() => this.exchange.fetchOrder(id, symbol, params), 'fetchOrder', accountId);
    return order.ok ? ok(ccxtOrderToView(order.value, definedRef(ref))) : order;
  }

  async openOrders(accountId: string, symbol?: string): Promise<ExecutionResult<OrderView[]>> {
    if (this.haltReason !== undefined) return this.haltedResult();
    let unified: string | undefined;
    if (symbol !== undefined) {
      const resolved = await this.unifiedSymbol(symbol);
      if (!resolved.ok) return resolved;
      unified = resolved.value;
    }
    const orders = await this.read(() => this.exchange.fetchOpenOrders(unified), 'fetchOpenOrders', accountId);
    return orders.ok ? ok(orders.value.map((o) => ccxtOrderToView(o))) : orders;
  }

  async balances(accountId: string): Promise<ExecutionResult<BalancesView>> {
    if (this.haltReason !== undefined) return this.haltedResult();
    const balances = await this.read(() => this.exchange.fetchBalance(), 'fetchBalance', accountId);
    return balances.ok ? ok(ccxtBalancesToView(balances.value)) : balances;
  }

  // ---- internals ----

  /** `BTCUSDT` → `BTC/USDT` from the exchange's markets (loaded once; a public read). */
  private async unifiedSymbol(symbol: string): Promise<ExecutionResult<string>> {
    if (this.exchange.markets === undefined) {
      const loaded = await this.read(() => this.exchange.loadMarkets(), 'loadMarkets', undefined);
      if (!loaded.ok) return loaded;
    }
    try {
      return ok(this.exchange.market(symbol).symbol);
    } catch (error) {
      return this.failed(error, 'market', undefined);
    }
  }

  private async target(ref: OrderRef): Promise<ExecutionResult<{ id: string; symbol: string; params: Record<string, unknown> }>> {
    if (ref.orderId === undefined && ref.clientOrderId === undefined) return failure({ code: 'INVALID_ORDER', message: 'orderId or clientOrderId is required' });
    if (ref.symbol === undefined) return failure({ code: 'INVALID_ORDER', message: SYMBOL_REQUIRED });
    const symbol = await this.unifiedSymbol(ref.symbol);
    if (!symbol.ok) return symbol;
    const byClientId = ref.orderId === undefined;
    return ok({ id: ref.orderId ?? '', symbol: symbol.value, params: byClientId ? { clientOrderId: ref.clientOrderId } : {} });
  }

  /** An idempotent read, retried on network failures with doubling backoff. */
  private async read<T>(op: () => Promise<T>, what: string, accountId: string | undefined): Promise<ExecutionResult<T>> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return ok(await op());
      } catch (error) {
        if (error instanceof NetworkError && attempt < this.readRetries && this.haltReason === undefined) {
          this.logger?.warn({ accountId, mode: 'live', op: what, attempt: attempt + 1, error: error.message }, 'exchange unavailable; retrying');
          await this.sleep(this.retryDelayMs * 2 ** attempt);
          continue;
        }
        return this.failed(error, what, accountId);
      }
    }
  }

  private failed<T>(error: unknown, what: string, accountId: string | undefined): ExecutionResult<T> {
    const { halt, ...mapped } = mapCcxtError(error);
    if (halt && this.haltReason === undefined) {
      this.haltReason = mapped.message;
      this.logger?.error({ accountId, mode: 'live', op: what, error: mapped.message }, 'the exchange refused the API keys: live trading halted');
    } else {
      this.logger?.warn({ accountId, mode: 'live', op: what, code: mapped.code, error: mapped.message }, 'exchange call failed');
    }
    return failure(mapped);
  }

  private haltedResult<T>(): ExecutionResult<T> {
    return failure({ code: EXECUTION_ERROR_CODES.EXCHANGE_AUTH_FAILED, message: `live trading is halted: the exchange refused the API keys (${this.haltReason}); fix the keys and restart` });
  }
}

function definedRef(ref: OrderRef): Partial<OrderView> {
  return {
    ...(ref.orderId !== undefined ? { orderId: ref.orderId } : {}),
    ...(ref.clientOrderId !== undefined ? { clientOrderId: ref.clientOrderId } : {}),
    ...(ref.symbol !== undefined ? { symbol: ref.symbol } : {}),
  };
}
