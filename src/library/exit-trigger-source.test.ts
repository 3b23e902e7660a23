/**
 * The tactics' `exit.triggerSource` (ADR 0066, 0069): the stop, take-profits and trailing stop trigger
 * on the price it names, 'last' (the prints) or 'mark' (the mark, here the book's mid: the library's
 * markets have no mark input). Figures by hand from the books the test states (Binance USD-M BTCUSDT,
 * tick 0.1).
 */
import { describe, expect, it } from 'vitest';
import type { LevelInput } from '../core/kernel/inputs.js';
import { formatFixed, parseFixed } from '../core/money/fixed.js';
import { parseTactics, TacticsError } from '../strategy/tactics.js';
import type { PaperTradingEvent } from './engine-events.js';
import { PaperTradingEngine } from './paper-trading-engine.js';
import { book, print } from '../test-kit/engine-market.js';

const T0 = 1_700_000_040_000;
const symbol = 'BTCUSDT';

/** Account `a` (1,000,000 USDT, leverage 1) long `quantity` at 60,000.0, bought from asks of 10 at 60,000.0. */
function longAt60000(quantity: string, tactics: Record<string, unknown>) {
  const engine = new PaperTradingEngine();
  const events: PaperTradingEvent[] = [];
  engine.subscribe((e) => events.push(e));
  engine.advanceTo(T0);
  engine.createAccount({ id: 'a', initialBalance: '1000000', tacticsSets: [tactics] });
  print(engine, T0, 1, '60000.0', false);
  book(engine, T0 + 1, [['59990.0', '1']], [['60000.0', '10']]);
  expect(engine.openPosition('a', { symbol, side: 'LONG', quantity }).ok).toBe(true);
  events.length = 0;
  return { engine, events };
}

const sells = (events: readonly PaperTradingEvent[]) => events.flatMap((e) => (e.type === 'FILL' && e.side === 'SELL' ? [[e.price, e.quantity]] : []));
const expiries = (events: readonly PaperTradingEvent[]) => events.flatMap((e) => (e.type === 'ORDER_EXPIRED' ? [[e.orderType, e.executedQty, e.reason]] : []));
const size = (engine: PaperTradingEngine) => engine.getAccount('a').positions[0]?.size ?? '0';

describe("the tactics' exit.triggerSource", () => {
  it('a mark-triggered stop fires on the mark (the book mid), not on a print beyond it', () => {
    // Stop 1 % under 60,000: 59,400.0; a target 2 % over, 61,200.0, for half; a trailing stop activated 3 % over: all on the mark.
    const tactics = { name: 't', stopLoss: { type: 'percent', percent: 1 }, takeProfits: [{ percent: 2, share: 0.5 }], trailingStop: { activationPercent: 3, callbackPercent: 1 }, exit: { triggerSource: 'mark' } };
    const { engine, events } = longAt60000('1', tactics);
    expect(engine.kernel.openOrders('a').map((o) => [o.type, o.stopPrice === undefined ? undefined : formatFixed(o.stopPrice), o.triggerSource])).toEqual([
      ['STOP_LOSS', '59400', 'mark'],
      ['TAKE_PROFIT', '61200', 'mark'],
      ['TRAILING_STOP_MARKET', undefined, 'mark'],
    ]);
    // Bids 59,990.0, asks 60,010.0: mid 60,000.0. A print at 59,300.0 is beyond the stop: a last-price stop would fire.
    book(engine, T0 + 2, [['59990.0', '5']], [['60010.0', '5']]);
    print(engine, T0 + 3, 2, '59300.0', true);
    expect(sells(events)).toEqual([]);
    // The book falls: bids 59,300.0, asks 59,400.0, mid 59,350.0 ≤ 59,400.0: the stop fires and sells at 59,300.
    book(engine, T0 + 4, [['59300.0', '5']], [['59400.0', '5']]);
    expect(sells(events)).toEqual([['59300', '1']]);
    expect(size(engine)).toBe('0');
    expect(engine.kernel.openOrders('a')).toEqual([]);
  });

  it('a last-price stop on the same market fires on the print', () => {
    const { engine, events } = longAt60000('1', { name: 't', stopLoss: { type: 'percent', percent: 1 }, exit: { triggerSource: 'last' } });
    book(engine, T0 + 2, [['59990.0', '5']], [['60010.0', '5']]);
    // The print at 59,300.0 fires it; it went through the bids at 59,990.0, so the stop finds none left (NO_LIQUIDITY)
    // and its rest sells at the next book, at 59,300.
    print(engine, T0 + 3, 2, '59300.0', true);
    expect(expiries(events)).toEqual([['STOP_LOSS', '0', 'NO_LIQUIDITY']]);
    expect(size(engine)).toBe('1');
    book(engine, T0 + 4, [['59300.0', '5']], [['59400.0', '5']]);
    expect(sells(events)).toEqual([['59300', '1']]);
    expect(size(engine)).toBe('0');
  });

  it.each(['last', 'mark'])('a %s stop fires on a candle-bar path (bar inputs) where it passes the stop', (triggerSource) => {
    // Bar inputs (ADR 0042): the perpetual's mark is the step's quote mid, the step price itself (p − tick / p + tick).
    const engine = new PaperTradingEngine({ barInputs: true });
    const events: PaperTradingEvent[] = [];
    engine.subscribe((e) => events.push(e));
    engine.advanceTo(T0);
    engine.createAccount({ id: 'a', initialBalance: '1000000', tacticsSets: [{ name: 't', stopLoss: { type: 'percent', percent: 1 }, exit: { triggerSource } }] });
    const bar = (i: number, open: string, high: string, low: string, close: string) => ({ openTime: T0 + i * 60_000, open, high, low, close, volume: '10' });
    engine.processCandles('a', symbol, [bar(0, '60000', '60000', '60000', '60000')]);
    // Placed between bars, the entry buys at the next open plus the tick, 60,000.1; the stop is 1 % under the 60,000 reference, 59,400.0.
    expect(engine.openPosition('a', { symbol, side: 'LONG', quantity: '1' }).ok).toBe(true);
    // The next bar falls from 60,000 to 59,000: its path stops at 59,400.0, where the stop triggers on either price and sells
    // a tick beyond its trigger, at 59,399.9.
    engine.processCandles('a', symbol, [bar(1, '60000', '60000', '60000', '60000'), bar(2, '60000', '60000', '59000', '59500')]);
    expect(events.flatMap((e) => (e.type === 'FILL' ? [[e.orderType, e.side, e.price, e.quantity]] : []))).toEqual([
      ['MARKET', 'BUY', '60000.1', '1'],
      ['STOP_LOSS', 'SELL', '59399.9', '1'],
    ]);
    expect(engine.getAccount('a').positions).toEqual([]);
  });

  it('is read as given and refused otherwise', () => {
    const BASE = { stopLoss: { type: 'percent', percent: 1 } };
    expect(parseTactics({ ...BASE, exit: { triggerSource: 'mark', maxSlippage: '0.005' } }).exit).toEqual({ maxSlippage: parseFixed('0.005'), triggerSource: 'mark' });
    expect(() => parseTactics({ ...BASE, exit: { triggerSource: 'index' } })).toThrow(new TacticsError('exit.triggerSource must be "last" or "mark", got "index"'));
  });
});
