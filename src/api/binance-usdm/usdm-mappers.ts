/**
 * Our views in Binance USD-M's response shapes: exchangeInfo entries with their filters, orders
 * (`/fapi/v1/order`), conditional orders (`/fapi/v1/algoOrder`, Binance's Algo Service since
 * December 2025), account trades and leverage brackets. Decimals stay strings; times are Unix ms;
 * ids are numbers, as Binance sends them.
 *
 * Types: papertrade's LIMIT, IMMEDIATE_OR_CANCEL, FILL_OR_KILL and LIMIT_MAKER are USD-M's LIMIT
 * with timeInForce GTC, IOC, FOK and GTX; STOP_LOSS and TAKE_PROFIT (market on trigger) are
 * STOP_MARKET and TAKE_PROFIT_MARKET, their limit variants STOP and TAKE_PROFIT; a trailing stop
 * is TRAILING_STOP_MARKET with `priceRate` in percent (1 = 1 %). `workingType` is the price the
 * trigger watches: MARK_PRICE for an order on the mark, else CONTRACT_PRICE (the last trade price).
 * Positions are one-way: positionSide BOTH.
 * Statuses: as Spot's (binance-mappers.ts: an order the engine ended after a partial fill is
 * EXPIRED); a conditional order is NEW on the Algo Service until it triggers, then TRIGGERED while
 * the order it became works and FINISHED once that order is done.
 */
import { maxNotionalAt as maxNotionalOf } from '../../core/accounts/position.js';
import type { Instrument } from '../../core/instruments/instrument.js';
import { decimalsOf, div, formatFixed, fromInt, mul, parseFixed, roundToDecimals } from '../../core/money/fixed.js';
import { isConditional, type Order, type OrderType } from '../../core/orders/order.js';
import { binanceStatusOf, idNumber } from '../binance/binance-mappers.js';
import type { AccountFill } from '../dialect-kit/account-history.js';
import type { OrderView } from '../service-deps.js';

export const USDM_ORDER_TYPES = ['LIMIT', 'MARKET', 'STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'] as const;
export type UsdmOrderType = (typeof USDM_ORDER_TYPES)[number];
export const USDM_CONDITIONAL_TYPES: readonly UsdmOrderType[] = ['STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'];

/** Binance USD-M's perpetual delivery date: 2100-12-25, "no expiry". */
const PERPETUAL_DELIVERY = 4_133_404_800_000;
const ZERO = '0';
const f = (v: bigint) => formatFixed(v);

/** One `symbols[]` entry of `GET /fapi/v1/exchangeInfo`, its filters from the instrument's rules. */
export function usdmExchangeInfoSymbol(i: Instrument): Record<string, unknown> {
  const first = i.marginTiers?.[0];
  const percent = (v: bigint) => formatFixed(roundToDecimals(v * 100n, 4, 'half-up'), 4);
  const filters: Record<string, unknown>[] = [
    { filterType: 'PRICE_FILTER', minPrice: f(i.minPrice ?? i.tickSize), maxPrice: i.maxPrice === undefined ? ZERO : f(i.maxPrice), tickSize: f(i.tickSize) },
    { filterType: 'LOT_SIZE', minQty: f(i.minQty), maxQty: f(i.maxQty), stepSize: f(i.stepSize) },
    { filterType: 'MARKET_LOT_SIZE', minQty: f(i.minQty), maxQty: f(i.maxMarketQty ?? i.maxQty), stepSize: f(i.stepSize) },
    ...(i.maxNumOrders !== undefined ? [{ filterType: 'MAX_NUM_ORDERS', limit: i.maxNumOrders }] : []),
    ...(i.maxNumAlgoOrders !== undefined ? [{ filterType: 'MAX_NUM_ALGO_ORDERS', limit: i.maxNumAlgoOrders }] : []),
    { filterType: 'MIN_NOTIONAL', notional: f(i.minNotional) },
  ];
  const band = i.priceBand;
  if (band !== undefined && band.reference === 'mark') {
    filters.push({ filterType: 'PERCENT_PRICE', multiplierUp: formatFixed(band.bidUp, 4), multiplierDown: formatFixed(band.bidDown, 4), multiplierDecimal: '4' });
  }
  return {
    symbol: i.symbol,
    pair: i.symbol,
    contractType: 'PERPETUAL',
    deliveryDate: PERPETUAL_DELIVERY,
    status: 'TRADING',
    maintMarginPercent: first === undefined ? ZERO : percent(first.maintenanceMarginRate),
    requiredMarginPercent: first === undefined ? ZERO : percent(div(fromInt(1), fromInt(first.maxLeverage))),
    baseAsset: i.base,
    quoteAsset: i.quote,
    marginAsset: i.quote,
    pricePrecision: decimalsOf(i.tickSize),
    quantityPrecision: decimalsOf(i.stepSize),
    baseAssetPrecision: i.baseCommissionPrecision,
    quotePrecision: i.quoteCommissionPrecision,
    underlyingType: 'COIN',
    underlyingSubType: [],
    triggerProtect: '0.0500',
    liquidationFee: i.liquidationFeeRate === undefined ? ZERO : f(i.liquidationFeeRate),
    marketTakeBound: band === undefined ? ZERO : formatFixed(band.bidUp - 10n ** 18n, 2),
    filters,
    orderTypes: [...USDM_ORDER_TYPES],
    timeInForce: ['GTC', 'IOC', 'FOK', 'GTX'],
  };
}

/** USD-M's type and time in force of one of our orders. */
export function usdmTypeOf(type: OrderType): { type: UsdmOrderType; timeInForce: string } {
  switch (type) {
    case 'IMMEDIATE_OR_CANCEL':
      return { type: 'LIMIT', timeInForce: 'IOC' };
    case 'FILL_OR_KILL':
      return { type: 'LIMIT', timeInForce: 'FOK' };
    case 'LIMIT_MAKER':
      return { type: 'LIMIT', timeInForce: 'GTX' };
    case 'STOP_LOSS':
      return { type: 'STOP_MARKET', timeInForce: 'GTC' };
    case 'STOP_LOSS_LIMIT':
      return { type: 'STOP', timeInForce: 'GTC' };
    case 'TAKE_PROFIT':
      return { type: 'TAKE_PROFIT_MARKET', timeInForce: 'GTC' };
    case 'TAKE_PROFIT_LIMIT':
      return { type: 'TAKE_PROFIT', timeInForce: 'GTC' };
    default:
      return { type, timeInForce: 'GTC' };
  }
}

/** A conditional order still waiting for its trigger: it lives on the Algo Service, not in the order book's lists. */
export function isWaitingConditional(o: Pick<OrderView, 'type'>, kernelOrder: Readonly<Order> | undefined): boolean {
  return isConditional(o.type) && kernelOrder?.triggered !== true;
}

/** Average fill price, 0 before the first fill. */
/**
 * A computed price (an average, a liquidation price, a mark) as USD-M prints it: at most 8
 * decimals, rounded half-up, trailing zeros trimmed. Binance does not cut these to the symbol's
 * tick: Position Information V2's example states BTCUSDT (tick 0.10) at "liquidationPrice":
 * "19731.45529116" and "markPrice": "21123.05052574"
 * (https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Position-Information-V2),
 * where the engine's figures carry 18 decimals. A price of 8 decimals or fewer is printed as it is.
 */
export function usdmPrice(text: string): string {
  return formatFixed(roundToDecimals(parseFixed(text), 8, 'half-up'));
}

function averageOf(o: OrderView): string {
  const executed = parseFixed(o.executedQty);
  return executed === 0n ? ZERO : usdmPrice(formatFixed(div(parseFixed(o.cumulativeQuoteQty), executed)));
}

/** A callback rate (fraction) as USD-M's percent: 0.015 → "1.5". */
function percentOf(rate: bigint | undefined): string | undefined {
  return rate === undefined ? undefined : formatFixed(mul(rate, 100n * 10n ** 18n));
}

/**
 * USD-M's `workingType` of an order: MARK_PRICE when it triggers on the mark (`triggerSource`
 * 'mark', ADR 0066), CONTRACT_PRICE (the last trade price) otherwise, and for an order the kernel
 * no longer holds.
 */
export function workingTypeOf(order: Readonly<Pick<Order, 'triggerSource'>> | undefined): 'MARK_PRICE' | 'CONTRACT_PRICE' {
  return order?.triggerSource === 'mark' ? 'MARK_PRICE' : 'CONTRACT_PRICE';
}

/** `POST`, `GET` and `DELETE /fapi/v1/order`, `openOrders`, `allOrders`. */
export function usdmOrder(o: OrderView, kernelOrder: Readonly<Order> | undefined): Record<string, unknown> {
  const { type, timeInForce } = usdmTypeOf(o.type);
  const trailing = o.type === 'TRAILING_STOP_MARKET';
  return {
    orderId: idNumber(o.orderId),
    symbol: o.symbol,
    status: binanceStatusOf(o),
    clientOrderId: o.clientOrderId,
    price: o.price ?? ZERO,
    avgPrice: averageOf(o),
    origQty: o.quantity,
    executedQty: o.executedQty,
    cumQty: o.executedQty,
    cumQuote: o.cumulativeQuoteQty,
    timeInForce,
    type,
    reduceOnly: kernelOrder?.reduceOnly ?? false,
    closePosition: false,
    side: o.side,
    positionSide: 'BOTH',
    stopPrice: o.stopPrice ?? ZERO,
    workingType: workingTypeOf(kernelOrder),
    priceProtect: false,
    origType: type,
    ...(trailing ? { activatePrice: o.activationPrice ?? o.stopPrice ?? ZERO, priceRate: percentOf(kernelOrder?.callbackRate) ?? ZERO } : {}),
    priceMatch: 'NONE',
    selfTradePreventionMode: 'NONE',
    goodTillDate: 0,
    time: o.createdAt,
    updateTime: o.updatedAt,
  };
}

/** The Algo Service's status of a conditional order. */
export function algoStatusOf(o: OrderView, kernelOrder: Readonly<Order> | undefined): string {
  if (kernelOrder?.triggered === true) return o.status === 'NEW' || o.status === 'PARTIALLY_FILLED' ? 'TRIGGERED' : 'FINISHED';
  const status = binanceStatusOf(o);
  return status === 'NEW' ? 'NEW' : status;
}

/** `POST`, `GET` and `DELETE /fapi/v1/algoOrder`, `openAlgoOrders`, `allAlgoOrders`. */
export function usdmAlgoOrder(o: OrderView, kernelOrder: Readonly<Order> | undefined): Record<string, unknown> {
  const { type, timeInForce } = usdmTypeOf(o.type);
  const trailing = o.type === 'TRAILING_STOP_MARKET';
  const triggered = kernelOrder?.triggered === true;
  return {
    algoId: idNumber(o.orderId),
    clientAlgoId: o.clientOrderId,
    algoType: 'CONDITIONAL',
    orderType: type,
    symbol: o.symbol,
    side: o.side,
    positionSide: 'BOTH',
    timeInForce,
    quantity: o.quantity,
    algoStatus: algoStatusOf(o, kernelOrder),
    triggerPrice: trailing ? ZERO : (o.stopPrice ?? ZERO),
    price: o.price ?? ZERO,
    icebergQuantity: null,
    selfTradePreventionMode: 'NONE',
    workingType: workingTypeOf(kernelOrder),
    priceMatch: 'NONE',
    closePosition: false,
    priceProtect: false,
    reduceOnly: kernelOrder?.reduceOnly ?? false,
    ...(trailing ? { activatePrice: o.activationPrice ?? ZERO, callbackRate: percentOf(kernelOrder?.callbackRate) ?? ZERO } : {}),
    createTime: o.createdAt,
    updateTime: o.updatedAt,
    triggerTime: triggered ? o.updatedAt : 0,
    goodTillDate: 0,
    // Triggered, the order it became is the same order: same id, and its fills so far.
    actualOrderId: triggered ? String(o.orderId) : '',
    executedQty: o.executedQty,
    avgPrice: averageOf(o),
  };
}

/** One entry of `GET /fapi/v1/userTrades`. */
export function usdmUserTrade(f: AccountFill): Record<string, unknown> {
  return {
    symbol: f.symbol,
    id: idNumber(f.id),
    orderId: idNumber(f.orderId),
    side: f.side,
    price: f.price,
    qty: f.quantity,
    realizedPnl: f.realizedPnl ?? ZERO,
    quoteQty: f.quoteQuantity,
    commission: f.fee,
    commissionAsset: f.feeAsset,
    time: f.time,
    buyer: f.side === 'BUY',
    maker: f.liquidity === 'MAKER',
    positionSide: 'BOTH',
  };
}

/** `GET /fapi/v1/leverageBracket` for one symbol: the instrument's margin tiers. */
export function usdmLeverageBracket(i: Instrument): Record<string, unknown> {
  return {
    symbol: i.symbol,
    notionalCoef: 1,
    brackets: (i.marginTiers ?? []).map((t, n) => ({
      bracket: n + 1,
      initialLeverage: t.maxLeverage,
      notionalCap: Number(f(t.notionalCap)),
      notionalFloor: Number(f(t.notionalFloor)),
      maintMarginRatio: Number(f(t.maintenanceMarginRate)),
      cum: Number(f(t.maintenanceAmount)),
    })),
  };
}

/** The largest position notional the leverage allows, as Binance writes it (core/accounts/position.ts `maxNotionalAt`; "0" without brackets). */
export function maxNotionalAt(i: Instrument, leverage: number): string {
  const cap = maxNotionalOf(i, leverage);
  return cap === undefined ? ZERO : f(cap);
}
