import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { FillEvent, KernelEvent } from '../kernel/events.js';
import { Kernel } from '../kernel/kernel.js';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';

const symbol = 'BTCUSDT';
const fillsOf = (events: readonly KernelEvent[]) =>
  events.filter((e): e is FillEvent => e.type === 'FILL').map((f) => [f.price, f.quantity, f.liquidity] as const);

/**
 * A marketable limit that took the asks up to its price and rests above them: a real buyer who then
 * lifts those asks takes liquidity paper already bought. No seller came: the print must not fill the
 * paper bid a second time. Only what the print took beyond paper's claim (asks the book did not show,
 * which would have met the resting bid) fills it.
 */
describe('a print on liquidity paper took fills no paper order on the aggressor side again', () => {
  it('by hand: a bid resting above the asks it took is not filled by buyers lifting them', () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', symbol)!] });
    kernel.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids: [['59990.00', '1']], asks: [['60000.00', '1'], ['60000.01', '1']] });
    kernel.handle({ kind: 'account.open', time: 1_000, account: 'a', balances: { USDT: '1000000' } });
    expect(fillsOf(kernel.handle({ kind: 'order.place', time: 1_000, account: 'a', symbol, side: 'BUY', type: 'LIMIT', quantity: '3', price: '60000.01', clientOrderId: 'a' }))).toEqual([
      ['60000', '1', 'TAKER'],
      ['60000.01', '1', 'TAKER'],
    ]);
    // A buyer lifts the 1 BTC at 60,000 that paper took: nobody sold to the paper bid.
    expect(fillsOf(kernel.handle({ kind: 'trade', time: 1_010, symbol, tradeId: 1, price: '60000.00', quantity: '1', buyerMaker: false }))).toEqual([]);
    // A buyer takes 0.4 more at 60,000: an ask the book never showed, which would have met the bid first.
    expect(fillsOf(kernel.handle({ kind: 'trade', time: 1_020, symbol, tradeId: 2, price: '60000.00', quantity: '0.4', buyerMaker: false }))).toEqual([['60000.01', '0.4', 'MAKER']]);
    // A seller below the bid fills it as before.
    expect(fillsOf(kernel.handle({ kind: 'trade', time: 1_030, symbol, tradeId: 3, price: '59999.00', quantity: '0.25', buyerMaker: true }))).toEqual([['60000.01', '0.25', 'MAKER']]);
  });

  it('by hand: the same for an ask resting under the bids it took', () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', symbol)!] });
    kernel.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids: [['60000.00', '1'], ['59999.99', '1']], asks: [['60010.00', '1']] });
    kernel.handle({ kind: 'account.open', time: 1_000, account: 'a', balances: { BTC: '10' } });
    kernel.handle({ kind: 'order.place', time: 1_000, account: 'a', symbol, side: 'SELL', type: 'LIMIT', quantity: '3', price: '59999.99', clientOrderId: 'a' });
    expect(fillsOf(kernel.handle({ kind: 'trade', time: 1_010, symbol, tradeId: 1, price: '60000.00', quantity: '0.6', buyerMaker: true }))).toEqual([]);
  });

  it('on the real tape: buyers lifting 61,828.00 after a bid at 61,828.02 bought it fill nothing', () => {
    // At 23:55:00.000 the best ask is 61,828.00 × 0.45849, the next 61,829.99. A buy of 20 at
    // 61,828.02 takes the 0.45849 and rests. Then, rows of the recording in arrival order:
    //   trades 300030, 300049: buyers lift 61,828.00 (0.01057 each): paper's claim 0.45849 → 0.43735;
    //   delta 300129 states 61,828.00 at 1.32563: 1.32563 − 0.43735 = 0.88828 new, crossing the bid;
    //   delta 300229 at 1.32577: 0.00014 new; 300329 at 1.33668: 0.01091 new; 300529 at 1.66006: 0.32338 new;
    //   delta 300629 at 1.33668: less than paper holds (1.66006), nothing new;
    //   trades 300636–300660: eleven buyers lift 61,828.00, 0.68952 in all, less than paper's claim (1.33668).
    // The bid fills the four crossings and nothing on the prints (it filled 0.71066 more on them).
    const s = new RecordingStepper(loadRecording(BUNDLED_RECORDING));
    s.advanceTo(1723161300000);
    s.open('a', { USDT: '10000000' });
    expect(s.kernel.depth(symbol, 2)!.asks).toEqual([
      ['61828', '0.45849'],
      ['61829.99', '0.00009'],
    ]);
    expect(fillsOf(s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol, side: 'BUY', type: 'LIMIT', quantity: '20', price: '61828.02', clientOrderId: 'a' }))).toEqual([['61828', '0.45849', 'TAKER']]);
    const got: (readonly [string, string, string, string])[] = [];
    let lifted = 0;
    while (s.peek()!.time <= 1723161300660) {
      const { input, events } = s.step()!;
      if (input.kind === 'trade' && input.price === '61828.00000000' && !input.buyerMaker) lifted += 1;
      for (const [price, quantity, liquidity] of fillsOf(events)) got.push([input.kind, price, quantity, liquidity]);
    }
    expect(lifted).toBe(13);
    expect(got).toEqual([
      ['book.delta', '61828.02', '0.88828', 'MAKER'],
      ['book.delta', '61828.02', '0.00014', 'MAKER'],
      ['book.delta', '61828.02', '0.01091', 'MAKER'],
      ['book.delta', '61828.02', '0.32338', 'MAKER'],
    ]);
    s.kernel.checkInvariants();
  });
});
