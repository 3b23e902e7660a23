/**
 * An imported account's open orders must have the terms their placement checked (ADR 0081, note of
 * 2026-12-05): the rules of their instrument that depend on the terms alone (exchange-rules.ts
 * SPEC_RULES), and their shape (a trailing stop's callbackRate and the stop its peak gives,
 * quoteOrderQty on MARKET orders only, a bracket's legs, an untriggered stop waiting for its
 * trigger, something left to fill). Binance spot BTCUSDT, as bundled (exchangeInfo of 2024-08-08):
 * PRICE_FILTER tick 0.01 from 0.01 to 1,000,000; LOT_SIZE step and minimum 0.00001, maximum 9,000;
 * TRAILING_DELTA 10–2,000 BIPS (0.001–0.2). Each document below is an export with one term edited by
 * hand to a value those figures or that shape refuse (its lock kept consistent, so that the rule is
 * what refuses it); the import is refused naming the order and the rule, nothing is imported, and
 * the market goes on for everyone. Unedited exports, and edits to values the figures allow, import.
 */
import { describe, expect, it } from 'vitest';
import { SPOT_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';
import type { KernelEvent } from './events.js';

const recording = loadRecording(SPOT_RECORDING);
const E18 = 10n ** 18n;
type Amount = { $n: string };
type DocOrder = { id: string; symbol: string; price?: Amount; stopPrice?: Amount; quantity: Amount; locked: Amount; callbackRate?: Amount; quoteOrderQty?: Amount; trailPeak?: Amount; bracket?: { takeProfit?: { stopPrice: Amount }; stopLoss?: { stopPrice: Amount } } };
type Doc = { account: { balances: [string, { free: Amount; locked: Amount }][] }; orders: DocOrder[]; placements: Record<string, string> };
const n = (v: bigint): Amount => ({ $n: String(v) });
const units = (a: Amount | undefined): bigint => BigInt(a!.$n);

/** Account `a` (100,000 USDT, 1 BTC) holding the order `place` describes, exported at 23:55:10 (or `exportAt`). */
function exported(place: Record<string, unknown>, exportAt?: number): { s: RecordingStepper; doc: Doc } {
  const s = new RecordingStepper(recording);
  s.advanceTo(1723161310000);
  s.handle({ kind: 'account.open', time: s.kernel.now, account: 'a', balances: { USDT: '100000', BTC: '1' } });
  const placed = s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, ...place } as never);
  expect(placed.map((e) => e.type)).toEqual(['ORDER_NEW']);
  if (exportAt !== undefined) s.advanceTo(exportAt);
  return { s, doc: JSON.parse(s.kernel.exportAccount('a')!) as Doc };
}

/** The market after an import: every input of the next minute applied. */
function expectMarketGoesOn(s: RecordingStepper): void {
  const rest = s.advanceTo(s.kernel.now + 60_000);
  expect(rest.filter((e) => e.type === 'INPUT_REJECTED')).toEqual([]);
  s.kernel.checkInvariants();
}

/** Sets the first order's lock to `lock`, moving the difference between the free and locked `asset`, so that the balances still match the locks. */
function relock(doc: Doc, asset: string, lock: bigint): void {
  const order = doc.orders[0]!;
  const balance = doc.account.balances.find(([name]) => name === asset)![1];
  const delta = lock - units(order.locked);
  order.locked = n(lock);
  balance.locked = n(units(balance.locked) + delta);
  balance.free = n(units(balance.free) - delta);
}

const importing = (s: RecordingStepper, doc: Doc): KernelEvent[] => s.handle({ kind: 'account.import', time: s.kernel.now, document: JSON.stringify(doc), account: 'copy' });

function expectRefused(s: RecordingStepper, doc: Doc, message: RegExp): void {
  const events = importing(s, doc);
  expect(events).toEqual([expect.objectContaining({ type: 'ACCOUNT_REJECTED', account: 'copy', code: 'INVALID_DOCUMENT' })]);
  expect((events[0] as { message: string }).message).toMatch(message);
  expect(s.kernel.balances('copy')).toBeUndefined();
  s.kernel.checkInvariants();
}

describe('an imported open order meets its instrument\'s PRICE_FILTER, LOT_SIZE and TRAILING_DELTA', () => {
  it('a buy at 50,000.005 (half a tick): refused; at 50,000.01 it imports and rests there', () => {
    const { s, doc } = exported({ side: 'BUY', type: 'LIMIT', price: '50000', quantity: '0.001' });
    const off = structuredClone(doc);
    off.orders[0]!.price = n(50_000_005n * 10n ** 15n);
    // 50,000.005 × 0.001 = 50.000005 USDT held.
    relock(off, 'USDT', 50_000_005n * 10n ** 12n);
    expectRefused(s, off, /orders\[0\]: BTCUSDT's PRICE_FILTER refuses it: price is not a multiple of the tick size \(price: tick size is 0\.01\)/);

    const on = structuredClone(doc);
    on.orders[0]!.price = n(50_000_01n * 10n ** 16n);
    relock(on, 'USDT', 50_000_01n * 10n ** 13n);
    expect(importing(s, on).map((e) => e.type)).toEqual(['ACCOUNT_IMPORTED', 'EQUITY']);
    expect(s.kernel.openOrders('copy').map((o) => o.price)).toEqual([50_000_01n * 10n ** 16n]);
    s.kernel.checkInvariants();
  });

  it('a sell at 1,000,000.01 (above the maximum price) is refused', () => {
    const { s, doc } = exported({ side: 'SELL', type: 'LIMIT', price: '90000', quantity: '0.5' });
    doc.orders[0]!.price = n(1_000_000_01n * 10n ** 16n);
    expectRefused(s, doc, /orders\[0\]: BTCUSDT's PRICE_FILTER refuses it: .*price 1000000\.01 is above the maximum 1000000/);
  });

  it('a stop-limit whose stop price is off the tick is refused, its limit price on it', () => {
    const { s, doc } = exported({ side: 'SELL', type: 'STOP_LOSS_LIMIT', price: '50000', stopPrice: '50100', quantity: '0.1' });
    doc.orders[0]!.stopPrice = n(50_100_001n * 10n ** 14n);
    expectRefused(s, doc, /orders\[0\]: BTCUSDT's PRICE_FILTER refuses it: price is not a multiple of the tick size \(stopPrice: tick size is 0\.01\)/);
  });

  it('a quantity of 0.0010005 BTC (between two steps) is refused; 0.00101 imports', () => {
    const { s, doc } = exported({ side: 'SELL', type: 'LIMIT', price: '90000', quantity: '0.001' });
    const off = structuredClone(doc);
    off.orders[0]!.quantity = n(10_005n * 10n ** 11n);
    relock(off, 'BTC', 10_005n * 10n ** 11n);
    expectRefused(s, off, /orders\[0\]: BTCUSDT's LOT_SIZE refuses it: .*step size is 0\.00001/);

    const on = structuredClone(doc);
    on.orders[0]!.quantity = n(101n * 10n ** 13n);
    relock(on, 'BTC', 101n * 10n ** 13n);
    expect(importing(s, on).map((e) => e.type)).toEqual(['ACCOUNT_IMPORTED', 'EQUITY']);
  });

  it('a trailing stop whose callback rate is 25 % (over the 20 % maximum) is refused', () => {
    const { s, doc } = exported({ side: 'SELL', type: 'TRAILING_STOP_MARKET', callbackRate: '0.01', quantity: '0.1' });
    expect(units(doc.orders[0]!.callbackRate)).toBe(E18 / 100n);
    doc.orders[0]!.callbackRate = n(E18 / 4n);
    expectRefused(s, doc, /orders\[0\]: BTCUSDT's TRAILING_DELTA refuses it: .*callbackRate 0\.25 outside 0\.001–0\.2/);
  });

  it('an export as it was imports: a buy of 1.5 at 61,800 partly filled by the prints after 23:55:40', () => {
    const s = new RecordingStepper(recording);
    s.advanceTo(1723161310000);
    s.handle({ kind: 'account.open', time: s.kernel.now, account: 'a', balances: { USDT: '100000', BTC: '1' } });
    expect(s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, side: 'BUY', type: 'LIMIT', price: '61800', quantity: '1.5' }).map((e) => e.type)).toEqual(['ORDER_NEW']);
    // Step 100 ms at a time until the order is part filled (it fills in full before 23:55:50).
    for (let t = 1723161340000; s.kernel.openOrders('a')[0]?.status !== 'PARTIALLY_FILLED' && t < 1723161350000; t += 100) s.advanceTo(t);
    const partial = s.kernel.openOrders('a')[0]!;
    expect(partial.status).toBe('PARTIALLY_FILLED');
    expect(partial.executedQty > 0n && partial.executedQty < 15n * E18 / 10n).toBe(true);
    const doc = JSON.parse(s.kernel.exportAccount('a')!) as Doc;
    expect(importing(s, doc).map((e) => e.type)).toEqual(['ACCOUNT_IMPORTED', 'EQUITY']);
    expect(s.kernel.balances('copy')).toEqual(s.kernel.balances('a'));
    s.kernel.checkInvariants();
  });
});

describe('an imported open order has the shape its placement had', () => {
  /** A sell trailing stop of 0.01 BTC at 1 %, trailing since the first print after 23:55:10, exported at 23:55:15. */
  const trailing = () => exported({ side: 'SELL', type: 'TRAILING_STOP_MARKET', callbackRate: '0.01', quantity: '0.01' }, 1723161315000);

  it('a trailing stop without its callbackRate is refused, and the prints go on for everyone', () => {
    const { s, doc } = trailing();
    expect(doc.orders[0]!.trailPeak).toBeDefined();
    delete doc.orders[0]!.callbackRate;
    expectRefused(s, doc, /orders\[0\]: .*callbackRate must be a fraction between 0 and 1/);
    expectMarketGoesOn(s);
  });

  it('a trailing stop at a callbackRate of 1 is refused (its stop would be 0)', () => {
    const { s, doc } = trailing();
    doc.orders[0]!.callbackRate = n(E18);
    expectRefused(s, doc, /orders\[0\]: .*callbackRate must be a fraction between 0 and 1/);
  });

  it('a trailing stop whose peak was moved to 2,000,000 is refused: its stop must be the peak less 1 %, to the tick', () => {
    const { s, doc } = trailing();
    const order = doc.orders[0]!;
    // As exported, the stop is the peak × 0.99 rounded down to the tick (a sell trails below the price).
    const peak = units(order.trailPeak);
    const tick = 10n ** 16n;
    expect(units(order.stopPrice)).toBe((((peak * 99n) / 100n) / tick) * tick);
    order.trailPeak = n(2_000_000n * E18);
    expectRefused(s, doc, /orders\[0\]\.stopPrice: must be 1980000: trailPeak 2000000 × \(1 − callbackRate 0\.01\), to the tick 0\.01/);
    expectMarketGoesOn(s);
  });

  it('quoteOrderQty added to a LIMIT sell (which would skip LOT_SIZE) is refused', () => {
    const { s, doc } = exported({ side: 'SELL', type: 'LIMIT', price: '90000', quantity: '0.001' });
    doc.orders[0]!.quoteOrderQty = n(E18);
    expectRefused(s, doc, /orders\[0\]: .*a LIMIT order takes quantity, not quoteOrderQty/);
  });

  it('a stop-loss buy not yet triggered, moved to "waiting" (where it would execute at once), is refused', () => {
    const { s, doc } = exported({ side: 'BUY', type: 'STOP_LOSS', stopPrice: '99999', quantity: '0.01' });
    const id = doc.orders[0]!.id;
    expect(doc.placements[id]).toBe('conditional');
    doc.placements[id] = 'waiting';
    expectRefused(s, doc, new RegExp(`placements\\.${id}: an untriggered STOP_LOSS order waits for its trigger \\(placement "conditional"\\), not "waiting"`));
    expectMarketGoesOn(s);
  });

  it('a bracket entry\'s take-profit off the tick, or below its stop-loss, is refused; as exported it imports', () => {
    const { s, doc } = exported({ side: 'BUY', type: 'LIMIT', price: '50000', quantity: '0.01', ocoGroup: 'b1', takeProfit: { stopPrice: '70000' }, stopLoss: { stopPrice: '45000' } });
    expect(units(doc.orders[0]!.bracket?.takeProfit?.stopPrice)).toBe(70_000n * E18);
    const offTick = structuredClone(doc);
    offTick.orders[0]!.bracket!.takeProfit!.stopPrice = n(70_000n * E18 + 1n);
    expectRefused(s, offTick, /orders\[0\]\.bracket: .*takeProfit\.stopPrice 70000\.000000000000000001 is not a multiple of the tick size 0\.01/);
    const crossed = structuredClone(doc);
    crossed.orders[0]!.bracket!.takeProfit!.stopPrice = n(40_000n * E18);
    expectRefused(s, crossed, /orders\[0\]\.bracket: .*takeProfit\.stopPrice must be above stopLoss\.stopPrice for a BUY entry/);
    expect(importing(s, doc).map((e) => e.type)).toEqual(['ACCOUNT_IMPORTED', 'EQUITY']);
    s.kernel.checkInvariants();
  });

  it('an open order whose executed quantity was raised to its whole quantity is refused', () => {
    const { s, doc } = exported({ side: 'BUY', type: 'LIMIT', price: '50000', quantity: '0.001' });
    (doc.orders[0] as unknown as { executedQty: Amount }).executedQty = n(E18 / 1000n);
    expectRefused(s, doc, /orders\[0\]\.executedQty: an open order has something left to fill \(status NEW, 0\.001 of 0\.001 executed\)/);
  });

  it('an open order moved to a symbol this engine does not trade is refused as UNKNOWN_SYMBOL, naming it', () => {
    const { s, doc } = exported({ side: 'BUY', type: 'LIMIT', price: '50000', quantity: '0.001' });
    doc.orders[0]!.symbol = 'ETHUSDT';
    const events = importing(s, doc);
    expect(events).toEqual([expect.objectContaining({ type: 'ACCOUNT_REJECTED', account: 'copy', code: 'UNKNOWN_SYMBOL' })]);
    expect((events[0] as { message: string }).message).toMatch(/ETHUSDT/);
    expect(s.kernel.balances('copy')).toBeUndefined();
  });

  it('legitimate exports of trailing stops, a stop-loss, a stop-limit and bracket entries (one a trailing stop) import', () => {
    for (const [place, at] of [
      [{ side: 'SELL', type: 'TRAILING_STOP_MARKET', callbackRate: '0.0123', quantity: '0.01' }, 1723161315000],
      [{ side: 'BUY', type: 'TRAILING_STOP_MARKET', callbackRate: '0.02', activationPrice: '61000', quantity: '0.01' }, undefined],
      [{ side: 'SELL', type: 'STOP_LOSS', stopPrice: '50000', quantity: '0.01' }, undefined],
      [{ side: 'SELL', type: 'STOP_LOSS_LIMIT', stopPrice: '50000', price: '49990', quantity: '0.01' }, undefined],
      [{ side: 'BUY', type: 'LIMIT', price: '50000', quantity: '0.01', ocoGroup: 'b2', takeProfit: { stopPrice: '70000', price: '69990' }, stopLoss: { stopPrice: '45000' } }, undefined],
      // Trailing since the first print: its stop (61,242.19) has moved under the take-profit its placement measured from the bid (about 61,850).
      [{ side: 'SELL', type: 'TRAILING_STOP_MARKET', callbackRate: '0.01', quantity: '0.01', ocoGroup: 'b3', takeProfit: { stopPrice: '61500' }, stopLoss: { stopPrice: '62500' } }, 1723161315000],
    ] as const) {
      const { s, doc } = exported(place, at);
      expect(importing(s, doc).map((e) => e.type), JSON.stringify(place)).toEqual(['ACCOUNT_IMPORTED', 'EQUITY']);
      expect(s.kernel.balances('copy')).toEqual(s.kernel.balances('a'));
      expectMarketGoesOn(s);
    }
  });
});
