/**
 * Instrument specs that ship with papertrade, so that everything runs offline.
 *
 * Sources (see data/PROVENANCE.md):
 * - Binance spot: `/api/v3/exchangeInfo` of 2021-10-12 (its filters still match the 2024 recording:
 *   tick 0.01, step 0.00001); default fees 0.1 % maker and taker; MAX_NUM_ORDERS 200 and
 *   MAX_NUM_ALGO_ORDERS 5 per account and symbol; PRICE_FILTER 0.01–1000000; PERCENT_PRICE 0.2×–5×
 *   the 5-minute average price (published since 2023 as PERCENT_PRICE_BY_SIDE with the same
 *   multipliers on both sides); TRAILING_DELTA 10–2000 BIPS (0.1 %–20 %), the bounds Binance sets on
 *   BTCUSDT and ETHUSDT since trailing stops came to spot in 2022.
 * - Binance USD-M: `/fapi/v1/exchangeInfo` of 2021-07-22, with the 2024 tick of the recording (0.10;
 *   the 2021 file says 0.01); leverage brackets (`/fapi/v1/leverageBracket`) of mid-2024 as published
 *   in freqtrade's `binance_leverage_tiers.json`; liquidation fee 1.25 % (`liquidationFee` in an
 *   exchangeInfo of 2024-03-28); default fees 0.02 % maker, 0.05 % taker; MAX_NUM_ORDERS 200 and
 *   MAX_NUM_ALGO_ORDERS 10; PRICE_FILTER bounds of 2021 (BTCUSDT's 556.72 raised to the 2024 tick);
 *   PERCENT_PRICE 0.85×–1.15× the mark price; callbackRate 0.1 %–10 % (USD-M "New Order");
 *   reduce-only orders exempt from the minimum notional (error -4164).
 * - MEXC spot: ccxt's static MEXC markets (`baseSizePrecision`, `quoteAmountPrecision`,
 *   `maxQuoteAmount`, `filters: []`), with MEXC's current BTCUSDT/ETHUSDT rates (maker 0 %,
 *   taker 0.05 %); MEXC charges spot fees in the quote asset on buys and sells.
 */
import { parseFixed as d, type Fixed } from '../money/fixed.js';
import { validateInstrument, type Instrument, type MarginTier, type PriceBand, type TrailingBounds } from './instrument.js';

/**
 * Builds contiguous margin tiers from (cap, max leverage, maintenance rate) rows; each tier's
 * maintenance amount follows from continuity: cum[n] = cum[n-1] + floor[n] × (rate[n] − rate[n-1]).
 */
export function marginTiers(rows: readonly (readonly [cap: string, maxLeverage: number, rate: string])[]): MarginTier[] {
  const tiers: MarginTier[] = [];
  let floor: Fixed = 0n;
  let previousRate: Fixed = 0n;
  let cum: Fixed = 0n;
  for (const [cap, maxLeverage, rate] of rows) {
    const mmr = d(rate);
    cum += (floor * (mmr - previousRate)) / 10n ** 18n;
    tiers.push({ notionalFloor: floor, notionalCap: d(cap), maxLeverage, maintenanceMarginRate: mmr, maintenanceAmount: cum });
    floor = d(cap);
    previousRate = mmr;
  }
  return tiers;
}

const SPOT_BAND: PriceBand = { reference: 'average', bidUp: d('5'), bidDown: d('0.2'), askUp: d('5'), askDown: d('0.2'), averageMinutes: 5 };
const SPOT_TRAILING: TrailingBounds = { min: d('0.001'), max: d('0.2') };
const USDM_BAND: PriceBand = { reference: 'mark', bidUp: d('1.15'), bidDown: d('0.85'), askUp: d('1.15'), askDown: d('0.85'), averageMinutes: 0 };
const USDM_TRAILING: TrailingBounds = { min: d('0.001'), max: d('0.1') };

const BINANCE_SPOT_SOURCE = 'binance /api/v3/exchangeInfo 2021-10-12 (filters unchanged in 2024)';

export const BUNDLED_INSTRUMENTS: readonly Instrument[] = ([
  {
    symbol: 'BTCUSDT', exchange: 'binance', market: 'spot', base: 'BTC', quote: 'USDT',
    tickSize: d('0.01'), stepSize: d('0.00001'), minQty: d('0.00001'), maxQty: d('9000'),
    maxMarketQty: d('100.05381873'), minNotional: d('10'),
    makerFee: d('0.001'), takerFee: d('0.001'), feeAsset: 'received', baseCommissionPrecision: 8, quoteCommissionPrecision: 8,
    maxNumOrders: 200, maxNumAlgoOrders: 5,
    minPrice: d('0.01'), maxPrice: d('1000000'), priceBand: SPOT_BAND, trailingBounds: SPOT_TRAILING,
    source: BINANCE_SPOT_SOURCE,
  },
  {
    symbol: 'ETHUSDT', exchange: 'binance', market: 'spot', base: 'ETH', quote: 'USDT',
    tickSize: d('0.01'), stepSize: d('0.0001'), minQty: d('0.0001'), maxQty: d('9000'),
    maxMarketQty: d('1600.51202668'), minNotional: d('10'),
    makerFee: d('0.001'), takerFee: d('0.001'), feeAsset: 'received', baseCommissionPrecision: 8, quoteCommissionPrecision: 8,
    maxNumOrders: 200, maxNumAlgoOrders: 5,
    minPrice: d('0.01'), maxPrice: d('1000000'), priceBand: SPOT_BAND, trailingBounds: SPOT_TRAILING,
    source: BINANCE_SPOT_SOURCE,
  },
  {
    symbol: 'BTCUSDT', exchange: 'binance', market: 'perpetual', base: 'BTC', quote: 'USDT',
    tickSize: d('0.1'), minPrice: d('556.8'), maxPrice: d('1000000'), stepSize: d('0.001'), minQty: d('0.001'), maxQty: d('1000'), maxMarketQty: d('120'),
    minNotional: d('100'), makerFee: d('0.0002'), takerFee: d('0.0005'),
    feeAsset: 'received', baseCommissionPrecision: 8, quoteCommissionPrecision: 8, maxLeverage: 125, liquidationFeeRate: d('0.0125'),
    maxNumOrders: 200, maxNumAlgoOrders: 10,
    priceBand: USDM_BAND, trailingBounds: USDM_TRAILING, reduceOnlyExemptFromMinNotional: true,
    marginTiers: marginTiers([
      ['50000', 125, '0.004'], ['600000', 100, '0.005'], ['3000000', 75, '0.0065'], ['12000000', 50, '0.01'],
      ['70000000', 25, '0.02'], ['100000000', 20, '0.025'], ['230000000', 10, '0.05'], ['480000000', 5, '0.1'],
      ['600000000', 4, '0.125'], ['800000000', 3, '0.15'], ['1200000000', 2, '0.25'], ['1800000000', 1, '0.5'],
    ]),
    source: 'binance /fapi/v1/exchangeInfo 2021-07-22 with the 2024 tick (0.10); leverage brackets of mid-2024; liquidation fee of 2024-03',
  },
  {
    symbol: 'ETHUSDT', exchange: 'binance', market: 'perpetual', base: 'ETH', quote: 'USDT',
    tickSize: d('0.01'), minPrice: d('39.86'), maxPrice: d('100000'), stepSize: d('0.001'), minQty: d('0.001'), maxQty: d('10000'), maxMarketQty: d('2000'),
    minNotional: d('20'), makerFee: d('0.0002'), takerFee: d('0.0005'),
    feeAsset: 'received', baseCommissionPrecision: 8, quoteCommissionPrecision: 8, maxLeverage: 125, liquidationFeeRate: d('0.0125'),
    maxNumOrders: 200, maxNumAlgoOrders: 10,
    priceBand: USDM_BAND, trailingBounds: USDM_TRAILING, reduceOnlyExemptFromMinNotional: true,
    marginTiers: marginTiers([
      ['50000', 125, '0.004'], ['600000', 100, '0.005'], ['3000000', 75, '0.0065'], ['12000000', 50, '0.01'],
      ['50000000', 25, '0.02'], ['65000000', 20, '0.025'], ['150000000', 10, '0.05'], ['320000000', 5, '0.1'],
      ['400000000', 4, '0.125'], ['530000000', 3, '0.15'], ['800000000', 2, '0.25'], ['1200000000', 1, '0.5'],
    ]),
    source: 'binance /fapi/v1/exchangeInfo 2021-07-22; leverage brackets of mid-2024; liquidation fee of 2024-03',
  },
  {
    symbol: 'BTCUSDT', exchange: 'mexc', market: 'spot', base: 'BTC', quote: 'USDT',
    tickSize: d('0.01'), stepSize: d('0.000001'), minQty: d('0.000001'), maxQty: d('1000000'),
    minNotional: d('1'), maxNotional: d('2000000'),
    makerFee: d('0'), takerFee: d('0.0005'), feeAsset: 'quote', baseCommissionPrecision: 6, quoteCommissionPrecision: 2,
    source: 'mexc /api/v3/exchangeInfo via ccxt static markets',
  },
  {
    symbol: 'ETHUSDT', exchange: 'mexc', market: 'spot', base: 'ETH', quote: 'USDT',
    tickSize: d('0.01'), stepSize: d('0.0001'), minQty: d('0.0001'), maxQty: d('1000000'),
    minNotional: d('1'), maxNotional: d('2000000'),
    makerFee: d('0'), takerFee: d('0.0005'), feeAsset: 'quote', baseCommissionPrecision: 5, quoteCommissionPrecision: 2,
    source: 'mexc /api/v3/exchangeInfo via ccxt static markets',
  },
] satisfies Instrument[]).map(validateInstrument);

/** Finds a bundled spec; `undefined` when none ships. */
export function findBundledInstrument(exchange: string, market: Instrument['market'], symbol: string): Instrument | undefined {
  const wanted = symbol.replace(/[/_:-]/g, '').toUpperCase();
  return BUNDLED_INSTRUMENTS.find((i) => i.exchange === exchange && i.market === market && i.symbol === wanted);
}

/** The exchanges with a bundled spec (of `market` `symbol` when given), in the order they ship. */
export function bundledExchanges(market?: Instrument['market'], symbol?: string): string[] {
  const wanted = symbol?.replace(/[/_:-]/g, '').toUpperCase();
  return [...new Set(BUNDLED_INSTRUMENTS.filter((i) => (market === undefined || i.market === market) && (wanted === undefined || i.symbol === wanted)).map((i) => i.exchange))];
}
