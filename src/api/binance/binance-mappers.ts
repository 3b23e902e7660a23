/**
 * Our views in Binance Spot v3's response shapes: exchangeInfo entries with their filters, orders
 * (query, cancel, the three new-order answers), account fills. Decimals stay strings; times are
 * Unix ms numbers; order and trade ids are numbers, as Binance sends them.
 *
 * Statuses: Binance has no PARTIALLY_CANCELED. An order the engine ended after a partial fill (the
 * rest of a MARKET, IOC or FOK order, or of a triggered stop-market) is EXPIRED, as Binance reports
 * it; one the account cancelled after a partial fill is CANCELED with its executed quantity.
 * Types: papertrade's IMMEDIATE_OR_CANCEL and FILL_OR_KILL are Binance's LIMIT with timeInForce IOC
 * and FOK; a trailing stop is Binance's STOP_LOSS with `trailingDelta` (active at once) or
 * TAKE_PROFIT with `trailingDelta` and its activation price as `stopPrice` (binance-order-request.ts).
 */
import type { Instrument } from '../../core/instruments/instrument.js';
import { formatFixed, parseFixed } from '../../core/money/fixed.js';
import { extend } from '../../core/objects.js';
import { executionType, type Order } from '../../core/orders/order.js';
import type { AccountFill } from '../dialect-kit/account-history.js';
import { orderedQuantity } from '../dialect-kit/order-quantity.js';
import type { OrderView } from '../service-deps.js';

export const BINANCE_ORDER_TYPES = ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'] as const;
export type BinanceOrderType = (typeof BINANCE_ORDER_TYPES)[number];

export function isBinanceOrderType(text: string): text is BinanceOrderType {
  return (BINANCE_ORDER_TYPES as readonly string[]).includes(text);
}

/**
 * The values Binance takes for the market-data routes' `symbolStatus` filter (rest-api.md, "24hr
 * ticker price change statistics": "Valid values: TRADING, HALT, BREAK"). enums.md lists more symbol
 * statuses (END_OF_DAY, CANCEL_ONLY) that exchangeInfo may show; the filter does not name them.
 */
export const BINANCE_SYMBOL_STATUS_FILTERS = ['TRADING', 'HALT', 'BREAK'] as const;
export type BinanceSymbolStatus = (typeof BINANCE_SYMBOL_STATUS_FILTERS)[number];

export function isBinanceSymbolStatusFilter(text: string): text is BinanceSymbolStatus {
  return (BINANCE_SYMBOL_STATUS_FILTERS as readonly string[]).includes(text);
}

/**
 * A symbol's `status` as exchangeInfo shows it and `symbolStatus` filters on. Every instrument here
 * trades whenever its book does: the engine has no halts or breaks, so always `TRADING`.
 */
export function binanceSymbolStatus(_i: Instrument): BinanceSymbolStatus {
  return 'TRADING';
}

/** Binance's trailingDelta is in basis points of the price (BIPS): 100 = 1 %. */
export const BIPS_PER_UNIT = 10_000n;

/** A callback rate (fraction) in BIPS: 0.001 → 10. */
function bipsOf(rate: bigint): number {
  return Number((rate * BIPS_PER_UNIT) / 10n ** 18n);
}

/** Binance ids are 64-bit integers sent as JSON numbers; ours are decimal strings. */
export function idNumber(id: string): number | string {
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : id;
}

/** One `symbols[]` entry of `GET /api/v3/exchangeInfo`, its filters from the instrument's rules. */
export function exchangeInfoSymbol(i: Instrument): Record<string, unknown> {
  const f = (v: bigint) => formatFixed(v);
  // Binance's NOTIONAL and PERCENT_PRICE_BY_SIDE take the average price over these minutes (core/matching/average-price.ts).
  const averageMinutes = i.priceBand?.averageMinutes ?? 5;
  const filters: Record<string, unknown>[] = [
    // maxPrice 0: no upper bound (Binance's way of disabling that part of the filter).
    { filterType: 'PRICE_FILTER', minPrice: f(i.minPrice ?? i.tickSize), maxPrice: i.maxPrice === undefined ? '0' : f(i.maxPrice), tickSize: f(i.tickSize) },
    { filterType: 'LOT_SIZE', minQty: f(i.minQty), maxQty: f(i.maxQty), stepSize: f(i.stepSize) },
    {
      filterType: 'NOTIONAL',
      minNotional: f(i.minNotional),
      applyMinToMarket: true,
      ...(i.maxNotional !== undefined ? { maxNotional: f(i.maxNotional), applyMaxToMarket: true } : {}),
      avgPriceMins: averageMinutes,
    },
    { filterType: 'MARKET_LOT_SIZE', minQty: f(i.minQty), maxQty: f(i.maxMarketQty ?? i.maxQty), stepSize: f(i.stepSize) },
  ];
  const band = i.priceBand;
  if (band !== undefined && band.reference === 'average') {
    filters.push({
      filterType: 'PERCENT_PRICE_BY_SIDE',
      bidMultiplierUp: f(band.bidUp),
      bidMultiplierDown: f(band.bidDown),
      askMultiplierUp: f(band.askUp),
      askMultiplierDown: f(band.askDown),
      avgPriceMins: band.averageMinutes,
    });
  }
  // trailingDelta is in BIPS (100 = 1 %); without bounds in the spec, what the kernel accepts: more than 0, less than 100 %.
  const [minDelta, maxDelta] = i.trailingBounds === undefined ? [1, 9_999] : [bipsOf(i.trailingBounds.min), bipsOf(i.trailingBounds.max)];
  filters.push({ filterType: 'TRAILING_DELTA', minTrailingAboveDelta: minDelta, maxTrailingAboveDelta: maxDelta, minTrailingBelowDelta: minDelta, maxTrailingBelowDelta: maxDelta });
  if (i.maxNumOrders !== undefined) filters.push({ filterType: 'MAX_NUM_ORDERS', maxNumOrders: i.maxNumOrders });
  if (i.maxNumAlgoOrders !== undefined) filters.push({ filterType: 'MAX_NUM_ALGO_ORDERS', maxNumAlgoOrders: i.maxNumAlgoOrders });
  return {
    symbol: i.symbol,
    status: binanceSymbolStatus(i),
    baseAsset: i.base,
    baseAssetPrecision: i.baseCommissionPrecision,
    quoteAsset: i.quote,
    quotePrecision: i.quoteCommissionPrecision,
    quoteAssetPrecision: i.quoteCommissionPrecision,
    baseCommissionPrecision: i.baseCommissionPrecision,
    quoteCommissionPrecision: i.quoteCommissionPrecision,
    orderTypes: [...BINANCE_ORDER_TYPES],
    icebergAllowed: false,
    ocoAllowed: true,
    otoAllowed: false,
    quoteOrderQtyMarketAllowed: true,
    allowTrailingStop: true,
    cancelReplaceAllowed: false,
    amendAllowed: false,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters,
    permissions: [],
    permissionSets: [['SPOT']],
    defaultSelfTradePreventionMode: 'NONE',
    allowedSelfTradePreventionModes: ['NONE'],
  };
}

/** Binance's type, time in force and trailing delta of one of our orders. */
export function binanceTypeOf(o: Pick<OrderView, 'type'>, kernelOrder: Readonly<Order> | undefined): { type: BinanceOrderType; timeInForce: string; trailingDelta?: number } {
  switch (o.type) {
    case 'IMMEDIATE_OR_CANCEL':
      return { type: 'LIMIT', timeInForce: 'IOC' };
    case 'FILL_OR_KILL':
      return { type: 'LIMIT', timeInForce: 'FOK' };
    case 'TRAILING_STOP_MARKET': {
      const rate = kernelOrder?.callbackRate ?? 0n;
      const trailingDelta = Number((rate * BIPS_PER_UNIT) / 10n ** 18n);
      return { type: kernelOrder?.activationPrice !== undefined ? 'TAKE_PROFIT' : 'STOP_LOSS', timeInForce: 'GTC', trailingDelta };
    }
    default:
      return { type: o.type, timeInForce: 'GTC' };
  }
}

export function binanceStatusOf(o: Pick<OrderView, 'type' | 'status'>): string {
  if (o.status === 'PARTIALLY_CANCELED') {
    const ended = executionType(o.type) === 'MARKET' || o.type === 'IMMEDIATE_OR_CANCEL' || o.type === 'FILL_OR_KILL';
    return ended ? 'EXPIRED' : 'CANCELED';
  }
  return o.status;
}

const ZERO = '0';

/** The fields RESULT, FULL, the order query and the cancel answers share. */
function orderTerms(o: OrderView, kernelOrder: Readonly<Order> | undefined): Record<string, unknown> {
  const { type, timeInForce, trailingDelta } = binanceTypeOf(o, kernelOrder);
  const stopPrice = o.type === 'TRAILING_STOP_MARKET' ? kernelOrder?.activationPrice : o.stopPrice !== undefined ? parseFixed(o.stopPrice) : undefined;
  return {
    price: o.price ?? ZERO,
    origQty: orderedQuantity(o),
    executedQty: o.executedQty,
    cummulativeQuoteQty: o.cumulativeQuoteQty,
    status: binanceStatusOf(o),
    timeInForce,
    type,
    side: o.side,
    ...(stopPrice !== undefined ? { stopPrice: formatFixed(stopPrice) } : {}),
    ...(trailingDelta !== undefined ? { trailingDelta } : {}),
  };
}

/** A conditional order waits off the book until it triggers: not working yet. */
function isWorking(kernelOrder: Readonly<Order> | undefined, o: OrderView): boolean {
  if (kernelOrder === undefined) return true;
  return executionType(o.type) === o.type || kernelOrder.triggered;
}

/**
 * Binance's `workingTime`: "The time when the order started working on the order book" (Spot API
 * glossary, binance-spot-api-docs faqs/spot_glossary.md); -1 while a conditional order waits for its
 * trigger. The kernel's own record of it where it has one: an order that waited for a synced, fresh
 * book or was brought in by an import (`Order.workingTime`), the trigger of a conditional order
 * and its creation, whichever is latest. An order the kernel no longer holds is read back from its
 * row, which keeps the same record (the order events' `workingTime`, its trigger), so the answer is
 * the one it had live.
 */
function workingTimeOf(o: OrderView, kernelOrder: Readonly<Order> | undefined): number {
  if (!isWorking(kernelOrder, o)) return -1;
  // The latest of the three: an order imported before it triggered has a working time (the import) earlier than its trigger.
  return Math.max(kernelOrder?.workingTime ?? o.createdAt, kernelOrder?.triggeredAt ?? o.createdAt, o.createdAt);
}

/** `GET /api/v3/order`, `openOrders`, `allOrders`. */
export function binanceOrder(o: OrderView, kernelOrder: Readonly<Order> | undefined, orderListId: number | string = -1): Record<string, unknown> {
  const working = isWorking(kernelOrder, o);
  const terms = orderTerms(o, kernelOrder);
  return {
    symbol: o.symbol,
    orderId: idNumber(o.orderId),
    orderListId,
    clientOrderId: o.clientOrderId,
    ...terms,
    stopPrice: terms.stopPrice ?? ZERO,
    icebergQty: ZERO,
    time: o.createdAt,
    updateTime: o.updatedAt,
    isWorking: working,
    workingTime: workingTimeOf(o, kernelOrder),
    origQuoteOrderQty: o.quoteOrderQty ?? ZERO,
    selfTradePreventionMode: 'NONE',
  };
}

export type NewOrderRespType = 'ACK' | 'RESULT' | 'FULL';

export interface NewOrderFill {
  readonly price: string;
  readonly qty: string;
  readonly commission: string;
  readonly commissionAsset: string;
  readonly tradeId: number | string;
}

/** `POST /api/v3/order` in the three shapes `newOrderRespType` selects. */
export function binanceNewOrder(o: OrderView, kernelOrder: Readonly<Order> | undefined, respType: NewOrderRespType, fills: readonly AccountFill[]): Record<string, unknown> {
  const ack = { symbol: o.symbol, orderId: idNumber(o.orderId), orderListId: -1, clientOrderId: o.clientOrderId, transactTime: o.createdAt };
  if (respType === 'ACK') return ack;
  const result = extend(ack, extend(orderTerms(o, kernelOrder), {
    origQuoteOrderQty: o.quoteOrderQty ?? ZERO,
    workingTime: workingTimeOf(o, kernelOrder),
    selfTradePreventionMode: 'NONE',
  }));
  if (respType === 'RESULT') return result;
  const full: NewOrderFill[] = fills.map((f) => ({ price: f.price, qty: f.quantity, commission: f.fee, commissionAsset: f.feeAsset, tradeId: idNumber(f.id) }));
  return extend(result, { fills: full });
}

/** `DELETE /api/v3/order` and each entry of `DELETE /api/v3/openOrders`; `orderListId` the order's list, -1 outside one (as Binance states it). */
export function binanceCanceledOrder(o: OrderView, kernelOrder: Readonly<Order> | undefined, origClientOrderId: string, orderListId: number | string = -1): Record<string, unknown> {
  return {
    symbol: o.symbol,
    origClientOrderId,
    orderId: idNumber(o.orderId),
    orderListId,
    clientOrderId: o.clientOrderId,
    transactTime: o.updatedAt,
    ...orderTerms(o, kernelOrder),
    origQuoteOrderQty: o.quoteOrderQty ?? ZERO,
    selfTradePreventionMode: 'NONE',
  };
}

/** One entry of `GET /api/v3/myTrades`. */
export function binanceMyTrade(f: AccountFill, orderListId: number | string = -1): Record<string, unknown> {
  return {
    symbol: f.symbol,
    id: idNumber(f.id),
    orderId: idNumber(f.orderId),
    orderListId,
    price: f.price,
    qty: f.quantity,
    quoteQty: f.quoteQuantity,
    commission: f.fee,
    commissionAsset: f.feeAsset,
    time: f.time,
    isBuyer: f.side === 'BUY',
    isMaker: f.liquidity === 'MAKER',
    isBestMatch: true,
  };
}
