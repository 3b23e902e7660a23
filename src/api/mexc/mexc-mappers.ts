/**
 * Our views in MEXC Spot v3's response shapes: exchangeInfo entries, orders (query, cancel, new),
 * account fills. Decimals stay strings; times are Unix ms numbers; ids are strings.
 *
 * MEXC has no EXPIRED or REJECTED status: an order the engine expired untouched (IOC, FOK, a market
 * order without liquidity) is CANCELED, as MEXC reports it; one expired after a partial fill is
 * already PARTIALLY_CANCELED (src/core/orders/order-status.ts).
 */
import type { Instrument } from '../../core/instruments/instrument.js';
import { decimalsOf, div, formatFixed, parseFixed, roundToIncrement, type Fixed } from '../../core/money/fixed.js';
import type { AccountFill } from '../dialect-kit/account-history.js';
import { orderedQuantity } from '../dialect-kit/order-quantity.js';
import type { OrderView } from '../service-deps.js';

export const MEXC_ORDER_TYPES = ['LIMIT', 'MARKET', 'LIMIT_MAKER', 'IMMEDIATE_OR_CANCEL', 'FILL_OR_KILL'] as const;
export type MexcOrderType = (typeof MEXC_ORDER_TYPES)[number];

export function isMexcOrderType(text: string): text is MexcOrderType {
  return (MEXC_ORDER_TYPES as readonly string[]).includes(text);
}

export function mexcStatusOf(status: string): string {
  return status === 'EXPIRED' || status === 'REJECTED' ? 'CANCELED' : status;
}

/** One `symbols[]` entry of `GET /api/v3/exchangeInfo`. */
export function exchangeInfoSymbol(i: Instrument): Record<string, unknown> {
  const maxQuote = i.maxNotional !== undefined ? formatFixed(i.maxNotional) : '2000000';
  return {
    symbol: i.symbol,
    status: '1',
    baseAsset: i.base,
    baseAssetPrecision: decimalsOf(i.stepSize),
    quoteAsset: i.quote,
    quotePrecision: decimalsOf(i.tickSize),
    quoteAssetPrecision: decimalsOf(i.tickSize),
    baseCommissionPrecision: i.baseCommissionPrecision,
    quoteCommissionPrecision: i.quoteCommissionPrecision,
    orderTypes: [...MEXC_ORDER_TYPES],
    quoteOrderQtyMarketAllowed: true,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    // MEXC's names for the minimum order value (quote) and the minimum quantity (base).
    quoteAmountPrecision: formatFixed(i.minNotional),
    baseSizePrecision: formatFixed(i.minQty),
    permissions: ['SPOT'],
    filters: [],
    maxQuoteAmount: maxQuote,
    makerCommission: formatFixed(i.makerFee),
    takerCommission: formatFixed(i.takerFee),
    quoteAmountPrecisionMarket: formatFixed(i.minNotional),
    maxQuoteAmountMarket: maxQuote,
    fullName: i.base,
    tradeSideType: 1,
  };
}

/** `GET /api/v3/order`, `openOrders`, `allOrders`. */
export function mexcOrder(o: OrderView & { readonly quoteOrderQty?: string }): Record<string, unknown> {
  return {
    symbol: o.symbol,
    orderId: o.orderId,
    orderListId: -1,
    clientOrderId: o.clientOrderId,
    price: o.price ?? '0',
    origQty: orderedQuantity(o),
    executedQty: o.executedQty,
    cummulativeQuoteQty: o.cumulativeQuoteQty,
    status: mexcStatusOf(o.status),
    // MEXC sends null here; clients derive the time in force from the type.
    timeInForce: null,
    type: o.type,
    side: o.side,
    stopPrice: null,
    icebergQty: null,
    time: o.createdAt,
    updateTime: o.updatedAt,
    isWorking: true,
    origQuoteOrderQty: o.quoteOrderQty ?? '0',
  };
}

/**
 * `POST /api/v3/order`: MEXC acknowledges with the id and the request's terms: the price and
 * quantity given, and `quoteOrderQty` for a market order by quote amount. A market order names no
 * price and, by quote amount, no quantity: those come from its fills when it has any (the average
 * price, half-up to the tick, and the quantity executed), so that a client reading the answer
 * (ccxt's `createMarketBuyOrderWithCost`) sees what was bought instead of "0".
 */
export function mexcNewOrder(o: OrderView, tickSize?: Fixed): Record<string, unknown> {
  const executed = parseFixed(o.executedQty);
  const average = executed > 0n ? div(parseFixed(o.cumulativeQuoteQty), executed, 'half-up') : undefined;
  const price = o.price ?? (average === undefined ? '0' : formatFixed(tickSize !== undefined && tickSize > 0n ? roundToIncrement(average, tickSize, 'half-up') : average));
  return {
    symbol: o.symbol, orderId: o.orderId, orderListId: -1, price, origQty: orderedQuantity(o),
    ...(o.quoteOrderQty !== undefined ? { quoteOrderQty: o.quoteOrderQty } : {}),
    type: o.type, side: o.side, transactTime: o.createdAt,
  };
}

/** `DELETE /api/v3/order` and each entry of `DELETE /api/v3/openOrders` (MEXC's documented superset). */
export function mexcCanceledOrder(o: OrderView): Record<string, unknown> {
  const { symbol, orderId, orderListId, clientOrderId, price, origQty, executedQty, cummulativeQuoteQty, status, timeInForce, type, side } = mexcOrder(o);
  return { symbol, origClientOrderId: clientOrderId, orderId, orderListId, clientOrderId, price, origQty, executedQty, cummulativeQuoteQty, status, timeInForce, type, side };
}

/** One entry of `GET /api/v3/myTrades`. */
export function mexcMyTrade(f: AccountFill, clientOrderId: string | null): Record<string, unknown> {
  return {
    symbol: f.symbol,
    id: f.id,
    orderId: f.orderId,
    orderListId: -1,
    price: f.price,
    qty: f.quantity,
    quoteQty: f.quoteQuantity,
    commission: f.fee,
    commissionAsset: f.feeAsset,
    time: f.time,
    isBuyer: f.side === 'BUY',
    isMaker: f.liquidity === 'MAKER',
    isBestMatch: true,
    isSelfTrade: false,
    clientOrderId,
  };
}
