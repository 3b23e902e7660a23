import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { BookSynchronizer } from '../book/book-synchronizer.js';
import type { FillEvent, KernelEvent } from '../kernel/events.js';
import { Kernel } from '../kernel/kernel.js';
import { formatFixed, parseFixed, type Fixed } from '../money/fixed.js';
import type { MarketInput } from '../../market-data/recording-reader.js';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';

const symbol = 'BTCUSDT';
const STEP = parseFixed('0.00001');
const lv = (raw: readonly (readonly [string, string])[]) => raw.map(([p, q]) => [parseFixed(p), parseFixed(q)] as const);
const fillsOf = (events: readonly KernelEvent[]) =>
  events.filter((e): e is FillEvent => e.type === 'FILL').map((f) => [f.clientOrderId, f.quantity, f.liquidity] as const);

/**
 * Paper orders resting at one price stand in one line, in arrival order, behind the queue the book
 * displayed: what a print at that price leaves past the queue goes to the first of them, and only
 * what the first does not need goes to the next (the exchange would have matched them so).
 */
describe('orders resting at one price share what a print leaves past the queue', () => {
  it('by hand: 1 BTC displayed, a seller prints 1.2: the two bids behind it get 0.2 between them', () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', symbol)!] });
    kernel.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids: [['60000.00', '1']], asks: [['60010.00', '1']] });
    for (const account of ['a', 'b']) kernel.handle({ kind: 'account.open', time: 1_000, account, balances: { USDT: '100000' } });
    for (const account of ['a', 'b']) {
      kernel.handle({ kind: 'order.place', time: 1_000, account, symbol, side: 'BUY', type: 'LIMIT', quantity: '0.5', price: '60000.00', clientOrderId: account });
    }
    // Queue 1 for both; 1.2 − 1 = 0.2 reaches the line, all of it to `a` (first in time).
    expect(fillsOf(kernel.handle({ kind: 'trade', time: 1_100, symbol, tradeId: 1, price: '60000.00', quantity: '1.2', buyerMaker: true }))).toEqual([['a', '0.2', 'MAKER']]);
    // Nothing is ahead any more: 0.3 of the next 0.4 completes `a`, 0.1 goes to `b`.
    expect(fillsOf(kernel.handle({ kind: 'trade', time: 1_200, symbol, tradeId: 2, price: '60000.00', quantity: '0.4', buyerMaker: true }))).toEqual([
      ['a', '0.3', 'MAKER'],
      ['b', '0.1', 'MAKER'],
    ]);
  });

  it('by hand: a fill through a better paper price comes out of what the queue at the print price sees', () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', symbol)!] });
    kernel.handle({ kind: 'book.snapshot', time: 1_000, symbol, lastUpdateId: 10, bids: [['60000.00', '1']], asks: [['60010.00', '1']] });
    for (const account of ['a', 'b']) kernel.handle({ kind: 'account.open', time: 1_000, account, balances: { USDT: '100000' } });
    kernel.handle({ kind: 'order.place', time: 1_000, account: 'a', symbol, side: 'BUY', type: 'LIMIT', quantity: '0.5', price: '60005.00', clientOrderId: 'a' });
    kernel.handle({ kind: 'order.place', time: 1_000, account: 'b', symbol, side: 'BUY', type: 'LIMIT', quantity: '0.5', price: '60000.00', clientOrderId: 'b' });
    // A seller's 1.2 at 60,000: 0.5 through `a`'s better bid first, 0.7 left for the 1 BTC queue at 60,000: nothing for `b`.
    expect(fillsOf(kernel.handle({ kind: 'trade', time: 1_100, symbol, tradeId: 1, price: '60000.00', quantity: '1.2', buyerMaker: true }))).toEqual([['a', '0.5', 'MAKER']]);
  });

  it('on the real tape: two accounts at the best bid fill together exactly as one order of both sizes, the earlier first', () => {
    const recording = loadRecording(BUNDLED_RECORDING);
    const at = 1723161450000;
    const s = new RecordingStepper(recording);
    s.advanceTo(at);
    for (const account of ['a', 'b']) s.open(account, { USDT: '10000000' });
    const price = parseFixed(s.kernel.depth(s.symbol, 1)!.bids[0]![0]);
    const sizes = { a: parseFixed('0.8'), b: parseFixed('0.7') };
    for (const account of ['a', 'b'] as const) {
      s.handle({ kind: 'order.place', time: s.kernel.now, account, symbol: s.symbol, side: 'BUY', type: 'LIMIT', quantity: formatFixed(sizes[account]), price: formatFixed(price), clientOrderId: account });
    }
    const arrivalIndex = recording.inputs.findIndex((i) => i.time > at) - 1;
    const model = lineFills(recording.inputs, arrivalIndex, price, sizes.a + sizes.b);
    const left = { ...sizes };
    let index = arrivalIndex;
    let checked = 0;
    let shared = 0;
    while (!s.done) {
      index += 1;
      const got = fillsOf(s.step()!.events);
      const total = model.get(index) ?? 0n;
      // The earlier order takes what it can; the later one only the rest.
      const forA = total < left.a ? total : left.a;
      const expected: (readonly [string, string, string])[] = [];
      if (forA > 0n) expected.push(['a', formatFixed(forA), 'MAKER']);
      if (total - forA > 0n) expected.push(['b', formatFixed(total - forA), 'MAKER']);
      expect(got, `input ${index}`).toEqual(expected);
      left.a -= forA;
      left.b -= total - forA;
      if (total > 0n) checked += 1;
      if (forA > 0n && total - forA > 0n) shared += 1;
    }
    expect(checked).toBeGreaterThan(3);
    expect(shared).toBeGreaterThan(0);
    s.kernel.checkInvariants();
  });
});

/**
 * An independent model of a line of paper bids at `price` with `quantity` in all, placed right
 * after input `from`: its queue is the size displayed there then, never more than displayed later;
 * sellers' prints at the price eat the queue, then fill the line; prints below the price fill it;
 * asks at or below the price fill it from the crossing levels, each level once until restated.
 * A print stamped at or before the latest update that stated the level since is already in its size.
 */
function lineFills(inputs: readonly MarketInput[], from: number, price: Fixed, quantity: Fixed): Map<number, Fixed> {
  const sync = new BookSynchronizer(symbol, 'spot');
  const out = new Map<number, Fixed>();
  let remaining = quantity;
  let queue = 0n;
  let placed = false;
  let levelStatedAt: number | undefined;
  let bookAt = 0;
  const taken = new Map<Fixed, Fixed>();
  const fill = (i: number, q: Fixed) => {
    if (q <= 0n) return;
    out.set(i, (out.get(i) ?? 0n) + q);
    remaining -= q;
  };
  inputs.forEach((input, i) => {
    if (input.kind === 'book.snapshot') sync.onSnapshot({ lastUpdateId: input.lastUpdateId, bids: lv(input.bids), asks: lv(input.asks) });
    if (input.kind === 'book.delta') {
      const applied = sync.onDelta({ firstUpdateId: input.firstUpdateId, finalUpdateId: input.finalUpdateId, bids: lv(input.bids), asks: lv(input.asks) });
      for (const [p] of input.asks) taken.delete(parseFixed(p));
      if (applied.kind === 'applied') {
        bookAt = Math.max(bookAt, input.time);
        if (placed && remaining > 0n && input.bids.some(([p]) => parseFixed(p) === price)) levelStatedAt = bookAt;
      }
    }
    if (i < from) return;
    if (!placed) {
      placed = true;
      queue = sync.book.bids.sizeAt(price);
      return;
    }
    if (remaining === 0n) return;
    if (input.kind === 'book.delta') {
      const displayed = sync.book.bids.sizeAt(price);
      if (queue > displayed) queue = displayed;
      let crossing = 0n;
      for (const [p, q] of sync.book.asks.levels()) {
        if (p > price) break;
        const free = q - (taken.get(p) ?? 0n);
        const take = ((free < remaining - crossing ? free : remaining - crossing) / STEP) * STEP;
        if (take > 0n) {
          taken.set(p, (taken.get(p) ?? 0n) + take);
          crossing += take;
        }
      }
      fill(i, crossing);
    }
    if (input.kind === 'trade') {
      const p = parseFixed(input.price);
      const q = parseFixed(input.quantity);
      if (p < price) fill(i, q < remaining ? q : remaining);
      else if (p === price && input.buyerMaker && (levelStatedAt === undefined || input.time > levelStatedAt)) {
        const excess = q > queue ? q - queue : 0n;
        queue = queue > q ? queue - q : 0n;
        fill(i, excess < remaining ? excess : remaining);
      }
    }
  });
  return out;
}
