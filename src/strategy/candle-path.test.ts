import { describe, expect, it } from 'vitest';
import { parseFixed } from '../core/money/fixed.js';
import { PaperTradingEngine } from '../library/paper-trading-engine.js';
import type { PaperTradingEvent } from '../library/engine-events.js';
import { intrabarAnchors, nextStop } from './candle-path.js';
import { toCandle } from './candles.js';

const P = (s: string) => parseFixed(s);
const bar = toCandle({ openTime: 60_000, open: '100', high: '110', low: '90', close: '105', volume: '1' });

describe('the conservative intrabar path', () => {
  it('visits the extreme adverse to the exposure first', () => {
    expect(intrabarAnchors(bar, 'LONG').anchors).toEqual([P('90'), P('110'), P('105')]);
    expect(intrabarAnchors(bar, 'SHORT').anchors).toEqual([P('110'), P('90'), P('105')]);
    expect(intrabarAnchors(bar, 'FLAT').anchors).toEqual([P('90'), P('110'), P('105')]); // closed up: low first
  });

  it('stops at the nearest order price on the way, in the direction of travel', () => {
    expect(nextStop(P('100'), P('90'), [P('95'), P('97'), P('89'), P('101')])).toBe(P('97'));
    expect(nextStop(P('90'), P('110'), [P('95'), P('97'), P('110')])).toBe(P('95'));
    expect(nextStop(P('100'), P('90'), [P('100'), P('90')])).toBeUndefined();
  });

  for (const side of ['LONG', 'SHORT'] as const) {
    it(`when one bar reaches both the stop and the target, the stop fills first (${side})`, () => {
      const engine = new PaperTradingEngine();
      const events: PaperTradingEvent[] = [];
      engine.subscribe((e) => events.push(e));
      engine.advanceTo(1_700_000_000_000);
      engine.createAccount({ id: 'a', tacticsSets: [{ stopLoss: { type: 'percent', percent: 1 }, takeProfits: [{ percent: 1, share: 1 }] }] });
      engine.updatePrices({ BTCUSDT: '50000' }, 1_700_000_000_000);
      expect(engine.openPosition('a', { symbol: 'BTCUSDT', side, quantity: '0.1' }).ok).toBe(true);
      // One bar through both the stop (49500 / 50500) and the target (50500 / 49500).
      engine.processCandles('a', 'BTCUSDT', [{ openTime: 1_700_000_060_000, open: '50000', high: '51000', low: '49000', close: '50000', volume: '10' }]);
      const fills = events.filter((e) => e.type === 'FILL').map((e) => (e.type === 'FILL' ? e.clientOrderId.split(':')[3] : ''));
      expect(fills).toEqual(['entry', 'stop']);
      const closed = events.find((e) => e.type === 'POSITION_CLOSED');
      expect(closed?.type === 'POSITION_CLOSED' && parseFixed(closed.realizedPnl) < 0n).toBe(true);
      expect(engine.getAccount('a').positions).toEqual([]);
    });
  }
});
