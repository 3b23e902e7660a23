import { describe, expect, it } from 'vitest';
import { parseFixed } from '../money/fixed.js';
import type { KernelEvent } from '../kernel/events.js';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';

const recording = loadRecording(USDM_RECORDING);
const d = parseFixed;

/** The USD-M recording at 1723161350000, account m with 10,000 USDT at 125x (bracket 1: 125x below 50,000 USDT). */
function at125x(): RecordingStepper {
  const s = new RecordingStepper(recording);
  s.advanceTo(1723161350000);
  s.handle({ kind: 'account.open', time: s.kernel.now, account: 'm', type: 'futures', balances: { USDT: '10000' } });
  const set = s.handle({ kind: 'leverage.set', time: s.kernel.now, account: 'm', symbol: 'BTCUSDT', leverage: 125 });
  expect(set.map((e) => e.type)).toContain('LEVERAGE_SET');
  return s;
}

const place = (s: RecordingStepper, order: Record<string, unknown>): KernelEvent[] =>
  s.handle({ kind: 'order.place', time: s.kernel.now, account: 'm', symbol: 'BTCUSDT', ...order } as never);
const refusal = (events: readonly KernelEvent[]) => events.find((e) => e.type === 'ORDER_REJECTED');

describe('leverage brackets apply to the position an order can reach, for every order type', () => {
  it('a MARKET BUY of 1 BTC at 125x is refused like a LIMIT of the same size: 1 × ~61,765 is past the 50,000 of bracket 1', () => {
    const s = at125x();
    for (const order of [{ side: 'BUY', type: 'MARKET', quantity: '1' }, { side: 'BUY', type: 'LIMIT', price: '61800', quantity: '1', timeInForce: 'GTC' }]) {
      expect(refusal(place(s, order))).toMatchObject({ code: 'MAX_POSITION_EXCEEDED', mexcCode: 2023, message: expect.stringMatching(/^Exceeded the maximum allowable position at current leverage/) });
    }
  });

  it('two BUY LIMITs of 0.7 at 61,800: the first (43,260) rests, the second would make 86,520 with it and is refused', () => {
    const s = at125x();
    const first = place(s, { side: 'BUY', type: 'LIMIT', price: '61800', quantity: '0.7', timeInForce: 'GTC' });
    expect(refusal(first)).toBeUndefined();
    expect(refusal(place(s, { side: 'BUY', type: 'LIMIT', price: '61800', quantity: '0.7', timeInForce: 'GTC' }))).toMatchObject({ code: 'MAX_POSITION_EXCEEDED' });
    // A SELL of the same size is on the other side: it cannot add to a long, it is accepted.
    expect(refusal(place(s, { side: 'SELL', type: 'LIMIT', price: '61900', quantity: '0.7', timeInForce: 'GTC' }))).toBeUndefined();
  });

  it('a position of 0.5 BTC (~30,900) cannot be raised past 50,000 by a market order, a stop-market or a limit; a reduce-only order always passes', () => {
    const s = at125x();
    const opened = place(s, { side: 'BUY', type: 'MARKET', quantity: '0.5' });
    expect(refusal(opened)).toBeUndefined();
    expect(opened.some((e) => e.type === 'POSITION_OPENED')).toBe(true);
    // 0.5 + 0.4 = 0.9 BTC at ~61,765: ~55,600 > 50,000.
    expect(refusal(place(s, { side: 'BUY', type: 'MARKET', quantity: '0.4' }))).toMatchObject({ code: 'MAX_POSITION_EXCEEDED' });
    expect(refusal(place(s, { side: 'BUY', type: 'STOP_LOSS', stopPrice: '62000', quantity: '0.4' }))).toMatchObject({ code: 'MAX_POSITION_EXCEEDED' });
    expect(refusal(place(s, { side: 'BUY', type: 'LIMIT', price: '61000', quantity: '0.4', timeInForce: 'GTC' }))).toMatchObject({ code: 'MAX_POSITION_EXCEEDED' });
    // 0.5 + 0.25 = 0.75 BTC at 61,000 and the mark: below 50,000 (0.75 × 62,000 = 46,500).
    expect(refusal(place(s, { side: 'BUY', type: 'LIMIT', price: '61000', quantity: '0.25', timeInForce: 'GTC' }))).toBeUndefined();
    expect(refusal(place(s, { side: 'SELL', type: 'MARKET', quantity: '0.5', reduceOnly: true }))).toBeUndefined();
  });

  // Every type that can add, with a 0.5 BTC long open (0.5 × ~61,765 ≈ 30,880 at the mark). By hand:
  // 0.4 more at 61,000–62,500 is 24,400–25,000, together past 50,000 (refused); 0.25 at up to 62,500
  // is at most 15,625, together at most 46,510 (accepted). Each accepted one is cancelled before the next.
  const BELOW = '61000';
  const ABOVE = '62500';
  const adders: [string, (quantity: string) => Record<string, unknown>][] = [
    ['LIMIT GTC', (quantity) => ({ type: 'LIMIT', price: BELOW, quantity, timeInForce: 'GTC' })],
    ['LIMIT_MAKER', (quantity) => ({ type: 'LIMIT_MAKER', price: BELOW, quantity })],
    ['IMMEDIATE_OR_CANCEL', (quantity) => ({ type: 'IMMEDIATE_OR_CANCEL', price: BELOW, quantity })],
    ['FILL_OR_KILL', (quantity) => ({ type: 'FILL_OR_KILL', price: BELOW, quantity })],
    ['STOP_LOSS (stop-market)', (quantity) => ({ type: 'STOP_LOSS', stopPrice: ABOVE, quantity })],
    ['STOP_LOSS_LIMIT', (quantity) => ({ type: 'STOP_LOSS_LIMIT', stopPrice: ABOVE, price: ABOVE, quantity, timeInForce: 'GTC' })],
    ['TAKE_PROFIT (market)', (quantity) => ({ type: 'TAKE_PROFIT', stopPrice: BELOW, quantity })],
    ['TAKE_PROFIT_LIMIT', (quantity) => ({ type: 'TAKE_PROFIT_LIMIT', stopPrice: BELOW, price: BELOW, quantity, timeInForce: 'GTC' })],
    ['TRAILING_STOP_MARKET with activation', (quantity) => ({ type: 'TRAILING_STOP_MARKET', activationPrice: BELOW, callbackRate: '0.01', quantity })],
    ['TRAILING_STOP_MARKET at the mark', (quantity) => ({ type: 'TRAILING_STOP_MARKET', callbackRate: '0.01', quantity })],
  ];

  it.each(adders)('%s: 0.4 BTC more on a 0.5 BTC long at 125x is refused, 0.25 is accepted', (_name, order) => {
    const s = at125x();
    expect(refusal(place(s, { side: 'BUY', type: 'MARKET', quantity: '0.5' }))).toBeUndefined();
    expect(refusal(place(s, { side: 'BUY', clientOrderId: 'over', ...order('0.4') }))).toMatchObject({ code: 'MAX_POSITION_EXCEEDED' });
    const accepted = place(s, { side: 'BUY', clientOrderId: 'within', ...order('0.25') });
    expect(refusal(accepted)).toBeUndefined();
    expect(accepted.some((e) => e.type === 'ORDER_NEW')).toBe(true);
    // The refusal is the bracket's, not the account's margin: 0.4 BTC at 20x is accepted.
    const margin = at125x();
    margin.handle({ kind: 'leverage.set', time: margin.kernel.now, account: 'm', symbol: 'BTCUSDT', leverage: 20 });
    expect(refusal(place(margin, { side: 'BUY', type: 'MARKET', quantity: '0.5' }))).toBeUndefined();
    expect(refusal(place(margin, { side: 'BUY', clientOrderId: 'over', ...order('0.4') }))).toBeUndefined();
  });

  it('an order list is refused whole when a leg would take the position past the bracket', () => {
    const s = at125x();
    expect(refusal(place(s, { side: 'BUY', type: 'MARKET', quantity: '0.5' }))).toBeUndefined();
    const events = s.handle({ kind: 'order.list', time: s.kernel.now, account: 'm', orders: [
      { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT_MAKER', price: BELOW, quantity: '0.1', clientOrderId: 'leg-1' },
      { symbol: 'BTCUSDT', side: 'BUY', type: 'STOP_LOSS', stopPrice: ABOVE, quantity: '0.4', clientOrderId: 'leg-2' },
    ] } as never);
    expect(events).toEqual([expect.objectContaining({ type: 'ORDER_REJECTED', clientOrderId: 'leg-2', code: 'MAX_POSITION_EXCEEDED' })]);
    expect(s.kernel.orders('m').filter((o) => o.status === 'NEW')).toEqual([]);
  });

  it('selling 1.2 BTC against a 0.5 BTC long reaches a 0.7 BTC short (~43,000) and is accepted; 1.4 would reach 0.9 and is refused', () => {
    const s = at125x();
    expect(refusal(place(s, { side: 'BUY', type: 'MARKET', quantity: '0.5' }))).toBeUndefined();
    expect(refusal(place(s, { side: 'SELL', type: 'LIMIT', price: '61900', quantity: '1.4', timeInForce: 'GTC' }))).toMatchObject({ code: 'MAX_POSITION_EXCEEDED' });
    expect(refusal(place(s, { side: 'SELL', type: 'LIMIT', price: '61900', quantity: '1.2', timeInForce: 'GTC' }))).toBeUndefined();
  });

  it('at 100x the same 1 BTC market order is within bracket 2 (below 600,000) and fills', () => {
    const s = at125x();
    s.handle({ kind: 'leverage.set', time: s.kernel.now, account: 'm', symbol: 'BTCUSDT', leverage: 100 });
    const events = place(s, { side: 'BUY', type: 'MARKET', quantity: '1' });
    expect(refusal(events)).toBeUndefined();
    const filled = events.filter((e) => e.type === 'FILL').reduce((sum, e) => sum + d((e as { quantity: string }).quantity), 0n);
    expect(filled).toBe(d('1'));
  });
});
