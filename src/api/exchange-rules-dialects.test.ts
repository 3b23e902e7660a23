import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../core/instruments/bundled-instruments.js';
import type { Instrument } from '../core/instruments/instrument.js';
import type { KernelEvent } from '../core/kernel/events.js';
import type { PlaceOrderInput } from '../core/kernel/inputs.js';
import { formatFixed, parseFixed as d } from '../core/money/fixed.js';
import type { Rejection, RejectionCode } from '../core/orders/rejection.js';
import { SPOT_RECORDING, USDM_RECORDING } from '../test-kit/data-paths.js';
import { casesFor, FILTER_FIELDS, filterKeysOf, P, quantityFor, runCase } from '../test-kit/exchange-rule-cases.js';
import { loadRecording, RecordingStepper } from '../test-kit/recording-stepper.js';
import { binanceErrorOf } from './binance/binance-errors.js';
import { usdmErrorOf } from './binance-usdm/usdm-errors.js';
import { contractErrorOf, type ContractOrderTerms } from './mexc-contract/mexc-contract-errors.js';
import { contractOf, volOf } from './mexc-contract/mexc-contract-symbols.js';
import { mexcErrorOf } from './mexc/mexc-errors.js';

// Every exchange-rule refusal in every dialect, with the code and words each exchange documents
// (docs/exchange-rules.md, "Rules", has the sources): Binance spot's Filters page and error list,
// Binance USDⓈ-M's error list, MEXC Spot v3's error table (as ccxt's MEXC class lists it), and MEXC's
// futures API error table for the contract API, its sizes in BTC_USDT contracts of 0.0001 BTC (docs/adr/0052):
// the walk's 0.1005 BTC (twice the minimum order value at 2000, plus half a step) is vol 1005, 0.001 BTC vol 10.
// The refusals come from the spec walk (test-kit/exchange-rule-cases.ts) and from the examples
// replayed on the recordings; the expected answers are written out here, not taken from a mapper.

const SPOT = findBundledInstrument('binance', 'spot', 'BTCUSDT')!;
const USDM = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
const MEXC_SPOT = findBundledInstrument('mexc', 'spot', 'BTCUSDT')!;

type Answer = { readonly code: number; readonly msg: string | RegExp };
/** A rule a dialect cannot meet, because it has no way to place the order the rule is about. */
type Unreachable = { readonly unreachable: string };

interface Row {
  readonly native: RejectionCode;
  readonly binanceSpot: Answer | Unreachable;
  readonly binanceUsdm: Answer | Unreachable;
  readonly mexcSpot: Answer | Unreachable;
  readonly mexcContract: Answer | Unreachable;
}

const NO_STOPS_ON_MEXC_SPOT = { unreachable: 'MEXC Spot v3 has no stop or trailing orders (LIMIT, MARKET, LIMIT_MAKER, IOC, FOK)' };
const NO_STOPS_ON_MEXC_CONTRACT = { unreachable: "the MEXC contract dialect places no trigger or trailing orders (an order's attached TP/SL legs are placed by its fills)" };
const NOT_ON_USDM = { unreachable: "Binance USD-M's BTCUSDT carries no such filter" };

/** Keyed by the spec field (or always-on rule) the walk refuses. */
const EXPECTED: Readonly<Record<string, Row>> = {
  tickSize: {
    native: 'INVALID_PRICE',
    binanceSpot: { code: -1013, msg: 'Filter failure: PRICE_FILTER' },
    binanceUsdm: { code: -4014, msg: 'Price not increased by tick size.' },
    mexcSpot: { code: 30010, msg: /^price is not a multiple of the tick size/ },
    mexcContract: { code: 2015, msg: 'Price or quantity accuracy error (price 2000.05 is not a multiple of priceUnit 0.1)' },
  },
  minPrice: {
    native: 'INVALID_PRICE',
    binanceSpot: { code: -1013, msg: 'Filter failure: PRICE_FILTER' },
    binanceUsdm: { code: -4013, msg: 'Price less than min price.' },
    // MEXC documents no code for a price out of range: 30010, as off the tick (docs/adr/0003), in words that say which bound.
    mexcSpot: { code: 30010, msg: "price is outside the instrument's price range (price 0 is below the minimum 0.01)" },
    mexcContract: { code: 2007, msg: 'Order price error (price 556.7 is below the minimum 556.8)' },
  },
  maxPrice: {
    native: 'INVALID_PRICE',
    binanceSpot: { code: -1013, msg: 'Filter failure: PRICE_FILTER' },
    binanceUsdm: { code: -4002, msg: 'Price greater than max price.' },
    mexcSpot: { code: 30010, msg: "price is outside the instrument's price range (price 1000000.01 is above the maximum 1000000)" },
    mexcContract: { code: 2007, msg: 'Order price error (price 1000000.1 is above the maximum 1000000)' },
  },
  stepSize: {
    native: 'INVALID_QUANTITY',
    binanceSpot: { code: -1013, msg: 'Filter failure: LOT_SIZE' },
    binanceUsdm: { code: -4023, msg: 'Qty not increased by step size.' },
    mexcSpot: { code: 10096, msg: /^amount decimal places is too long/ },
    mexcContract: { code: 2011, msg: 'Order quantity error, please try to modify. (vol 1005 is not a multiple of volUnit 10)' },
  },
  minQty: {
    native: 'MIN_QUANTITY',
    binanceSpot: { code: -1013, msg: 'Filter failure: LOT_SIZE' },
    binanceUsdm: { code: -4004, msg: 'Quantity less than min quantity.' },
    mexcSpot: { code: 30002, msg: /^The minimum transaction volume cannot be less than:/ },
    mexcContract: { code: 2011, msg: 'Order quantity error, please try to modify. (vol 0 is below minVol 10)' },
  },
  maxQty: {
    native: 'MAX_QUANTITY',
    binanceSpot: { code: -1013, msg: 'Filter failure: LOT_SIZE' },
    binanceUsdm: { code: -4005, msg: 'Quantity greater than max quantity.' },
    mexcSpot: { code: 30003, msg: /^The maximum transaction volume cannot be greater than:/ },
    mexcContract: { code: 2011, msg: 'Order quantity error, please try to modify. (vol 10000010 is above maxVol 10000000)' },
  },
  maxMarketQty: {
    native: 'MAX_MARKET_QUANTITY',
    binanceSpot: { code: -1013, msg: 'Filter failure: MARKET_LOT_SIZE' },
    binanceUsdm: { code: -4005, msg: 'Quantity greater than max quantity.' },
    mexcSpot: { code: 30003, msg: /^The maximum transaction volume cannot be greater than:/ },
    mexcContract: { code: 2011, msg: 'Order quantity error, please try to modify. (vol 1200010 is above the market order maxVol 1200000)' },
  },
  minNotional: {
    native: 'MIN_NOTIONAL',
    binanceSpot: { code: -1013, msg: 'Filter failure: NOTIONAL' },
    binanceUsdm: { code: -4164, msg: "Order's notional must be no smaller than 100 (unless you choose reduce only)." },
    mexcSpot: { code: 30002, msg: /^The minimum transaction volume cannot be less than:/ },
    mexcContract: { code: 2011, msg: 'Order quantity error, please try to modify. (vol 10 is worth less than the minimum order value of 100 USDT)' },
  },
  maxNotional: {
    native: 'MAX_NOTIONAL',
    binanceSpot: { code: -1013, msg: 'Filter failure: NOTIONAL' },
    binanceUsdm: NOT_ON_USDM,
    mexcSpot: { code: 30003, msg: 'The maximum transaction volume cannot be greater than:2000000 USDT' },
    mexcContract: NOT_ON_USDM,
  },
  reduceOnlyExemptFromMinNotional: {
    native: 'MIN_NOTIONAL',
    binanceSpot: { unreachable: 'spot has no reduce-only orders' },
    binanceUsdm: { code: -4164, msg: "Order's notional must be no smaller than 100 (unless you choose reduce only)." },
    mexcSpot: { unreachable: 'spot has no reduce-only orders' },
    mexcContract: { code: 2011, msg: 'Order quantity error, please try to modify. (vol 10 is worth less than the minimum order value of 100 USDT)' },
  },
  priceBand: {
    native: 'PERCENT_PRICE',
    binanceSpot: { code: -1013, msg: 'Filter failure: PERCENT_PRICE_BY_SIDE' },
    // The walk's SELL one tick above 1.15 × 2000.
    binanceUsdm: { code: -4016, msg: "Limit price can't be higher than 2300." },
    mexcSpot: { code: 30087, msg: /^Order price exceeds allowed range/ },
    mexcContract: { code: 2007, msg: 'Order price error (SELL price 2300.1 outside 0.85×–1.15× the mark price 2000)' },
  },
  trailingBounds: {
    native: 'TRAILING_DELTA',
    binanceSpot: { code: -1013, msg: 'Filter failure: TRAILING_DELTA' },
    // USD-M's error list has no code of its own for a callbackRate out of bounds: -1130 INVALID_PARAMETER, the rate restated in percent.
    binanceUsdm: { code: -1130, msg: "Data sent for parameter 'callbackRate' is not valid: callbackRate 10.01 outside 0.1–10 (percent: 1 = 1 %)." },
    mexcSpot: NO_STOPS_ON_MEXC_SPOT,
    mexcContract: NO_STOPS_ON_MEXC_CONTRACT,
  },
  maxNumOrders: {
    native: 'MAX_NUM_ORDERS',
    binanceSpot: { code: -2010, msg: 'Filter failure: MAX_NUM_ORDERS' },
    binanceUsdm: { code: -2025, msg: 'Reach max open order limit.' },
    mexcSpot: { code: 30029, msg: 'Cannot exceed the maximum order limit' },
    mexcContract: { code: 2036, msg: 'The orders more than the limit, please contact customer service (at most 200 open orders on BTC_USDT)' },
  },
  maxNumAlgoOrders: {
    native: 'MAX_NUM_ALGO_ORDERS',
    binanceSpot: { code: -2010, msg: 'Filter failure: MAX_NUM_ALGO_ORDERS' },
    binanceUsdm: { code: -4045, msg: 'Reach max stop order limit.' },
    mexcSpot: NO_STOPS_ON_MEXC_SPOT,
    mexcContract: NO_STOPS_ON_MEXC_CONTRACT,
  },
  STOP_TRIGGER: {
    native: 'WOULD_TRIGGER_IMMEDIATELY',
    binanceSpot: { code: -2010, msg: 'Stop price would trigger immediately.' },
    binanceUsdm: { code: -2021, msg: 'Order would immediately trigger.' },
    mexcSpot: NO_STOPS_ON_MEXC_SPOT,
    mexcContract: NO_STOPS_ON_MEXC_CONTRACT,
  },
  TRAILING_ACTIVATION: {
    native: 'WOULD_TRIGGER_IMMEDIATELY',
    // Binance spot places this as a trailing TAKE_PROFIT whose stopPrice is the activation (binance-order-request.ts).
    binanceSpot: { code: -2010, msg: 'Stop price would trigger immediately.' },
    binanceUsdm: { code: -2021, msg: 'Order would immediately trigger.' },
    mexcSpot: NO_STOPS_ON_MEXC_SPOT,
    mexcContract: NO_STOPS_ON_MEXC_CONTRACT,
  },
};

const isAnswer = (a: Answer | Unreachable): a is Answer => 'code' in a;

function refusalOf(spec: Instrument, key: string): Rejection | undefined {
  const c = casesFor(spec)[key];
  if (c === undefined) return undefined;
  const result = runCase(spec, c.refused);
  if (result.ok) throw new Error(`${spec.symbol} ${key}: the refused case passed`);
  return result.error;
}

/** The walk's refused USD-M order as a MEXC contract order: its vol in BTC_USDT contracts (0.0001 BTC each). */
function contractTermsOf(key: string): ContractOrderTerms {
  const example = casesFor(USDM)[key]!.refused;
  const request = { side: 'BUY' as const, quantity: quantityFor(USDM, P), price: P as bigint | undefined, ...example.request };
  const contract = contractOf(USDM);
  const mark = example.context?.markPrice ?? P;
  return { contract, vol: volOf(contract, request.quantity), side: request.side, ...(request.price !== undefined ? { price: formatFixed(request.price) } : {}), mark };
}

function expectAnswer(actual: { code: number; msg: string }, expected: Answer, what: string) {
  expect(actual.code, what).toBe(expected.code);
  if (typeof expected.msg === 'string') expect(actual.msg, what).toBe(expected.msg);
  else expect(actual.msg, what).toMatch(expected.msg);
}

describe('each exchange rule refuses in each dialect with that exchange’s code and words', () => {
  const keys = [...new Set([...filterKeysOf(SPOT), ...filterKeysOf(USDM), ...filterKeysOf(MEXC_SPOT)])];

  it('every filter the bundled specs carry has a row for every dialect (a new filter without one fails)', () => {
    expect(keys.filter((key) => EXPECTED[key] === undefined)).toEqual([]);
  });

  for (const key of keys) {
    const row = EXPECTED[key];
    it(`${FILTER_FIELDS[key] ?? key} (${key}): native ${row?.native}; Binance spot, USD-M, MEXC spot and MEXC contract in their own words`, () => {
      expect(row).toBeDefined();
      const spot = refusalOf(SPOT, key) ?? refusalOf(MEXC_SPOT, key);
      if (isAnswer(row!.binanceSpot)) {
        expect(spot?.code).toBe(row!.native);
        expectAnswer(binanceErrorOf(spot!, 'place').body, row!.binanceSpot, 'Binance spot');
      } else expect(spot, 'a row marked unreachable on spot').toBeUndefined();
      if (isAnswer(row!.mexcSpot)) {
        const mexc = mexcErrorOf(spot!, 'place');
        expectAnswer({ code: mexc.code, msg: mexc.msg }, row!.mexcSpot, 'MEXC spot');
        expect(mexc.status).toBe(400);
      }
      const usdm = refusalOf(USDM, key);
      if (isAnswer(row!.binanceUsdm)) {
        expect(usdm?.code).toBe(row!.native);
        const answer = usdmErrorOf(usdm!, 'place', USDM);
        expectAnswer(answer.body, row!.binanceUsdm, 'Binance USD-M');
      } else expect(usdm, 'a row marked unreachable on USD-M').toBeUndefined();
      if (isAnswer(row!.mexcContract)) {
        const contract = contractErrorOf(usdm!, contractTermsOf(key));
        expect(contract.status).toBe(200);
        expectAnswer({ code: contract.body.code, msg: contract.body.message }, row!.mexcContract, 'MEXC contract');
      }
    });
  }

  it('a stopPrice above PRICE_FILTER maxPrice on USD-M is -4007 "Stop price greater than max price."', () => {
    const refused = runCase(USDM, { request: { type: 'STOP_LOSS', side: 'BUY', price: undefined, stopPrice: USDM.maxPrice! + USDM.tickSize }, context: { triggerPrice: undefined } });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(usdmErrorOf(refused.error, 'place', USDM).body).toEqual({ code: -4007, msg: 'Stop price greater than max price.' });
  });
});

// The examples, on the Binance recordings of 2024-08-08 at 1723161400000, answered in each dialect.
const T = 1723161400000;
type Order = Omit<PlaceOrderInput, 'kind' | 'time' | 'account' | 'symbol'>;

function stepper(dir: string, futures: boolean): RecordingStepper {
  const s = new RecordingStepper(loadRecording(dir));
  s.advanceTo(T);
  if (futures) s.handle({ kind: 'account.open', time: s.kernel.now, account: 'a', type: 'futures', leverage: 10, balances: { USDT: '20000' } });
  else s.open('a', { USDT: '100000', BTC: '10' });
  return s;
}

function refused(s: RecordingStepper, order: Order): Rejection {
  const events: KernelEvent[] = s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, ...order });
  const first = events[0];
  if (first?.type !== 'ORDER_REJECTED') throw new Error(`${order.side} ${order.type} was not refused: ${first?.type}`);
  return { code: first.code, mexcCode: first.mexcCode, message: first.message };
}

describe("the issue's examples in each dialect", () => {
  it('spot band: BUY 0.1 at 100, SELL 0.001 at 500000, STOP_LOSS_LIMIT SELL 0.02 at 617.47, SELL 0.001 at 10000 → Binance -1013 PERCENT_PRICE_BY_SIDE, MEXC 30087', () => {
    const s = stepper(SPOT_RECORDING, false);
    const orders: Order[] = [
      { side: 'BUY', type: 'LIMIT', quantity: '0.1', price: '100' },
      { side: 'SELL', type: 'LIMIT', quantity: '0.001', price: '500000' },
      { side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.02', price: '617.47', stopPrice: '617.47' },
      { side: 'SELL', type: 'LIMIT', quantity: '0.001', price: '10000' },
    ];
    for (const order of orders) {
      const error = refused(s, order);
      expect(binanceErrorOf(error, 'place').body).toEqual({ code: -1013, msg: 'Filter failure: PERCENT_PRICE_BY_SIDE' });
      expect(mexcErrorOf(error, 'place')).toMatchObject({ code: 30087, msg: expect.stringMatching(/^Order price exceeds allowed range/) });
    }
    expect(s.kernel.openOrders('a')).toHaveLength(0);
  });

  it('USD-M band: BUY 0.01 at 40000 → -4024 "Limit price can\'t be lower than <0.85 × mark>." (MEXC contract 2007 "Order price error")', () => {
    const s = stepper(USDM_RECORDING, true);
    const mark = s.kernel.markPrice(s.symbol)!;
    const error = refused(s, { side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '40000' });
    // The mark at T is 61,725.1; Binance quotes the floor 0.85 × 61,725.1 = 52,466.335 (by hand).
    expect(mark).toBe(d('61725.1'));
    expect(usdmErrorOf(error, 'place', USDM).body).toEqual({ code: -4024, msg: "Limit price can't be lower than 52466.335." });
    // MEXC's 2003 is a buy above its band; a buy below it is an order price error.
    const terms = { contract: contractOf(USDM), vol: '100', side: 'BUY' as const, price: '40000', mark };
    expect(contractErrorOf(error, terms).body).toEqual({ success: false, code: 2007, message: 'Order price error (BUY price 40000 outside 0.85×–1.15× the mark price 61725.1)' });
  });

  it('caps: the 201st LIMIT → Binance -2010 "Filter failure: MAX_NUM_ORDERS", MEXC 30029; the 6th stop → -2010 "Filter failure: MAX_NUM_ALGO_ORDERS"', () => {
    const s = stepper(SPOT_RECORDING, false);
    for (let i = 0; i < 200; i += 1) s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, side: 'BUY', type: 'LIMIT', quantity: '0.0002', price: `${60000 - i}` });
    const limit = refused(s, { side: 'BUY', type: 'LIMIT', quantity: '0.0002', price: '59000' });
    expect(binanceErrorOf(limit, 'place').body).toEqual({ code: -2010, msg: 'Filter failure: MAX_NUM_ORDERS' });
    expect(mexcErrorOf(limit, 'place')).toMatchObject({ code: 30029, msg: 'Cannot exceed the maximum order limit' });
    const t = stepper(SPOT_RECORDING, false);
    for (let i = 0; i < 5; i += 1) t.handle({ kind: 'order.place', time: t.kernel.now, account: 'a', symbol: t.symbol, side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.001', stopPrice: `${60000 - i}`, price: `${59990 - i}` });
    const stop = refused(t, { side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.001', stopPrice: '59000', price: '58990' });
    expect(binanceErrorOf(stop, 'place').body).toEqual({ code: -2010, msg: 'Filter failure: MAX_NUM_ALGO_ORDERS' });
  });

  it('a stop already reached: the four spot stops → -2010 "Stop price would trigger immediately."; USD-M reduce-only SELL STOP_LOSS 62000 on a long → -2021', () => {
    const s = stepper(SPOT_RECORDING, false);
    const orders: Order[] = [
      { side: 'BUY', type: 'STOP_LOSS_LIMIT', quantity: '0.001', stopPrice: '61000', price: '61010' },
      { side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.001', stopPrice: '62000', price: '61990' },
      { side: 'SELL', type: 'TAKE_PROFIT_LIMIT', quantity: '0.001', stopPrice: '61000', price: '61000' },
      { side: 'SELL', type: 'STOP_LOSS', quantity: '0.001', stopPrice: '62000' },
    ];
    for (const order of orders) expect(binanceErrorOf(refused(s, order), 'place').body).toEqual({ code: -2010, msg: 'Stop price would trigger immediately.' });
    const f = stepper(USDM_RECORDING, true);
    f.handle({ kind: 'order.place', time: f.kernel.now, account: 'a', symbol: f.symbol, side: 'BUY', type: 'MARKET', quantity: '0.002' });
    const stop = refused(f, { side: 'SELL', type: 'STOP_LOSS', quantity: '0.002', stopPrice: '62000', reduceOnly: true });
    expect(usdmErrorOf(stop, 'place', USDM).body).toEqual({ code: -2021, msg: 'Order would immediately trigger.' });
  });

  it('trailing: a callback of 0.01 % → Binance spot -1013 TRAILING_DELTA; on USD-M -1130 quoting percent, as the client sent it', () => {
    const s = stepper(SPOT_RECORDING, false);
    const spot = refused(s, { side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.001', callbackRate: '0.0001' });
    expect(binanceErrorOf(spot, 'place').body).toEqual({ code: -1013, msg: 'Filter failure: TRAILING_DELTA' });
    const f = stepper(USDM_RECORDING, true);
    const usdm = refused(f, { side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.002', callbackRate: '0.0001' });
    expect(usdmErrorOf(usdm, 'place', USDM).body).toEqual({ code: -1130, msg: "Data sent for parameter 'callbackRate' is not valid: callbackRate 0.01 outside 0.1–10 (percent: 1 = 1 %)." });
  });

  it('a trailing activation already reached: spot last 61,747.28 → SELL at 61,700 and BUY at 61,800 -2010; USD-M last 61,725.1 → SELL at 61,700 and BUY at 61,750 -2021; one tick on the waiting side is accepted', () => {
    // A trailing sell activates once the price rises to its activation, a buy once it falls to it (Binance
    // USD-M New Order: a SELL's activationPrice must be above the latest price, a BUY's below).
    const s = stepper(SPOT_RECORDING, false);
    for (const [side, activationPrice] of [['SELL', '61700'], ['BUY', '61800'], ['SELL', '61747.28'], ['BUY', '61747.28']] as const) {
      const error = refused(s, { side, type: 'TRAILING_STOP_MARKET', quantity: '0.001', callbackRate: '0.01', activationPrice });
      expect(binanceErrorOf(error, 'place').body).toEqual({ code: -2010, msg: 'Stop price would trigger immediately.' });
    }
    expect(s.kernel.openOrders('a')).toHaveLength(0);
    for (const [side, activationPrice] of [['SELL', '61747.29'], ['BUY', '61747.27']] as const) {
      expect(s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, side, type: 'TRAILING_STOP_MARKET', quantity: '0.001', callbackRate: '0.01', activationPrice })[0]?.type).toBe('ORDER_NEW');
    }
    const f = stepper(USDM_RECORDING, true);
    for (const [side, activationPrice] of [['SELL', '61700.0'], ['BUY', '61750.0'], ['SELL', '61725.1']] as const) {
      const error = refused(f, { side, type: 'TRAILING_STOP_MARKET', quantity: '0.002', callbackRate: '0.01', activationPrice });
      expect(usdmErrorOf(error, 'place', USDM).body).toEqual({ code: -2021, msg: 'Order would immediately trigger.' });
    }
    expect(f.kernel.openOrders('a')).toHaveLength(0);
    expect(f.handle({ kind: 'order.place', time: f.kernel.now, account: 'a', symbol: f.symbol, side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.002', callbackRate: '0.01', activationPrice: '61725.2' })[0]?.type).toBe('ORDER_NEW');
  });

  it('USD-M without reduce-only, a LIMIT of 0.001 at 62000 → -4164; with reduce-only it rests', () => {
    const f = stepper(USDM_RECORDING, true);
    f.handle({ kind: 'order.place', time: f.kernel.now, account: 'a', symbol: f.symbol, side: 'BUY', type: 'MARKET', quantity: '0.003' });
    const small = refused(f, { side: 'SELL', type: 'LIMIT', quantity: '0.001', price: '62000' });
    expect(usdmErrorOf(small, 'place', USDM).body).toEqual({ code: -4164, msg: "Order's notional must be no smaller than 100 (unless you choose reduce only)." });
    const events = f.handle({ kind: 'order.place', time: f.kernel.now, account: 'a', symbol: f.symbol, side: 'SELL', type: 'LIMIT', quantity: '0.001', price: '62000', reduceOnly: true });
    expect(events[0]?.type).toBe('ORDER_NEW');
  });
});
