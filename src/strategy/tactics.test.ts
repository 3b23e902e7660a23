import { describe, expect, it } from 'vitest';
import type { FillEvent, OrderNewEvent, OrderTriggeredEvent, PositionEvent } from '../core/kernel/events.js';
import { div, mul, ONE, parseFixed, roundToIncrement, type Fixed } from '../core/money/fixed.js';
import { PaperTradingEngine } from '../library/paper-trading-engine.js';
import type { PaperTradingEvent } from '../library/engine-events.js';
import { candlesFile } from '../test-kit/data-paths.js';
import { readCandlesFile } from './candles.js';
import { parseTactics, TacticsError } from './tactics.js';

const CANDLES = readCandlesFile(candlesFile('coinbase_btcusd_1m_20180404_20180406.csv'));
const TICK = parseFixed('0.1');
const STEP = parseFixed('0.001');
const P = (s: string) => parseFixed(s);
const pct = (x: Fixed) => div(x, 100n * ONE, 'down');

const TACTICS = {
  name: 'full',
  entry: { type: 'market' },
  dca: { count: 2, stepPercent: 0.4, sizeMultiplier: 1.5 },
  stopLoss: { type: 'percent', percent: 1.2 },
  takeProfits: [{ percent: 0.4, share: 0.5 }, { percent: 0.8, share: 0.25 }],
  trailingStop: { activationPercent: 0.6, callbackPercent: 0.2 },
  breakEvenAfterFirstTarget: true,
};

function run(tactics: unknown = TACTICS) {
  const engine = new PaperTradingEngine();
  const events: PaperTradingEvent[] = [];
  engine.subscribe((e) => events.push(e));
  engine.advanceTo(CANDLES[0]!.openTime);
  engine.createAccount({ id: 't', strategyId: 'rsi-reversal', tacticsSets: [tactics], autoTrading: true, maxRiskPerTrade: 0.5, leverage: { BTCUSDT: 10 } });
  engine.start('t');
  engine.processCandles('t', 'BTCUSDT', CANDLES);
  engine.kernel.checkInvariants();
  return events;
}

const EVENTS = run();
const planOf = (clientOrderId: string) => clientOrderId.split(':').slice(0, 3).join(':');
const roleOf = (clientOrderId: string) => clientOrderId.split(':')[3]!;
const news = EVENTS.filter((e): e is OrderNewEvent => e.type === 'ORDER_NEW');
const fills = EVENTS.filter((e): e is FillEvent => e.type === 'FILL');
const candleAt = (t: number) => CANDLES.find((c) => c.openTime === t)!;

describe('tactics on real candles', () => {
  it('validates tactics sets and names the bad field', () => {
    expect(parseTactics(TACTICS).takeProfits.map((t) => t.share)).toEqual([P('0.5'), P('0.25')]);
    expect(() => parseTactics({ ...TACTICS, takeProfits: [{ percent: 1, share: 0.8 }, { percent: 2, share: 0.5 }] })).toThrow(TacticsError);
    expect(() => parseTactics({ ...TACTICS, stopLoss: { type: 'percent' } })).toThrow(/stopLoss.percent/);
    expect(() => parseTactics({ ...TACTICS, surprise: 1 })).toThrow(/unknown field "surprise"/);
    expect(() => parseTactics({ ...TACTICS, entry: { type: 'stop' } })).toThrow(/entry.type/);
  });

  it('partial take-profits close their share of the position', () => {
    let checked = 0;
    for (const entry of fills.filter((f) => roleOf(f.clientOrderId) === 'entry')) {
      const plan = planOf(entry.clientOrderId);
      const size = P(entry.quantity);
      const targets = news.filter((n) => planOf(n.clientOrderId) === plan && roleOf(n.clientOrderId).startsWith('target') && n.at === entry.at);
      expect(targets.map((t) => P(t.quantity))).toEqual([roundToIncrement(mul(size, P('0.5'), 'down'), STEP, 'floor'), roundToIncrement(mul(size, P('0.25'), 'down'), STEP, 'floor')]);
      for (const target of targets) {
        const fill = fills.find((f) => f.clientOrderId === target.clientOrderId);
        if (fill === undefined) continue;
        expect(P(fill.executedQty)).toBe(P(target.quantity));
        const after = EVENTS.slice(EVENTS.indexOf(fill)).find((e): e is PositionEvent => (e.type === 'POSITION_UPDATED' || e.type === 'POSITION_CLOSED') && e.account === 't');
        expect(after).toBeDefined();
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('moves the stop to break-even after the first target, for the remaining size', () => {
    let checked = 0;
    for (const fill of fills.filter((f) => roleOf(f.clientOrderId) === 'target1' && f.status === 'FILLED')) {
      const i = EVENTS.indexOf(fill);
      const stop = EVENTS.slice(i).find((e): e is OrderNewEvent => e.type === 'ORDER_NEW' && roleOf(e.clientOrderId) === 'stop' && planOf(e.clientOrderId) === planOf(fill.clientOrderId));
      if (stop === undefined || stop.at !== fill.at) continue; // the position closed on the same trade
      // The position as it stood when the stop was re-placed (a gap can fill several targets at once).
      const position = EVENTS.slice(i, EVENTS.indexOf(stop)).filter((e): e is PositionEvent => e.type === 'POSITION_UPDATED').at(-1)!;
      const long = position.direction === 'LONG';
      expect(P(stop.stopPrice!)).toBe(roundToIncrement(P(position.entryPrice), TICK, long ? 'ceil' : 'floor'));
      expect(stop.quantity).toBe(position.totalSize);
      checked += 1;
    }
    expect(checked).toBeGreaterThan(3);
  });

  it('the trailing stop activates beyond its activation price and triggers its callback below the peak', () => {
    const triggered = EVENTS.filter((e): e is OrderTriggeredEvent => e.type === 'ORDER_TRIGGERED' && roleOf(e.clientOrderId) === 'trailing');
    expect(triggered.length).toBeGreaterThan(0);
    for (const t of triggered) {
      const entry = fills.find((f) => planOf(f.clientOrderId) === planOf(t.clientOrderId) && roleOf(f.clientOrderId) === 'entry')!;
      const reference = P(candleAt(entry.at).open);
      const long = entry.side === 'BUY';
      const activation = roundToIncrement(mul(reference, long ? ONE + pct(P('0.6')) : ONE - pct(P('0.6')), 'down'), TICK, long ? 'ceil' : 'floor');
      const rate = pct(P('0.2'));
      // stop = peak × (1 ∓ rate): recover the peak and check it is a price the tape visited after entry.
      const peak = div(P(t.stopPrice), long ? ONE - rate : ONE + rate, 'half-up');
      const bars = CANDLES.filter((c) => c.openTime >= entry.at - 60_000 && c.openTime <= t.at);
      const extreme = bars.reduce((m, c) => (long ? (P(c.high) > m ? P(c.high) : m) : P(c.low) < m ? P(c.low) : m), long ? 0n : 10n ** 40n);
      if (long) {
        expect(peak).toBeGreaterThanOrEqual(activation - 1n);
        expect(peak).toBeLessThanOrEqual(extreme + 1n);
        expect(P(t.triggerPrice)).toBeLessThanOrEqual(P(t.stopPrice));
      } else {
        expect(peak).toBeLessThanOrEqual(activation + 1n);
        expect(peak).toBeGreaterThanOrEqual(extreme - 1n);
        expect(P(t.triggerPrice)).toBeGreaterThanOrEqual(P(t.stopPrice));
      }
    }
  });

  it('places the DCA ladder at step·i from the reference, sized by the multiplier, and fills at those prices', () => {
    let placed = 0;
    let filled = 0;
    for (const entry of news.filter((n) => roleOf(n.clientOrderId) === 'entry')) {
      const plan = planOf(entry.clientOrderId);
      const reference = P(candleAt(entry.at).open);
      const long = entry.side === 'BUY';
      const ladder = news.filter((n) => planOf(n.clientOrderId) === plan && roleOf(n.clientOrderId).startsWith('dca'));
      expect(ladder).toHaveLength(2);
      let size = P(entry.quantity);
      for (const [k, order] of ladder.entries()) {
        const i = BigInt(k + 1);
        const factor = long ? ONE - pct(P('0.4') * i) : ONE + pct(P('0.4') * i);
        expect(P(order.price!)).toBe(roundToIncrement(mul(reference, factor, 'down'), TICK, long ? 'floor' : 'ceil'));
        size = roundToIncrement(mul(size, P('1.5'), 'down'), STEP, 'floor');
        expect(P(order.quantity)).toBe(size);
        expect(order.orderType).toBe('LIMIT');
        placed += 1;
        for (const f of fills.filter((x) => x.clientOrderId === order.clientOrderId)) {
          expect(f.price).toBe(order.price);
          filled += 1;
        }
      }
    }
    expect(placed).toBeGreaterThan(10);
    expect(filled).toBeGreaterThan(0);
  });

  it('after a DCA fill the stop covers the whole, larger position', () => {
    const dcaFills = fills.filter((f) => roleOf(f.clientOrderId).startsWith('dca'));
    expect(dcaFills.length).toBeGreaterThan(0);
    for (const fill of dcaFills) {
      const i = EVENTS.indexOf(fill);
      const position = EVENTS.slice(i).find((e): e is PositionEvent => e.type === 'POSITION_UPDATED')!;
      const stop = EVENTS.slice(i).find((e): e is OrderNewEvent => e.type === 'ORDER_NEW' && roleOf(e.clientOrderId) === 'stop')!;
      expect(stop.quantity).toBe(position.totalSize);
    }
  });
});
