import { describe, expect, it } from 'vitest';
import type { KernelEvent } from '../kernel/events.js';
import { USDM_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper, stateWithoutSequence } from '../../test-kit/recording-stepper.js';
import { formatFixed, parseFixed } from '../money/fixed.js';
import type { FuturesAccount } from './futures-account.js';

/**
 * The kernel's `leverage.set` with open orders on the symbol (Binance USD-M "Change Initial
 * Leverage": allowed with open orders, their initial margin taken again at the new leverage), on the
 * USD-M replay at 1723161350000 (BTCUSDT: bid 61,765.1, ask 61,765.2). The instrument's rates are
 * Binance's standard USD-M ones, maker 0.02 %, taker 0.05 %; an order reserves its initial margin
 * (notional / leverage, up to 8 decimals) and its fee at the worst (taker) rate. Figures by hand.
 */
describe('leverage.set with open orders', () => {
  const T = 1723161350000;
  const d = parseFixed;
  const start = (balance: string, marginMode: 'cross' | 'isolated' = 'cross') => {
    const s = new RecordingStepper(loadRecording(USDM_RECORDING));
    s.advanceTo(T);
    s.handle({ kind: 'account.open', time: s.kernel.now, account: 'f', type: 'futures', marginMode, leverage: 10, balances: { USDT: balance } });
    const account = s.kernel.account('f') as FuturesAccount;
    const place = (fields: Record<string, unknown>) => {
      const events = s.handle({ kind: 'order.place', time: s.kernel.now, account: 'f', symbol: s.symbol, ...fields } as never);
      const placed = events.find((e) => e.type === 'ORDER_NEW');
      if (placed === undefined || !('orderId' in placed)) throw new Error(`not placed: ${JSON.stringify(events)}`);
      return s.kernel.order(placed.orderId)!;
    };
    const setLeverage = (leverage: number): KernelEvent[] => s.handle({ kind: 'leverage.set', time: s.kernel.now, account: 'f', symbol: s.symbol, leverage });
    return { s, account, place, setLeverage };
  };

  it('a resting limit order and a stop-market order (STOP_LOSS) both move to the new leverage, their reservations exact', () => {
    const { s, account, place, setLeverage } = start('1000');
    // 0.1 × 60,000 = 6,000: 600 + 3 of fee at 10x.
    const limit = place({ side: 'BUY', type: 'LIMIT', quantity: '0.1', price: '60000' });
    // 0.01 × 63,000 = 630 at its trigger: 63 + 0.315 at 10x.
    const stop = place({ side: 'BUY', type: 'STOP_LOSS', quantity: '0.01', stopPrice: '63000' });
    expect([formatFixed(limit.locked), formatFixed(stop.locked), formatFixed(account.cash)]).toEqual(['603', '63.315', '333.685']);

    expect(setLeverage(20).map((e) => e.type)).toEqual(['LEVERAGE_SET']);
    // 300 + 3 and 31.5 + 0.315: 334.185 freed.
    expect([formatFixed(limit.locked), formatFixed(stop.locked), formatFixed(account.reserved), formatFixed(account.cash)]).toEqual(['303', '31.815', '334.815', '665.185']);
    expect([limit.leverage, stop.leverage]).toEqual([20, 20]);
    expect(account.wallet()).toBe(d('1000'));

    // 7x: 6,000 / 7 = 857.14285715 (up) + 3, 630 / 7 = 90 + 0.315; 950.45785715 of 1,000.
    expect(setLeverage(7).map((e) => e.type)).toEqual(['LEVERAGE_SET']);
    expect([formatFixed(limit.locked), formatFixed(stop.locked), formatFixed(account.cash)]).toEqual(['860.14285715', '90.315', '49.54214285']);
    s.kernel.checkInvariants();
  });

  it('a reduction the cash cannot pay is LEVERAGE_MARGIN_INSUFFICIENT and changes nothing', () => {
    const { s, place, setLeverage } = start('1000');
    place({ side: 'BUY', type: 'LIMIT', quantity: '0.1', price: '60000' });
    expect(setLeverage(20).map((e) => e.type)).toEqual(['LEVERAGE_SET']);
    const before = stateWithoutSequence(s.kernel);
    // 1,200 + 3 at 5x: 900 more than the 303 held, 697 free.
    expect(setLeverage(5)).toEqual([expect.objectContaining({ type: 'LEVERAGE_REJECTED', code: 'LEVERAGE_MARGIN_INSUFFICIENT', message: expect.stringContaining('(900 USDT more margin needed at 5x, 697 available)') })]);
    expect(stateWithoutSequence(s.kernel)).toBe(before);
  });

  it("an increase counts the open orders' notional against the bracket: 1 BTC bid at 60,000 (bracket 2) allows 100x, not 125x", () => {
    const { s, account, place, setLeverage } = start('100000');
    const order = place({ side: 'BUY', type: 'LIMIT', quantity: '1', price: '60000' });
    const before = stateWithoutSequence(s.kernel);
    expect(setLeverage(125)).toEqual([expect.objectContaining({ type: 'LEVERAGE_REJECTED', code: 'MAX_POSITION_EXCEEDED' })]);
    expect(stateWithoutSequence(s.kernel)).toBe(before);
    expect(setLeverage(100).map((e) => e.type)).toEqual(['LEVERAGE_SET']);
    // 600 + 30 of fee.
    expect(formatFixed(order.locked)).toBe('630');
    expect(account.leverageOf(s.symbol)).toBe(100);
  });

  it('isolated: a reduction with orders and no position goes when the cash pays it', () => {
    const { s, account, place, setLeverage } = start('1000', 'isolated');
    const limit = place({ side: 'SELL', type: 'LIMIT', quantity: '0.1', price: '64000' });
    // 6,400 / 10 + 3.2 = 643.2; at 8x 800 + 3.2.
    expect(formatFixed(limit.locked)).toBe('643.2');
    expect(setLeverage(8).map((e) => e.type)).toEqual(['LEVERAGE_SET']);
    expect([formatFixed(limit.locked), formatFixed(account.cash)]).toEqual(['803.2', '196.8']);
    s.kernel.checkInvariants();
  });

  it('an order filling after the change opens its position at the new leverage, its margin price × qty / 20', () => {
    const { s, account, place, setLeverage } = start('1000');
    const order = place({ side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '61765.1' });
    expect(setLeverage(20).map((e) => e.type)).toEqual(['LEVERAGE_SET']);
    const fills: Array<{ price: string; quantity: string }> = [];
    while (!s.done && order.status !== 'FILLED') for (const e of s.step()!.events) if (e.type === 'FILL' && 'price' in e) fills.push(e as never);
    expect(order.status).toBe('FILLED');
    const position = account.positions.get(s.symbol)!;
    expect(position.leverage).toBe(20);
    // Each fill's margin: price × qty / 20, truncated to 8 decimals.
    const margin = fills.reduce((sum, f) => sum + ((((d(f.price) * d(f.quantity)) / 10n ** 18n / 20n) / 10n ** 10n) * 10n ** 10n), 0n);
    expect(position.margin).toBe(margin);
    s.kernel.checkInvariants();
  });
});
