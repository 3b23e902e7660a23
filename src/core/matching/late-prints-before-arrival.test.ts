import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { FillEvent, KernelEvent } from '../kernel/events.js';
import { Kernel } from '../kernel/kernel.js';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';

const symbol = 'BTCUSDT';
const fillsOf = (events: readonly KernelEvent[]) =>
  events.filter((e): e is FillEvent => e.type === 'FILL').map((f) => [f.clientOrderId, f.price, f.quantity] as const);

/**
 * Trades reach the recorder after depth updates sent later (ADR 0026, rule 4): a print can arrive
 * after an order stamped later than the print. It happened before the order was on the book, so it
 * cannot fill it, through its price or at it; at its price it still shortens the queue the order found.
 */
describe('a print stamped before a resting order arrived never fills it', () => {
  function kernelWithBook(): Kernel {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', symbol)!] });
    kernel.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids: [['60000.00', '1']], asks: [['60010.00', '1']] });
    kernel.handle({ kind: 'account.open', time: 1_000, account: 'a', balances: { USDT: '1000000' } });
    return kernel;
  }

  it('by hand: a seller through the bid 20 ms before it arrived fills nothing; one after it does', () => {
    const kernel = kernelWithBook();
    kernel.handle({ kind: 'clock', time: 1_100 });
    kernel.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'BUY', type: 'LIMIT', quantity: '1', price: '60005.00', clientOrderId: 'bid' });
    expect(fillsOf(kernel.handle({ kind: 'trade', time: 1_080, symbol, tradeId: 1, price: '60001.00', quantity: '0.3', buyerMaker: true }))).toEqual([]);
    expect(fillsOf(kernel.handle({ kind: 'trade', time: 1_100, symbol, tradeId: 2, price: '60001.00', quantity: '0.3', buyerMaker: true }))).toEqual([['bid', '60005', '0.3']]);
  });

  it('by hand: at the price, a print before arrival eats the queue but fills nothing', () => {
    const kernel = kernelWithBook();
    kernel.handle({ kind: 'clock', time: 1_100 });
    // Queue 1 (displayed at 60,000 when it arrives, the book stated at 1,000).
    kernel.handle({ kind: 'order.place', time: 1_100, account: 'a', symbol, side: 'BUY', type: 'LIMIT', quantity: '1', price: '60000.00', clientOrderId: 'bid' });
    // A seller's 1.5 at 1,050, after the book's statement, before the order: the queue goes, nothing fills.
    expect(fillsOf(kernel.handle({ kind: 'trade', time: 1_050, symbol, tradeId: 1, price: '60000.00', quantity: '1.5', buyerMaker: true }))).toEqual([]);
    // A seller's 0.2 after it arrived fills it with nothing ahead.
    expect(fillsOf(kernel.handle({ kind: 'trade', time: 1_150, symbol, tradeId: 2, price: '60000.00', quantity: '0.2', buyerMaker: true }))).toEqual([['bid', '60000', '0.2']]);
  });

  it('on the real tape: a sell placed at the ask after the update of E=1723161472712 is not filled by the sweep 27 ms before it', () => {
    // Rows of the bundled recording in arrival order: the depth update of E=1723161472712 leaves the
    // book at 61,717.46 / 61,717.47; the next row is a trade stamped T=1723161472685, a seller hitting
    // 61,718.27 for 0.11955 (a bid the sweep down had not yet taken). A sell at 61,717.47 placed when
    // the update arrived was not on the book then: that print cannot fill it.
    const s = new RecordingStepper(loadRecording(BUNDLED_RECORDING));
    s.open('a', { BTC: '10' }, 1723161270000);
    for (;;) {
      const { input } = s.step()!;
      if (input.kind === 'book.delta' && input.time === 1723161472712) break;
    }
    expect(s.kernel.now).toBe(1723161472712);
    const top = s.kernel.depth(symbol, 1)!;
    expect([top.bids[0]![0], top.asks[0]![0]]).toEqual(['61717.46', '61717.47']);
    expect(s.peek()).toMatchObject({ kind: 'trade', time: 1723161472685, price: '61718.27000000', quantity: '0.11955000', buyerMaker: true });
    expect(fillsOf(s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol, side: 'SELL', type: 'LIMIT', quantity: '0.5', price: '61717.47', clientOrderId: 'ask' }))).toEqual([]);
    expect(fillsOf(s.step()!.events)).toEqual([]);
    // Nor does any other print of the sweep stamped before it arrived.
    let late = 0;
    while (s.peek() !== undefined && s.peek()!.time < 1723161472712 + 2_000) {
      const { input, events } = s.step()!;
      const filled = fillsOf(events);
      if (input.kind === 'trade' && input.time < 1723161472712) {
        expect(filled, `trade ${input.tradeId}`).toEqual([]);
        late += 1;
      }
    }
    s.kernel.checkInvariants();
    expect(late).toBeGreaterThan(0);
  });
});
