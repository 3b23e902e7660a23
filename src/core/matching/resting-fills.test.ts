import { describe, expect, it } from 'vitest';
import { formatFixed, parseFixed, type Fixed } from '../money/fixed.js';
import type { FillEvent } from '../kernel/events.js';
import { BookSynchronizer } from '../book/book-synchronizer.js';
import type { MarketInput } from '../../market-data/recording-reader.js';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';

const STEP = parseFixed('0.00001');
const lv = (raw: readonly (readonly [string, string])[]) => raw.map(([p, q]) => [parseFixed(p), parseFixed(q)] as const);

/**
 * An independent model of one resting order, written from the rules and nothing else:
 * queue = displayed size at its price on arrival, never more than the level displays later;
 * trades at its price (aggressor on the other side) eat the queue, then fill it; trades through its
 * price fill it; a crossing book fills it from the crossing levels (each level once until updated).
 * Two clocks: a trade stamped at or before the exchange time of the latest depth update that named
 * the order's level (after it arrived) is already in that update's size, so it moves nothing.
 */
function modelFills(inputs: readonly MarketInput[], from: number, side: 'BUY' | 'SELL', price: Fixed, quantity: Fixed): Array<[number, string]> {
  const sync = new BookSynchronizer('BTCUSDT', 'spot');
  const out: Array<[number, string]> = [];
  let remaining = quantity;
  let queue = 0n;
  let placed = false;
  let levelStatedAt: number | undefined;
  let bookAt = 0;
  const taken = new Map<Fixed, Fixed>();
  const own = () => (side === 'BUY' ? sync.book.bids : sync.book.asks);
  const opposite = () => (side === 'BUY' ? sync.book.asks : sync.book.bids);
  const fill = (i: number, q: Fixed) => {
    if (q <= 0n) return;
    out.push([i, formatFixed(q)]);
    remaining -= q;
  };
  inputs.forEach((input, i) => {
    if (input.kind === 'book.snapshot') sync.onSnapshot({ lastUpdateId: input.lastUpdateId, bids: lv(input.bids), asks: lv(input.asks) });
    if (input.kind === 'book.delta') {
      const applied = sync.onDelta({ firstUpdateId: input.firstUpdateId, finalUpdateId: input.finalUpdateId, bids: lv(input.bids), asks: lv(input.asks) });
      for (const [p] of side === 'BUY' ? input.asks : input.bids) taken.delete(parseFixed(p));
      if (applied.kind === 'applied') {
        bookAt = Math.max(bookAt, input.time);
        if (placed && remaining > 0n && (side === 'BUY' ? input.bids : input.asks).some(([p]) => parseFixed(p) === price)) levelStatedAt = bookAt;
      }
    }
    if (i < from) return;
    if (!placed) {
      placed = true;
      queue = own().sizeAt(price);
      return; // index `from` is the moment of arrival: the order is placed after it
    }
    if (remaining === 0n) return;
    if (input.kind === 'book.delta') {
      const displayed = own().sizeAt(price);
      if (queue > displayed) queue = displayed;
      let crossing = 0n;
      for (const [p, q] of opposite().levels()) {
        if (side === 'BUY' ? p > price : p < price) break;
        const left = q - (taken.get(p) ?? 0n);
        const take = ((left < remaining - crossing ? left : remaining - crossing) / STEP) * STEP;
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
      const through = side === 'BUY' ? p < price : p > price;
      const hitsUs = side === 'BUY' ? input.buyerMaker : !input.buyerMaker;
      if (through) fill(i, q < remaining ? q : remaining);
      else if (p === price && hitsUs && (levelStatedAt === undefined || input.time > levelStatedAt)) {
        const excess = q > queue ? q - queue : 0n;
        queue = queue > q ? queue - q : 0n;
        fill(i, excess < remaining ? excess : remaining);
      }
    }
  });
  return out;
}

interface Scenario {
  readonly name: string;
  readonly at: number;
  readonly side: 'BUY' | 'SELL';
  /** Price relative to the best price on the order's own side, in USDT. */
  readonly offset: string;
  readonly quantity: string;
}

const SCENARIOS: Scenario[] = [
  { name: 'a buy at the best bid (queue ahead, partial fills)', at: 1723161300000, side: 'BUY', offset: '0', quantity: '1.5' },
  { name: 'a buy 40 USDT under the bid (filled by trades through)', at: 1723161330000, side: 'BUY', offset: '-40', quantity: '0.8' },
  { name: 'a sell at the best ask', at: 1723161450000, side: 'SELL', offset: '0', quantity: '2' },
  { name: 'a sell 25 USDT over the ask', at: 1723161480000, side: 'SELL', offset: '25', quantity: '0.5' },
  { name: 'a buy at the bid late in the recording', at: 1723161650000, side: 'BUY', offset: '0', quantity: '3' },
  // At the touch, where trades arriving after a depth update that already holds them are common.
  { name: 'a sell at the best ask early on', at: 1723161275000, side: 'SELL', offset: '0', quantity: '1' },
  { name: 'a buy at the best bid in the sell sweep', at: 1723161495000, side: 'BUY', offset: '0', quantity: '1' },
  { name: 'a sell at the best ask after the sweep', at: 1723161560000, side: 'SELL', offset: '0', quantity: '1.5' },
  { name: 'a buy at the best bid near the end', at: 1723161800000, side: 'BUY', offset: '0', quantity: '0.7' },
];

describe('a resting limit order on the real tape', () => {
  const recording = loadRecording(BUNDLED_RECORDING);

  for (const scenario of SCENARIOS) {
    it(`fills exactly as the rules say, no earlier: ${scenario.name}`, () => {
      const s = new RecordingStepper(recording);
      s.advanceTo(scenario.at);
      s.open('a', { USDT: '10000000', BTC: '100' });
      const top = s.kernel.depth(s.symbol, 1)!;
      const best = parseFixed((scenario.side === 'BUY' ? top.bids : top.asks)[0]![0]);
      const price = best + parseFixed(scenario.offset.replace('-', '')) * (scenario.offset.startsWith('-') ? -1n : 1n);
      const arrivalIndex = recording.inputs.findIndex((i) => i.time > scenario.at) - 1;
      const placed = s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, side: scenario.side, type: 'LIMIT', quantity: scenario.quantity, price: formatFixed(price), clientOrderId: 'r' });
      expect(placed.map((e) => e.type)).toEqual(['ORDER_NEW']);

      const got: Array<[number, string]> = [];
      let index = arrivalIndex;
      while (!s.done) {
        index += 1;
        for (const e of s.step()!.events) if (e.type === 'FILL') got.push([index, (e as FillEvent).quantity]);
      }
      const fillEvents = s.events.filter((e): e is FillEvent => e.type === 'FILL');
      expect(fillEvents.length).toBeGreaterThan(0);
      expect(fillEvents.every((f) => f.price === formatFixed(price) && f.liquidity === 'MAKER')).toBe(true);
      expect(got).toEqual(modelFills(recording.inputs, arrivalIndex, scenario.side, price, parseFixed(scenario.quantity)));
      s.kernel.checkInvariants();
    });
  }

  it('never fills while no trade reaches its price and the book does not cross it', () => {
    const s = new RecordingStepper(recording);
    s.advanceTo(1723161300000);
    s.open('a', { USDT: '10000000' });
    // The recording's low is 61,556.04: a bid at 61,556.00 is never reached.
    s.handle({ kind: 'order.place', time: s.kernel.now, account: 'a', symbol: s.symbol, side: 'BUY', type: 'LIMIT', quantity: '1', price: '61556.00', clientOrderId: 'never' });
    while (!s.done) s.step();
    expect(s.events.filter((e) => e.type === 'FILL')).toEqual([]);
    expect(s.kernel.openOrders('a')).toMatchObject([{ status: 'NEW', clientOrderId: 'never' }]);
  });

  it('two accounts resting at the same price share one trade, never both filled by it', () => {
    const s = new RecordingStepper(recording);
    s.advanceTo(1723161330000);
    s.open('a', { USDT: '10000000' });
    s.open('b', { USDT: '10000000' });
    const bid = parseFixed(s.kernel.depth(s.symbol, 1)!.bids[0]![0]) - parseFixed('40');
    for (const account of ['a', 'b']) {
      s.handle({ kind: 'order.place', time: s.kernel.now, account, symbol: s.symbol, side: 'BUY', type: 'LIMIT', quantity: '5', price: formatFixed(bid), clientOrderId: account });
    }
    const perTrade: Fixed[] = [];
    while (!s.done) {
      const { input, events } = s.step()!;
      if (input.kind !== 'trade') continue;
      const filled = events.filter((e): e is FillEvent => e.type === 'FILL').reduce((sum, f) => sum + parseFixed(f.quantity), 0n);
      expect(filled <= parseFixed(input.quantity)).toBe(true);
      if (filled > 0n) perTrade.push(filled);
    }
    expect(perTrade.length).toBeGreaterThan(0);
    s.kernel.checkInvariants();
  });
});
