/**
 * Every filter an exchange puts on an order at placement, in one place: the instrument's spec says
 * which apply and with what numbers; the market and the account say where the order would land.
 *
 * Guarantees: an order that passes lies on the tick and step grids, within the price, quantity and
 * notional bounds, inside the price band around the average (spot) or mark (USD-M) price, within
 * the trailing bounds, under the open-order caps, its trigger has not already been reached, and a
 * trailing stop's activation price does not already hold.
 * A refusal is a `Rejection` with the exchange's code; the first failing rule in `EXCHANGE_RULES`
 * order answers, as the exchange answers one filter failure at a time.
 * Not modelled: ICEBERG_PARTS and MAX_NUM_ICEBERG_ORDERS (no iceberg orders), MAX_POSITION,
 * USD-M's -4131 band check of a MARKET order against the best counter price.
 * Cost: O(1) per rule; the caller counts open orders.
 */
import type { Instrument, PriceBand } from '../instruments/instrument.js';
import { formatFixed, isMultipleOf, mul, SCALE, type Fixed } from '../money/fixed.js';
import { executionType, isConditional } from '../orders/order.js';
import type { OrderRequest } from '../orders/order-validation.js';
import { ok, PRICE_RANGE_WORDS, rejection, type Rejection, type Result } from '../orders/rejection.js';

/** What the market and the account look like when the order arrives. */
export interface PlacementContext {
  readonly reduceOnly: boolean;
  /** Volume-weighted average trade price over the band's window (Binance avgPrice); undefined before any trade. */
  readonly averagePrice: Fixed | undefined;
  readonly markPrice: Fixed | undefined;
  /** The price conditional orders trigger on (last trade or mark, as the kernel is configured). */
  readonly triggerPrice: Fixed | undefined;
  /** This account's open orders on this symbol, and of those the conditional ones not yet triggered. */
  readonly openOrders: number;
  readonly openAlgoOrders: number;
}

/** Filter names as Binance's exchangeInfo spells them, plus the placement rule on triggers. */
export const RULE_NAMES = [
  'PRICE_FILTER',
  'LOT_SIZE',
  'MARKET_LOT_SIZE',
  'NOTIONAL',
  'PERCENT_PRICE',
  'TRAILING_DELTA',
  'STOP_TRIGGER',
  'TRAILING_ACTIVATION',
  'MAX_NUM_ORDERS',
  'MAX_NUM_ALGO_ORDERS',
] as const;
export type RuleName = (typeof RULE_NAMES)[number];

interface ExchangeRule {
  readonly name: RuleName;
  /** Whether the instrument's spec carries this filter. */
  readonly applies: (instrument: Instrument) => boolean;
  /**
   * Whether the answer depends on the moment the order arrives (the average, mark or trigger price,
   * the account's open orders) and not only on the request and the spec. Such a rule cannot be
   * asked ahead of the placement (see `SPEC_RULES`).
   */
  readonly atPlacement: boolean;
  readonly check: (request: OrderRequest, instrument: Instrument, context: PlacementContext) => Rejection | undefined;
}

const fmt = (v: Fixed): string => formatFixed(v);

export const EXCHANGE_RULES: readonly ExchangeRule[] = [
  {
    name: 'PRICE_FILTER',
    atPlacement: false,
    applies: () => true,
    check: ({ price, stopPrice, activationPrice }, i) => {
      for (const [name, value] of [['price', price], ['stopPrice', stopPrice], ['activationPrice', activationPrice]] as const) {
        if (value === undefined) continue;
        if (!isMultipleOf(value, i.tickSize)) return rejection('INVALID_PRICE', `${name}: tick size is ${fmt(i.tickSize)}`);
        // The same code as off the tick (Binance answers both "Filter failure: PRICE_FILTER"), in words of their own.
        if (i.minPrice !== undefined && value < i.minPrice) return rejection('INVALID_PRICE', `${name} ${fmt(value)} is below the minimum ${fmt(i.minPrice)}`, PRICE_RANGE_WORDS);
        if (i.maxPrice !== undefined && value > i.maxPrice) return rejection('INVALID_PRICE', `${name} ${fmt(value)} is above the maximum ${fmt(i.maxPrice)}`, PRICE_RANGE_WORDS);
      }
      return undefined;
    },
  },
  {
    name: 'LOT_SIZE',
    atPlacement: false,
    applies: () => true,
    check: ({ quantity }, i) => {
      if (quantity === undefined) return undefined;
      if (!isMultipleOf(quantity, i.stepSize)) return rejection('INVALID_QUANTITY', `step size is ${fmt(i.stepSize)}`);
      if (quantity < i.minQty) return rejection('MIN_QUANTITY', `${fmt(i.minQty)} ${i.base}`);
      if (quantity > i.maxQty) return rejection('MAX_QUANTITY', `${fmt(i.maxQty)} ${i.base}`);
      return undefined;
    },
  },
  {
    name: 'MARKET_LOT_SIZE',
    atPlacement: false,
    applies: (i) => i.maxMarketQty !== undefined,
    check: ({ type, quantity }, i) =>
      executionType(type) === 'MARKET' && quantity !== undefined && i.maxMarketQty !== undefined && quantity > i.maxMarketQty
        ? rejection('MAX_MARKET_QUANTITY', `${fmt(i.maxMarketQty)} ${i.base}`)
        : undefined,
  },
  {
    name: 'NOTIONAL',
    // A MARKET order's notional is its quantity at the average price.
    atPlacement: true,
    applies: () => true,
    check: (request, i, context) => {
      const notional = notionalOf(request, context);
      if (notional === undefined) return undefined;
      const exempt = context.reduceOnly && i.reduceOnlyExemptFromMinNotional === true;
      if (!exempt && notional < i.minNotional) return rejection('MIN_NOTIONAL', `${fmt(i.minNotional)} ${i.quote}`);
      if (i.maxNotional !== undefined && notional > i.maxNotional) return rejection('MAX_NOTIONAL', `${fmt(i.maxNotional)} ${i.quote}`);
      return undefined;
    },
  },
  {
    name: 'PERCENT_PRICE',
    atPlacement: true,
    applies: (i) => i.priceBand !== undefined,
    check: ({ side, price }, i, context) => {
      const band = i.priceBand;
      if (band === undefined || price === undefined) return undefined;
      const reference = band.reference === 'average' ? context.averagePrice : context.markPrice;
      if (reference === undefined) return undefined;
      const [down, up] = side === 'BUY' ? [band.bidDown, band.bidUp] : [band.askDown, band.askUp];
      // price ≥ reference × down and price ≤ reference × up, compared exactly at 10^36.
      if (price * SCALE >= reference * down && price * SCALE <= reference * up) return undefined;
      return rejection('PERCENT_PRICE', `${side} price ${fmt(price)} outside ${fmt(down)}×–${fmt(up)}× the ${referenceName(band)} ${fmt(reference)}`);
    },
  },
  {
    name: 'TRAILING_DELTA',
    atPlacement: false,
    applies: (i) => i.trailingBounds !== undefined,
    check: ({ callbackRate }, i) => {
      const bounds = i.trailingBounds;
      if (bounds === undefined || callbackRate === undefined) return undefined;
      if (callbackRate >= bounds.min && callbackRate <= bounds.max) return undefined;
      return rejection('TRAILING_DELTA', `callbackRate ${fmt(callbackRate)} outside ${fmt(bounds.min)}–${fmt(bounds.max)} (fractions: 0.01 = 1 %)`);
    },
  },
  {
    name: 'STOP_TRIGGER',
    atPlacement: true,
    applies: () => true,
    check: ({ side, type, stopPrice }, _i, { triggerPrice }) => {
      if (stopPrice === undefined || triggerPrice === undefined) return undefined;
      const stopLoss = type === 'STOP_LOSS' || type === 'STOP_LOSS_LIMIT';
      // A stop-loss sells as the price falls to its stop and buys as it rises to it; a take-profit the other way round.
      const reached = stopLoss === (side === 'SELL') ? triggerPrice <= stopPrice : triggerPrice >= stopPrice;
      return reached ? rejection('WOULD_TRIGGER_IMMEDIATELY', `${side} ${type} stop ${fmt(stopPrice)}, price now ${fmt(triggerPrice)}`) : undefined;
    },
  },
  {
    // Binance USD-M New Order: a TRAILING_STOP_MARKET SELL's activationPrice must be above the price
    // it is compared with, a BUY's below, else -2021 "Order would immediately trigger."; Binance spot's
    // trailing TAKE_PROFIT (its stopPrice is the activation) answers -2010 as any stop already reached.
    // A trailing stop with an activation that already holds would start trailing at once: without
    // activationPrice it does just that, from the current price.
    name: 'TRAILING_ACTIVATION',
    atPlacement: true,
    applies: () => true,
    check: ({ side, type, activationPrice }, _i, { triggerPrice }) => {
      if (activationPrice === undefined || triggerPrice === undefined) return undefined;
      // A sell activates as the price rises to its activation, a buy as it falls to it (matching-engine.ts).
      const holds = side === 'SELL' ? triggerPrice >= activationPrice : triggerPrice <= activationPrice;
      return holds ? rejection('WOULD_TRIGGER_IMMEDIATELY', `${side} ${type} activation ${fmt(activationPrice)}, price now ${fmt(triggerPrice)}`) : undefined;
    },
  },
  {
    name: 'MAX_NUM_ORDERS',
    atPlacement: true,
    applies: (i) => i.maxNumOrders !== undefined,
    check: (_r, i, { openOrders }) => (i.maxNumOrders !== undefined && openOrders >= i.maxNumOrders ? rejection('MAX_NUM_ORDERS') : undefined),
  },
  {
    name: 'MAX_NUM_ALGO_ORDERS',
    atPlacement: true,
    applies: (i) => i.maxNumAlgoOrders !== undefined,
    check: ({ type }, i, { openAlgoOrders }) =>
      isConditional(type) && i.maxNumAlgoOrders !== undefined && openAlgoOrders >= i.maxNumAlgoOrders ? rejection('MAX_NUM_ALGO_ORDERS') : undefined,
  },
];

/** The rules this instrument's spec carries (the always-on ones included). */
export function rulesOf(instrument: Instrument): RuleName[] {
  return EXCHANGE_RULES.filter((rule) => rule.applies(instrument)).map((rule) => rule.name);
}

/**
 * The rules whose answer depends only on the request and the instrument's spec (PRICE_FILTER,
 * LOT_SIZE, MARKET_LOT_SIZE, TRAILING_DELTA): asked before the order is due (a plan's exits, placed
 * once its entry fills), they answer as its placement will. The others read the market or the
 * account as the order arrives: the band's reference, a MARKET order's notional at the average
 * price, the trigger price a stop or an activation is compared with, the open-order counts.
 */
export const SPEC_RULES: readonly RuleName[] = EXCHANGE_RULES.filter((rule) => !rule.atPlacement).map((rule) => rule.name);

/** Runs every rule in order, or only those in `only`; the first refusal answers. */
export function checkExchangeRules(request: OrderRequest, instrument: Instrument, context: PlacementContext, only?: ReadonlySet<RuleName>): Result<OrderRequest> {
  for (const rule of EXCHANGE_RULES) {
    if (only !== undefined && !only.has(rule.name)) continue;
    const refused = rule.check(request, instrument, context);
    if (refused !== undefined) return { ok: false, error: refused };
  }
  return ok(request);
}

/**
 * An order list counted against the caps as a whole at placement: the entry of a bracket with its
 * exits (Binance spot "New Order list - OTOCO": an OTOCO adds its 3 orders to MAX_NUM_ORDERS when
 * placed; its pending pair are STOP_LOSS/TAKE_PROFIT orders, which MAX_NUM_ALGO_ORDERS counts).
 * `orders` and `algoOrders` are the list's own, the entry included; the caps' refusals as for one order.
 */
export function checkListCaps(instrument: Instrument, context: PlacementContext, orders: number, algoOrders: number): Rejection | undefined {
  const { maxNumOrders, maxNumAlgoOrders } = instrument;
  if (maxNumOrders !== undefined && context.openOrders + orders > maxNumOrders) {
    return rejection('MAX_NUM_ORDERS', `${context.openOrders} open and the list's ${orders} exceed ${maxNumOrders}`);
  }
  if (maxNumAlgoOrders !== undefined && algoOrders > 0 && context.openAlgoOrders + algoOrders > maxNumAlgoOrders) {
    return rejection('MAX_NUM_ALGO_ORDERS', `${context.openAlgoOrders} conditional orders open and the list's ${algoOrders} exceed ${maxNumAlgoOrders}`);
  }
  return undefined;
}

/**
 * The order's notional: price × quantity with a limit price; a MARKET order's quote amount, or its
 * quantity at the average price (Binance NOTIONAL applyMinToMarket with avgPriceMins); none before
 * any trade.
 */
function notionalOf({ price, quantity, quoteOrderQty }: OrderRequest, context: PlacementContext): Fixed | undefined {
  if (quoteOrderQty !== undefined) return quoteOrderQty;
  if (quantity === undefined) return undefined;
  if (price !== undefined) return mul(price, quantity, 'up');
  return context.averagePrice === undefined ? undefined : mul(context.averagePrice, quantity, 'up');
}

function referenceName(band: PriceBand): string {
  if (band.reference === 'mark') return 'mark price';
  return band.averageMinutes === 0 ? 'last price' : `${band.averageMinutes}-minute average price`;
}
