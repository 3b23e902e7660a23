/**
 * The slippage cap (ADR 0061) on the library's market entries: `openPosition`'s `maxSlippage` and the
 * tactics' `entry.maxSlippage` go to the MARKET entry, which stops at the best opposite price × (1 ± cap)
 * rounded to the tick toward the best; the exits cover what filled. Every expected fill is worked out by
 * hand from the book the test states (Binance USD-M BTCUSDT: tick 0.1, taker fee 0.05 %).
 */
import { describe, expect, it } from 'vitest';
import type { LevelInput } from '../core/kernel/inputs.js';
import { formatFixed, parseFixed } from '../core/money/fixed.js';
import { parseTactics, TacticsError } from '../strategy/tactics.js';
import type { PaperTradingEvent } from './engine-events.js';
import { PaperTradingEngine } from './paper-trading-engine.js';

const T0 = 1_700_000_000_000;
const symbol = 'BTCUSDT';
const TACTICS = { name: 't', entry: { type: 'market' }, stopLoss: { type: 'percent', percent: 1 }, takeProfits: [] };

/**
 * An engine with account `a` (1,000,000 USDT, leverage 1) on a book stated by hand. The last print,
 * 60,000.0, is the reference; it came before the book, so it took nothing of it.
 */
function engineOn(bids: LevelInput[], asks: LevelInput[]) {
  const engine = new PaperTradingEngine();
  const events: PaperTradingEvent[] = [];
  engine.subscribe((e) => events.push(e));
  engine.advanceTo(T0);
  engine.createAccount({ id: 'a', initialBalance: '1000000', tacticsSets: [TACTICS] });
  engine.feedMarket({ kind: 'trade', time: T0, symbol, tradeId: 1, price: '60000.0', quantity: '0.001', buyerMaker: false });
  engine.feedMarket({ kind: 'book.snapshot', time: T0 + 1, symbol, lastUpdateId: 1, bids, asks });
  return { engine, events };
}

const fills = (events: readonly PaperTradingEvent[]) => events.flatMap((e) => (e.type === 'FILL' && e.orderType === 'MARKET' ? [[e.price, e.quantity, e.fee]] : []));
const expiry = (events: readonly PaperTradingEvent[]) => events.flatMap((e) => (e.type === 'ORDER_EXPIRED' ? [[e.executedQty, e.reason]] : []));
const ASKS: LevelInput[] = [['60000.0', '1'], ['60300.0', '1'], ['60600.0', '1'], ['60600.1', '1'], ['61000.0', '5']];

describe('openPosition with a slippage cap', () => {
  it('a long of 4 capped at 1 % buys up to 60,000 × 1.01 = 60,600.0 and its stop covers the 3 it bought', () => {
    const { engine, events } = engineOn([['59990.0', '1']], ASKS);
    const outcome = engine.openPosition('a', { symbol, side: 'LONG', quantity: '4', maxSlippage: '0.01' });
    expect(outcome.ok).toBe(true);
    // Taker fees at 0.05 %: 60,000 × 0.0005 = 30, 60,300 × 0.0005 = 30.15, 60,600 × 0.0005 = 30.3.
    expect(fills(events)).toEqual([['60000', '1', '30'], ['60300', '1', '30.15'], ['60600', '1', '30.3']]);
    expect(expiry(events)).toEqual([['3', 'SLIPPAGE_CAP']]);
    // Entry (60,000 + 60,300 + 60,600) / 3 = 60,300; the stop 1 % under the reference 60,000: 59,400, for 3.
    expect(engine.getAccount('a').positions).toEqual([{ symbol, direction: 'LONG', size: '3', entryPrice: '60300' }]);
    expect(engine.kernel.openOrders('a').map((o) => [o.type, formatFixed(o.stopPrice!), formatFixed(o.quantity)])).toEqual([['STOP_LOSS', '59400', '3']]);
    // Cash: 1,000,000 − 30 − 30.15 − 30.3 = 999,909.55, all in the wallet (free + margin locked).
    const usdt = engine.getAccount('a').balances.USDT!;
    expect(formatFixed(parseFixed(usdt.free) + parseFixed(usdt.locked))).toBe('999909.55');
    engine.kernel.checkInvariants();
  });

  it('without the cap the same long takes the fourth level, 60,600.1', () => {
    const { engine, events } = engineOn([['59990.0', '1']], ASKS);
    expect(engine.openPosition('a', { symbol, side: 'LONG', quantity: '4' }).ok).toBe(true);
    expect(fills(events).map(([price, quantity]) => [price, quantity])).toEqual([['60000', '1'], ['60300', '1'], ['60600', '1'], ['60600.1', '1']]);
    expect(engine.getAccount('a').positions).toMatchObject([{ size: '4' }]);
  });

  it("the tactics' entry.maxSlippage caps a short: 60,000.1 × 0.995 = 59,700.0995, up to the tick 59,700.1", () => {
    const { engine, events } = engineOn([['60000.1', '1'], ['59700.1', '1'], ['59700.0', '1']], [['60010.0', '1']]);
    const tactics = { ...TACTICS, entry: { type: 'market', maxSlippage: 0.005 } };
    expect(engine.openPosition('a', { symbol, side: 'SHORT', quantity: '3', tactics }).ok).toBe(true);
    expect(fills(events).map(([price, quantity]) => [price, quantity])).toEqual([['60000.1', '1'], ['59700.1', '1']]);
    expect(expiry(events)).toEqual([['2', 'SLIPPAGE_CAP']]);
    expect(engine.getAccount('a').positions).toMatchObject([{ direction: 'SHORT', size: '2' }]);
  });

  it("the request's cap replaces the tactics': 0 takes the best level only", () => {
    const { engine, events } = engineOn([['59990.0', '1']], ASKS);
    const tactics = { ...TACTICS, entry: { type: 'market', maxSlippage: '0.01' } };
    expect(engine.openPosition('a', { symbol, side: 'LONG', quantity: '2', tactics, maxSlippage: 0 }).ok).toBe(true);
    expect(fills(events).map(([price, quantity]) => [price, quantity])).toEqual([['60000', '1']]);
    expect(expiry(events)).toEqual([['1', 'SLIPPAGE_CAP']]);
  });

  const refused: [string, Record<string, unknown>, RegExp][] = [
    ['a cap of 1', { maxSlippage: '1' }, /the market entry: maxSlippage must be a fraction from 0 to below 1/],
    ['a negative cap', { maxSlippage: -0.01 }, /the market entry: maxSlippage must be a fraction from 0 to below 1/],
    ['a cap that is no decimal', { maxSlippage: '1%' }, /maxSlippage must be a decimal fraction such as "0.005", got "1%"/],
    ['a cap on a limit entry', { maxSlippage: '0.01', tactics: { ...TACTICS, entry: { type: 'limit', offsetPercent: 1 } } }, /the limit entry: a LIMIT order takes no maxSlippage/],
  ];
  for (const [what, fields, reason] of refused) {
    it(`is refused for ${what}, and nothing changes`, () => {
      const { engine, events } = engineOn([['59990.0', '1']], ASKS);
      const count = events.length;
      const before = engine.getAccount('a');
      const outcome = engine.openPosition('a', { symbol, side: 'LONG', quantity: '1', ...fields });
      expect(outcome.ok ? '' : outcome.reason).toMatch(reason);
      expect(events.slice(count).map((e) => e.type)).toEqual(['ERROR']);
      expect(engine.getAccount('a')).toEqual(before);
      expect(engine.kernel.openOrders('a')).toEqual([]);
    });
  }
});

describe("the tactics' entry.maxSlippage", () => {
  it('is read as the exact fraction given', () => {
    expect(parseTactics({ ...TACTICS, entry: { type: 'market', maxSlippage: '0.005' } }).entry).toEqual({ type: 'market', maxSlippage: parseFixed('0.005') });
    expect(parseTactics({ ...TACTICS, entry: { type: 'market', maxSlippage: 0 } }).entry).toEqual({ type: 'market', maxSlippage: 0n });
  });

  it('is refused out of [0, 1) and on a limit entry, as the kernel refuses the order', () => {
    expect(() => parseTactics({ ...TACTICS, entry: { type: 'market', maxSlippage: 1 } })).toThrow(new TacticsError('entry.maxSlippage: maxSlippage must be a fraction from 0 to below 1 (e.g. "0.005" for 0.5 %)'));
    expect(() => parseTactics({ ...TACTICS, entry: { type: 'market', maxSlippage: 'x' } })).toThrow(TacticsError);
    expect(() => parseTactics({ ...TACTICS, entry: { type: 'limit', offsetPercent: 1, maxSlippage: 0.01 } })).toThrow(
      new TacticsError('entry.maxSlippage: a LIMIT order takes no maxSlippage: it caps orders that execute at the market'),
    );
  });
});
