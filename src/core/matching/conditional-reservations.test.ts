import { describe, expect, it } from 'vitest';
import { formatFixed, parseFixed } from '../money/fixed.js';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { FuturesAccount } from '../accounts/futures-account.js';
import type { KernelEvent } from '../kernel/events.js';
import type { PlaceOrderInput } from '../kernel/inputs.js';
import { BUNDLED_RECORDING, USDM_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';

// Stop-market orders reserve what NautilusTrader's accounts manager reserves for an order without a
// limit price: quantity × trigger price (cash accounts lock it; margin accounts take initial margin
// on it), plus here the fee reserve of the fee model. Values below are worked by hand.

const PLACED_AT = 1723161300000;
type Conditional = Pick<PlaceOrderInput, 'side' | 'type' | 'quantity' | 'stopPrice' | 'callbackRate' | 'activationPrice'>;

function mine(events: readonly KernelEvent[], account: string): KernelEvent[] {
  return events.filter((e) => 'account' in e && e.account === account && e.type !== 'EQUITY' && e.type !== 'ACCOUNT_OPENED');
}

describe('spot stop-market buys reserve quantity × trigger price at placement (Binance: fee in BTC, none in USDT)', () => {
  const recording = loadRecording(BUNDLED_RECORDING);

  function place(order: Conditional, usdt: string, instrument = {}) {
    const s = new RecordingStepper(recording, { instrument });
    s.advanceTo(PLACED_AT);
    s.open('a', { USDT: usdt });
    const placed = s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, clientOrderId: 'c', ...order });
    return { s, placed };
  }

  it('a STOP_LOSS buy of 0.001 at 70,000 locks 0.001 × 70,000 = 70 USDT, never triggers, and a cancel releases it', () => {
    const { s, placed } = place({ side: 'BUY', type: 'STOP_LOSS', quantity: '0.001', stopPrice: '70000.00' }, '1000');
    expect(placed.map((e) => e.type)).toEqual(['ORDER_NEW']);
    expect(s.kernel.balances('a')!.USDT).toEqual({ free: '930', locked: '70' });
    while (!s.done) s.step(); // the tape never reaches 70,000 (high 61,860.80)
    expect(mine(s.events, 'a').map((e) => e.type)).toEqual(['ORDER_NEW']);
    s.handle({ kind: 'order.cancel', time: s.kernel.now, account: 'a', clientOrderId: 'c' });
    expect(s.kernel.balances('a')!.USDT).toEqual({ free: '1000', locked: '0' });
    s.kernel.checkInvariants();
  });

  it('under MEXC rules the same order also reserves its fee in USDT and the cent its budget keeps back: 70 + ceil_cents(70 × 0.05 %) + 0.01 = 70.05', () => {
    const { s } = place({ side: 'BUY', type: 'STOP_LOSS', quantity: '0.001', stopPrice: '70000.00' }, '1000', findBundledInstrument('mexc', 'spot', 'BTCUSDT')!);
    expect(s.kernel.balances('a')!.USDT).toEqual({ free: '929.95', locked: '70.05' });
  });

  it('a TAKE_PROFIT buy of 0.001 at 61,700 locks 61.7 USDT, triggers at 61,700 and buys at the ask, 61,717.01', () => {
    const { s } = place({ side: 'BUY', type: 'TAKE_PROFIT', quantity: '0.001', stopPrice: '61700.00' }, '1000');
    expect(s.kernel.balances('a')!.USDT).toEqual({ free: '938.3', locked: '61.7' });
    while (!s.done) s.step();
    const fill = mine(s.events, 'a').find((e) => e.type === 'FILL');
    expect(fill).toMatchObject({ price: '61717.01', quantity: '0.001', fee: '0.000001', feeAsset: 'BTC', status: 'FILLED' });
    // 1000 − 61.71701 (the lock covered 61.7, the free balance the 0.01701 the price moved)
    expect(s.kernel.balances('a')).toEqual({ BTC: { free: '0.000999', locked: '0' }, USDT: { free: '938.28299', locked: '0' } });
    s.kernel.checkInvariants();
  });

  it('a TRAILING_STOP_MARKET buy without activation price locks at the last trade × (1 + callback), up to the tick: 61,828 × 1.001 = 61,889.828 → 61,889.83 × 0.001 = 61.88983', () => {
    const { s } = place({ side: 'BUY', type: 'TRAILING_STOP_MARKET', quantity: '0.001', callbackRate: '0.001' }, '1000');
    expect(s.kernel.balances('a')!.USDT).toEqual({ free: '938.11017', locked: '61.88983' });
    while (!s.done) s.step();
    expect(mine(s.events, 'a').map((e) => e.type)).toEqual(['ORDER_NEW', 'ORDER_TRIGGERED', 'FILL']);
    s.kernel.checkInvariants();
  });

  it('a TRAILING_STOP_MARKET buy with an activation price locks at activation × (1 + callback): 61,600 × 1.01 × 0.001 = 62.216', () => {
    const { s } = place({ side: 'BUY', type: 'TRAILING_STOP_MARKET', quantity: '0.001', callbackRate: '0.01', activationPrice: '61600.00' }, '1000');
    expect(s.kernel.balances('a')!.USDT).toEqual({ free: '937.784', locked: '62.216' });
  });

  it('a trigger the reservation no longer covers buys only what lock + free pays for, then expires: 61.7 USDT buy 0.00099 at 61,717.01', () => {
    // TAKE_PROFIT 0.001 at 61,700 with exactly 61.7 USDT: it triggers at 61,700 and the ask is 61,717.01;
    // floor(61.7 / 61,717.01 to the 0.00001 step) = 0.00099, costing 61.0998399.
    const { s } = place({ side: 'BUY', type: 'TAKE_PROFIT', quantity: '0.001', stopPrice: '61700.00' }, '61.7');
    expect(s.kernel.balances('a')!.USDT).toEqual({ free: '0', locked: '61.7' });
    while (!s.done) s.step();
    const events = mine(s.events, 'a');
    expect(events.map((e) => e.type)).toEqual(['ORDER_NEW', 'ORDER_TRIGGERED', 'FILL', 'ORDER_EXPIRED']);
    expect(events[2]).toMatchObject({ price: '61717.01', quantity: '0.00099', quoteQuantity: '61.0998399', fee: '0.00000099' });
    expect(events[3]).toMatchObject({ reason: 'INSUFFICIENT_BALANCE', executedQty: '0.00099' });
    expect(s.kernel.balances('a')).toEqual({ BTC: { free: '0.00098901', locked: '0' }, USDT: { free: '0.6001601', locked: '0' } });
    s.kernel.checkInvariants();
  });

  it('a stop-market sell locks its quantity of BTC as before', () => {
    const s = new RecordingStepper(recording);
    s.advanceTo(PLACED_AT);
    s.open('a', { BTC: '1' });
    s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, side: 'SELL', type: 'STOP_LOSS', quantity: '0.4', stopPrice: '61000.00' });
    expect(s.kernel.balances('a')!.BTC).toEqual({ free: '0.6', locked: '0.4' });
  });
});

describe('futures stop-market orders (not reduce-only) reserve initial margin and fee at the trigger price', () => {
  const recording = loadRecording(USDM_RECORDING);
  const d = parseFixed;

  function place(order: Conditional, usdt = '1000') {
    const s = new RecordingStepper(recording);
    s.advanceTo(PLACED_AT);
    s.handle({ kind: 'account.open', time: s.kernel.now, account: 'f', type: 'futures', leverage: 10, balances: { USDT: usdt } });
    const placed = s.handle({ kind: 'order.place', time: s.kernel.now, account: 'f', symbol: s.symbol, ...order });
    const account = s.kernel.account('f') as FuturesAccount;
    return { s, placed, account };
  }

  // reserve = qty × price / 10 + ceil_8(qty × price × 0.05 %)   (taker 0.05 % is the worse rate)
  const cases: Array<[string, Conditional, string]> = [
    ['a STOP_LOSS buy at 70,000: 70 + 0.35', { side: 'BUY', type: 'STOP_LOSS', quantity: '0.01', stopPrice: '70000.0' }, '70.35'],
    ['a STOP_LOSS sell at 50,000: 50 + 0.25', { side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', stopPrice: '50000.0' }, '50.25'],
    ['a TAKE_PROFIT buy at 61,700: 61.7 + 0.3085', { side: 'BUY', type: 'TAKE_PROFIT', quantity: '0.01', stopPrice: '61700.0' }, '62.0085'],
    ['a TAKE_PROFIT sell at 61,830: 61.83 + 0.30915', { side: 'SELL', type: 'TAKE_PROFIT', quantity: '0.01', stopPrice: '61830.0' }, '62.13915'],
    // mark 61,807.7 × 1.001 = 61,869.5077 → up to the 0.1 tick 61,869.6 → 61.8696 + ceil_8(0.309348) = 0.309348
    ['a TRAILING_STOP_MARKET buy at the mark × 1.001, up to the tick: 61.8696 + 0.309348', { side: 'BUY', type: 'TRAILING_STOP_MARKET', quantity: '0.01', callbackRate: '0.001' }, '62.178948'],
    // activation 61,900 (above the last trade 61,807.8: a sell's activation below it would hold at once, -2021)
    // × 0.999 = 61,838.1 → 61.8381 + 0.05 % × 618.381 = 0.3091905
    ['a TRAILING_STOP_MARKET sell at activation × 0.999: 61.8381 + 0.3091905', { side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.01', callbackRate: '0.001', activationPrice: '61900.0' }, '62.1472905'],
  ];
  for (const [name, order, reserve] of cases) {
    it(`${name} = ${reserve} USDT, and every later step keeps the wallet whole`, () => {
      const { s, placed, account } = place(order);
      expect(placed.map((e) => e.type)).toEqual(['ORDER_NEW']);
      expect(formatFixed(account.reserved)).toBe(reserve);
      expect(formatFixed(account.cash)).toBe(formatFixed(d('1000') - d(reserve)));
      while (!s.done) {
        s.step();
        expect(account.cash >= 0n).toBe(true);
      }
      expect(s.events.filter((e) => e.type === 'INPUT_REJECTED')).toEqual([]);
      s.kernel.checkInvariants();
    });
  }

  it('a triggered stop whose margin no longer fits expires with INSUFFICIENT_BALANCE and releases its reservation', () => {
    // TAKE_PROFIT buy 0.01 at 61,700 with exactly its reserve, 61.7 + 0.3085 = 62.0085: it triggers at
    // 61,700 while the ask is 61,701.7, needing 61.7017 + ceil_8(0.3085085) = 62.0102085.
    const { s, account } = place({ side: 'BUY', type: 'TAKE_PROFIT', quantity: '0.01', stopPrice: '61700.0' }, '62.0085');
    expect(formatFixed(account.reserved)).toBe('62.0085');
    while (!s.done) s.step();
    const events = mine(s.events, 'f');
    expect(events.map((e) => e.type)).toEqual(['ORDER_NEW', 'ORDER_TRIGGERED', 'ORDER_EXPIRED']);
    expect(events[2]).toMatchObject({ reason: 'INSUFFICIENT_BALANCE', executedQty: '0' });
    expect(formatFixed(account.cash)).toBe('62.0085');
    expect(account.reserved).toBe(0n);
    s.kernel.checkInvariants();
  });
});

describe('a futures sell limit below the market fills at the bids, so its taker part is checked against the funds first', () => {
  const recording = loadRecording(USDM_RECORDING);

  function sell(quantity: string) {
    // Binance refuses a limit this far out (minimum price 556.8, band 0.85×–1.15× the mark); these cases are about the taker funds check, so they run without those filters.
    const s = new RecordingStepper(recording, { instrument: { minPrice: undefined, priceBand: undefined } });
    s.advanceTo(PLACED_AT);
    s.handle({ kind: 'account.open', time: s.kernel.now, account: 'f', type: 'futures', leverage: 10, balances: { USDT: '20000' } });
    const events = s.handle({ kind: 'order.place', time: s.kernel.now, account: 'f', symbol: s.symbol, side: 'SELL', type: 'LIMIT', quantity, price: '100.0' });
    return { s, events, account: s.kernel.account('f') as FuturesAccount };
  }

  it('10 BTC at 100 reserves 10 × 100 / 10 + 0.5 = 100.5 USDT, but at the bids (about 61,800) needs about 61,800: it expires, nothing spent', () => {
    const { s, events, account } = sell('10');
    expect(events.map((e) => e.type)).toEqual(['ORDER_NEW', 'ORDER_EXPIRED']);
    expect(events[1]).toMatchObject({ reason: 'INSUFFICIENT_BALANCE', executedQty: '0' });
    expect(formatFixed(account.cash)).toBe('20000');
    expect(account.reserved).toBe(0n);
    s.kernel.checkInvariants();
  });

  it('1 BTC at 100 fills at the bids, taking margin at the fill prices, and leaves cash ≥ 0', () => {
    const { s, events, account } = sell('1');
    const fills = events.filter((e) => e.type === 'FILL');
    expect(fills.length).toBeGreaterThan(0);
    expect(fills.every((f) => f.type === 'FILL' && parseFixed(f.price) > parseFixed('61000'))).toBe(true);
    const notional = fills.reduce((sum, f) => sum + (f.type === 'FILL' ? parseFixed(f.quoteQuantity) : 0n), 0n);
    const fees = fills.reduce((sum, f) => sum + (f.type === 'FILL' ? parseFixed(f.fee) : 0n), 0n);
    // margin = notional / 10 (to 8 digits, per fill); cash = 20,000 − margin − fees
    const position = account.positions.get('BTCUSDT')!;
    expect(formatFixed(position.margin)).toBe(formatFixed(notional / 10n));
    expect(formatFixed(account.cash)).toBe(formatFixed(parseFixed('20000') - notional / 10n - fees));
    expect(account.cash >= 0n).toBe(true);
    s.kernel.checkInvariants();
  });
});
