import { describe, expect, it } from 'vitest';
import { BUNDLED_INSTRUMENTS } from '../instruments/bundled-instruments.js';
import type { Instrument } from '../instruments/instrument.js';
import { formatFixed, parseFixed as d } from '../money/fixed.js';
import { bandEdges, casesFor, FILTER_FIELDS, filterKeysOf, NOT_FILTERS, runCase } from '../../test-kit/exchange-rule-cases.js';
import { rulesOf, RULE_NAMES, SPEC_RULES } from './exchange-rules.js';

const name = (i: Instrument) => `${i.exchange} ${i.market} ${i.symbol}`;

describe('every filter of every bundled spec refuses one order and accepts another', () => {
  for (const instrument of BUNDLED_INSTRUMENTS) {
    it(`${name(instrument)}: each field is a filter with a rule or named as no filter`, () => {
      for (const field of Object.keys(instrument)) {
        expect(FILTER_FIELDS[field] !== undefined || NOT_FILTERS.has(field), `${name(instrument)}.${field} is neither a filter with a rule nor a named non-filter`).toBe(true);
        const rule = FILTER_FIELDS[field];
        if (rule !== undefined) expect(rulesOf(instrument), `${field} is enforced by ${rule}`).toContain(rule);
      }
    });

    // The walk goes over the spec's own fields: a filter field without a case fails here.
    const cases = casesFor(instrument);
    for (const key of filterKeysOf(instrument)) {
      const rule = FILTER_FIELDS[key] ?? key;
      it(`${name(instrument)} ${rule} (${key}): one order passes, the other is refused with ${cases[key]?.code ?? 'a case it lacks'}`, () => {
        const c = cases[key];
        expect(c, `no accepted/refused case for ${key}`).toBeDefined();
        const accepted = runCase(instrument, c!.accepted);
        expect(accepted.ok, accepted.ok ? '' : accepted.error.message).toBe(true);
        const refused = runCase(instrument, c!.refused);
        expect(refused).toMatchObject({ ok: false, error: { code: c!.code } });
        if (c!.message !== undefined && !refused.ok) {
          if (typeof c!.message === 'string') expect(refused.error.message).toBe(c!.message);
          else expect(refused.error.message).toMatch(c!.message);
        }
      });
    }

    if (instrument.priceBand !== undefined) {
      it(`${name(instrument)} PERCENT_PRICE: each of the four bounds passes at its edge and refuses one tick beyond`, () => {
        for (const edge of bandEdges(instrument)) {
          const result = runCase(instrument, edge.example);
          expect(result.ok, edge.label).toBe(edge.ok);
          if (!result.ok) expect(result.error.code, edge.label).toBe('PERCENT_PRICE');
        }
      });
    }

    it(`${name(instrument)}: every rule the spec switches on is walked`, () => {
      const walked = new Set(filterKeysOf(instrument).map((key) => FILTER_FIELDS[key] ?? key));
      expect([...walked].sort()).toEqual(rulesOf(instrument).sort());
    });
  }

  it('the rule list names each rule once, and every rule has examples', () => {
    expect(new Set(RULE_NAMES).size).toBe(RULE_NAMES.length);
    // Each rule is switched on by a spec field or holds always, and the bundled specs between them walk every one.
    const walked = new Set(BUNDLED_INSTRUMENTS.flatMap((i) => filterKeysOf(i).map((key) => FILTER_FIELDS[key] ?? key)));
    expect([...walked].sort()).toEqual([...RULE_NAMES].sort());
  });

  it('a reduce-only order below the minimum notional passes where the spec exempts it (Binance USD-M) and nowhere else', () => {
    for (const instrument of BUNDLED_INSTRUMENTS) {
      const small = runCase(instrument, { request: { quantity: instrument.minQty }, context: { reduceOnly: true } });
      expect(small.ok, name(instrument)).toBe(instrument.reduceOnlyExemptFromMinNotional === true);
    }
    expect(BUNDLED_INSTRUMENTS.filter((i) => i.reduceOnlyExemptFromMinNotional === true).map(name)).toEqual(['binance perpetual BTCUSDT', 'binance perpetual ETHUSDT']);
  });

  it('the band bounds are inclusive on both sides and per side: a spot BUY at exactly 0.2× and 5× the average passes', () => {
    const spot = BUNDLED_INSTRUMENTS.find((i) => i.exchange === 'binance' && i.market === 'spot')!;
    // 2000 × 0.2 = 400 and 2000 × 5 = 10000, by hand; quantities keep the notional above 10 USDT.
    const at = (side: 'BUY' | 'SELL', price: string) => runCase(spot, { request: { side, price: d(price), quantity: d('0.05') } });
    expect([at('BUY', '400').ok, at('BUY', '399.99').ok, at('BUY', '10000').ok, at('BUY', '10000.01').ok]).toEqual([true, false, true, false]);
    expect([at('SELL', '400').ok, at('SELL', '399.99').ok]).toEqual([true, false]);
    expect(formatFixed(spot.priceBand!.askDown)).toBe('0.2');
  });
});

describe('SPEC_RULES: the rules a caller may ask before the order is due', () => {
  // Binance's PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE and TRAILING_DELTA compare the order's own fields
  // with the symbol's fixed numbers; PERCENT_PRICE reads the average or mark price, NOTIONAL a MARKET
  // order's average price, a stop or an activation the last (or mark) price, the caps the open orders.
  it('are the four filters on the order alone', () => {
    expect([...SPEC_RULES]).toEqual(['PRICE_FILTER', 'LOT_SIZE', 'MARKET_LOT_SIZE', 'TRAILING_DELTA']);
  });

  // Markets and accounts as unlike the walk's as can be: no trade yet; every price 1; every cap reached.
  const contexts = [
    { averagePrice: undefined, markPrice: undefined, triggerPrice: undefined },
    { averagePrice: d('1'), markPrice: d('1'), triggerPrice: d('1'), openOrders: 1_000_000, openAlgoOrders: 1_000_000 },
    { averagePrice: d('1000000000'), markPrice: d('1000000000'), triggerPrice: d('1000000000'), reduceOnly: true },
  ];
  for (const instrument of BUNDLED_INSTRUMENTS) {
    it(`${name(instrument)}: answer each walk case of theirs the same in any market`, () => {
      const only = new Set(SPEC_RULES);
      const cases = casesFor(instrument);
      for (const key of filterKeysOf(instrument)) {
        const rule = FILTER_FIELDS[key] ?? key;
        if (!only.has(rule as (typeof SPEC_RULES)[number])) continue;
        const c = cases[key]!;
        for (const context of contexts) {
          const accepted = runCase(instrument, { request: c.accepted.request, context: { ...c.accepted.context, ...context } }, only);
          expect(accepted.ok, `${key} accepted in ${JSON.stringify(context, (_k, v) => (typeof v === 'bigint' ? formatFixed(v) : v))}`).toBe(true);
          const refused = runCase(instrument, { request: c.refused.request, context: { ...c.refused.context, ...context } }, only);
          expect(refused, `${key} refused`).toMatchObject({ ok: false, error: { code: c.code } });
        }
      }
    });
  }
});
