import { readFileSync } from 'node:fs';
import ccxt from 'ccxt';
import { describe, expect, it } from 'vitest';
import { parseFixed as d } from '../../core/money/fixed.js';
import { exchangeFile } from '../../test-kit/data-paths.js';
import { filtersFromMarketInfo } from './ccxt-market-filters.js';
import { instrumentFromCcxtMarket } from './instrument-loader.js';

interface ExchangeInfoExcerpt {
  readonly spot: { readonly response: { readonly symbols: Record<string, unknown>[] } };
  readonly usdm: { readonly response: { readonly symbols: Record<string, unknown>[] } };
}

// Binance's real exchangeInfo of 2021 (spot 2021-10-12, USD-M 2021-07-22), BTCUSDT first.
const excerpt = JSON.parse(readFileSync(exchangeFile('binance_exchange_info_excerpt_2021.json'), 'utf8')) as ExchangeInfoExcerpt;

/** ccxt's own parse of one exchangeInfo entry, as loadMarkets would give it. */
function ccxtMarket(kind: 'spot' | 'usdm', entry: Record<string, unknown>) {
  const exchange = kind === 'spot' ? new ccxt.binance() : new ccxt.binanceusdm();
  exchange.options['crossMarginPairsData'] = [];
  exchange.options['isolatedMarginPairsData'] = [];
  const market = (exchange as unknown as { parseMarket(m: unknown): Parameters<typeof instrumentFromCcxtMarket>[1] }).parseMarket(entry);
  return { market, precisionMode: exchange.precisionMode ?? 4 };
}

describe('filters a live instrument takes from the exchange through ccxt', () => {
  it('Binance spot BTCUSDT: PRICE_FILTER 0.01–1000000, PERCENT_PRICE 0.2×–5× the 5-minute average on both sides, MAX_NUM_ORDERS 200, MAX_NUM_ALGO_ORDERS 5', () => {
    const { market, precisionMode } = ccxtMarket('spot', excerpt.spot.response.symbols[0]!);
    const spec = instrumentFromCcxtMarket('binance', market, 'BTCUSDT', precisionMode);
    expect(spec).toMatchObject({
      minPrice: d('0.01'),
      maxPrice: d('1000000'),
      priceBand: { reference: 'average', bidUp: d('5'), bidDown: d('0.2'), askUp: d('5'), askDown: d('0.2'), averageMinutes: 5 },
      maxNumOrders: 200,
      maxNumAlgoOrders: 5,
    });
    // The 2021 entry predates TRAILING_DELTA: the bundled bounds (10–2000 BIPS) stand in.
    expect(spec.trailingBounds).toEqual({ min: d('0.001'), max: d('0.2') });
  });

  it('Binance USD-M BTCUSDT: PRICE_FILTER 556.72–1000000, PERCENT_PRICE 0.85×–1.15× the mark, caps 200 and 10 (field `limit`), callbackRate 0.1 %–10 %, reduce-only exempt', () => {
    const { market, precisionMode } = ccxtMarket('usdm', excerpt.usdm.response.symbols[0]!);
    const spec = instrumentFromCcxtMarket('binance', market, 'BTCUSDT', precisionMode);
    expect(spec).toMatchObject({
      market: 'perpetual',
      minPrice: d('556.72'),
      maxPrice: d('1000000'),
      priceBand: { reference: 'mark', bidUp: d('1.15'), bidDown: d('0.85'), askUp: d('1.15'), askDown: d('0.85'), averageMinutes: 0 },
      maxNumOrders: 200,
      maxNumAlgoOrders: 10,
      trailingBounds: { min: d('0.001'), max: d('0.1') },
      reduceOnlyExemptFromMinNotional: true,
    });
  });

  it('reads PERCENT_PRICE_BY_SIDE and TRAILING_DELTA in the form Binance publishes them today (BIPS: 10 = 0.1 %)', () => {
    const filters = filtersFromMarketInfo('binance', 'spot', {
      filters: [
        { filterType: 'PERCENT_PRICE_BY_SIDE', bidMultiplierUp: '5', bidMultiplierDown: '0.2', askMultiplierUp: '4', askMultiplierDown: '0.3', avgPriceMins: 5 },
        { filterType: 'TRAILING_DELTA', minTrailingAboveDelta: 10, maxTrailingAboveDelta: 2000, minTrailingBelowDelta: 10, maxTrailingBelowDelta: 2000 },
      ],
    });
    expect(filters).toEqual({
      priceBand: { reference: 'average', bidUp: d('5'), bidDown: d('0.2'), askUp: d('4'), askDown: d('0.3'), averageMinutes: 5 },
      trailingBounds: { min: d('0.001'), max: d('0.2') },
    });
  });

  it('MEXC publishes no filters (`filters: []`), and unreadable numbers are left out', () => {
    expect(filtersFromMarketInfo('mexc', 'spot', { filters: [] })).toEqual({});
    expect(filtersFromMarketInfo('binance', 'spot', { filters: [{ filterType: 'PERCENT_PRICE', multiplierUp: 'x', multiplierDown: '0.2' }] })).toEqual({});
  });
});
