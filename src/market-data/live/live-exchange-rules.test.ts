import { readFileSync } from 'node:fs';
import ccxt from 'ccxt';
import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../../core/instruments/bundled-instruments.js';
import type { Instrument } from '../../core/instruments/instrument.js';
import { rulesOf } from '../../core/matching/exchange-rules.js';
import { formatFixed, parseFixed as d } from '../../core/money/fixed.js';
import { exchangeFile } from '../../test-kit/data-paths.js';
import { bandEdges, casesFor, EXCHANGE_FILTER_TYPES, FILTER_FIELDS, filterKeysOf, runCase } from '../../test-kit/exchange-rule-cases.js';
import { instrumentFromCcxtMarket } from './instrument-loader.js';

// The same walk as the bundled specs' (core/matching/exchange-rules.test.ts), over specs loaded from
// the exchange's own exchangeInfo through ccxt, as live data mode loads them: every filterType the
// exchange sends is either enforced by a rule or named as not modelled, and each rule the loaded spec
// carries accepts one order and refuses another.

type Entry = Record<string, unknown> & { readonly symbol: string; readonly filters: readonly Record<string, unknown>[] };

interface ExchangeInfoExcerpt {
  readonly spot: { readonly response: { readonly symbols: Entry[] } };
  readonly usdm: { readonly response: { readonly symbols: Entry[] } };
}

// Binance's real exchangeInfo of 2021 (spot 2021-10-12, USD-M 2021-07-22).
const excerpt = JSON.parse(readFileSync(exchangeFile('binance_exchange_info_excerpt_2021.json'), 'utf8')) as ExchangeInfoExcerpt;

/**
 * BTCUSDT as Binance's spot "Filters" page documents the filters today: the band per side
 * (PERCENT_PRICE_BY_SIDE), NOTIONAL with a maximum, TRAILING_DELTA in BIPS, MAX_NUM_ICEBERG_ORDERS,
 * MAX_POSITION; the rest of the entry is the 2021 one.
 */
function todaysSpotEntry(): Entry {
  const old = excerpt.spot.response.symbols[0]!;
  const keep = old.filters.filter((f) => ['PRICE_FILTER', 'LOT_SIZE', 'ICEBERG_PARTS', 'MARKET_LOT_SIZE', 'MAX_NUM_ORDERS', 'MAX_NUM_ALGO_ORDERS'].includes(String(f['filterType'])));
  return {
    ...old,
    filters: [
      ...keep,
      { filterType: 'PERCENT_PRICE_BY_SIDE', bidMultiplierUp: '5', bidMultiplierDown: '0.2', askMultiplierUp: '5', askMultiplierDown: '0.2', avgPriceMins: 5 },
      { filterType: 'NOTIONAL', minNotional: '5.00000000', applyMinToMarket: true, maxNotional: '9000000.00000000', applyMaxToMarket: false, avgPriceMins: 5 },
      { filterType: 'TRAILING_DELTA', minTrailingAboveDelta: 10, maxTrailingAboveDelta: 2000, minTrailingBelowDelta: 10, maxTrailingBelowDelta: 2000 },
      { filterType: 'MAX_NUM_ICEBERG_ORDERS', maxNumIcebergOrders: 5 },
      { filterType: 'MAX_POSITION', maxPosition: '10.00000000' },
    ],
  };
}

/** ccxt's own parse of one exchangeInfo entry, as loadMarkets gives it, then the live loader's spec. */
function loaded(kind: 'spot' | 'usdm', entry: Entry): Instrument {
  const exchange = kind === 'spot' ? new ccxt.binance() : new ccxt.binanceusdm();
  exchange.options['crossMarginPairsData'] = [];
  exchange.options['isolatedMarginPairsData'] = [];
  const market = (exchange as unknown as { parseMarket(m: unknown): Parameters<typeof instrumentFromCcxtMarket>[1] }).parseMarket(entry);
  return instrumentFromCcxtMarket('binance', market, entry.symbol, exchange.precisionMode ?? 4);
}

function mexcLoaded(symbol: string): { spec: Instrument; info: unknown } {
  const exchange = new ccxt.mexc();
  const markets = JSON.parse(readFileSync(exchangeFile('ccxt_static_markets_mexc_excerpt.json'), 'utf8')) as Record<string, unknown>;
  exchange.setMarkets(Object.values(markets) as never);
  const market = exchange.market(symbol);
  return { spec: instrumentFromCcxtMarket('mexc', market, String(market.id).replace('_', ''), exchange.precisionMode ?? 4), info: market.info };
}

const SOURCES: readonly { readonly name: string; readonly spec: () => Instrument; readonly filters: () => readonly Record<string, unknown>[] }[] = [
  ...excerpt.spot.response.symbols.map((e) => ({ name: `Binance spot ${e.symbol} (exchangeInfo 2021)`, spec: () => loaded('spot', e), filters: () => e.filters })),
  ...excerpt.usdm.response.symbols.map((e) => ({ name: `Binance USD-M ${e.symbol} (exchangeInfo 2021)`, spec: () => loaded('usdm', e), filters: () => e.filters })),
  { name: 'Binance spot BTCUSDT (filters as documented today)', spec: () => loaded('spot', todaysSpotEntry()), filters: () => todaysSpotEntry().filters },
  ...['BTC/USDT', 'ETH/USDT'].map((s) => ({
    name: `MEXC spot ${s} (ccxt markets)`,
    spec: () => mexcLoaded(s).spec,
    filters: () => ((mexcLoaded(s).info as { filters?: Record<string, unknown>[] }).filters ?? []),
  })),
];

describe('every filter the exchange sends, loaded through ccxt, refuses one order and accepts another', () => {
  for (const source of SOURCES) {
    const spec = source.spec();

    it(`${source.name}: every filterType is enforced by its rule, or named as not modelled`, () => {
      for (const filter of source.filters()) {
        const type = String(filter['filterType']);
        const known = EXCHANGE_FILTER_TYPES[type];
        expect(known, `${source.name}: filterType ${type} has no rule and is not named as not modelled`).toBeDefined();
        if (typeof known === 'string') expect(rulesOf(spec), `${type} → ${known}`).toContain(known);
      }
    });

    const cases = casesFor(spec);
    for (const key of filterKeysOf(spec)) {
      const rule = FILTER_FIELDS[key] ?? key;
      it(`${source.name} ${rule} (${key}): one order passes, the other is refused with ${cases[key]?.code ?? 'a case it lacks'}`, () => {
        const c = cases[key];
        expect(c, `no accepted/refused case for ${key}`).toBeDefined();
        const accepted = runCase(spec, c!.accepted);
        expect(accepted.ok, accepted.ok ? '' : accepted.error.message).toBe(true);
        const refused = runCase(spec, c!.refused);
        expect(refused).toMatchObject({ ok: false, error: { code: c!.code } });
        if (c!.message !== undefined && !refused.ok) expect(refused.error.message).toMatch(c!.message);
      });
    }
  }

  it('PERCENT_PRICE_BY_SIDE with different multipliers per side (BUY 0.2×–5×, SELL 0.3×–4×): each of the four bounds passes at its edge and refuses one tick beyond', () => {
    const entry = todaysSpotEntry();
    const bySide = {
      ...entry,
      filters: entry.filters.map((f) => (f['filterType'] === 'PERCENT_PRICE_BY_SIDE' ? { ...f, askMultiplierUp: '4', askMultiplierDown: '0.3' } : f)),
    };
    const spec = loaded('spot', bySide);
    // Around 2000: a BUY within 400–10000, a SELL within 600–8000, by hand.
    const edges = bandEdges(spec);
    expect(edges.map((e) => [e.label, e.example.request.price])).toEqual([
      ['BUY at the lower bound', d('400')], ['BUY one tick below it', d('399.99')], ['BUY at the upper bound', d('10000')], ['BUY one tick above it', d('10000.01')],
      ['SELL at the lower bound', d('600')], ['SELL one tick below it', d('599.99')], ['SELL at the upper bound', d('8000')], ['SELL one tick above it', d('8000.01')],
    ]);
    for (const edge of edges) {
      const result = runCase(spec, edge.example);
      expect(result.ok, edge.label).toBe(edge.ok);
      if (!result.ok) expect(result.error.code, edge.label).toBe('PERCENT_PRICE');
    }
  });

  it('the bundled Binance specs carry the filters of the exchangeInfo they cite, except the later figures bundled-instruments.ts takes for USD-M', () => {
    const fields = ['tickSize', 'minPrice', 'maxPrice', 'stepSize', 'minQty', 'maxQty', 'maxMarketQty', 'minNotional', 'maxNotional', 'maxNumOrders', 'maxNumAlgoOrders', 'priceBand'] as const;
    const show = (v: unknown) => (typeof v === 'bigint' ? formatFixed(v) : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? formatFixed(x) : x)));
    const differences = (kind: 'spot' | 'usdm', entry: Entry) => {
      const live = loaded(kind, entry);
      const bundled = findBundledInstrument('binance', kind === 'spot' ? 'spot' : 'perpetual', entry.symbol)!;
      return fields.filter((f) => show(live[f]) !== show(bundled[f])).map((f) => `${f} ${show(live[f])} → ${show(bundled[f])}`);
    };
    for (const entry of excerpt.spot.response.symbols) expect(differences('spot', entry), entry.symbol).toEqual([]);
    // USD-M: the 2024 tick of the recording (and minPrice on it), and later MARKET_LOT_SIZE and minimum notional figures.
    expect(differences('usdm', excerpt.usdm.response.symbols[0]!)).toEqual(['tickSize 0.01 → 0.1', 'minPrice 556.72 → 556.8', 'maxMarketQty 1000 → 120', 'minNotional 5 → 100']);
    expect(differences('usdm', excerpt.usdm.response.symbols[1]!)).toEqual(['maxMarketQty 10000 → 2000', 'minNotional 5 → 20']);
  });

  it("today's spot form carries the exchange's numbers: NOTIONAL 5–9,000,000, TRAILING_DELTA 10–2000 BIPS, the band per side", () => {
    const spec = loaded('spot', todaysSpotEntry());
    expect(spec).toMatchObject({
      minNotional: d('5'),
      maxNotional: d('9000000'),
      trailingBounds: { min: d('0.001'), max: d('0.2') },
      priceBand: { reference: 'average', bidUp: d('5'), bidDown: d('0.2'), askUp: d('5'), askDown: d('0.2'), averageMinutes: 5 },
      maxNumOrders: 200,
      maxNumAlgoOrders: 5,
    });
  });
});
