/**
 * The exchange filters ccxt does not unify, read from a ccxt market's raw `info` (the exchange's own
 * exchangeInfo entry), so that a live instrument carries the same rules as a bundled one.
 *
 * Binance spot (`/api/v3/exchangeInfo`): PRICE_FILTER min/max, PERCENT_PRICE_BY_SIDE (or the older
 * PERCENT_PRICE) around the average price, TRAILING_DELTA in BIPS, MAX_NUM_ORDERS, MAX_NUM_ALGO_ORDERS.
 * Binance USD-M (`/fapi/v1/exchangeInfo`): PRICE_FILTER, PERCENT_PRICE around the mark price,
 * MAX_NUM_ORDERS and MAX_NUM_ALGO_ORDERS (field `limit`); the callback-rate bounds (0.1 %–10 %) and
 * the reduce-only exemption from the minimum notional are rules of its New Order endpoint, not filters.
 * MEXC sends `filters: []`: nothing to read. A filter whose numbers cannot be parsed is left out.
 * TRAILING_DELTA's above and below bounds are taken together as their narrower range.
 */
import type { Instrument, PriceBand, TrailingBounds } from '../../core/instruments/instrument.js';
import { parseFixed, type Fixed } from '../../core/money/fixed.js';

type Filters = Pick<Instrument, 'minPrice' | 'maxPrice' | 'priceBand' | 'trailingBounds' | 'maxNumOrders' | 'maxNumAlgoOrders' | 'reduceOnlyExemptFromMinNotional'>;

const USDM_TRAILING: TrailingBounds = { min: parseFixed('0.001'), max: parseFixed('0.1') };

function positive(value: unknown): Fixed | undefined {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string' || !/^\d+(\.\d+)?$/.test(text)) return undefined;
  const fixed = parseFixed(text);
  return fixed > 0n ? fixed : undefined;
}

function count(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** The filters of one market's `info`; `kind` says whether the band refers to the average or the mark. */
export function filtersFromMarketInfo(exchangeId: string, kind: Instrument['market'], info: unknown): Filters {
  const raw = (info as { filters?: unknown } | undefined)?.filters;
  const list = Array.isArray(raw) ? (raw as Record<string, unknown>[]) : [];
  const find = (type: string) => list.find((f) => f?.filterType === type);
  const out: { -readonly [K in keyof Filters]: Filters[K] } = {};

  const price = find('PRICE_FILTER');
  const minPrice = positive(price?.minPrice);
  const maxPrice = positive(price?.maxPrice);
  if (minPrice !== undefined) out.minPrice = minPrice;
  if (maxPrice !== undefined && maxPrice > (minPrice ?? 0n)) out.maxPrice = maxPrice;

  const bySide = find('PERCENT_PRICE_BY_SIDE');
  const percent = find('PERCENT_PRICE');
  const band = ((): PriceBand | undefined => {
    const reference = kind === 'perpetual' ? 'mark' : 'average';
    const minutes = count(bySide?.avgPriceMins ?? percent?.avgPriceMins) ?? 0;
    if (bySide !== undefined) {
      const [bidUp, bidDown, askUp, askDown] = [bySide.bidMultiplierUp, bySide.bidMultiplierDown, bySide.askMultiplierUp, bySide.askMultiplierDown].map(positive);
      if (bidUp === undefined || bidDown === undefined || askUp === undefined || askDown === undefined) return undefined;
      return { reference, bidUp, bidDown, askUp, askDown, averageMinutes: minutes };
    }
    if (percent !== undefined) {
      const [up, down] = [positive(percent.multiplierUp), positive(percent.multiplierDown)];
      if (up === undefined || down === undefined) return undefined;
      return { reference, bidUp: up, bidDown: down, askUp: up, askDown: down, averageMinutes: kind === 'perpetual' ? 0 : minutes };
    }
    return undefined;
  })();
  if (band !== undefined && band.bidUp > band.bidDown && band.askUp > band.askDown) out.priceBand = band;

  const trailing = find('TRAILING_DELTA');
  if (trailing !== undefined) {
    const lowest = Math.max(count(trailing.minTrailingAboveDelta) ?? 0, count(trailing.minTrailingBelowDelta) ?? 0);
    const highest = Math.min(count(trailing.maxTrailingAboveDelta) ?? 0, count(trailing.maxTrailingBelowDelta) ?? 0);
    if (lowest > 0 && highest >= lowest && highest < 10_000) {
      out.trailingBounds = { min: parseFixed(String(lowest)) / 10_000n, max: parseFixed(String(highest)) / 10_000n };
    }
  } else if (exchangeId === 'binance' && kind === 'perpetual') {
    out.trailingBounds = USDM_TRAILING;
  }

  const orders = find('MAX_NUM_ORDERS');
  const maxNumOrders = count(orders?.maxNumOrders ?? orders?.limit);
  if (maxNumOrders !== undefined) out.maxNumOrders = maxNumOrders;
  const algo = find('MAX_NUM_ALGO_ORDERS');
  const maxNumAlgoOrders = count(algo?.maxNumAlgoOrders ?? algo?.limit);
  if (maxNumAlgoOrders !== undefined) out.maxNumAlgoOrders = maxNumAlgoOrders;

  if (exchangeId === 'binance' && kind === 'perpetual') out.reduceOnlyExemptFromMinNotional = true;
  return out;
}
