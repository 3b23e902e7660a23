/**
 * The live side of the facade: the same calls, sent to the venue through ccxt, each account with
 * its own exchange keys (venue-clients.ts).
 *
 * Guarantees:
 * - an account trades and reads only through the client of its own keys; an account without keys
 *   is refused (EXCHANGE_CREDENTIALS_MISSING) before anything is sent;
 * - reads (fetchOrder, fetchOpenOrders, fetchBalance, loadMarkets and the history reads of
 *   live-account-reads.ts) are retried up to `readRetries` times (default 2) with doubling backoff
 *   when the network fails (ccxt NetworkError); createOrder and cancelOrder are never retried
 *   blindly: a timed-out createOrder may have reached the venue, so the answer is
 *   EXCHANGE_UNAVAILABLE with the clientOrderId to look it up by (always set: generated if absent);
 * - refused keys (AuthenticationError, PermissionDenied) halt that account only: its later calls
 *   fail fast with EXCHANGE_AUTH_FAILED without contacting the venue, until its keys are replaced
 *   (PUT /api/accounts/:id/exchange-credentials) or the process restarts; other accounts go on;
 *   only a refusal of the keys in force halts: one that answers a request sent with keys replaced
 *   since (the request was out when the new keys came) is that request's error, nothing more;
 * - every order sent and every cancel, with what the venue answered (or the error), is handed to
 *   `record` (the audit log, mode `live`) before the caller gets the answer; an order is also
 *   handed over (`sendOrder`) before it is sent, so one left without an answer is on record;
 * - answers carry MEXC's own statuses and decimal strings (see ccxt-mapping.ts).
 * Not modelled: conditional orders (MEXC spot has none).
 */
import type { Exchange, Market, Order as CcxtOrder } from 'ccxt';
import type { MarketKind } from '../core/instruments/instrument.js';
import { NetworkError } from 'ccxt';
import { extend } from '../core/objects.js';
import { ccxtBalancesToView, ccxtOrderToView, exchangeSymbolOf, mapCcxtError, toCcxtOrderArgs } from './ccxt-mapping.js';
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
import { singleVenueClient, type VenueClients } from './venue-clients.js';

/** The part of a pino logger the service uses. */
export interface LiveLogger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

/** One exchange command as sent and as answered, for the audit log. */
export interface VenueRecord {
  readonly accountId: string;
  /** The ccxt method: createOrder, cancelOrder; sendOrder is an order about to be sent (`answered` empty). */
  readonly op: string;
  readonly sent: Readonly<Record<string, unknown>>;
  /** The order as the venue answered it, or the mapped error. */
  readonly answered: Readonly<Record<string, unknown>>;
}

export interface LiveExecutionOptions {
  readonly readRetries?: number;
  /** First retry delay; doubles on each retry (default 250 ms). */
  readonly retryDelayMs?: number;
  readonly logger?: LiveLogger;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Keeps the record of what was sent and answered (default: none). Awaited before answering. */
  readonly record?: (entry: VenueRecord) => Promise<unknown>;
  /**
   * The kind of market the service trades under a symbol (the kernel's instrument): a perpetual's
   * orders go to the venue's linear perpetual of that symbol, a spot symbol's to its spot market,
   * whatever ccxt's `defaultType`. Without it (or for a symbol it does not know), ccxt's own lookup
   * by id decides, which on Binance answers the spot market for BTCUSDT.
   */
  readonly marketOf?: (symbol: string) => MarketKind | undefined;
}

const SYMBOL_REQUIRED = 'symbol is required: the live exchange looks orders up per symbol';

export class LiveExecutionService implements OrderExecutionService {
  readonly mode = 'live' as const;
  readonly clients: VenueClients;
  private readonly haltReasons = new Map<string, string>();
  /** How many times each account's keys were replaced: a request carries the count it started under. */
  private readonly keyGenerations = new Map<string, number>();
  private readonly readRetries: number;
  private readonly retryDelayMs: number;
  private readonly logger: LiveLogger | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly record: LiveExecutionOptions['record'];
  private readonly marketOf: LiveExecutionOptions['marketOf'];
  private readonly updateListeners = new Set<(accountId: string, order: OrderView) => void>();

  constructor(clients: Exchange | VenueClients, options: LiveExecutionOptions = {}) {
    this.clients = isVenueClients(clients) ? clients : singleVenueClient(clients);
    this.readRetries = options.readRetries ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.logger = options.logger;
    this.record = options.record;
    this.marketOf = options.marketOf;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    // New keys lift a halt: the refusal was about the old ones. A request still out with the old
    // keys carries the old generation, so its refusal, when it comes, halts nothing.
    this.clients.onChange?.((accountId) => {
      this.keyGenerations.set(accountId, this.keyGenerationOf(accountId) + 1);
      this.haltReasons.delete(accountId);
    });
  }

  /** True once the venue refused any account's keys. */
  get halted(): boolean {
    return this.haltReasons.size > 0;
  }

  /** Why the account is halted (the venue refused its keys), or undefined. */
  haltReasonOf(accountId: string): string | undefined {
    return this.haltReasons.get(accountId);
  }

  /** Called with each order this service placed, cancelled or read back; returns the unsubscribe. */
  onOrderUpdate(listener: (accountId: string, order: OrderView) => void): () => void {
    this.updateListeners.add(listener);
    return () => this.updateListeners.delete(listener);
  }

  async placeOrder(accountId: string, request: PlaceOrderRequest): Promise<ExecutionResult<OrderView>> {
    const lease = await this.clientFor(accountId);
    if (!lease.ok) return lease;
    const { exchange } = lease.value;
    const clientOrderId = request.clientOrderId ?? generateClientOrderId();
    const args = toCcxtOrderArgs(request, clientOrderId);
    if (!args.ok) return args;
    const symbol = await this.unifiedSymbol(lease.value, request.symbol);
    if (!symbol.ok) return symbol;
    const { type, side, amount, price, params } = args.value;
    const sent = { symbol: request.symbol, type, side, amount, price, params };
    // Written before the request leaves: should no answer come (a timeout, a stop of the process),
    // the reconciler looks the order up on the venue by its clientOrderId.
    await this.keep({ accountId, op: 'sendOrder', sent, answered: {} });
    let created: CcxtOrder;
    try {
      created = await exchange.createOrder(symbol.value, type, side, amount, price, params);
    } catch (error) {
      const mapped = this.failed<OrderView>(error, 'createOrder', lease.value);
      await this.keep({ accountId, op: 'createOrder', sent, answered: mapped.ok ? {} : { error: mapped.error } });
      if (mapped.ok || mapped.error.code !== EXECUTION_ERROR_CODES.EXCHANGE_UNAVAILABLE) return mapped;
      return failure({ ...mapped.error, message: `${mapped.error.message}; the order may have reached the exchange: look it up by clientOrderId ${clientOrderId}` });
    }
    this.logger?.info({ accountId, mode: 'live', clientOrderId, orderId: created.id, symbol: request.symbol }, 'live order placed');
    const defaults: Partial<OrderView> = {
      orderId: created.id, clientOrderId, symbol: request.symbol, side: request.side, type: request.type, status: 'NEW',
      ...(request.price !== undefined ? { price: request.price } : {}), quantity: request.quantity ?? '0', createdAt: created.timestamp ?? Date.now(),
    };
    // MEXC answers a new order with its id only: read the whole order back (a read, so retried).
    const full = await this.read(lease.value, 'fetchOrder', () => exchange.fetchOrder(created.id!, symbol.value));
    const view = ccxtOrderToView(full.ok ? full.value : created, defaults);
    await this.keep({ accountId, op: 'createOrder', sent, answered: answerOf(view) });
    this.updated(accountId, view);
    return ok(view);
  }

  async cancelOrder(accountId: string, ref: OrderRef): Promise<ExecutionResult<OrderView>> {
    const lease = await this.clientFor(accountId);
    if (!lease.ok) return lease;
    const { exchange } = lease.value;
    const target = await this.target(lease.value, ref);
    if (!target.ok) return target;
    const sent = { ...definedRef(ref) };
    try {
      const canceled = await exchange.cancelOrder(target.value.id, target.value.symbol, target.value.params);
      this.logger?.info({ accountId, mode: 'live', ...ref }, 'live order canceled');
      const view = ccxtOrderToView(canceled, { ...definedRef(ref), status: 'CANCELED' });
      await this.keep({ accountId, op: 'cancelOrder', sent, answered: answerOf(view) });
      this.updated(accountId, view);
      return ok(view);
    } catch (error) {
      const mapped = this.failed<OrderView>(error, 'cancelOrder', lease.value);
      await this.keep({ accountId, op: 'cancelOrder', sent, answered: mapped.ok ? {} : { error: mapped.error } });
      return mapped;
    }
  }

  /** One by one: each cancel is sent once the one before it was answered (the venue's rate limits count each). */
  cancelOrders(accountId: string, refs: readonly OrderRef[]): Promise<PromiseSettledResult<ExecutionResult<OrderView>>[]> {
    return oneByOne(refs, (ref) => this.cancelOrder(accountId, ref));
  }

  /** One by one, each sent when the one before it was answered: the venue's rate limits count each order. */
  placeOrders(accountId: string, requests: readonly PlaceOrderRequest[]): Promise<PromiseSettledResult<ExecutionResult<OrderView>>[]> {
    return oneByOne(requests, (request) => this.placeOrder(accountId, request));
  }

  /** ccxt `setLeverage` on the venue's perpetual: a write, sent once (a timeout is reported, not retried). */
  async setLeverage(accountId: string, symbol: string, leverage: number): Promise<ExecutionResult<{ readonly symbol: string; readonly leverage: number }>> {
    const lease = await this.clientFor(accountId);
    if (!lease.ok) return lease;
    const { exchange } = lease.value;
    const unified = await this.unifiedSymbol(lease.value, symbol);
    if (!unified.ok) return unified;
    try {
      await exchange.setLeverage(leverage, unified.value);
    } catch (error) {
      return this.failed(error, 'setLeverage', lease.value);
    }
    this.logger?.info({ accountId, mode: 'live', symbol, leverage }, 'live leverage set');
    return ok({ symbol, leverage });
  }

  async getOrder(accountId: string, ref: OrderRef): Promise<ExecutionResult<OrderView>> {
    const lease = await this.clientFor(accountId);
    if (!lease.ok) return lease;
    const { exchange } = lease.value;
    const target = await this.target(lease.value, ref);
    if (!target.ok) return target;
    const { id, symbol, params } = target.value;
    const order = await this.read(lease.value, 'fetchOrder', () => exchange.fetchOrder(id, symbol, params));
    return order.ok ? ok(ccxtOrderToView(order.value, definedRef(ref))) : order;
  }

  async openOrders(accountId: string, symbol?: string): Promise<ExecutionResult<OrderView[]>> {
    const orders = await this.venueRead(accountId, 'fetchOpenOrders', symbol, (exchange, unified) => exchange.fetchOpenOrders(unified));
    return orders.ok ? ok(orders.value.map((o) => ccxtOrderToView(o))) : orders;
  }

  async balances(accountId: string): Promise<ExecutionResult<BalancesView>> {
    const balances = await this.venueRead(accountId, 'fetchBalance', undefined, (exchange) => exchange.fetchBalance());
    return balances.ok ? ok(ccxtBalancesToView(balances.value)) : balances;
  }

  /**
   * A read on the venue with the account's own client: halted and keyless accounts are refused
   * first; `symbol` (exchange form, BTCUSDT) is turned into ccxt's unified one; network failures
   * are retried with doubling backoff. The one path every live read takes.
   */
  async venueRead<T>(accountId: string, what: string, symbol: string | undefined, op: (exchange: Exchange, unifiedSymbol: string | undefined) => Promise<T>): Promise<ExecutionResult<T>> {
    const lease = await this.clientFor(accountId);
    if (!lease.ok) return lease;
    const { exchange } = lease.value;
    let unified: string | undefined;
    if (symbol !== undefined) {
      const resolved = await this.unifiedSymbol(lease.value, symbol);
      if (!resolved.ok) return resolved;
      unified = resolved.value;
    }
    return this.read(lease.value, what, () => op(exchange, unified));
  }

  // ---- internals ----

  private keyGenerationOf(accountId: string): number {
    return this.keyGenerations.get(accountId) ?? 0;
  }

  /**
   * The account's client, with the generation of its keys taken before the client is asked for: a
   * client built from keys replaced while it was being built counts as the old keys' (its refusal
   * halts nothing; the next request, under the new generation, halts if the keys are refused).
   */
  private async clientFor(accountId: string): Promise<ExecutionResult<Lease>> {
    const reason = this.haltReasons.get(accountId);
    if (reason !== undefined) return this.haltedResult(reason);
    const keys = this.keyGenerationOf(accountId);
    let exchange: Exchange | undefined;
    try {
      exchange = await this.clients.clientOf(accountId);
    } catch (error) {
      return failure({ code: EXECUTION_ERROR_CODES.EXCHANGE_CREDENTIALS_MISSING, message: error instanceof Error ? error.message : String(error) });
    }
    if (exchange === undefined) {
      return failure({
        code: EXECUTION_ERROR_CODES.EXCHANGE_CREDENTIALS_MISSING,
        message: `account ${accountId} has no exchange credentials, so it cannot trade live: an admin sets them with PUT /api/accounts/${accountId}/exchange-credentials`,
      });
    }
    return ok({ accountId, exchange, keys });
  }

  /** `BTCUSDT` → `BTC/USDT` from the exchange's markets (loaded once per client; a public read). */
  private async unifiedSymbol(lease: Lease, symbol: string): Promise<ExecutionResult<string>> {
    const { exchange } = lease;
    if (exchange.markets === undefined) {
      const loaded = await this.read(lease, 'loadMarkets', () => exchange.loadMarkets());
      if (!loaded.ok) return loaded;
    }
    const kind = this.marketOf?.(symbol);
    if (kind !== undefined) {
      const market = venueMarketOf(exchange, symbol, kind);
      if (market === undefined) return failure({ code: 'UNKNOWN_SYMBOL', message: `${exchange.id} has no ${kind} market ${symbol}`, mexcCode: 30014 });
      // ccxt counts a perpetual's amounts in contracts: sent as they are, a base quantity on a market
      // whose contract is not one unit of the base would be another size.
      if (kind === 'perpetual' && market.contractSize !== undefined && market.contractSize !== 1) {
        return failure({ code: EXECUTION_ERROR_CODES.UNSUPPORTED_ORDER_TYPE, message: `${exchange.id} ${market.symbol} counts in contracts of ${market.contractSize} ${market.base}: live trading of it is not modelled` });
      }
      return ok(market.symbol);
    }
    try {
      return ok(exchange.market(symbol).symbol);
    } catch (error) {
      return this.failed(error, 'market', lease);
    }
  }

  private async target(lease: Lease, ref: OrderRef): Promise<ExecutionResult<{ id: string; symbol: string; params: Record<string, unknown> }>> {
    if (ref.orderId === undefined && ref.clientOrderId === undefined) return failure({ code: 'INVALID_ORDER', message: 'orderId or clientOrderId is required' });
    if (ref.symbol === undefined) return failure({ code: 'INVALID_ORDER', message: SYMBOL_REQUIRED });
    const symbol = await this.unifiedSymbol(lease, ref.symbol);
    if (!symbol.ok) return symbol;
    const byClientId = ref.orderId === undefined;
    return ok({ id: ref.orderId ?? '', symbol: symbol.value, params: byClientId ? { clientOrderId: ref.clientOrderId } : {} });
  }

  /** An idempotent read, retried on network failures with doubling backoff. */
  private async read<T>(lease: Lease, what: string, op: () => Promise<T>): Promise<ExecutionResult<T>> {
    const { accountId } = lease;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return ok(await op());
      } catch (error) {
        if (error instanceof NetworkError && attempt < this.readRetries && !this.haltReasons.has(accountId)) {
          this.logger?.warn({ accountId, mode: 'live', op: what, attempt: attempt + 1, error: error.message }, 'exchange unavailable; retrying');
          await this.sleep(this.retryDelayMs * 2 ** attempt);
          continue;
        }
        return this.failed(error, what, lease);
      }
    }
  }

  private failed<T>(error: unknown, what: string, lease: Lease): ExecutionResult<T> {
    const { accountId } = lease;
    const { halt, ...mapped } = mapCcxtError(error);
    if (halt && lease.keys !== this.keyGenerationOf(accountId)) {
      // Sent with keys replaced since: the new ones were never refused, so the account trades on.
      this.logger?.warn({ accountId, mode: 'live', op: what, error: mapped.message }, 'the exchange refused keys replaced since the request was sent: not halting');
      return failure(mapped);
    }
    if (halt) {
      if (!this.haltReasons.has(accountId)) {
        this.haltReasons.set(accountId, mapped.message);
        this.logger?.error({ accountId, mode: 'live', op: what, error: mapped.message }, "the exchange refused the account's API keys: its live trading is halted");
      }
      return failure(mapped);
    }
    this.logger?.warn({ accountId, mode: 'live', op: what, code: mapped.code, error: mapped.message }, 'exchange call failed');
    return failure(mapped);
  }

  private async keep(entry: VenueRecord): Promise<void> {
    if (this.record === undefined) return;
    try {
      await this.record(entry);
    } catch (error) {
      // The venue's answer stands: a record that cannot be written is logged, not turned into an error.
      this.logger?.error({ accountId: entry.accountId, op: entry.op, error: error instanceof Error ? error.message : String(error) }, 'venue record not written');
    }
  }

  private updated(accountId: string, order: OrderView): void {
    for (const listener of this.updateListeners) listener(accountId, order);
  }

  private haltedResult<T>(reason: string): ExecutionResult<T> {
    return failure({
      code: EXECUTION_ERROR_CODES.EXCHANGE_AUTH_FAILED,
      message: `live trading of this account is halted: the exchange refused its API keys (${reason}); set new ones with PUT /api/accounts/:id/exchange-credentials`,
    });
  }
}

/** An account's client for one request, with the generation of the keys it signs with. */
interface Lease {
  readonly accountId: string;
  readonly exchange: Exchange;
  readonly keys: number;
}

/** The venue's market of this kind under the exchange symbol: by its id (Binance), else by its unified symbol without separators (MEXC's BTC_USDT). */
function venueMarketOf(exchange: Exchange, symbol: string, kind: MarketKind): Market | undefined {
  const fits = (m: Market): boolean => m !== undefined && (kind === 'perpetual' ? m.swap === true && m.linear === true : m.spot === true);
  for (const m of (exchange.markets_by_id?.[symbol] ?? []) as Market[]) if (fits(m)) return m;
  for (const m of Object.values(exchange.markets ?? {}) as Market[]) if (fits(m) && exchangeSymbolOf(m!.symbol) === symbol) return m;
  return undefined;
}

function isVenueClients(clients: Exchange | VenueClients): clients is VenueClients {
  return typeof (clients as Partial<VenueClients>).clientOf === 'function';
}

function answerOf(view: OrderView): Record<string, unknown> {
  return { orderId: view.orderId, clientOrderId: view.clientOrderId, symbol: view.symbol, status: view.status, executedQty: view.executedQty, cumulativeQuoteQty: view.cumulativeQuoteQty };
}

function definedRef(ref: OrderRef): Partial<OrderView> {
  return extend(ref.orderId !== undefined ? { orderId: ref.orderId } : {}, extend(ref.clientOrderId !== undefined ? { clientOrderId: ref.clientOrderId } : {}, ref.symbol !== undefined ? { symbol: ref.symbol } : {}));
}

/** `call` on each item in turn, each once the one before it settled; every outcome, in order. */
async function oneByOne<T, R>(items: readonly T[], call: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const outcomes: PromiseSettledResult<R>[] = [];
  for (const item of items) {
    try {
      outcomes.push({ status: 'fulfilled', value: await call(item) });
    } catch (reason) {
      outcomes.push({ status: 'rejected', reason });
    }
  }
  return outcomes;
}
