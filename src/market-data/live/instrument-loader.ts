/**
 * Instrument specs for live symbols: from the exchange's markets through ccxt (`loadMarkets`),
 * cached to a JSON file (the raw ccxt market objects, so a later offline start can also hand them
 * back to ccxt with `setMarkets`), with papertrade's bundled specs as the last fallback.
 *
 * Guarantees: tick and step come from ccxt's precision in either of its modes (TICK_SIZE or
 * DECIMAL_PLACES; SIGNIFICANT_DIGITS is refused); every number is parsed exactly from its decimal
 * string; a spec that `validateInstrument` refuses is not used. Perpetuals take their margin tiers
 * from the bundled spec (ccxt needs keys for leverage tiers); without one they are refused. The
 * filters ccxt does not unify (price bounds and bands, trailing bounds, open-order caps) come from
 * the market's raw `info` (ccxt-market-filters.ts), else from the bundled spec.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MarketInterface as Market } from 'ccxt';
import { findBundledInstrument } from '../../core/instruments/bundled-instruments.js';
import { validateInstrument, type Instrument } from '../../core/instruments/instrument.js';
import { parseFixed, type Fixed } from '../../core/money/fixed.js';
import { decimalString } from './book-state.js';
import { filtersFromMarketInfo } from './ccxt-market-filters.js';

const DECIMAL_PLACES = 2;
const SIGNIFICANT_DIGITS = 3;

function fixedOf(value: unknown): Fixed | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return parseFixed(decimalString(value));
  if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value)) return parseFixed(value);
  return undefined;
}

/** A fee rate, which may be negative (a maker rebate); undefined when not a number. */
function rateOf(value: unknown): Fixed | undefined {
  if (typeof value === 'number' && value < 0) {
    const magnitude = fixedOf(-value);
    return magnitude === undefined ? undefined : -magnitude;
  }
  if (typeof value === 'string' && value.startsWith('-')) {
    const magnitude = fixedOf(value.slice(1));
    return magnitude === undefined ? undefined : -magnitude;
  }
  return fixedOf(value);
}

function increment(value: unknown, precisionMode: number): Fixed | undefined {
  if (precisionMode === SIGNIFICANT_DIGITS) return undefined;
  if (precisionMode === DECIMAL_PLACES) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 18) return undefined;
    return parseFixed(value === 0 ? '1' : `0.${'0'.repeat(value - 1)}1`);
  }
  return fixedOf(value);
}

/** A ccxt market → an Instrument named `kernelSymbol`; throws with the reason when it cannot. */
export function instrumentFromCcxtMarket(exchangeId: string, market: Market, kernelSymbol: string, precisionMode: number): Instrument {
  const kind = market.spot ? 'spot' : market.swap && market.linear ? 'perpetual' : undefined;
  if (kind === undefined) throw new Error(`${exchangeId} ${market.symbol}: only spot and linear perpetual markets are supported`);
  const tickSize = increment(market.precision.price, precisionMode);
  const stepSize = increment(market.precision.amount, precisionMode);
  if (tickSize === undefined || stepSize === undefined) throw new Error(`${exchangeId} ${market.symbol}: no usable price/amount precision`);
  const bundled = findBundledInstrument(exchangeId, kind, String(market.id));
  const maker = rateOf(market.maker) ?? bundled?.makerFee;
  const taker = rateOf(market.taker) ?? bundled?.takerFee;
  if (maker === undefined || taker === undefined) throw new Error(`${exchangeId} ${market.symbol}: no fee rates`);
  if (kind === 'perpetual' && bundled?.marginTiers === undefined) throw new Error(`${exchangeId} ${market.symbol}: no margin tiers for this perpetual (none bundled)`);
  const maxMarketQty = fixedOf(market.limits.market?.max);
  const maxNotional = fixedOf(market.limits.cost?.max);
  const loaded = filtersFromMarketInfo(exchangeId, kind, market.info);
  return validateInstrument({
    symbol: kernelSymbol,
    exchange: exchangeId,
    market: kind,
    base: market.base,
    quote: market.quote,
    tickSize,
    stepSize,
    minQty: fixedOf(market.limits.amount?.min) ?? stepSize,
    maxQty: fixedOf(market.limits.amount?.max) ?? parseFixed('1000000000'),
    ...(maxMarketQty !== undefined ? { maxMarketQty } : {}),
    minNotional: fixedOf(market.limits.cost?.min) ?? 0n,
    ...(maxNotional !== undefined ? { maxNotional } : {}),
    makerFee: maker,
    takerFee: taker,
    feeAsset: bundled?.feeAsset ?? (exchangeId === 'mexc' ? 'quote' : 'received'),
    baseCommissionPrecision: bundled?.baseCommissionPrecision ?? 8,
    quoteCommissionPrecision: bundled?.quoteCommissionPrecision ?? 8,
    ...(bundled?.maxLeverage !== undefined ? { maxLeverage: bundled.maxLeverage } : {}),
    ...(bundled?.marginTiers !== undefined ? { marginTiers: bundled.marginTiers } : {}),
    ...(bundled?.liquidationFeeRate !== undefined ? { liquidationFeeRate: bundled.liquidationFeeRate } : {}),
    ...(bundled === undefined ? {} : bundledFilters(bundled)),
    ...loaded,
    source: `${exchangeId} markets via ccxt loadMarkets`,
  });
}

/** The bundled spec's filters, the fallback for those the market's `info` does not give. */
function bundledFilters(spec: Instrument): Partial<Instrument> {
  const { minPrice, maxPrice, priceBand, trailingBounds, maxNumOrders, maxNumAlgoOrders, reduceOnlyExemptFromMinNotional } = spec;
  const entries = Object.entries({ minPrice, maxPrice, priceBand, trailingBounds, maxNumOrders, maxNumAlgoOrders, reduceOnlyExemptFromMinNotional });
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined)) as Partial<Instrument>;
}

/** The bundled spec renamed to `kernelSymbol`, or undefined. */
export function bundledInstrumentFor(exchangeId: string, symbol: string, kernelSymbol: string, kind: Instrument['market'] = 'spot'): Instrument | undefined {
  const spec = findBundledInstrument(exchangeId, kind, symbol);
  return spec === undefined ? undefined : { ...spec, symbol: kernelSymbol, source: `${spec.source} (bundled fallback)` };
}

export interface MarketCacheFile {
  readonly version: 1;
  readonly savedAt: string;
  /** exchange id → unified symbol → ccxt market object. */
  readonly exchanges: Record<string, Record<string, Market>>;
}

export function readMarketCache(file: string): MarketCacheFile | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as MarketCacheFile;
    return parsed.version === 1 && typeof parsed.exchanges === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Merges the given markets into the cache file (written atomically). */
export function writeMarketCache(file: string, exchangeId: string, markets: readonly Market[], now: Date = new Date()): void {
  const current = readMarketCache(file);
  const exchanges = { ...(current?.exchanges ?? {}) };
  exchanges[exchangeId] = { ...(exchanges[exchangeId] ?? {}), ...Object.fromEntries(markets.map((m) => [m.symbol, m])) };
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ version: 1, savedAt: now.toISOString(), exchanges } satisfies MarketCacheFile, null, 1)}\n`);
  renameSync(tmp, file);
}
