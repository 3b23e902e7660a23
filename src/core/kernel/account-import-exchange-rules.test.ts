/**
 * An imported account's open orders must meet the rules of their instrument that depend on the terms
 * alone, as placement asks them (exchange-rules.ts SPEC_RULES). Binance spot BTCUSDT, as bundled
 * (exchangeInfo of 2024-08-08): PRICE_FILTER tick 0.01 from 0.01 to 1,000,000; LOT_SIZE step and
 * minimum 0.00001, maximum 9,000; TRAILING_DELTA 10–2,000 BIPS (0.001–0.2). Each document below is an
 * export with one term edited by hand to a value those figures refuse (its lock kept consistent, so
 * that the rule is what refuses it); the import is refused with the order's path and the rule's
 * name, and nothing is imported. The export as it was, and one edited to values the figures allow,
 * import.
 */
import { describe, expect, it } from 'vitest';
import { SPOT_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';
import type { KernelEvent } from './events.js';

const recording = loadRecording(SPOT_RECORDING);
const E18 = 10n ** 18n;
type Amount = { $n: string };
type DocOrder = { price?: Amount; stopPrice?: Amount; quantity: Amount; locked: Amount; callbackRate?: Amount };
type Doc = { account: { balances: [string, { free: Amount; locked: Amount }][] }; orders: DocOrder[] };
const n = (v: bigint): Amount => ({ $n: String(v) });
const units = (a: Amount | undefined): bigint => BigInt(a!.$n);

/** Account `a` (100,000 USDT, 1 BTC) holding the order `place` describes, exported at 23:55:10. */
function exported(place: Record<string, string>): { s: RecordingStepper; doc: Doc } {
  const s = new RecordingStepper(recording);
  s.advanceTo(1723161310000);
  s.handle({ kind: 'account.open', time: s.kernel.now, account: 'a', balances: { USDT: '100000', BTC: '1' } });
  const placed = s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, ...place } as never);
  expect(placed.map((e) => e.type)).toEqual(['ORDER_NEW']);
  return { s, doc: JSON.parse(s.kernel.exportAccount('a')!) as Doc };
}

/** Moves `delta` of `asset` between free and the order's lock, so that locks still match the order's reservation. */
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
