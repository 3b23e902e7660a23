/**
 * One accepted and one refused order for every filter an instrument spec can carry, built from the
 * spec's own numbers, so that the same walk runs over the bundled specs and over those loaded from
 * an exchange through ccxt. The expected outcomes are the filters' definitions on Binance's
 * "Filters" page (docs/exchange-rules.md), computed here on the grids, not read from the engine.
 */
import type { Instrument } from '../core/instruments/instrument.js';
import { checkExchangeRules, type PlacementContext, type RuleName } from '../core/matching/exchange-rules.js';
import { formatFixed, parseFixed as d, SCALE, type Fixed } from '../core/money/fixed.js';
import type { OrderRequest } from '../core/orders/order-validation.js';
import type { RejectionCode } from '../core/orders/rejection.js';

/** Which rule enforces each field of a spec. */
export const FILTER_FIELDS: Readonly<Record<string, RuleName>> = {
  tickSize: 'PRICE_FILTER',
  minPrice: 'PRICE_FILTER',
  maxPrice: 'PRICE_FILTER',
  stepSize: 'LOT_SIZE',
  minQty: 'LOT_SIZE',
  maxQty: 'LOT_SIZE',
  maxMarketQty: 'MARKET_LOT_SIZE',
  minNotional: 'NOTIONAL',
  maxNotional: 'NOTIONAL',
  reduceOnlyExemptFromMinNotional: 'NOTIONAL',
  priceBand: 'PERCENT_PRICE',
  trailingBounds: 'TRAILING_DELTA',
  maxNumOrders: 'MAX_NUM_ORDERS',
  maxNumAlgoOrders: 'MAX_NUM_ALGO_ORDERS',
};

/** The fields of a spec that are no order filter (naming, fees, margin). */
export const NOT_FILTERS: ReadonlySet<string> = new Set([
  'symbol', 'exchange', 'market', 'base', 'quote', 'makerFee', 'takerFee', 'feeAsset', 'baseCommissionPrecision', 'quoteCommissionPrecision',
  // Leverage per notional bracket is checked at placement too (INVALID_LEVERAGE), with the margin model (accounts/position.ts).
  'maxLeverage', 'marginTiers', 'liquidationFeeRate', 'source',
]);

/** The rules no spec field switches on: they hold for every instrument. */
export const ALWAYS_ON: readonly RuleName[] = ['STOP_TRIGGER', 'TRAILING_ACTIVATION'];

/**
 * Every `filterType` Binance documents for a symbol (spot "Filters" page; USD-M exchangeInfo), with
 * the rule that enforces it, or why papertrade has nothing to enforce.
 */
export const EXCHANGE_FILTER_TYPES: Readonly<Record<string, RuleName | { readonly notModelled: string }>> = {
  PRICE_FILTER: 'PRICE_FILTER',
  PERCENT_PRICE: 'PERCENT_PRICE',
  PERCENT_PRICE_BY_SIDE: 'PERCENT_PRICE',
  LOT_SIZE: 'LOT_SIZE',
  MARKET_LOT_SIZE: 'MARKET_LOT_SIZE',
  MIN_NOTIONAL: 'NOTIONAL',
  NOTIONAL: 'NOTIONAL',
  TRAILING_DELTA: 'TRAILING_DELTA',
  MAX_NUM_ORDERS: 'MAX_NUM_ORDERS',
  MAX_NUM_ALGO_ORDERS: 'MAX_NUM_ALGO_ORDERS',
  ICEBERG_PARTS: { notModelled: 'papertrade has no iceberg orders' },
  MAX_NUM_ICEBERG_ORDERS: { notModelled: 'papertrade has no iceberg orders' },
  MAX_POSITION: { notModelled: 'a cap on the base asset held, set on leveraged tokens only' },
};

export interface Example {
  readonly request: Partial<OrderRequest>;
  readonly context?: Partial<PlacementContext>;
}

export interface FilterCase {
  readonly accepted: Example;
  readonly refused: Example;
  readonly code: RejectionCode;
  /** What the refusal's message names, so that the refusal comes from this field and not another; a string is the whole message. */
  readonly message?: RegExp | string;
}

/** A reference price every bundled spec trades at: inside each PRICE_FILTER, and bands land on each tick. */
export const P = d('2000');

const mulFloor = (a: Fixed, b: Fixed): Fixed => (a * b) / SCALE;
const up = (value: Fixed, unit: Fixed): Fixed => ((value + unit - 1n) / unit) * unit;
const down = (value: Fixed, unit: Fixed): Fixed => (value / unit) * unit;

/** The smallest quantity on the step grid whose notional at `price` is at least twice the minimum. */
export function quantityFor(i: Instrument, price: Fixed): Fixed {
  const q = up((2n * i.minNotional * SCALE + price - 1n) / price, i.stepSize);
  return q < i.minQty ? i.minQty : q;
}

/** A market (average, mark and trigger price) at `price`, so that the band is centred there. */
const at = (price: Fixed): Partial<PlacementContext> => ({ averagePrice: price, markPrice: price, triggerPrice: price });

/** One accepted and one refused order per spec field that is a filter, and per always-on rule. */
export function casesFor(i: Instrument): Record<string, FilterCase> {
  const q = quantityFor(i, P);
  const stop = { type: 'STOP_LOSS', side: 'SELL', price: undefined, quantity: q } as const;
  const trail = { type: 'TRAILING_STOP_MARKET', side: 'SELL', price: undefined, quantity: q, callbackRate: i.trailingBounds?.max ?? d('0.01') } as const;
  const cases: Record<string, FilterCase> = {
    tickSize: { accepted: { request: { price: P } }, refused: { request: { price: P + i.tickSize / 2n } }, code: 'INVALID_PRICE', message: /tick size/ },
    stepSize: { accepted: { request: { quantity: q } }, refused: { request: { quantity: q + i.stepSize / 2n } }, code: 'INVALID_QUANTITY', message: /step size/ },
    minNotional: { accepted: { request: { quantity: q } }, refused: { request: { quantity: i.minQty } }, code: 'MIN_NOTIONAL' },
    STOP_TRIGGER: {
      // A sell stop-loss waits below the price; at the price it would fire at once.
      accepted: { request: { ...stop, stopPrice: P - i.tickSize } },
      refused: { request: { ...stop, stopPrice: P } },
      code: 'WOULD_TRIGGER_IMMEDIATELY',
    },
    TRAILING_ACTIVATION: {
      // A trailing sell activates as the price rises to its activation: one tick above the price it waits,
      // at the price it would trail at once (Binance USD-M -2021; spot's trailing TAKE_PROFIT -2010).
      accepted: { request: { ...trail, activationPrice: P + i.tickSize } },
      refused: { request: { ...trail, activationPrice: P } },
      code: 'WOULD_TRIGGER_IMMEDIATELY',
      message: /activation/,
    },
  };
  {
    // The smallest quantity passes at the price where it just reaches the minimum notional; one step less does not.
    const price = [up((i.minNotional * SCALE + i.minQty - 1n) / i.minQty, i.tickSize), i.minPrice ?? 0n, i.tickSize].reduce((a, b) => (a > b ? a : b));
    cases['minQty'] = {
      accepted: { request: { price, quantity: i.minQty }, context: at(price) },
      refused: { request: { price, quantity: i.minQty - i.stepSize }, context: at(price) },
      code: 'MIN_QUANTITY',
    };
  }
  {
    // The largest quantity passes at the lowest price whose notional reaches the minimum; one step more does not.
    // Where the maximum notional is tighter than maxQty at any price (MEXC: maxQuoteAmount), a smaller order stands
    // for the accepted one; maxQty + one step is still refused by LOT_SIZE, checked before NOTIONAL.
    const price = [up((i.minNotional * SCALE + i.maxQty - 1n) / i.maxQty, i.tickSize), i.minPrice ?? 0n, i.tickSize].reduce((a, b) => (a > b ? a : b));
    const fits = i.maxNotional === undefined || i.maxQty * price <= i.maxNotional * SCALE;
    cases['maxQty'] = {
      accepted: fits ? { request: { price, quantity: i.maxQty }, context: at(price) } : { request: { quantity: q } },
      refused: { request: { price, quantity: i.maxQty + i.stepSize }, context: at(price) },
      code: 'MAX_QUANTITY',
    };
  }
  if (i.minPrice !== undefined) {
    const price = i.minPrice;
    cases['minPrice'] = {
      accepted: { request: { price, quantity: quantityFor(i, price) }, context: at(price) },
      refused: { request: { price: price - i.tickSize, quantity: quantityFor(i, price) }, context: at(price) },
      code: 'INVALID_PRICE',
      // Its own words, not the tick's: "price is not a multiple of the tick size" would send the user to the wrong fix.
      message: `price is outside the instrument's price range (price ${formatFixed(price - i.tickSize)} is below the minimum ${formatFixed(price)})`,
    };
  }
  if (i.maxPrice !== undefined) {
    const price = i.maxPrice;
    cases['maxPrice'] = {
      accepted: { request: { price, quantity: quantityFor(i, price) }, context: at(price) },
      refused: { request: { price: price + i.tickSize, quantity: quantityFor(i, price) }, context: at(price) },
      code: 'INVALID_PRICE',
      message: `price is outside the instrument's price range (price ${formatFixed(price + i.tickSize)} is above the maximum ${formatFixed(price)})`,
    };
  }
  if (i.maxMarketQty !== undefined) {
    // The largest MARKET quantity on the step grid passes (Binance spot's 100.05381873 lies off it), one step more does
    // not. Where MARKET_LOT_SIZE is no tighter than LOT_SIZE (USD-M 2021: both 1000), LOT_SIZE refuses it first.
    const marketMax = down(i.maxMarketQty < i.maxQty ? i.maxMarketQty : i.maxQty, i.stepSize);
    cases['maxMarketQty'] = {
      accepted: { request: { type: 'MARKET', price: undefined, quantity: marketMax } },
      refused: { request: { type: 'MARKET', price: undefined, quantity: marketMax + i.stepSize } },
      code: i.maxMarketQty < i.maxQty ? 'MAX_MARKET_QUANTITY' : 'MAX_QUANTITY',
    };
  }
  if (i.maxNotional !== undefined) {
    const most = down((i.maxNotional * SCALE) / P, i.stepSize);
    cases['maxNotional'] = { accepted: { request: { quantity: most } }, refused: { request: { quantity: most + i.stepSize } }, code: 'MAX_NOTIONAL' };
  }
  if (i.reduceOnlyExemptFromMinNotional !== undefined) {
    // Exempt: a reduce-only order below the minimum passes, the same order without reduce-only does not.
    // Not exempt: reduce-only changes nothing.
    const exempt = i.reduceOnlyExemptFromMinNotional;
    cases['reduceOnlyExemptFromMinNotional'] = {
      accepted: { request: { quantity: exempt ? i.minQty : q }, context: { reduceOnly: true } },
      refused: { request: { quantity: i.minQty }, context: { reduceOnly: !exempt } },
      code: 'MIN_NOTIONAL',
    };
  }
  if (i.priceBand !== undefined) {
    // A SELL exactly at reference × askUp passes; one tick above it does not.
    const top = mulFloor(P, i.priceBand.askUp);
    cases['priceBand'] = { accepted: { request: { side: 'SELL', price: top } }, refused: { request: { side: 'SELL', price: top + i.tickSize } }, code: 'PERCENT_PRICE' };
  }
  if (i.trailingBounds !== undefined) {
    const trail = { type: 'TRAILING_STOP_MARKET', side: 'SELL', price: undefined } as const;
    cases['trailingBounds'] = {
      accepted: { request: { ...trail, callbackRate: i.trailingBounds.max } },
      refused: { request: { ...trail, callbackRate: i.trailingBounds.max + d('0.0001') } },
      code: 'TRAILING_DELTA',
    };
  }
  if (i.maxNumOrders !== undefined) {
    cases['maxNumOrders'] = {
      accepted: { request: {}, context: { openOrders: i.maxNumOrders - 1 } },
      refused: { request: {}, context: { openOrders: i.maxNumOrders } },
      code: 'MAX_NUM_ORDERS',
    };
  }
  if (i.maxNumAlgoOrders !== undefined) {
    const n = i.maxNumAlgoOrders;
    cases['maxNumAlgoOrders'] = {
      accepted: { request: { ...stop, stopPrice: P - i.tickSize }, context: { openOrders: n - 1, openAlgoOrders: n - 1 } },
      refused: { request: { ...stop, stopPrice: P - i.tickSize }, context: { openOrders: n, openAlgoOrders: n } },
      code: 'MAX_NUM_ALGO_ORDERS',
    };
  }
  return cases;
}

/** Checks one example against the spec's rules: a BUY LIMIT at P unless the example says otherwise. */
export function runCase(i: Instrument, example: Example, only?: ReadonlySet<RuleName>) {
  const request: OrderRequest = {
    side: 'BUY', type: 'LIMIT', quantity: quantityFor(i, P), quoteOrderQty: undefined, price: P, stopPrice: undefined, activationPrice: undefined, callbackRate: undefined,
    ...example.request,
  };
  const context: PlacementContext = { reduceOnly: false, averagePrice: P, markPrice: P, triggerPrice: P, openOrders: 0, openAlgoOrders: 0, ...example.context };
  return checkExchangeRules(request, i, context, only);
}

/** The spec fields that are filters, plus the always-on rules: the keys `casesFor` must answer. */
export function filterKeysOf(i: Instrument): string[] {
  return [...Object.keys(i).filter((field) => FILTER_FIELDS[field] !== undefined && i[field as keyof Instrument] !== undefined), ...ALWAYS_ON];
}

/**
 * The four bounds of a price band, each at its edge (passes: the bounds are inclusive) and one tick
 * outside (refused): a BUY within [bidDown, bidUp] × the reference, a SELL within [askDown, askUp] × it.
 * The edge is the first tick inside the bound, so a multiplier that does not land on the tick grid still
 * has an edge order that passes.
 */
export function bandEdges(i: Instrument): { readonly label: string; readonly example: Example; readonly ok: boolean }[] {
  const band = i.priceBand;
  if (band === undefined) return [];
  const edges: { label: string; example: Example; ok: boolean }[] = [];
  for (const [side, lowest, highest] of [['BUY', band.bidDown, band.bidUp], ['SELL', band.askDown, band.askUp]] as const) {
    const low = up((P * lowest + SCALE - 1n) / SCALE, i.tickSize);
    const high = down(mulFloor(P, highest), i.tickSize);
    const order = (price: Fixed): Example => ({ request: { side, price, quantity: quantityFor(i, low - i.tickSize) } });
    edges.push(
      { label: `${side} at the lower bound`, example: order(low), ok: true },
      { label: `${side} one tick below it`, example: order(low - i.tickSize), ok: false },
      { label: `${side} at the upper bound`, example: order(high), ok: true },
      { label: `${side} one tick above it`, example: order(high + i.tickSize), ok: false },
    );
  }
  return edges;
}
