import { describe, expect, it } from 'vitest';
import { BUNDLED_INSTRUMENTS } from '../instruments/bundled-instruments.js';
import type { Instrument } from '../instruments/instrument.js';
import { formatFixed, parseFixed as d, SCALE, type Fixed } from '../money/fixed.js';
import type { OrderRequest } from '../orders/order-validation.js';
import type { RejectionCode } from '../orders/rejection.js';
import { checkExchangeRules, rulesOf, RULE_NAMES, type PlacementContext, type RuleName } from './exchange-rules.js';

/** Which rule enforces each field of a spec; the other fields are no order filter (fees, margin, naming). */
const FILTER_FIELDS: Readonly<Record<string, RuleName>> = {
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
const NOT_FILTERS = new Set([
  'symbol', 'exchange', 'market', 'base', 'quote', 'makerFee', 'takerFee', 'feeAsset', 'baseCommissionPrecision', 'quoteCommissionPrecision',
  // Leverage per notional bracket is checked at placement too (INVALID_LEVERAGE), with the margin model (accounts/position.ts).
  'maxLeverage', 'marginTiers', 'liquidationFeeRate', 'source',
]);

/** A reference price every bundled spec can trade at: inside each PRICE_FILTER, and bands land on each tick. */
const P = d('2000');

interface Example {
  readonly request: Partial<OrderRequest>;
  readonly context?: Partial<PlacementContext>;
}

interface RuleExamples {
  readonly accepted: Example;
  readonly refused: Example;
  readonly code: RejectionCode;
}

const mulFloor = (a: Fixed, b: Fixed): Fixed => (a * b) / SCALE;

/** The smallest quantity on the step grid whose notional at `price` is at least twice the minimum. */
function quantityFor(i: Instrument, price: Fixed): Fixed {
  const wanted = (2n * i.minNotional * SCALE + price - 1n) / price;
  const steps = (wanted + i.stepSize - 1n) / i.stepSize;
  const q = steps * i.stepSize;
  return q < i.minQty ? i.minQty : q;
}

/** One accepted and one refused order per rule, built from the spec's own numbers. */
function examplesFor(i: Instrument): Record<RuleName, RuleExamples> {
  const q = quantityFor(i, P);
  const stop = { type: 'STOP_LOSS', side: 'SELL', price: undefined, quantity: q } as const;
  const marketMax = ((i.maxMarketQty ?? 0n) / i.stepSize) * i.stepSize;
  return {
    PRICE_FILTER: { accepted: { request: { price: P } }, refused: { request: { price: P + i.tickSize / 2n } }, code: 'INVALID_PRICE' },
    LOT_SIZE: { accepted: { request: { quantity: q } }, refused: { request: { quantity: q + i.stepSize / 2n } }, code: 'INVALID_QUANTITY' },
    MARKET_LOT_SIZE: {
      // The largest MARKET quantity on the step grid passes (Binance spot's 100.05381873 lies off it), one step more does not.
      accepted: { request: { type: 'MARKET', price: undefined, quantity: marketMax } },
      refused: { request: { type: 'MARKET', price: undefined, quantity: marketMax + i.stepSize } },
      code: 'MAX_MARKET_QUANTITY',
    },
    NOTIONAL: { accepted: { request: { quantity: q } }, refused: { request: { quantity: i.minQty } }, code: 'MIN_NOTIONAL' },
    PERCENT_PRICE: {
      // A SELL exactly at reference × askUp passes; one tick above it does not.
      accepted: { request: { side: 'SELL', price: mulFloor(P, i.priceBand?.askUp ?? SCALE) } },
      refused: { request: { side: 'SELL', price: mulFloor(P, i.priceBand?.askUp ?? SCALE) + i.tickSize } },
      code: 'PERCENT_PRICE',
    },
    TRAILING_DELTA: {
      accepted: { request: { type: 'TRAILING_STOP_MARKET', side: 'SELL', price: undefined, callbackRate: i.trailingBounds?.max } },
      refused: { request: { type: 'TRAILING_STOP_MARKET', side: 'SELL', price: undefined, callbackRate: (i.trailingBounds?.max ?? 0n) + d('0.0001') } },
      code: 'TRAILING_DELTA',
    },
    STOP_TRIGGER: {
      // A sell stop-loss waits below the price; at the price it would fire at once.
      accepted: { request: { ...stop, stopPrice: P - i.tickSize } },
      refused: { request: { ...stop, stopPrice: P } },
      code: 'WOULD_TRIGGER_IMMEDIATELY',
    },
    MAX_NUM_ORDERS: {
      accepted: { request: {}, context: { openOrders: (i.maxNumOrders ?? 1) - 1 } },
      refused: { request: {}, context: { openOrders: i.maxNumOrders ?? 0 } },
      code: 'MAX_NUM_ORDERS',
    },
    MAX_NUM_ALGO_ORDERS: {
      accepted: { request: { ...stop, stopPrice: P - i.tickSize }, context: { openOrders: (i.maxNumAlgoOrders ?? 1) - 1, openAlgoOrders: (i.maxNumAlgoOrders ?? 1) - 1 } },
      refused: { request: { ...stop, stopPrice: P - i.tickSize }, context: { openOrders: i.maxNumAlgoOrders ?? 0, openAlgoOrders: i.maxNumAlgoOrders ?? 0 } },
      code: 'MAX_NUM_ALGO_ORDERS',
    },
  };
}

function run(i: Instrument, example: Example) {
  const q = quantityFor(i, P);
  const request: OrderRequest = {
    side: 'BUY', type: 'LIMIT', quantity: q, quoteOrderQty: undefined, price: P, stopPrice: undefined, activationPrice: undefined, callbackRate: undefined,
    ...example.request,
  };
  const context: PlacementContext = { reduceOnly: false, averagePrice: P, markPrice: P, triggerPrice: P, openOrders: 0, openAlgoOrders: 0, ...example.context };
  return checkExchangeRules(request, i, context);
}

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

    const examples = examplesFor(instrument);
    for (const rule of rulesOf(instrument)) {
      it(`${name(instrument)} ${rule}: one order passes, the other is refused with ${examples[rule].code}`, () => {
        const accepted = run(instrument, examples[rule].accepted);
        expect(accepted.ok, accepted.ok ? '' : accepted.error.message).toBe(true);
        const refused = run(instrument, examples[rule].refused);
        expect(refused).toMatchObject({ ok: false, error: { code: examples[rule].code } });
      });
    }
  }

  it('the rule list names each rule once, and every rule has examples', () => {
    expect(new Set(RULE_NAMES).size).toBe(RULE_NAMES.length);
    const any = BUNDLED_INSTRUMENTS[0]!;
    expect(Object.keys(examplesFor(any)).sort()).toEqual([...RULE_NAMES].sort());
  });

  it('a reduce-only order below the minimum notional passes where the spec exempts it (Binance USD-M) and nowhere else', () => {
    for (const instrument of BUNDLED_INSTRUMENTS) {
      const small = run(instrument, { request: { quantity: instrument.minQty }, context: { reduceOnly: true } });
      expect(small.ok, name(instrument)).toBe(instrument.reduceOnlyExemptFromMinNotional === true);
    }
    expect(BUNDLED_INSTRUMENTS.filter((i) => i.reduceOnlyExemptFromMinNotional === true).map(name)).toEqual(['binance perpetual BTCUSDT', 'binance perpetual ETHUSDT']);
  });

  it('the band bounds are inclusive on both sides and per side: a spot BUY at exactly 0.2× and 5× the average passes', () => {
    const spot = BUNDLED_INSTRUMENTS.find((i) => i.exchange === 'binance' && i.market === 'spot')!;
    // 2000 × 0.2 = 400 and 2000 × 5 = 10000, by hand; quantities keep the notional above 10 USDT.
    const at = (side: 'BUY' | 'SELL', price: string) => run(spot, { request: { side, price: d(price), quantity: d('0.05') } });
    expect([at('BUY', '400').ok, at('BUY', '399.99').ok, at('BUY', '10000').ok, at('BUY', '10000.01').ok]).toEqual([true, false, true, false]);
    expect([at('SELL', '400').ok, at('SELL', '399.99').ok]).toEqual([true, false]);
    expect(formatFixed(spot.priceBand!.askDown)).toBe('0.2');
  });
});
