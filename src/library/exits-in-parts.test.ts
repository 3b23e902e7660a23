/**
 * A fixed-quantity position above the instrument's largest market order (MARKET_LOT_SIZE `maxMarketQty`) keeps its
 * stop, take-profits and trailing stop as several conditional orders, each within it (docs/adr/0075-exits-in-parts.md);
 * a close in parts keeps its last part at the minimum quantity where it can. Every figure is worked out by hand from
 * the books the test states (Binance USD-M BTCUSDT: tick 0.1, step 0.001, taker fee 0.05 %).
 */
import { describe, expect, it } from 'vitest';
import { BUNDLED_INSTRUMENTS } from '../core/instruments/bundled-instruments.js';
import type { LevelInput } from '../core/kernel/inputs.js';
import { formatFixed, parseFixed } from '../core/money/fixed.js';
import type { PaperTradingEvent } from './engine-events.js';
import { DEFAULT_ENGINE_INSTRUMENTS, PaperTradingEngine } from './paper-trading-engine.js';
import { book, print } from '../test-kit/engine-market.js';

const T0 = 1_700_000_040_000;
const symbol = 'BTCUSDT';

/**
 * Account `a` (1,000,000 USDT, leverage 1) long `quantity` at 60,000.0 on a BTCUSDT whose largest market order is 1
 * (and minimum quantity `minQty`): a limit entry at 60,000.0 (offset 0) that takes the asks of 10 there, which
 * MARKET_LOT_SIZE does not bound; taker fee 0.05 %.
 */
function instruments(minQty?: string) {
  const btc = BUNDLED_INSTRUMENTS.find((i) => i.exchange === 'binance' && i.market === 'perpetual' && i.symbol === symbol)!;
  const changed = minQty === undefined ? { ...btc, maxMarketQty: parseFixed('1') } : { ...btc, maxMarketQty: parseFixed('1'), minQty: parseFixed(minQty) };
  return DEFAULT_ENGINE_INSTRUMENTS.map((i) => (i === btc ? changed : i));
}

function long(quantity: string, tactics: Record<string, unknown>, minQty?: string) {
  const engine = new PaperTradingEngine({ instruments: instruments(minQty) });
  const events: PaperTradingEvent[] = [];
  engine.subscribe((e) => {
    events.push(e);
    if (e.type === 'ORDER_NEW') quantities.set(e.clientOrderId, e.quantity);
  });
  engine.advanceTo(T0);
  engine.createAccount({ id: 'a', initialBalance: '1000000', tacticsSets: [{ name: 't', entry: { type: 'limit', offsetPercent: 0, validBars: 5 }, ...tactics }] });
  print(engine, T0, 1, '60000.0', false);
  book(engine, T0 + 1, [['59990.0', '1']], [['60000.0', '10']]);
  expect(engine.openPosition('a', { symbol, side: 'LONG', quantity }).ok).toBe(true);
  expect(size(engine)).toBe(quantity);
  return { engine, events };
}

const size = (engine: PaperTradingEngine) => engine.getAccount('a').positions[0]?.size ?? '0';
const placed = (events: readonly PaperTradingEvent[], type?: string) =>
  events.flatMap((e) => (e.type === 'ORDER_NEW' && (type === undefined || e.orderType === type) ? [[e.orderType, e.quantity]] : []));
const sells = (events: readonly PaperTradingEvent[]) => events.flatMap((e) => (e.type === 'FILL' && e.side === 'SELL' ? [[e.price, e.quantity]] : []));
const expiries = (events: readonly PaperTradingEvent[]) => events.flatMap((e) => (e.type === 'ORDER_EXPIRED' ? [[e.orderType, e.executedQty, e.reason]] : []));
/** Each order's quantity as placed, by clientOrderId (a cancel's event does not repeat it). */
const quantities = new Map<string, string>();
const canceled = (events: readonly PaperTradingEvent[]) => events.flatMap((e) => (e.type === 'ORDER_CANCELED' ? [[e.orderType, quantities.get(e.clientOrderId)]] : []));
const errors = (events: readonly PaperTradingEvent[]) => events.flatMap((e) => (e.type === 'ERROR' ? [[e.code, e.message]] : []));
const closed = (events: readonly PaperTradingEvent[]) => events.flatMap((e) => (e.type === 'POSITION_CLOSED' ? [[e.realizedPnl, e.feesPaid]] : []));
const openExits = (engine: PaperTradingEngine) => engine.kernel.openOrders('a').map((o) => [o.type, formatFixed(o.quantity)]);

// Stop 1 % under, 59,400.0; a target 1 % over, 60,600.0, for half; a trailing stop activated 2 % over (61,200.0), 1 % callback.
const TACTICS = { stopLoss: { type: 'percent', percent: 1 }, takeProfits: [{ percent: 1, share: 0.5 }], trailingStop: { activationPercent: 2, callbackPercent: 1 } };

describe("a fixed-quantity position above the instrument's largest market order", () => {
  it('keeps its stop, take-profit and trailing stop, each as orders of at most 1 that together cover it', () => {
    // Long 2.5: the stop and the trailing stop for 2.5 are 1 + 1 + 0.5 each; the target's half, 1.25, is 1 + 0.25.
    const { engine, events } = long('2.5', TACTICS);
    expect(errors(events)).toEqual([]);
    expect(placed(events, 'STOP_LOSS')).toEqual([['STOP_LOSS', '1'], ['STOP_LOSS', '1'], ['STOP_LOSS', '0.5']]);
    expect(placed(events, 'TAKE_PROFIT')).toEqual([['TAKE_PROFIT', '1'], ['TAKE_PROFIT', '0.25']]);
    expect(placed(events, 'TRAILING_STOP_MARKET')).toEqual([['TRAILING_STOP_MARKET', '1'], ['TRAILING_STOP_MARKET', '1'], ['TRAILING_STOP_MARKET', '0.5']]);
    engine.kernel.checkInvariants();
  });

  it('a take-profit that fills leaves of the stop and the trailing stop only the parts the position still needs; the stop then closes it', () => {
    const { engine, events } = long('2.5', TACTICS);
    // A print at 60,600.0 triggers both target parts; bids 60,600.0 ×5.001: 1 and 0.25 there. The position is 1.25: of the
    // stop's 1 + 1 + 0.5, the first two cover it (2 ≥ 1.25) and the 0.5 is cancelled; the same for the trailing stop's.
    book(engine, T0 + 2, [['60600.0', '5.001'], ['59400.0', '5']], [['60700.0', '5']]);
    events.length = 0;
    print(engine, T0 + 3, 2, '60600.0', true);
    expect(sells(events)).toEqual([['60600', '1'], ['60600', '0.25']]);
    expect(size(engine)).toBe('1.25');
    expect(canceled(events)).toEqual([['STOP_LOSS', '0.5'], ['TRAILING_STOP_MARKET', '0.5']]);
    expect(openExits(engine)).toEqual([['STOP_LOSS', '1'], ['STOP_LOSS', '1'], ['TRAILING_STOP_MARKET', '1'], ['TRAILING_STOP_MARKET', '1']]);
    // A print at 59,400.0 triggers the stop: 1 at 59,400, then 0.25 (reduce-only: what is left of the position), and its
    // part of 1 expires with 0.25 of it done. The plan ends: the trailing stop's parts are cancelled.
    events.length = 0;
    book(engine, T0 + 4, [['59400.0', '5.001']], [['59500.0', '5']]);
    print(engine, T0 + 5, 3, '59400.0', true);
    expect(sells(events)).toEqual([['59400', '1'], ['59400', '0.25']]);
    expect(expiries(events)).toEqual([['STOP_LOSS', '0.25', 'REDUCE_ONLY']]);
    expect(size(engine)).toBe('0');
    expect(openExits(engine)).toEqual([]);
    expect(errors(events)).toEqual([]);
    // Bought 2.5 × 60,000 = 150,000; sold 1.25 × 60,600 + 1.25 × 59,400 = 75,750 + 74,250 = 150,000: 0 realized.
    // Fees at 0.05 %: (150,000 + 150,000) × 0.0005 = 150.
    expect(closed(events)).toEqual([['0', '150']]);
    engine.kernel.checkInvariants();
  });

  it('a stop whose parts ran out of bids ends the plan, and its rest is all the position they left, not one part\'s', () => {
    const { engine, events } = long('2.5', { stopLoss: { type: 'percent', percent: 1 } });
    // Bids 59,400.0 ×1.201 (1.2 after the print): the first part sells 1, the second 0.2 and expires (DEPTH_EXHAUSTED), the
    // third finds nothing (NO_LIQUIDITY). Left: 2.5 − 1.2 = 1.3, more than the second part's 0.8.
    book(engine, T0 + 2, [['59400.0', '1.201']], [['59500.0', '5']]);
    events.length = 0;
    print(engine, T0 + 3, 2, '59400.0', true);
    expect(sells(events)).toEqual([['59400', '1'], ['59400', '0.2']]);
    expect(expiries(events)).toEqual([['STOP_LOSS', '0.2', 'DEPTH_EXHAUSTED'], ['STOP_LOSS', '0', 'NO_LIQUIDITY']]);
    expect(size(engine)).toBe('1.3');
    // Next book, bids 59,000.0 ×5: the rest of 1.3 closes, as 1 + 0.3.
    events.length = 0;
    book(engine, T0 + 4, [['59000.0', '5']], [['59100.0', '5']]);
    expect(placed(events)).toEqual([['MARKET', '1'], ['MARKET', '0.3']]);
    expect(sells(events)).toEqual([['59000', '1'], ['59000', '0.3']]);
    expect(size(engine)).toBe('0');
    // Sold 1.2 × 59,400 + 1.3 × 59,000 = 71,280 + 76,700 = 147,980 for 150,000: −2,020; fees (150,000 + 147,980) × 0.0005 = 148.99.
    expect(closed(events)).toEqual([['-2020', '148.99']]);
    engine.kernel.checkInvariants();
  });

  it('a capped stop\'s parts, triggered together, share one cap: none sells beyond the bound the first met', () => {
    const { engine, events } = long('2.5', { stopLoss: { type: 'percent', percent: 1 }, exit: { maxSlippage: '0.001' } });
    // Bids 59,400.0 ×0.501 (0.5 after the print), 59,300.0 ×1, 59,200.0 ×5. The print triggers the three parts (1, 1, 0.5),
    // all capped from 59,400 (ADR 0077): 59,400 × 0.999 = 59,340.6. The first sells 0.5 at 59,400; 59,300 is past the
    // cap for the others too, which sell nothing (each capped from the best bid it met, they sold 1.5 at 59,300 and 59,200).
    book(engine, T0 + 2, [['59400.0', '0.501'], ['59300.0', '1'], ['59200.0', '5']], [['59500.0', '5']]);
    events.length = 0;
    print(engine, T0 + 3, 2, '59400.0', true);
    expect(sells(events)).toEqual([['59400', '0.5']]);
    expect(expiries(events)).toEqual([['STOP_LOSS', '0.5', 'SLIPPAGE_CAP'], ['STOP_LOSS', '0', 'SLIPPAGE_CAP'], ['STOP_LOSS', '0', 'SLIPPAGE_CAP']]);
    expect(size(engine)).toBe('2');
    // Next book, bids 59,350.0 ×5: the rest, all 2 left, closes as 1 + 1 (cap 59,350 × 0.999 = 59,290.65 → 59,290.7).
    events.length = 0;
    book(engine, T0 + 4, [['59350.0', '5']], [['59450.0', '5']]);
    expect(placed(events)).toEqual([['MARKET', '1'], ['MARKET', '1']]);
    expect(sells(events)).toEqual([['59350', '1'], ['59350', '1']]);
    expect(size(engine)).toBe('0');
    // Sold 0.5 × 59,400 + 2 × 59,350 = 29,700 + 118,700 = 148,400 for 150,000: −1,600; fees (150,000 + 148,400) × 0.0005 = 149.2.
    expect(closed(events)).toEqual([['-1600', '149.2']]);
    engine.kernel.checkInvariants();
  });

  it('a DCA fill that grows the position cancels the stop\'s parts and covers the new position in parts', () => {
    // Long 1.5, stop 5 % under (57,000.0), one DCA order of 1.5 (×1) 1 % under, 59,400.0: the stop goes as 1 + 0.5.
    const { engine, events } = long('1.5', { stopLoss: { type: 'percent', percent: 5 }, dca: { count: 1, stepPercent: 1, sizeMultiplier: 1 } });
    expect(placed(events, 'STOP_LOSS')).toEqual([['STOP_LOSS', '1'], ['STOP_LOSS', '0.5']]);
    // Asks at 59,400.0 fill the DCA order: a position of 3, whose stop goes as 1 + 1 + 1 once the 1 + 0.5 are cancelled.
    events.length = 0;
    book(engine, T0 + 2, [['59300.0', '5']], [['59400.0', '5']]);
    expect(size(engine)).toBe('3');
    expect(canceled(events)).toEqual([['STOP_LOSS', '1'], ['STOP_LOSS', '0.5']]);
    expect(placed(events, 'STOP_LOSS')).toEqual([['STOP_LOSS', '1'], ['STOP_LOSS', '1'], ['STOP_LOSS', '1']]);
    expect(openExits(engine)).toEqual([['STOP_LOSS', '1'], ['STOP_LOSS', '1'], ['STOP_LOSS', '1']]);
    expect(errors(events)).toEqual([]);
    engine.kernel.checkInvariants();
  });

  it('a close cancels every part of every exit', () => {
    const { engine, events } = long('2.5', TACTICS);
    book(engine, T0 + 2, [['59900.0', '5']], [['60000.0', '5']]);
    events.length = 0;
    engine.closePosition('a', symbol);
    expect(canceled(events)).toEqual([
      ['STOP_LOSS', '1'], ['STOP_LOSS', '1'], ['STOP_LOSS', '0.5'],
      ['TAKE_PROFIT', '1'], ['TAKE_PROFIT', '0.25'],
      ['TRAILING_STOP_MARKET', '1'], ['TRAILING_STOP_MARKET', '1'], ['TRAILING_STOP_MARKET', '0.5'],
    ]);
    expect(placed(events)).toEqual([['MARKET', '1'], ['MARKET', '1'], ['MARKET', '0.5']]);
    expect(size(engine)).toBe('0');
    expect(openExits(engine)).toEqual([]);
    engine.kernel.checkInvariants();
  });
});

describe('exits in parts across a snapshot', () => {
  it('a restored plan still knows every part: a close cancels them all', async () => {
    const { engine } = long('2.5', TACTICS);
    const restored = new PaperTradingEngine({ instruments: instruments() });
    const events: PaperTradingEvent[] = [];
    restored.subscribe((e) => events.push(e));
    await restored.restoreAccounts(engine.snapshot());
    book(restored, T0 + 2, [['59900.0', '5']], [['60000.0', '5']]);
    restored.closePosition('a', symbol);
    // The 3 + 2 + 3 parts placed before the snapshot, in the order they went.
    expect(canceled(events)).toEqual([
      ['STOP_LOSS', '1'], ['STOP_LOSS', '1'], ['STOP_LOSS', '0.5'],
      ['TAKE_PROFIT', '1'], ['TAKE_PROFIT', '0.25'],
      ['TRAILING_STOP_MARKET', '1'], ['TRAILING_STOP_MARKET', '1'], ['TRAILING_STOP_MARKET', '0.5'],
    ]);
    expect(size(restored)).toBe('0');
    expect(restored.kernel.openOrders('a')).toEqual([]);
    restored.kernel.checkInvariants();
  });
});

describe('a close in parts with a minimum quantity above the step', () => {
  it('gives its last part the minimum from the part before: 2.1 with a largest order of 1 and a minimum of 0.3 goes as 1, 0.8, 0.3', () => {
    // 2.1 = 1 + 1 + 0.1 would leave a last order of 0.1 under the minimum of 0.3 (EXIT_DUST, 0.1 left open); the second
    // gives it 0.2. The stop's parts are cut the same way.
    const { engine, events } = long('2.1', { stopLoss: { type: 'percent', percent: 10 } }, '0.3');
    expect(placed(events, 'STOP_LOSS')).toEqual([['STOP_LOSS', '1'], ['STOP_LOSS', '0.8'], ['STOP_LOSS', '0.3']]);
    book(engine, T0 + 2, [['59900.0', '5']], [['60000.0', '5']]);
    events.length = 0;
    engine.closePosition('a', symbol);
    expect(placed(events)).toEqual([['MARKET', '1'], ['MARKET', '0.8'], ['MARKET', '0.3']]);
    expect(errors(events)).toEqual([]);
    expect(size(engine)).toBe('0');
    // Sold 2.1 × 59,900 = 125,790 for 126,000: −210; fees (126,000 + 125,790) × 0.0005 = 125.895.
    expect(closed(events)).toEqual([['-210', '125.895']]);
    engine.kernel.checkInvariants();
  });
});
