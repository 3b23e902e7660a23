import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { FillEvent, KernelEvent } from '../kernel/events.js';
import { Kernel } from '../kernel/kernel.js';
import { parseFixed } from '../money/fixed.js';
import type { MarketInput } from '../../market-data/recording-reader.js';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';

const symbol = 'BTCUSDT';
const fills = (events: readonly KernelEvent[]) => events.filter((e) => e.type === 'FILL').map((e) => ('quantity' in e ? e.quantity : ''));

function restingBuy(): Kernel {
  const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', symbol)!] });
  kernel.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids: [['60000.00', '1']], asks: [['60010.00', '1']] });
  kernel.handle({ kind: 'account.open', time: 1_000, account: 'a', balances: { USDT: '100000' } });
  // Queue ahead: the 1 BTC displayed at 60,000 when it arrives.
  kernel.handle({ kind: 'order.place', time: 1_000, account: 'a', symbol, side: 'BUY', type: 'LIMIT', quantity: '0.5', price: '60000.00', clientOrderId: 'bid' });
  return kernel;
}

describe('two clocks: trades that arrive after the depth that already holds them', () => {
  it('a trade stamped before the update that stated its level does not move the queue a second time', () => {
    const kernel = restingBuy();
    // A seller hit 0.6 at t=1,050; the update of E=1,100 arrives first and shows 0.4 left: the queue is 0.4.
    expect(fills(kernel.handle({ kind: 'book.delta', time: 1_100, symbol, firstUpdateId: 11, finalUpdateId: 11, bids: [['60000.00', '0.4']], asks: [] }))).toEqual([]);
    // Then the trade itself: it is in the 0.4 already. Counting it again would fill 0.2 (0.6 − 0.4).
    expect(fills(kernel.handle({ kind: 'trade', time: 1_050, symbol, tradeId: 1, price: '60000.00', quantity: '0.6', buyerMaker: true }))).toEqual([]);
    // A later trade (t=1,200 > E) of 0.5 eats the 0.4 ahead, then fills 0.1.
    expect(fills(kernel.handle({ kind: 'trade', time: 1_200, symbol, tradeId: 2, price: '60000.00', quantity: '0.5', buyerMaker: true }))).toEqual(['0.1']);
  });

  it('a trade stamped after the update moves the queue as before', () => {
    const kernel = restingBuy();
    kernel.handle({ kind: 'book.delta', time: 1_100, symbol, firstUpdateId: 11, finalUpdateId: 11, bids: [['60000.00', '1.2']], asks: [] });
    // Queue 1 (never raised by the level growing): a trade of 1.3 at t=1,101 fills 0.3.
    expect(fills(kernel.handle({ kind: 'trade', time: 1_101, symbol, tradeId: 1, price: '60000.00', quantity: '1.3', buyerMaker: true }))).toEqual(['0.3']);
  });

  it('a trade through the price fills whatever its time: the order was resting when it printed', () => {
    const kernel = restingBuy();
    kernel.handle({ kind: 'book.delta', time: 1_100, symbol, firstUpdateId: 11, finalUpdateId: 11, bids: [['60000.00', '0.4']], asks: [] });
    expect(fills(kernel.handle({ kind: 'trade', time: 1_050, symbol, tradeId: 1, price: '59990.00', quantity: '0.2', buyerMaker: true }))).toEqual(['0.2']);
  });
});

describe('two clocks on the real tape: an order placed between a depth update and the late trades it already holds', () => {
  // Rows of the bundled spot recording, in arrival order: the depth update U=50093249052 (E=1723161279920)
  // states the ask 61841.57 at 0.01972. Then trades 3735683693–3735683697 arrive, buyers lifting
  // 61841.57 (0.01933, 0.04, 0.057, 0.01055, 0.01972), all stamped T=1723161279879–…917, before E.
  // A sell resting at 61841.57 from the moment the update was applied has the 0.01972 it showed
  // ahead of it, and those trades are already in that figure (or, for the last, eat exactly it):
  // none of the 0.14660 they printed may fill it. Counted again, 0.01933 + 0.04 would have filled 0.03961.
  const recording = loadRecording(BUNDLED_RECORDING);
  const PRICE = '61841.57';

  function runPlacedAfter(lastInput: (input: MarketInput) => boolean): { fills: Array<[string, string, string]>; queueFrom: string } {
    const s = new RecordingStepper(recording);
    s.open('a', { BTC: '10' });
    let fed: MarketInput | undefined;
    while (!s.done && (fed === undefined || !lastInput(fed))) fed = s.step()!.input;
    const queueFrom = s.kernel.depth(s.symbol, 50)!.asks.find(([p]) => parseFixed(p) === parseFixed(PRICE))?.[1] ?? '0';
    s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol, side: 'SELL', type: 'LIMIT', quantity: '0.5', price: PRICE, clientOrderId: 'ask' });
    const fills: Array<[string, string, string]> = [];
    while (!s.done) {
      const { input, events } = s.step()!;
      for (const e of events) if (e.type === 'FILL') fills.push([input.kind === 'trade' ? `trade ${input.tradeId}` : input.kind, (e as FillEvent).price, (e as FillEvent).quantity]);
    }
    s.kernel.checkInvariants();
    return { fills, queueFrom };
  }

  it('the late trades neither fill it nor shorten its queue: it fills exactly as if placed after them', () => {
    const early = runPlacedAfter((i) => i.kind === 'book.delta' && i.firstUpdateId === 50093249052);
    const late = runPlacedAfter((i) => i.kind === 'trade' && i.tradeId === 3735683697);
    expect(early.queueFrom).toBe('0.01972');
    expect(late.queueFrom).toBe('0.01972');
    const byLateTrades = early.fills.filter(([cause]) => /^trade 373568369[3-7]$/.test(cause));
    expect(byLateTrades).toEqual([]);
    expect(early.fills).toEqual(late.fills);
  });
});
