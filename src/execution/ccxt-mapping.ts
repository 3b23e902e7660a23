/**
 * Translations between the facade and ccxt, in both directions, as pure functions:
 * our order request → ccxt `createOrder` arguments; ccxt's unified order → OrderView; ccxt's
 * balances → decimal strings; and the one mapper from ccxt's error hierarchy to our codes.
 *
 * Guarantees: MEXC's own fields (`info`: exact decimal strings, MEXC statuses) win over ccxt's
 * unified ones (floats) whenever present; floats are turned back into strings with ccxt's
 * `numberToString` (shortest round trip, no exponent). Quantities and prices go to ccxt as JS numbers
 * because its API takes numbers: decimal strings of up to 15 significant digits survive the round
 * trip exactly, and ccxt formats them to the market's precision before sending.
 * Not modelled: conditional orders on the live exchange (MEXC spot v3 has none; they are refused).
 */
import {
  AuthenticationError,
  BadSymbol,
  BaseError,
  DuplicateOrderId,
  ExchangeError,
  functions,
  InsufficientFunds,
  InvalidOrder,
  NetworkError,
  OrderImmediatelyFillable,
  OrderNotFound,
  type Balances,
  type Order as CcxtOrder,
  type Trade as CcxtTrade,
} from 'ccxt';
import { parseFixed } from '../core/money/fixed.js';
import { extend } from '../core/objects.js';
import { ORDER_STATUSES } from '../core/orders/order-status.js';
import { parseOrderRequest, validateOrder } from '../core/orders/order-validation.js';
import { ORDER_TYPES, type OrderType, type Side } from '../core/orders/order.js';
import { REJECTION_CODES, type RejectionCode } from '../core/orders/rejection.js';
import type { VenueFill } from './account-read-port.js';
import { EXECUTION_ERROR_CODES, type BalancesView, type ExecutionError, type ExecutionResult, type OrderView, type PlaceOrderRequest } from './order-execution-service.js';

export interface CcxtOrderArgs {
  readonly type: 'market' | 'limit';
  readonly side: 'buy' | 'sell';
  readonly amount: number;
  readonly price: number | undefined;
  readonly params: Record<string, unknown>;
}

/**
 * The `createOrder` arguments for a request (the symbol is resolved separately, from the markets).
 * The request is checked by the paper engine's own shape rule first (core/orders/order-validation.ts:
 * a MARKET order takes no price, a LIMIT no quoteOrderQty, neither a stopPrice), so that live never
 * sends an order that paper refuses by dropping the field that made it wrong; what live cannot keep
 * (a bracket's exits, an order group, a slippage cap) is refused, never left behind; and an amount is sent only when
 * the JS number ccxt takes is exactly the decimal asked (a 17-digit quantity would round up a step).
 */
export function toCcxtOrderArgs(request: PlaceOrderRequest, clientOrderId: string): ExecutionResult<CcxtOrderArgs> {
  const invalid = (message: string): ExecutionResult<CcxtOrderArgs> => ({ ok: false, error: { code: 'INVALID_ORDER', message, mexcCode: REJECTION_CODES.INVALID_ORDER.mexcCode } });
  const parsed = parseOrderRequest(request);
  const shaped = parsed.ok ? validateOrder(parsed.value) : parsed;
  if (!shaped.ok) return { ok: false, error: { code: shaped.error.code, message: shaped.error.message, mexcCode: shaped.error.mexcCode } };
  if (request.takeProfit !== undefined || request.stopLoss !== undefined || request.ocoGroup !== undefined) {
    return {
      ok: false,
      error: { code: EXECUTION_ERROR_CODES.UNSUPPORTED_ORDER_TYPE, message: 'brackets (takeProfit, stopLoss) and order groups are simulated on paper only; the live exchange is sent single orders', mexcCode: REJECTION_CODES.INVALID_ORDER.mexcCode },
    };
  }
  if (request.maxSlippage !== undefined) {
    return {
      ok: false,
      error: {
        code: EXECUTION_ERROR_CODES.UNSUPPORTED_ORDER_TYPE,
        message: 'the slippage cap (maxSlippage) is simulated on paper only: the live exchange takes no cap on a MARKET order; send an IMMEDIATE_OR_CANCEL order at the worst price you accept',
        mexcCode: REJECTION_CODES.INVALID_ORDER.mexcCode,
      },
    };
  }
  if (request.triggerSource === 'mark') {
    return {
      ok: false,
      error: { code: EXECUTION_ERROR_CODES.UNSUPPORTED_ORDER_TYPE, message: 'triggers on the mark price (triggerSource mark) are simulated on paper only; the live exchange is sent orders that trigger on the last price', mexcCode: REJECTION_CODES.INVALID_ORDER.mexcCode },
    };
  }
  const side = request.side === 'BUY' ? 'buy' : 'sell';
  const params: Record<string, unknown> = { clientOrderId };
  if (request.reduceOnly === true) params.reduceOnly = true;
  const number = (text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(n) || n <= 0) return Number.NaN;
    return sendsExactly(n, text) ? n : Number.POSITIVE_INFINITY;
  };
  const quantity = number(request.quantity);
  const price = number(request.price);
  const cost = number(request.quoteOrderQty);
  for (const [name, v] of [['quantity', quantity], ['price', price], ['quoteOrderQty', cost]] as const) {
    if (Number.isNaN(v)) return invalid(`${name} must be a positive decimal string`);
    if (v === Number.POSITIVE_INFINITY) return invalid(`${name} has more significant digits than the exchange client carries (15): it would be sent as another number`);
  }
  switch (request.type) {
    case 'MARKET':
      if (cost !== undefined) {
        if (quantity !== undefined) return invalid('give quantity or quoteOrderQty, not both');
        return { ok: true, value: { type: 'market', side, amount: cost, price: undefined, params: extend(params, { cost }) } };
      }
      if (quantity === undefined) return invalid('a MARKET order needs quantity or quoteOrderQty');
      return { ok: true, value: { type: 'market', side, amount: quantity, price: undefined, params } };
    case 'LIMIT':
    case 'LIMIT_MAKER':
    case 'IMMEDIATE_OR_CANCEL':
    case 'FILL_OR_KILL': {
      if (quantity === undefined || price === undefined) return invalid(`a ${request.type} order needs quantity and price`);
      if (request.type === 'LIMIT_MAKER') params.postOnly = true;
      if (request.type === 'IMMEDIATE_OR_CANCEL') params.timeInForce = 'IOC';
      if (request.type === 'FILL_OR_KILL') params.timeInForce = 'FOK';
      return { ok: true, value: { type: 'limit', side, amount: quantity, price, params } };
    }
    default:
      return {
        ok: false,
        error: { code: EXECUTION_ERROR_CODES.UNSUPPORTED_ORDER_TYPE, message: `${request.type} orders are kept by the paper engine only; the live exchange (MEXC spot) does not take them`, mexcCode: REJECTION_CODES.INVALID_ORDER.mexcCode },
      };
  }
}

/** True when the JS number `n`, written out as ccxt writes it, is the decimal `text` (a value past 18 decimals is not). */
function sendsExactly(n: number, text: string): boolean {
  try {
    return parseFixed(functions.numberToString(n)) === parseFixed(text);
  } catch {
    return false;
  }
}

const MEXC_STATUSES: ReadonlySet<string> = new Set(ORDER_STATUSES);
const MEXC_TYPES: ReadonlySet<string> = new Set(ORDER_TYPES);

/** MEXC's status: `info.status` when it is one, else derived from ccxt's unified status. */
export function orderStatusOf(order: Pick<CcxtOrder, 'status' | 'filled' | 'info'>): string {
  const raw: unknown = order.info?.status;
  if (typeof raw === 'string' && MEXC_STATUSES.has(raw)) return raw;
  const filled = (order.filled ?? 0) > 0;
  switch (order.status) {
    case 'open':
    case undefined:
      return filled ? 'PARTIALLY_FILLED' : 'NEW';
    case 'closed':
      return 'FILLED';
    case 'canceled':
    case 'cancelled':
      return filled ? 'PARTIALLY_CANCELED' : 'CANCELED';
    case 'rejected':
      return 'REJECTED';
    case 'expired':
      return 'EXPIRED';
    default:
      return String(order.status).toUpperCase();
  }
}

/** Binance's LIMIT with a timeInForce other than GTC is another of our types (MEXC names them by type). */
const LIMIT_BY_TIME_IN_FORCE: ReadonlyMap<unknown, OrderType> = new Map([['IOC', 'IMMEDIATE_OR_CANCEL'], ['FOK', 'FILL_OR_KILL'], ['GTX', 'LIMIT_MAKER']]);

function orderTypeOf(order: CcxtOrder): OrderType {
  const raw: unknown = order.info?.type;
  if (raw === 'LIMIT') return LIMIT_BY_TIME_IN_FORCE.get(order.info?.timeInForce) ?? 'LIMIT';
  if (typeof raw === 'string' && MEXC_TYPES.has(raw)) return raw as OrderType;
  if (order.type === 'market') return 'MARKET';
  if (order.postOnly === true) return 'LIMIT_MAKER';
  if (order.timeInForce === 'IOC') return 'IMMEDIATE_OR_CANCEL';
  if (order.timeInForce === 'FOK') return 'FILL_OR_KILL';
  return 'LIMIT';
}

/** A decimal string from MEXC's raw field, else from ccxt's float. */
export function decimal(raw: unknown, unified: number | undefined): string | undefined {
  if (typeof raw === 'string' && raw !== '') return raw;
  if (typeof raw === 'number' && Number.isFinite(raw)) return functions.numberToString(raw);
  return unified === undefined || unified === null ? undefined : functions.numberToString(unified);
}

/** `BTC/USDT` or `BTC/USDT:USDT` → `BTCUSDT`. */
export function exchangeSymbolOf(unified: string): string {
  return unified.split(':')[0]!.replace('/', '');
}

/** The facade's view of a ccxt order; `defaults` fill what the exchange did not send (MEXC answers a new order with its id only). */
export function ccxtOrderToView(order: CcxtOrder, defaults: Partial<OrderView> = {}): OrderView {
  const info = (order.info ?? {}) as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
  const side: Side | undefined = info.side === 'BUY' || info.side === 'SELL' ? info.side : order.side === 'buy' ? 'BUY' : order.side === 'sell' ? 'SELL' : defaults.side;
  const createdAt = numberOf(info.time) ?? order.timestamp ?? defaults.createdAt ?? 0;
  const price = decimal(info.price, order.price ?? undefined) ?? defaults.price;
  const stopPrice = decimal(info.stopPrice, order.triggerPrice ?? undefined) ?? defaults.stopPrice;
  const hasType = typeof info.type === 'string' || order.type !== undefined;
  return {
    orderId: str(info.orderId) ?? order.id ?? defaults.orderId ?? '',
    clientOrderId: str(info.clientOrderId) ?? order.clientOrderId ?? defaults.clientOrderId ?? '',
    symbol: str(info.symbol) ?? (order.symbol ? exchangeSymbolOf(order.symbol) : defaults.symbol ?? ''),
    side: side ?? 'BUY',
    type: hasType ? orderTypeOf(order) : (defaults.type ?? 'LIMIT'),
    status: (order.status == null && typeof info.status !== 'string' ? defaults.status : undefined) ?? orderStatusOf(order),
    ...(price !== undefined && price !== '0' ? { price } : {}),
    quantity: decimal(info.origQty, order.amount ?? undefined) ?? defaults.quantity ?? '0',
    ...(stopPrice !== undefined ? { stopPrice } : {}),
    executedQty: decimal(info.executedQty, order.filled ?? undefined) ?? defaults.executedQty ?? '0',
    cumulativeQuoteQty: decimal(info.cummulativeQuoteQty, order.cost ?? undefined) ?? defaults.cumulativeQuoteQty ?? '0',
    createdAt,
    updatedAt: numberOf(info.updateTime) ?? order.lastUpdateTimestamp ?? order.timestamp ?? defaults.updatedAt ?? createdAt,
    mode: 'live',
  };
}

function numberOf(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined;
}

/**
 * One of the account's trades (ccxt `fetchMyTrades`) as the facade shows a fill: MEXC's raw
 * `myTrades` fields (price, qty, quoteQty, commission, commissionAsset, isMaker, clientOrderId)
 * win over ccxt's floats. Source: https://mexcdevelop.github.io/apidocs/spot_v3_en/#account-trade-list
 */
export function ccxtTradeToFill(trade: CcxtTrade): VenueFill {
  const info = (trade.info ?? {}) as Record<string, unknown>;
  const side = info.isBuyer === true ? 'BUY' : info.isBuyer === false ? 'SELL' : trade.side === 'sell' ? 'SELL' : 'BUY';
  const maker = typeof info.isMaker === 'boolean' ? info.isMaker : trade.takerOrMaker === 'maker';
  const clientOrderId = typeof info.clientOrderId === 'string' && info.clientOrderId !== '' ? info.clientOrderId : null;
  return {
    id: String(info.id ?? trade.id ?? ''),
    orderId: String(info.orderId ?? trade.order ?? ''),
    clientOrderId,
    symbol: typeof info.symbol === 'string' ? info.symbol : exchangeSymbolOf(trade.symbol ?? ''),
    side,
    price: decimal(info.price, trade.price) ?? '0',
    quantity: decimal(info.qty, trade.amount) ?? '0',
    quoteQuantity: decimal(info.quoteQty, trade.cost) ?? '0',
    fee: decimal(info.commission, trade.fee?.cost) ?? '0',
    feeAsset: typeof info.commissionAsset === 'string' ? info.commissionAsset : (trade.fee?.currency ?? ''),
    liquidity: maker ? 'MAKER' : 'TAKER',
    time: numberOf(info.time) ?? trade.timestamp ?? 0,
  };
}

/** Balances as decimal strings: MEXC's `info.balances` when present, else ccxt's unified free/used. */
export function ccxtBalancesToView(balances: Balances): BalancesView {
  const out: BalancesView = {};
  const raw: unknown = (balances.info as { balances?: unknown } | undefined)?.balances;
  if (Array.isArray(raw)) {
    for (const b of raw as { asset?: unknown; free?: unknown; locked?: unknown }[]) {
      if (typeof b.asset !== 'string') continue;
      out[b.asset] = { free: decimal(b.free, undefined) ?? '0', locked: decimal(b.locked, undefined) ?? '0' };
    }
    return sortKeys(out);
  }
  const skip = new Set(['info', 'timestamp', 'datetime', 'free', 'used', 'total', 'debt']);
  for (const [asset, b] of Object.entries(balances)) {
    if (skip.has(asset) || typeof b !== 'object' || b === null) continue;
    const { free, used } = b as { free?: number; used?: number };
    out[asset] = { free: decimal(undefined, free) ?? '0', locked: decimal(undefined, used) ?? '0' };
  }
  return sortKeys(out);
}

function sortKeys(view: BalancesView): BalancesView {
  return Object.fromEntries(Object.entries(view).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface MappedError extends ExecutionError {
  /** The keys were refused: stop sending anything to the exchange. */
  readonly halt: boolean;
}

/**
 * The one mapper from ccxt's error hierarchy to ours (subclasses first): network trouble is
 * retryable, order and balance problems are rejections, refused keys halt the live service (a
 * refusal of one symbol is not refused keys: it fails that call only).
 * MEXC's own code and message are taken from the error text when ccxt includes the response.
 */
export function mapCcxtError(error: unknown): MappedError {
  const text = error instanceof Error ? error.message : String(error);
  const mexc = parseMexcBody(text);
  const as = (code: RejectionCode | string, extra: Partial<MappedError> = {}): MappedError => {
    const known = (REJECTION_CODES as Record<string, { mexcCode: number } | undefined>)[code];
    const mexcCode = mexc?.code ?? known?.mexcCode;
    return { code, message: mexc?.msg ?? text, ...(mexcCode !== undefined ? { mexcCode } : {}), halt: false, ...extra };
  };
  if (!(error instanceof BaseError)) return as(EXECUTION_ERROR_CODES.EXCHANGE_ERROR);
  // ccxt's mexc class leaves MEXC's -2013 "Order does not exist." a plain ExchangeError.
  if (error instanceof OrderNotFound || (error instanceof ExchangeError && mexc?.code === MEXC_ORDER_DOES_NOT_EXIST)) return as('UNKNOWN_ORDER');
  if (error instanceof OrderImmediatelyFillable) return as('WOULD_TAKE');
  if (error instanceof DuplicateOrderId) return as('DUPLICATE_CLIENT_ORDER_ID');
  if (error instanceof InvalidOrder) return as('INVALID_ORDER');
  if (error instanceof InsufficientFunds) return as('INSUFFICIENT_BALANCE');
  if (error instanceof BadSymbol) return as('UNKNOWN_SYMBOL');
  if (error instanceof AuthenticationError) {
    // Refused for this symbol only: the order fails, the keys stand (halting would block its cancels elsewhere).
    if ((mexc?.code !== undefined && SYMBOL_REFUSAL_CODES.has(mexc.code)) || SYMBOL_REFUSAL_TEXT.test(text)) return as(EXECUTION_ERROR_CODES.EXCHANGE_ERROR);
    return as(EXECUTION_ERROR_CODES.EXCHANGE_AUTH_FAILED, { halt: true });
  }
  if (error instanceof NetworkError) return as(EXECUTION_ERROR_CODES.EXCHANGE_UNAVAILABLE, { retryable: true });
  return as(EXECUTION_ERROR_CODES.EXCHANGE_ERROR);
}

/**
 * Refusals ccxt files under AuthenticationError/PermissionDenied that name one symbol, not the keys:
 * MEXC 30020 "no permission for the symbol" and 70011 "Pair user ban trade apikey." (ccxt's mexc
 * error table), Binance -2010 "This symbol is not permitted for this account." and "This symbol is
 * restricted for this account." (ccxt's binance table).
 */
const SYMBOL_REFUSAL_CODES: ReadonlySet<number> = new Set([30020, 70011]);
const SYMBOL_REFUSAL_TEXT = /This symbol is (?:not permitted|restricted) for this account/;

/** MEXC spot v3: "Order does not exist." (https://mexcdevelop.github.io/apidocs/spot_v3_en/#error-code). */
const MEXC_ORDER_DOES_NOT_EXIST = -2013;

/** `mexc {"code":30004,"msg":"Insufficient position"}` → { code, msg }. */
function parseMexcBody(text: string): { code?: number; msg?: string } | undefined {
  const start = text.indexOf('{');
  if (start < 0) return undefined;
  try {
    const body = JSON.parse(text.slice(start)) as { code?: unknown; msg?: unknown };
    const code = typeof body.code === 'number' ? body.code : typeof body.code === 'string' && /^-?\d+$/.test(body.code) ? Number(body.code) : undefined;
    const msg = typeof body.msg === 'string' ? body.msg : undefined;
    return code === undefined && msg === undefined ? undefined : extend(code !== undefined ? { code } : {}, msg !== undefined ? { msg } : {});
  } catch {
    return undefined;
  }
}
