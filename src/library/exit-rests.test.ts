/**
 * What is left of an exit (ADR 0065, 0069): one exit works a position in a market move; the rest of
 * an uncapped exit that ran out of depth goes again at the next move; a rest the kernel refuses is
 * reported; a reversal waits for its close. Every figure is worked out by hand from the books the
 * test states (Binance USD-M BTCUSDT: tick 0.1, step 0.001, taker fee 0.05 %, reduce-only orders
 * exempt from the 100 USDT minimum notional).
 */
import { describe, expect, it } from 'vitest';
import { BUNDLED_INSTRUMENTS } from '../core/instruments/bundled-instruments.js';
import type { LevelInput } from '../core/kernel/inputs.js';
import { formatFixed, parseFixed } from '../core/money/fixed.js';
import { registerStrategy } from '../strategy/strategy.js';
import type { PaperTradingEvent } from './engine-events.js';
import { DEFAULT_ENGINE_INSTRUMENTS, PaperTradingEngine } from './paper-trading-engine.js';
import { book, print } from '../test-kit/engine-market.js';

/** A minute's boundary: the library's 1-minute candles start here. */
const T0 = 1_700_000_040_000;
const symbol = 'BTCUSDT';

/**
 * Account `a` (1,000,000 USDT, leverage 1) long `quantity` at 60,000.0: a print at 60,000.0 (the
 * reference), then asks of 10 at 60,000.0 the market entry buys from.
 */
function longAt60000(quantity: string, tactics: Record<string, unknown>, engine = new PaperTradingEngine(), account: Record<string, unknown> = {}) {
  const events: PaperTradingEvent[] = [];
  engine.subscribe((e) => events.push(e));
  engine.advanceTo(T0);
  engine.createAccount({ id: 'a', initialBalance: '1000000', tacticsSets: [tactics], ...account });
  print(engine, T0, 1, '60000.0', false);
  book(engine, T0 + 1, [['59990.0', '1']], [['60000.0', '10']]);
  expect(engine.openPosition('a', { symbol, side: 'LONG', quantity }).ok).toBe(true);
  expect(engine.getAccount('a').positions).toEqual([{ symbol, direction: 'LONG', size: quantity, entryPrice: '60000' }]);
  events.length = 0;
  return { engine, events };
}

const fills = (events: readonly PaperTradingEvent[], side: 'BUY' | 'SELL') => events.flatMap((e) => (e.type === 'FILL' && e.side === side ? [[e.price, e.quantity]] : []));
const sells = (events: readonly PaperTradingEvent[]) => fills(events, 'SELL');
const expiries = (events: readonly PaperTradingEvent[]) => events.flatMap((e) => (e.type === 'ORDER_EXPIRED' ? [[e.orderType, e.executedQty, e.reason]] : []));
const errors = (events: readonly PaperTradingEvent[]) => events.flatMap((e) => (e.type === 'ERROR' ? [[e.code, e.message]] : []));
const closed = (events: readonly PaperTradingEvent[]) => events.flatMap((e) => (e.type === 'POSITION_CLOSED' ? [[e.realizedPnl, e.feesPaid]] : []));
const size = (engine: PaperTradingEngine) => engine.getAccount('a').positions[0]?.size ?? '0';

describe('one exit works a position in a market move', () => {
  // Long 2 at 60,000: stop 1 % under, 59,400.0, for 2; a target 1 % over, 60,600.0, for half; exit cap 0.1 %.
  const TACTICS = { name: 't', stopLoss: { type: 'percent', percent: 1 }, takeProfits: [{ percent: 1, share: 0.5 }], exit: { maxSlippage: '0.001' } };
  // Bids 60,600.0 ×0.501 (0.5 after the print), 60,560.0 ×0.2, 60,500.0 ×1, 59,400.0 ×1.001, 59,300.0 ×1, 59,000.0 ×5.
  const BIDS: LevelInput[] = [['60600.0', '0.501'], ['60560.0', '0.2'], ['60500.0', '1'], ['59400.0', '1.001'], ['59300.0', '1'], ['59000.0', '5']];

  it("a stop capped in the move a take-profit's rest was due in owns the position: the rest never sells below the stop's cap", () => {
    const { engine, events } = longAt60000('2', TACTICS);
    book(engine, T0 + 2, BIDS, [['60700.0', '5']]);
    // The target triggers: cap 60,600 × 0.999 = 60,539.4: 0.5 at 60,600, 0.2 at 60,560; 0.3 of its 1 waits for the next move.
    print(engine, T0 + 3, 2, '60600.0', true);
    expect(sells(events)).toEqual([['60600', '0.5'], ['60560', '0.2']]);
    expect(expiries(events)).toEqual([['TAKE_PROFIT', '0.7', 'SLIPPAGE_CAP']]);
    expect(size(engine)).toBe('1.3');

    // The next move is a print at 59,400.0: it goes through the bids above it and triggers the stop (2, reduce-only: the 1.3 held).
    // Stop cap 59,400 × 0.999 = 59,340.6: 1 at 59,400; 59,300 is beyond it, and the stop's rest waits for the move after.
    // The target's rest is due in this move too: capped from the best bid left, 59,300 × 0.999 = 59,240.7, it would sell its
    // 0.3 at 59,300, under the stop's cap in the same book. The stop owns the position: the target's rest goes with the plan.
    events.length = 0;
    print(engine, T0 + 4, 3, '59400.0', true);
    expect(sells(events)).toEqual([['59400', '1']]);
    expect(expiries(events)).toEqual([['STOP_LOSS', '1', 'SLIPPAGE_CAP']]);
    expect(size(engine)).toBe('0.3');
    expect(engine.kernel.openOrders('a')).toEqual([]);

    // Next book: the stop's rest (2 − 1 = 1, no more than the 0.3 held), cap 59,350 × 0.999 = 59,290.65, up to the tick 59,290.7.
    events.length = 0;
    book(engine, T0 + 5, [['59350.0', '1']], [['59450.0', '5']]);
    expect(sells(events)).toEqual([['59350', '0.3']]);
    expect(size(engine)).toBe('0');
    // Bought 2 × 60,000 = 120,000; sold 0.5 × 60,600 + 0.2 × 60,560 + 1 × 59,400 + 0.3 × 59,350 = 30,300 + 12,112 + 59,400 + 17,805
    // = 119,617: −383 realized. Fees at 0.05 %: (120,000 + 119,617) × 0.0005 = 119.8085.
    expect(closed(events)).toEqual([['-383', '119.8085']]);
    engine.kernel.checkInvariants();
  });
});

describe('two take-profits capped in one move', () => {
  it('leave two rests; the older goes at the next move, the other at a move after, each capped from its own book and never below its level', () => {
    // Long 2: stop 59,400.0; target 1 at +1 % (60,600.0) for half, 1; target 2 at +2 % (61,200.0) for half, 1; exit cap 0.1 %.
    const { engine, events } = longAt60000('2', {
      name: 't', stopLoss: { type: 'percent', percent: 1 }, takeProfits: [{ percent: 1, share: 0.5 }, { percent: 2, share: 0.5 }], exit: { maxSlippage: '0.001' },
    });
    // Bids 61,200.0 ×0.601 (0.6 after the print), 61,150.0 ×0.2, 61,000.0 ×0.5, 60,900.0 ×5. A print at 61,200.0 triggers both.
    // Target 1: cap 61,200 × 0.999 = 61,138.8: 0.6 at 61,200, 0.2 at 61,150; 0.2 left.
    // Target 2, triggered by the same print, is capped from the same 61,200 (ADR 0077), not from the 61,000 target 1
    // left: nothing at or above 61,138.8 is left, and all of its 1 is left.
    book(engine, T0 + 2, [['61200.0', '0.601'], ['61150.0', '0.2'], ['61000.0', '0.5'], ['60900.0', '5']], [['61300.0', '5']]);
    print(engine, T0 + 3, 2, '61200.0', true);
    expect(sells(events)).toEqual([['61200', '0.6'], ['61150', '0.2']]);
    expect(expiries(events)).toEqual([['TAKE_PROFIT', '0.8', 'SLIPPAGE_CAP'], ['TAKE_PROFIT', '0', 'SLIPPAGE_CAP']]);
    expect(size(engine)).toBe('1.2');
    // Next book, bids 61,100.0 ×0.2, 61,000.0 ×5: target 1's 0.2 at 61,100 (cap 61,038.9). Target 2's rest, capped from the
    // 61,000 left, would sell there, beyond 61,038.9: it waits.
    events.length = 0;
    book(engine, T0 + 4, [['61100.0', '0.2'], ['61000.0', '5']], [['61200.0', '5']]);
    expect(sells(events)).toEqual([['61100', '0.2']]);
    expect(size(engine)).toBe('1');
    // The book after, bids 61,050.0 ×1, under target 2's 61,200.0: a take-profit never sells below its level; its rest waits.
    events.length = 0;
    book(engine, T0 + 5, [['61050.0', '1']], [['61150.0', '5']]);
    expect(sells(events)).toEqual([]);
    expect(size(engine)).toBe('1');
    // Bids 61,250.0 ×1: cap 61,250 × 0.999 = 61,188.75, up to 61,188.8, under the level: an IMMEDIATE_OR_CANCEL at 61,200.0
    // sells the 1 at 61,250.
    book(engine, T0 + 6, [['61250.0', '1']], [['61350.0', '5']]);
    expect(sells(events)).toEqual([['61250', '1']]);
    expect(size(engine)).toBe('0');
    engine.kernel.checkInvariants();
  });
});

describe("the rest of an exit the book's depth stopped", () => {
  it('an uncapped stop that ran out of bids ends the plan, and its rest closes the position at the next move', () => {
    // Long 3: stop 59,400.0 for 3, no cap; a target at +2 %, 61,200.0, for half.
    const { engine, events } = longAt60000('3', { name: 't', stopLoss: { type: 'percent', percent: 1 }, takeProfits: [{ percent: 2, share: 0.5 }] });
    // Bids 59,400.0 ×1.001 (1 after the print), 59,200.0 ×1: 2 of the 3 there are.
    book(engine, T0 + 2, [['59400.0', '1.001'], ['59200.0', '1']], [['59500.0', '5']]);
    print(engine, T0 + 3, 2, '59400.0', true);
    expect(sells(events)).toEqual([['59400', '1'], ['59200', '1']]);
    expect(expiries(events)).toEqual([['STOP_LOSS', '2', 'DEPTH_EXHAUSTED']]);
    expect(size(engine)).toBe('1');
    // The plan is over: its target is cancelled, nothing is left to rest.
    expect(engine.kernel.openOrders('a')).toEqual([]);

    // Next book: bids 59,000.0 ×0.4, 58,900.0 ×5: the last 1 goes, uncapped, 0.4 at 59,000 and 0.6 at 58,900.
    events.length = 0;
    book(engine, T0 + 4, [['59000.0', '0.4'], ['58900.0', '5']], [['59100.0', '5']]);
    expect(sells(events)).toEqual([['59000', '0.4'], ['58900', '0.6']]);
    expect(size(engine)).toBe('0');
    // Sold 59,400 + 59,200 + 23,600 + 35,340 = 177,540 for 180,000: −2,460; fees (180,000 + 177,540) × 0.0005 = 178.77.
    expect(closed(events)).toEqual([['-2460', '178.77']]);
    engine.kernel.checkInvariants();
  });
});

describe("a take-profit's rest never realizes worse than its level", () => {
  const orders = (events: readonly PaperTradingEvent[]) => events.flatMap((e) => (e.type === 'ORDER_NEW' ? [[e.orderType, e.side, e.price, e.quantity]] : []));

  it("an uncapped target that ran out of bids waits for the market to come back to its level, never selling under it (a long)", () => {
    // Long 2 at 60,000: stop 1 % under, 59,400.0; one target 1 % over, 60,600.0, for half, 1; no cap.
    const { engine, events } = longAt60000('2', { name: 't', stopLoss: { type: 'percent', percent: 1 }, takeProfits: [{ percent: 1, share: 0.5 }] });
    // Bids 60,600.0 ×0.501 (0.5 after the print), nothing under: the target sells 0.5 and runs out of bids; 0.5 is its rest.
    book(engine, T0 + 2, [['60600.0', '0.501']], [['60700.0', '5']]);
    print(engine, T0 + 3, 2, '60600.0', true);
    expect(sells(events)).toEqual([['60600', '0.5']]);
    expect(expiries(events)).toEqual([['TAKE_PROFIT', '0.5', 'DEPTH_EXHAUSTED']]);
    expect(size(engine)).toBe('1.5');
    // Next book: bids 59,900.0 ×5, under the entry (60,000) and the target. A market order would sell the 0.5 at 59,900,
    // a loss on a take-profit; the rest waits and sends nothing.
    events.length = 0;
    book(engine, T0 + 4, [['59900.0', '5']], [['60000.0', '5']]);
    expect(orders(events)).toEqual([]);
    expect(size(engine)).toBe('1.5');
    // Bids 60,700.0 ×0.2, 60,650.0 ×0.1, 60,500.0 ×5: the best bid is through the level, and the rest goes as an
    // IMMEDIATE_OR_CANCEL at 60,600.0: 0.2 at 60,700 and 0.1 at 60,650; 60,500 is under the level, and 0.2 waits again.
    book(engine, T0 + 5, [['60700.0', '0.2'], ['60650.0', '0.1'], ['60500.0', '5']], [['60800.0', '5']]);
    expect(orders(events)).toEqual([['IMMEDIATE_OR_CANCEL', 'SELL', '60600', '0.5']]);
    expect(sells(events)).toEqual([['60700', '0.2'], ['60650', '0.1']]);
    expect(expiries(events)).toEqual([['IMMEDIATE_OR_CANCEL', '0.3', 'IMMEDIATE_OR_CANCEL']]);
    expect(size(engine)).toBe('1.2');
    // Bids 60,600.0 ×1: the last 0.2 at 60,600; the target is done: 0.5 × 60,600 + 0.2 × 60,700 + 0.1 × 60,650 + 0.2 × 60,600
    // = 30,300 + 12,140 + 6,065 + 12,120 = 60,625 for 1, none of it under 60,600.
    events.length = 0;
    book(engine, T0 + 6, [['60600.0', '1']], [['60700.0', '5']]);
    expect(sells(events)).toEqual([['60600', '0.2']]);
    expect(size(engine)).toBe('1');
    // The plan goes on: its stop, placed for the 2 and reduce-only, still rests (no break-even asked).
    expect(engine.kernel.openOrders('a').map((o) => [o.type, formatFixed(o.stopPrice!), formatFixed(o.quantity)])).toEqual([['STOP_LOSS', '59400', '2']]);
    engine.kernel.checkInvariants();
  });

  it('the same for a short: its rest buys at or under its level only', () => {
    // Short 2 at 60,000 (a print at 60,000, bids of 10 at 60,000 the market entry sells into): stop 1 % over, 60,600.0;
    // one target 1 % under, 59,400.0, for half, 1; no cap.
    const engine = new PaperTradingEngine();
    const events: PaperTradingEvent[] = [];
    engine.subscribe((e) => events.push(e));
    engine.advanceTo(T0);
    engine.createAccount({ id: 'a', initialBalance: '1000000', tacticsSets: [{ name: 't', stopLoss: { type: 'percent', percent: 1 }, takeProfits: [{ percent: 1, share: 0.5 }] }] });
    print(engine, T0, 1, '60000.0', true);
    book(engine, T0 + 1, [['60000.0', '10']], [['60010.0', '1']]);
    expect(engine.openPosition('a', { symbol, side: 'SHORT', quantity: '2' }).ok).toBe(true);
    events.length = 0;
    // Asks 59,400.0 ×0.501 (0.5 after a buyer's print there): the target buys 0.5; 0.5 is its rest.
    book(engine, T0 + 2, [['59300.0', '5']], [['59400.0', '0.501']]);
    print(engine, T0 + 3, 2, '59400.0', false);
    expect(fills(events, 'BUY')).toEqual([['59400', '0.5']]);
    // Asks 60,100.0: above the entry and the target: the rest waits.
    events.length = 0;
    book(engine, T0 + 4, [['60000.0', '5']], [['60100.0', '5']]);
    expect(orders(events)).toEqual([]);
    // Asks 59,350.0 ×1: through the level: an IMMEDIATE_OR_CANCEL at 59,400.0 buys the 0.5 at 59,350.
    book(engine, T0 + 5, [['59300.0', '5']], [['59350.0', '1']]);
    expect(orders(events)).toEqual([['IMMEDIATE_OR_CANCEL', 'BUY', '59400', '0.5']]);
    expect(fills(events, 'BUY')).toEqual([['59350', '0.5']]);
    expect(engine.getAccount('a').positions[0]?.size).toBe('1');
  });
});

describe('a rest on a book without the side it takes from', () => {
  it('sends nothing while there is none, and goes at the first move that brings some', () => {
    // Long 3: stop 59,400.0 for 3, no cap. Bids 59,400.0 ×1.001 (1 after the print), 59,200.0 ×1: 1 is left to close.
    const { engine, events } = longAt60000('3', { name: 't', stopLoss: { type: 'percent', percent: 1 } });
    book(engine, T0 + 2, [['59400.0', '1.001'], ['59200.0', '1']], [['59500.0', '5']]);
    print(engine, T0 + 3, 2, '59400.0', true);
    expect(sells(events)).toEqual([['59400', '1'], ['59200', '1']]);
    expect(size(engine)).toBe('1');
    // Three moves with no bid: a book of asks only, a print, an empty book. Nothing is sent, nothing expires.
    events.length = 0;
    book(engine, T0 + 4, [], [['59300.0', '5']]);
    print(engine, T0 + 5, 3, '59300.0', false);
    book(engine, T0 + 6, [], []);
    expect(events.filter((e) => e.type === 'ORDER_NEW' || e.type === 'ORDER_EXPIRED')).toEqual([]);
    expect(size(engine)).toBe('1');
    // Bids 59,000.0 ×5: the rest closes the last 1 there. Bought 180,000; sold 59,400 + 59,200 + 59,000 = 177,600: −2,400;
    // fees (180,000 + 177,600) × 0.0005 = 178.8.
    book(engine, T0 + 7, [['59000.0', '5']], [['59100.0', '5']]);
    expect(sells(events)).toEqual([['59000', '1']]);
    expect(closed(events)).toEqual([['-2400', '178.8']]);
    engine.kernel.checkInvariants();
  });
});

describe("a close above the instrument's largest market order", () => {
  /**
   * Account `a` long 3 at 60,000.0 on a BTCUSDT whose largest market order (MARKET_LOT_SIZE) is 1: the position is
   * bought with a limit entry at 60,000.0, which that filter does not bound (taker, 90 USDT in fees). Its stop of 3 goes
   * as three STOP_LOSS orders of 1 (docs/adr/0075-exits-in-parts.md), which the close cancels: only the close is under test here.
   */
  function longOf3() {
    const btc = BUNDLED_INSTRUMENTS.find((i) => i.exchange === 'binance' && i.market === 'perpetual' && i.symbol === symbol)!;
    const instruments = DEFAULT_ENGINE_INSTRUMENTS.map((i) => (i === btc ? { ...btc, maxMarketQty: parseFixed('1') } : i));
    const engine = new PaperTradingEngine({ instruments });
    const events: PaperTradingEvent[] = [];
    engine.subscribe((e) => events.push(e));
    engine.advanceTo(T0);
    engine.createAccount({ id: 'a', initialBalance: '1000000', tacticsSets: [{ name: 't', entry: { type: 'limit', offsetPercent: 0, validBars: 5 }, stopLoss: { type: 'percent', percent: 10 } }] });
    print(engine, T0, 1, '60000.0', false);
    book(engine, T0 + 1, [['59990.0', '1']], [['60000.0', '10']]);
    expect(engine.openPosition('a', { symbol, side: 'LONG', quantity: '3' }).ok).toBe(true);
    expect(size(engine)).toBe('3');
    expect(errors(events)).toEqual([]);
    expect(events.flatMap((e) => (e.type === 'ORDER_NEW' && e.orderType === 'STOP_LOSS' ? [e.quantity] : []))).toEqual(['1', '1', '1']);
    events.length = 0;
    return { engine, events };
  }
  const closes = (events: readonly PaperTradingEvent[]) => events.flatMap((e) => (e.type === 'ORDER_NEW' ? [[e.orderType, e.quantity]] : []));

  it('goes as orders of at most 1 each, one after the other, uncapped', () => {
    const { engine, events } = longOf3();
    // Bids 59,900.0 ×1.5, 59,800.0 ×5: three orders of 1: 1 at 59,900; 0.5 at 59,900 and 0.5 at 59,800; 1 at 59,800.
    book(engine, T0 + 2, [['59900.0', '1.5'], ['59800.0', '5']], [['60000.0', '5']]);
    engine.closePosition('a', symbol);
    expect(closes(events)).toEqual([['MARKET', '1'], ['MARKET', '1'], ['MARKET', '1']]);
    expect(sells(events)).toEqual([['59900', '1'], ['59900', '0.5'], ['59800', '0.5'], ['59800', '1']]);
    expect(errors(events)).toEqual([]);
    // Sold 1.5 × 59,900 + 1.5 × 59,800 = 89,850 + 89,700 = 179,550 for 180,000: −450; fees (180,000 + 179,550) × 0.0005 = 179.775.
    expect(closed(events)).toEqual([['-450', '179.775']]);
    engine.kernel.checkInvariants();
  });

  it('capped, goes on in one book only while the best price is the one the cap was measured from; the rest waits', () => {
    const { engine, events } = longOf3();
    // Bids 60,000.0 ×1.2, 59,900.0 ×0.5, 59,000.0 ×5; cap 0.5 %: 60,000 × 0.995 = 59,700.0.
    // Order 1: 1 at 60,000. The best bid is still 60,000 (0.2 left): order 2, cap 59,700 again: 0.2 at 60,000, 0.5 at 59,900;
    // 59,000 is beyond: 0.3 of it and the 1 not sent wait, 1.3.
    book(engine, T0 + 2, [['60000.0', '1.2'], ['59900.0', '0.5'], ['59000.0', '5']], [['60100.0', '5']]);
    engine.closePosition('a', symbol, { maxSlippage: '0.005' });
    expect(closes(events)).toEqual([['MARKET', '1'], ['MARKET', '1']]);
    expect(sells(events)).toEqual([['60000', '1'], ['60000', '0.2'], ['59900', '0.5']]);
    expect(size(engine)).toBe('1.3');
    // Next book: bids 59,500.0 ×0.3, 59,400.0 ×5. The rest of 1.3 goes as 1 (cap 59,500 × 0.995 = 59,202.5): 0.3 at 59,500,
    // 0.7 at 59,400. The best bid is now 59,400, not the 59,500 the cap was measured from: the last 0.3 waits.
    events.length = 0;
    book(engine, T0 + 3, [['59500.0', '0.3'], ['59400.0', '5']], [['59600.0', '5']]);
    expect(closes(events)).toEqual([['MARKET', '1']]);
    expect(sells(events)).toEqual([['59500', '0.3'], ['59400', '0.7']]);
    expect(size(engine)).toBe('0.3');
    // Bids 59,300.0 ×1: the last 0.3 there.
    events.length = 0;
    book(engine, T0 + 4, [['59300.0', '1']], [['59400.0', '5']]);
    expect(sells(events)).toEqual([['59300', '0.3']]);
    // Sold 72,000 + 29,950 + 17,850 + 41,580 + 17,790 = 179,170 for 180,000: −830; fees (180,000 + 179,170) × 0.0005 = 179.585.
    expect(closed(events)).toEqual([['-830', '179.585']]);
    expect(errors(events)).toEqual([]);
    engine.kernel.checkInvariants();
  });
});

describe('a rest the kernel refuses', () => {
  it('a reduce-only rest below the 100 USDT minimum notional still closes (Binance USD-M: "unless you choose reduce only")', () => {
    const { engine, events } = longAt60000('0.003', { name: 't', stopLoss: { type: 'percent', percent: 10 } });
    book(engine, T0 + 2, [['60000.0', '0.002'], ['59000.0', '5']], [['60100.0', '5']]);
    // Cap 60,000 × 0.995 = 59,700: 0.002 at 60,000; 0.001 waits.
    engine.closePosition('a', symbol, { maxSlippage: '0.005' });
    expect(sells(events)).toEqual([['60000', '0.002']]);
    events.length = 0;
    // 0.001 × 59,500 = 59.5 USDT, under 100: reduce-only, so taken.
    book(engine, T0 + 3, [['59500.0', '1']], [['59600.0', '5']]);
    expect(sells(events)).toEqual([['59500', '0.001']]);
    expect(errors(events)).toEqual([]);
    expect(size(engine)).toBe('0');
  });

  it('a rest below the minimum quantity is reported as dust, not dropped in silence', () => {
    // BTCUSDT with a minimum quantity of 0.01 above its step of 0.001 (as some contracts have).
    const btc = BUNDLED_INSTRUMENTS.find((i) => i.exchange === 'binance' && i.market === 'perpetual' && i.symbol === symbol)!;
    const instruments = DEFAULT_ENGINE_INSTRUMENTS.map((i) => (i === btc ? { ...btc, minQty: parseFixed('0.01') } : i));
    const { engine, events } = longAt60000('0.015', { name: 't', stopLoss: { type: 'percent', percent: 10 } }, new PaperTradingEngine({ instruments }));
    book(engine, T0 + 2, [['60000.0', '0.01'], ['59000.0', '5']], [['60100.0', '5']]);
    // Cap 59,700: 0.01 at 60,000; 0.005 waits, below the 0.01 any order must reach.
    engine.closePosition('a', symbol, { maxSlippage: '0.005' });
    expect(sells(events)).toEqual([['60000', '0.01']]);
    events.length = 0;
    book(engine, T0 + 3, [['59500.0', '1']], [['59600.0', '5']]);
    expect(sells(events)).toEqual([]);
    expect(errors(events)).toEqual([
      ['EXIT_DUST', 'the close of 0.005 BTCUSDT was refused (MIN_QUANTITY: The minimum transaction volume cannot be less than:0.01 BTC); 0.005 of the position stays open, below what one order may close'],
    ]);
    expect(size(engine)).toBe('0.005');
  });
});

/** Signals SHORT on the first candle that closes while the account is long. */
registerStrategy('test-reverse-once', () => {
  let done = false;
  return {
    id: 'test-reverse-once',
    onCandle: (_candle, context) => {
      if (done || context.position !== 'LONG') return null;
      done = true;
      return { action: 'SHORT', reason: 'reverse' };
    },
  };
});

/** Signals `actions[i]` on the i-th closed candle (`strategyParams: { actions }`), nothing after them. */
registerStrategy('test-signals', (params) => {
  const actions = (params?.['actions'] ?? []) as ('LONG' | 'SHORT' | 'CLOSE')[];
  let seen = 0;
  return {
    id: 'test-signals',
    onCandle: () => {
      const action = actions[seen];
      seen += 1;
      return action === undefined ? null : { action, reason: 'script' };
    },
  };
});

describe('a reversal whose close the cap stopped short', () => {
  it('waits for the close to complete and opens then, at the close\'s last fill price', () => {
    // Stop 10 % away; exit cap 0.5 %; 1 % of equity at risk per trade (the default).
    const tactics = { name: 't', stopLoss: { type: 'percent', percent: 10 }, exit: { maxSlippage: '0.005' } };
    const { engine, events } = longAt60000('3', tactics, new PaperTradingEngine(), { strategyId: 'test-reverse-once', autoTrading: true });
    engine.start('a');
    book(engine, T0 + 2, [['60000.0', '1'], ['59800.0', '1'], ['59500.0', '1'], ['59000.0', '5']], [['60100.0', '5']]);
    // The print at the next minute closes the first candle: the strategy says SHORT, traded at once. The close of 3,
    // capped at 60,000 × 0.995 = 59,700, sells 1 at 60,000 and 1 at 59,800; 1 is left, and the short waits for it.
    print(engine, T0 + 60_000, 2, '60100.0', false);
    expect(sells(events)).toEqual([['60000', '1'], ['59800', '1']]);
    expect(errors(events)).toEqual([]);
    expect(size(engine)).toBe('1');

    // Next book: cap 59,600 × 0.995 = 59,302: the last 1 sells, 0.4 at 59,600 and 0.6 at 59,400; then the short opens at 59,400.
    // Wallet: 1,000,000 − 720 realized (−200 − 160 − 360) − fees 90 (the buy) − 89.64 (179,280 × 0.0005) = 999,100.36.
    // Stop 10 % over 59,400 = 65,340.0, 5,940 away; 1 % of 999,100.36 = 9,991.0036; / 5,940 = 1.68198…, 1.681 to the step.
    events.length = 0;
    book(engine, T0 + 60_001, [['59600.0', '0.4'], ['59400.0', '5']], [['59700.0', '5']]);
    expect(sells(events)).toEqual([['59600', '0.4'], ['59400', '0.6'], ['59400', '1.681']]);
    expect(errors(events)).toEqual([]);
    expect(engine.getAccount('a').positions).toEqual([{ symbol, direction: 'SHORT', size: '1.681', entryPrice: '59400' }]);
    expect(engine.kernel.openOrders('a').map((o) => [o.type, o.side, formatFixed(o.stopPrice!), formatFixed(o.quantity)])).toEqual([['STOP_LOSS', 'BUY', '65340', '1.681']]);
    engine.kernel.checkInvariants();
  });

  it('a newer signal to the side still held drops the waiting entry: the close goes on and the account ends flat', () => {
    const tactics = { name: 't', stopLoss: { type: 'percent', percent: 10 }, exit: { maxSlippage: '0.005' } };
    const { engine, events } = longAt60000('3', tactics, new PaperTradingEngine(), { strategyId: 'test-signals', strategyParams: { actions: ['SHORT', 'LONG'] }, autoTrading: true });
    engine.start('a');
    // Bids 60,000.0 ×1, 59,800.0 ×1, 59,500.0 ×0.5, 59,000.0 ×5. SHORT: the close sells 1 at 60,000 and 1 at 59,800 (cap 59,700).
    book(engine, T0 + 2, [['60000.0', '1'], ['59800.0', '1'], ['59500.0', '0.5'], ['59000.0', '5']], [['60100.0', '5']]);
    print(engine, T0 + 60_000, 2, '60100.0', false);
    expect(size(engine)).toBe('1');
    // The next print closes the second candle. First its move sends the rest: cap 59,500 × 0.995 = 59,202.5, 0.5 at 59,500,
    // 0.5 left. Then the strategy says LONG: the account is still long, the waiting SHORT is dropped.
    events.length = 0;
    print(engine, T0 + 120_000, 3, '60100.0', false);
    expect(sells(events)).toEqual([['59500', '0.5']]);
    expect(size(engine)).toBe('0.5');
    // The next book completes the close (cap 59,400 × 0.995 = 59,103): 0.5 at 59,400; no short follows.
    events.length = 0;
    book(engine, T0 + 120_001, [['59400.0', '5']], [['59500.0', '5']]);
    expect(sells(events)).toEqual([['59400', '0.5']]);
    expect(engine.getAccount('a').positions).toEqual([]);
    expect(engine.kernel.openOrders('a')).toEqual([]);
    expect(errors(events)).toEqual([]);
  });

  it('waits as well for a close the kernel holds for a book still syncing, and opens once it fills', () => {
    const tactics = { name: 't', stopLoss: { type: 'percent', percent: 10 }, exit: { maxSlippage: '0.005' } };
    const { engine, events } = longAt60000('3', tactics, new PaperTradingEngine(), { strategyId: 'test-reverse-once', autoTrading: true });
    engine.start('a');
    book(engine, T0 + 2, [['60000.0', '5']], [['60100.0', '5']]);
    // The feed lost the book (a gap): the SHORT's close of 3 is accepted and waits for the book; the short waits for the close.
    engine.feedMarket({ kind: 'book.invalidate', time: T0 + 3, symbol, reason: 'feed gap' });
    print(engine, T0 + 60_000, 2, '60100.0', false);
    expect(sells(events)).toEqual([]);
    expect(errors(events)).toEqual([]);
    expect(size(engine)).toBe('3');
    // The book comes back, bids 59,600.0 ×5 (cap 59,600 × 0.995 = 59,302): the close sells 3 at 59,600, then the short opens there.
    // Wallet: 1,000,000 − 1,200 realized (400 × 3) − fees 90 (180,000 × 0.0005) − 89.4 (178,800 × 0.0005) = 998,620.6.
    // Stop 10 % over 59,600 = 65,560.0, 5,960 away; 1 % of 998,620.6 = 9,986.206; / 5,960 = 1.67553…, 1.675 to the step.
    events.length = 0;
    book(engine, T0 + 60_001, [['59600.0', '5']], [['59700.0', '5']]);
    expect(sells(events)).toEqual([['59600', '3'], ['59600', '1.675']]);
    expect(errors(events)).toEqual([]);
    expect(engine.getAccount('a').positions).toEqual([{ symbol, direction: 'SHORT', size: '1.675', entryPrice: '59600' }]);
    engine.kernel.checkInvariants();
  });

  it("a CLOSE signal while the capped close's rest is working closes capped too (the exits' cap outlives the plan)", () => {
    const tactics = { name: 't', stopLoss: { type: 'percent', percent: 10 }, exit: { maxSlippage: '0.005' } };
    const { engine, events } = longAt60000('3', tactics, new PaperTradingEngine(), { strategyId: 'test-signals', strategyParams: { actions: ['SHORT', 'CLOSE'] }, autoTrading: true });
    engine.start('a');
    // SHORT: the close of 3 (cap 59,700) sells 1 at 60,000 and 1 at 59,800, the bids there are; the short waits for the last 1.
    book(engine, T0 + 2, [['60000.0', '1'], ['59800.0', '1']], [['60100.0', '5']]);
    print(engine, T0 + 60_000, 2, '60100.0', false);
    expect(sells(events)).toEqual([['60000', '1'], ['59800', '1']]);
    // The next print finds no bids (the rest waits, sending nothing), and closes the candle: CLOSE. The close that replaces the rest
    // is capped at 0.5 % as the tactics say: at the next book, from 59,000.0, down to 58,705: 0.5 at 59,000; the 0.5 at
    // 50,000.0 is beyond it and waits.
    events.length = 0;
    print(engine, T0 + 120_000, 3, '60100.0', false);
    book(engine, T0 + 120_001, [['59000.0', '0.5'], ['50000.0', '5']], [['60100.0', '5']]);
    expect(sells(events)).toEqual([['59000', '0.5']]);
    expect(events.flatMap((e) => (e.type === 'ORDER_NEW' ? [e.maxSlippage] : []))).toEqual(['0.005', '0.005']);
    expect(size(engine)).toBe('0.5');
  });

  it('stopping auto-trading drops the waiting entry: the close completes and no short opens', () => {
    const tactics = { name: 't', stopLoss: { type: 'percent', percent: 10 }, exit: { maxSlippage: '0.005' } };
    const { engine, events } = longAt60000('3', tactics, new PaperTradingEngine(), { strategyId: 'test-reverse-once', autoTrading: true });
    engine.start('a');
    // As above: the SHORT's close of 3, capped at 59,700, sells 1 at 60,000 and 1 at 59,800; the short waits for the last 1.
    book(engine, T0 + 2, [['60000.0', '1'], ['59800.0', '1'], ['59500.0', '1'], ['59000.0', '5']], [['60100.0', '5']]);
    print(engine, T0 + 60_000, 2, '60100.0', false);
    expect(size(engine)).toBe('1');
    // Auto-trading off ("no new orders from signals"): the close still completes, 0.4 at 59,600 and 0.6 at 59,400
    // (cap 59,302), and the signal's short does not follow it.
    engine.stop('a');
    events.length = 0;
    book(engine, T0 + 60_001, [['59600.0', '0.4'], ['59400.0', '5']], [['59700.0', '5']]);
    expect(sells(events)).toEqual([['59600', '0.4'], ['59400', '0.6']]);
    expect(engine.getAccount('a').positions).toEqual([]);
    expect(engine.kernel.openOrders('a')).toEqual([]);
    expect(errors(events)).toEqual([]);
  });

  it('a close that cannot complete refuses the waiting entry, with the reason', () => {
    // BTCUSDT with a minimum quantity of 0.01 above its step of 0.001.
    const btc = BUNDLED_INSTRUMENTS.find((i) => i.exchange === 'binance' && i.market === 'perpetual' && i.symbol === symbol)!;
    const instruments = DEFAULT_ENGINE_INSTRUMENTS.map((i) => (i === btc ? { ...btc, minQty: parseFixed('0.01') } : i));
    const tactics = { name: 't', stopLoss: { type: 'percent', percent: 10 }, exit: { maxSlippage: '0.005' } };
    const { engine, events } = longAt60000('0.015', tactics, new PaperTradingEngine({ instruments }), { strategyId: 'test-signals', strategyParams: { actions: ['SHORT'] }, autoTrading: true });
    engine.start('a');
    // The close sells 0.01 at 60,000 (cap 59,700); 0.005 is left, below the 0.01 an order must reach.
    book(engine, T0 + 2, [['60000.0', '0.01'], ['59000.0', '5']], [['60100.0', '5']]);
    print(engine, T0 + 60_000, 2, '60100.0', false);
    expect(size(engine)).toBe('0.005');
    expect(errors(events)).toEqual([]);
    events.length = 0;
    book(engine, T0 + 60_001, [['59500.0', '1']], [['59600.0', '5']]);
    expect(errors(events)).toEqual([
      ['EXIT_DUST', 'the close of 0.005 BTCUSDT was refused (MIN_QUANTITY: The minimum transaction volume cannot be less than:0.01 BTC); 0.005 of the position stays open, below what one order may close'],
      ['ENTRY_REFUSED', 'the SHORT entry waited for the close of the position, which cannot complete: MIN_QUANTITY'],
    ]);
    expect(engine.getAccount('a').positions).toEqual([{ symbol, direction: 'LONG', size: '0.005', entryPrice: '60000' }]);
  });

  it('the waiting entry survives a snapshot; a CLOSE signal or closePosition drops it', async () => {
    const tactics = { name: 't', stopLoss: { type: 'percent', percent: 10 }, exit: { maxSlippage: '0.005' } };
    const { engine } = longAt60000('3', tactics, new PaperTradingEngine(), { strategyId: 'test-reverse-once', autoTrading: true });
    engine.start('a');
    book(engine, T0 + 2, [['60000.0', '1'], ['59800.0', '1'], ['59500.0', '1'], ['59000.0', '5']], [['60100.0', '5']]);
    print(engine, T0 + 60_000, 2, '60100.0', false);
    expect(size(engine)).toBe('1');
    const snapshot = engine.snapshot();

    // Restored, the same book as above: the close completes and the short of 1.681 opens at 59,400.
    const restored = new PaperTradingEngine();
    await restored.restoreAccounts(snapshot);
    book(restored, T0 + 60_001, [['59600.0', '0.4'], ['59400.0', '5']], [['59700.0', '5']]);
    expect(restored.getAccount('a').positions).toEqual([{ symbol, direction: 'SHORT', size: '1.681', entryPrice: '59400' }]);

    // closePosition before the close completes: the user's close replaces the reversal; flat after the next book.
    const closedByHand = new PaperTradingEngine();
    await closedByHand.restoreAccounts(snapshot);
    closedByHand.closePosition('a', symbol);
    expect(closedByHand.getAccount('a').positions).toEqual([]);
    book(closedByHand, T0 + 60_001, [['59600.0', '0.4'], ['59400.0', '5']], [['59700.0', '5']]);
    expect(closedByHand.getAccount('a').positions).toEqual([]);
    expect(closedByHand.kernel.openOrders('a')).toEqual([]);
  });
});

describe("a risk-sized entry above the instrument's largest market order", () => {
  /**
   * Account `a` (1,000,000 USDT, 1 % risk) on a BTCUSDT whose largest market order (MARKET_LOT_SIZE) is `largest`:
   * a market entry at 60,000.0 (asks of 10 there), a `stopPercent` stop (10 %: 54,000.0), and DCA orders at 1 % and 2 %
   * under, 59,400.0 and 58,800.0, each 1.5× the one before.
   */
  function open(largest: string, stopPercent = 10) {
    const btc = BUNDLED_INSTRUMENTS.find((i) => i.exchange === 'binance' && i.market === 'perpetual' && i.symbol === symbol)!;
    const instruments = DEFAULT_ENGINE_INSTRUMENTS.map((i) => (i === btc ? { ...btc, maxMarketQty: parseFixed(largest) } : i));
    const engine = new PaperTradingEngine({ instruments });
    const events: PaperTradingEvent[] = [];
    engine.subscribe((e) => events.push(e));
    engine.advanceTo(T0);
    engine.createAccount({ id: 'a', initialBalance: '1000000', tacticsSets: [{ name: 't', stopLoss: { type: 'percent', percent: stopPercent }, dca: { count: 2, stepPercent: 1, sizeMultiplier: 1.5 } }] });
    print(engine, T0, 1, '60000.0', false);
    book(engine, T0 + 1, [['59990.0', '1']], [['60000.0', '10']]);
    const outcome = engine.openPosition('a', { symbol, side: 'LONG' });
    return { engine, events, outcome };
  }
  const placed = (events: readonly PaperTradingEvent[]) => events.flatMap((e) => (e.type === 'ORDER_NEW' ? [[e.orderType, e.quantity]] : []));

  it('is lowered so that the position, every DCA order filled, is within it, and its stop is placed', () => {
    // The risk size: 10,000 / (6,000 + 1.5 × 5,400 + 2.25 × 4,800) = 10,000 / 24,900 = 0.4016 → 0.401 (the margin
    // allows about 979,000 / 281,400 ≈ 3.48), a position of 0.401 + 0.601 + 0.901 = 1.903 above 1. Within 1:
    // 1 / (1 + 1.5 + 2.25) = 0.2105 → 0.210, DCA 0.315 and 0.4725 → 0.472: 0.997 ≤ 1 (0.211 makes 0.211 + 0.316 + 0.474 = 1.001).
    const { engine, events, outcome } = open('1');
    expect(outcome.ok).toBe(true);
    expect(errors(events)).toEqual([
      ['ENTRY_REDUCED', 'the LONG entry of BTCUSDT is reduced from 0.401 to 0.21 (a position of 0.997 at most): the position, its 2 DCA orders filled, must stay within the largest market order, 1, for its stop to close it'],
    ]);
    expect(placed(events)).toEqual([['MARKET', '0.21'], ['STOP_LOSS', '0.21'], ['LIMIT', '0.315'], ['LIMIT', '0.472']]);
    expect(size(engine)).toBe('0.21');
    engine.kernel.checkInvariants();
  });

  it('counts only the DCA orders that can fill before the stop: one past it does not lower the entry', () => {
    // Stop 1.5 % under, 59,100.0: DCA 2 at 58,800.0 is past it. The risk size 10,000 / (900 + 1.5 × 300) = 7.407; the margin
    // (all three orders rest) 980,000 / 1.0005 / (60,000 + 89,100 + 132,300) = 979,510.24 / 281,400 = 3.4808 → 3.48. Within 1,
    // the entry and DCA 1 only: 1 / 2.5 = 0.4, DCA 1 0.6, a position of 1 (0.401 makes 0.401 + 0.601 = 1.002); counting DCA 2
    // would give 0.21.
    const { engine, events, outcome } = open('1', 1.5);
    expect(outcome.ok).toBe(true);
    expect(errors(events)).toEqual([
      ['ENTRY_REDUCED', 'the LONG entry of BTCUSDT is reduced from 3.48 to 0.4 (a position of 1 at most): the position, its 1 DCA order filled, must stay within the largest market order, 1, for its stop to close it'],
    ]);
    expect(placed(events)).toEqual([['MARKET', '0.4'], ['STOP_LOSS', '0.4'], ['LIMIT', '0.6'], ['LIMIT', '0.9']]);
    engine.kernel.checkInvariants();
  });

  it('is refused, saying why, when not even the minimum fits', () => {
    // Within 0.004: 0.004 / 4.75 = 0.0008 → 0, but 0.001 fits (0.001 + 0.001 + 0.001 = 0.003; 0.002 makes 0.002 + 0.003 +
    // 0.004 = 0.009): 0.001 × 60,000 = 60 USDT, below the 100 USDT minimum notional.
    const { engine, events, outcome } = open('0.004');
    expect(outcome).toEqual({ ok: false, reason: "size 0.001 is below the instrument's minimum: the position, its 2 DCA orders filled, must stay within the largest market order, 0.004, for its stop to close it" });
    expect(placed(events)).toEqual([]);
    expect(size(engine)).toBe('0');
  });
});
