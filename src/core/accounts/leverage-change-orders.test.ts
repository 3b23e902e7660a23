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

  it('a partly filled order, a trailing stop and a reduce-only order through 20x, 3x and 50x, then a cancel: every reservation exact, the wallet whole', () => {
    const { s, account, place, setLeverage } = start('100000');
    const figures = (...orders: { locked: bigint }[]) => [formatFixed(account.cash), formatFixed(account.reserved), formatFixed(account.positions.get(s.symbol)?.margin ?? 0n), ...orders.map((o) => formatFixed(o.locked))];
    // 1 BTC at 61,765.1: 6,176.51 + 30.88255 of fee at 10x.
    const limit = place({ side: 'BUY', type: 'LIMIT', quantity: '1', price: '61765.1' });
    // Sized where it would arm from the market price 61,765.1: × 1.01 = 62,382.751, up to the tick 62,382.8; 0.2 BTC = 12,476.56: 1,247.656 + 6.23828.
    const trailing = place({ side: 'BUY', type: 'TRAILING_STOP_MARKET', quantity: '0.2', callbackRate: '0.01' });
    expect([formatFixed(limit.locked), formatFixed(trailing.locked)]).toEqual(['6207.39255', '1253.89428']);
    while (!s.done && limit.executedQty === 0n) s.step();
    // The first fill: 0.009 at 61,765.1 as maker (555.8859 USDT, fee 0.11117718 at 0.02 %), margin 55.58859 at 10x. The rest, 0.991
    // (61,209.2141 USDT), keeps 6,120.92141 and its fee at the taker rate, 30.60460705.
    expect([formatFixed(limit.executedQty), formatFixed(limit.cumulativeQuoteQty), formatFixed(limit.feeCharged)]).toEqual(['0.009', '555.8859', '0.11117718']);
    expect(figures(limit, trailing)).toEqual(['92538.87993577', '7405.42029705', '55.58859', '6151.52601705', '1253.89428']);

    // 20x: 3,060.460705 + 30.60460705; 623.828 + 6.23828; the position's 555.8859 / 20.
    expect(setLeverage(20).map((e) => e.type)).toEqual(['LEVERAGE_SET', 'POSITION_UPDATED']);
    expect(figures(limit, trailing)).toEqual(['96250.96293577', '3721.13159205', '27.794295', '3091.06531205', '630.06628']);
    s.kernel.checkInvariants();
    // 3x: 61,209.2141 / 3 = 20,403.07136667 (up) + 30.60460705; 12,476.56 / 3 = 4,158.85333334 (up) + 6.23828; 185.2953.
    expect(setLeverage(3).map((e) => e.type)).toEqual(['LEVERAGE_SET', 'POSITION_UPDATED']);
    expect(figures(limit, trailing)).toEqual(['75215.82593576', '24598.76758706', '185.2953', '20433.67597372', '4165.09161334']);
    s.kernel.checkInvariants();
    // A reduce-only order holds nothing at any leverage. 50x: 1,224.184282 + 30.60460705; 249.5312 + 6.23828; 11.117718.
    const reducing = place({ side: 'SELL', type: 'LIMIT', quantity: '0.001', price: '70000', reduceOnly: true });
    expect(setLeverage(50).map((e) => e.type)).toEqual(['LEVERAGE_SET', 'POSITION_UPDATED']);
    expect(figures(limit, trailing, reducing)).toEqual(['98478.21273577', '1510.55836905', '11.117718', '1254.78888905', '255.76948', '0']);
    expect([limit.leverage, trailing.leverage, reducing.leverage]).toEqual([50, 50, 50]);
    s.kernel.checkInvariants();
    // The cancel gives back exactly what the order held at 50x.
    s.handle({ kind: 'order.cancel', time: s.kernel.now, account: 'f', orderId: limit.id });
    expect(figures(trailing)).toEqual(['99733.00162482', '255.76948', '11.117718', '255.76948']);
    expect(account.wallet()).toBe(d('100000') - d('0.11117718'));
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
