/**
 * The slippage cap (ADR 0061) on the exits (ADR 0065): a tactics set's `exit.maxSlippage` goes to the
 * stop, the take-profits and the trailing stop, `closePosition`'s `maxSlippage` (else the plan's) to
 * the close; each stops at the best bid × (1 − cap) for a long's exit, rounded up to the tick, and what
 * it leaves goes again, capped from the best bid then, at the symbol's next market move, not in the
 * move that left it. Every fill is worked out by hand from the books the test states (Binance USD-M
 * BTCUSDT: tick 0.1, step 0.001, taker fee 0.05 %).
 */
import { describe, expect, it } from 'vitest';
import type { LevelInput } from '../core/kernel/inputs.js';
import { formatFixed, parseFixed } from '../core/money/fixed.js';
import { parseTactics, TacticsError } from '../strategy/tactics.js';
import type { PaperTradingEvent } from './engine-events.js';
import { PaperTradingEngine } from './paper-trading-engine.js';
import { book } from '../test-kit/engine-market.js';

const T0 = 1_700_000_000_000;
const symbol = 'BTCUSDT';

/**
 * An engine with account `a` (1,000,000 USDT, leverage 1) long `quantity` at 60,000.0: a print at
 * 60,000.0 (the reference), then asks of 10 at 60,000.0 the market entry buys from.
 */
function longAt60000(quantity: string, tactics: Record<string, unknown>) {
  const engine = new PaperTradingEngine();
  const events: PaperTradingEvent[] = [];
  engine.subscribe((e) => events.push(e));
  engine.advanceTo(T0);
  engine.createAccount({ id: 'a', initialBalance: '1000000', tacticsSets: [tactics] });
  engine.feedMarket({ kind: 'trade', time: T0, symbol, tradeId: 1, price: '60000.0', quantity: '0.001', buyerMaker: false });
  book(engine, T0 + 1, [['59990.0', '1']], [['60000.0', '10']]);
  expect(engine.openPosition('a', { symbol, side: 'LONG', quantity }).ok).toBe(true);
  expect(engine.getAccount('a').positions).toEqual([{ symbol, direction: 'LONG', size: quantity, entryPrice: '60000' }]);
  events.length = 0;
  return { engine, events };
}

/** A print that hits the bids (a sell aggressor) at `price`: what triggers a long's stop or take-profit. */
function sellPrint(engine: PaperTradingEngine, time: number, tradeId: number, price: string): void {
  engine.feedMarket({ kind: 'trade', time, symbol, tradeId, price, quantity: '0.001', buyerMaker: true });
}

const sells = (events: readonly PaperTradingEvent[]) => events.flatMap((e) => (e.type === 'FILL' && e.side === 'SELL' ? [[e.price, e.quantity]] : []));
const expiries = (events: readonly PaperTradingEvent[]) => events.flatMap((e) => (e.type === 'ORDER_EXPIRED' ? [[e.orderType, e.executedQty, e.reason]] : []));
const size = (engine: PaperTradingEngine) => engine.getAccount('a').positions[0]?.size ?? '0';
const WIDE_STOP = { type: 'percent', percent: 10 }; // 54,000: out of the way

describe('closePosition with a slippage cap', () => {
  // Bids 60,000.0 ×1, 59,800.0 ×1, 59,500.0 ×1, 59,000.0 ×5.
  const THIN: LevelInput[] = [['60000.0', '1'], ['59800.0', '1'], ['59500.0', '1'], ['59000.0', '5']];

  it('without a cap the close of 3 walks to 59,500.0', () => {
    const { engine, events } = longAt60000('3', { name: 't', stopLoss: WIDE_STOP });
    book(engine, T0 + 2, THIN, [['60100.0', '5']]);
    engine.closePosition('a', symbol);
    expect(sells(events)).toEqual([['60000', '1'], ['59800', '1'], ['59500', '1']]);
    expect(size(engine)).toBe('0');
  });

  it('capped at 0.5 % it stops at 60,000 × 0.995 = 59,700.0, and closes the rest at the next book, capped from there', () => {
    const { engine, events } = longAt60000('3', { name: 't', stopLoss: WIDE_STOP });
    book(engine, T0 + 2, THIN, [['60100.0', '5']]);
    engine.closePosition('a', symbol, { maxSlippage: '0.005' });
    // 60,000 ≥ 59,700 and 59,800 ≥ 59,700 fill; 59,500 is beyond the cap: 1 of 3 expires.
    expect(sells(events)).toEqual([['60000', '1'], ['59800', '1']]);
    expect(expiries(events)).toEqual([['MARKET', '2', 'SLIPPAGE_CAP']]);
    expect(size(engine)).toBe('1');
    // The next book: bids 59,600.0 ×0.4, 59,400.0 ×5. Cap 59,600 × 0.995 = 59,302.0: 0.4 at 59,600, 0.6 at 59,400.
    events.length = 0;
    book(engine, T0 + 3, [['59600.0', '0.4'], ['59400.0', '5']], [['59700.0', '5']]);
    expect(sells(events)).toEqual([['59600', '0.4'], ['59400', '0.6']]);
    expect(expiries(events)).toEqual([]);
    expect(events.some((e) => e.type === 'POSITION_CLOSED')).toBe(true);
    expect(size(engine)).toBe('0');
    engine.kernel.checkInvariants();
  });

  it('the rest goes again on a print as well, capped from the best bid left, not from the bids the capped close took', () => {
    const { engine, events } = longAt60000('3', { name: 't', stopLoss: WIDE_STOP });
    book(engine, T0 + 2, THIN, [['60100.0', '5']]);
    engine.closePosition('a', symbol, { maxSlippage: '0.005' });
    expect(sells(events)).toEqual([['60000', '1'], ['59800', '1']]);
    expect(size(engine)).toBe('1');
    // The next move is a print at the ask (a buyer), no new book: the bids still shown at 60,000.0 and
    // 59,800.0 are the close's own, gone. The best bid left is 59,500.0: cap 59,500 × 0.995 = 59,202.5,
    // so the last 1 sells at 59,500.0. (Capped from the taken 60,000.0, at 59,700.0, it took nothing.)
    events.length = 0;
    engine.feedMarket({ kind: 'trade', time: T0 + 3, symbol, tradeId: 2, price: '60100.0', quantity: '0.001', buyerMaker: false });
    expect(sells(events)).toEqual([['59500', '1']]);
    expect(expiries(events)).toEqual([]);
    expect(size(engine)).toBe('0');
    engine.kernel.checkInvariants();
  });

  it("takes the plan's exit.maxSlippage when none is asked, and a cap that is no fraction in [0, 1) throws before anything moves", () => {
    const { engine, events } = longAt60000('3', { name: 't', stopLoss: WIDE_STOP, exit: { maxSlippage: '0.005' } });
    book(engine, T0 + 2, THIN, [['60100.0', '5']]);
    const before = engine.getAccount('a');
    expect(() => engine.closePosition('a', symbol, { maxSlippage: '1' })).toThrow(new RangeError('maxSlippage must be a fraction from 0 to below 1 (e.g. "0.005" for 0.5 %)'));
    expect(() => engine.closePosition('a', symbol, { maxSlippage: '0.5%' })).toThrow(RangeError);
    expect(() => engine.closePosition('a', symbol, { maxSlippage: Number.NaN })).toThrow(new RangeError('maxSlippage must be a decimal fraction such as "0.005", got NaN'));
    expect(engine.getAccount('a')).toEqual(before);
    expect(events.filter((e) => e.type === 'FILL')).toEqual([]);
    engine.closePosition('a', symbol);
    expect(sells(events)).toEqual([['60000', '1'], ['59800', '1']]);
    expect(expiries(events)).toEqual([['MARKET', '2', 'SLIPPAGE_CAP']]);
  });
});

describe("the tactics' exit.maxSlippage on the stop", () => {
  // Stop 1 % under 60,000: 59,400.0, for 3. A target at +2 %, 61,200.0, for half: 1.5. A trailing stop activated at +3 %, 61,800.0.
  const TACTICS = {
    name: 't', stopLoss: { type: 'percent', percent: 1 }, takeProfits: [{ percent: 2, share: 0.5 }], trailingStop: { activationPercent: 3, callbackPercent: 1 }, exit: { maxSlippage: 0.005 },
  };
  // Bids 59,400.0 ×1.001 (the print at 59,400 takes 0.001: 1 left), 59,200.0 ×1, 59,000.0 ×1, 58,000.0 ×5.
  const THIN: LevelInput[] = [['59400.0', '1.001'], ['59200.0', '1'], ['59000.0', '1'], ['58000.0', '5']];

  it('a triggered stop stops at 59,400 × 0.995 = 59,103.0; the plan ends; the rest waits for the next move and closes there', () => {
    const { engine, events } = longAt60000('3', TACTICS);
    expect(engine.kernel.openOrders('a').map((o) => [o.type, o.stopPrice === undefined ? undefined : formatFixed(o.stopPrice), formatFixed(o.quantity), o.maxSlippage === undefined ? undefined : formatFixed(o.maxSlippage)])).toEqual([
      ['STOP_LOSS', '59400', '3', '0.005'],
      ['TAKE_PROFIT', '61200', '1.5', '0.005'],
      ['TRAILING_STOP_MARKET', undefined, '3', '0.005'],
    ]);
    book(engine, T0 + 2, THIN, [['59500.0', '5']]);
    sellPrint(engine, T0 + 3, 2, '59400.0');
    // 1 at 59,400 and 1 at 59,200 (≥ 59,103); 59,000 is beyond the cap: 1 of 3 expires, in this move nothing more.
    expect(sells(events)).toEqual([['59400', '1'], ['59200', '1']]);
    expect(expiries(events)).toEqual([['STOP_LOSS', '2', 'SLIPPAGE_CAP']]);
    expect(size(engine)).toBe('1');
    // The trade is over: the take-profit and the trailing stop are cancelled with the plan.
    expect(events.filter((e) => e.type === 'ORDER_CANCELED').map((e) => e.type === 'ORDER_CANCELED' && e.orderType)).toEqual(['TAKE_PROFIT', 'TRAILING_STOP_MARKET']);
    expect(engine.kernel.openOrders('a')).toEqual([]);

    // Next book: bids 59,000.0 ×0.5, 58,800.0 ×2; cap 59,000 × 0.995 = 58,705.0: 0.5 at 59,000, 0.5 at 58,800.
    events.length = 0;
    book(engine, T0 + 4, [['59000.0', '0.5'], ['58800.0', '2']], [['59100.0', '5']]);
    expect(sells(events)).toEqual([['59000', '0.5'], ['58800', '0.5']]);
    expect(size(engine)).toBe('0');
    // 3 bought at 60,000 = 180,000; sold 1 × 59,400 + 1 × 59,200 + 0.5 × 59,000 + 0.5 × 58,800 = 177,500: −2,500 realized.
    // Taker fees at 0.05 %: (180,000 + 177,500) × 0.0005 = 178.75.
    expect(events.flatMap((e) => (e.type === 'POSITION_CLOSED' ? [[e.realizedPnl, e.feesPaid]] : []))).toEqual([['-2500', '178.75']]);
    engine.kernel.checkInvariants();
  });

  it('without the cap the same stop walks to 59,000.0 in one go', () => {
    const { engine, events } = longAt60000('3', { ...TACTICS, exit: undefined });
    book(engine, T0 + 2, THIN, [['59500.0', '5']]);
    sellPrint(engine, T0 + 3, 2, '59400.0');
    expect(sells(events)).toEqual([['59400', '1'], ['59200', '1'], ['59000', '1']]);
    expect(size(engine)).toBe('0');
  });

  it("the rest survives a snapshot, and a snapshot without the manager's rests (written before) restores", async () => {
    const { engine } = longAt60000('3', TACTICS);
    book(engine, T0 + 2, THIN, [['59500.0', '5']]);
    sellPrint(engine, T0 + 3, 2, '59400.0');
    const snapshot = engine.snapshot();
    const restored = new PaperTradingEngine();
    await restored.restoreAccounts(snapshot);
    const events: PaperTradingEvent[] = [];
    restored.subscribe((e) => events.push(e));
    book(restored, T0 + 4, [['59000.0', '0.5'], ['58800.0', '2']], [['59100.0', '5']]);
    expect(sells(events)).toEqual([['59000', '0.5'], ['58800', '0.5']]);

    const older = JSON.parse(snapshot) as { manager: { rests?: unknown } };
    delete older.manager.rests;
    const fromOlder = new PaperTradingEngine();
    await fromOlder.restoreAccounts(JSON.stringify(older));
    expect(fromOlder.getAccount('a').positions).toEqual([{ symbol, direction: 'LONG', size: '1', entryPrice: '60000' }]);
  });
});

describe("the tactics' exit.maxSlippage on a take-profit", () => {
  it("a capped target's rest goes again as the target once the market is back at its level; once it fills the stop moves to break-even", () => {
    // Long 2 at 60,000: stop 59,400.0; target +1 % = 60,600.0 for half, 1; exit cap 0.1 %.
    const { engine, events } = longAt60000('2', {
      name: 't', stopLoss: { type: 'percent', percent: 1 }, takeProfits: [{ percent: 1, share: 0.5 }], breakEvenAfterFirstTarget: true, exit: { maxSlippage: '0.001' },
    });
    // Bids 60,600.0 ×0.501 (0.5 after the print), 60,560.0 ×0.2, 60,500.0 ×1. Cap 60,600 × 0.999 = 60,539.4:
    // 0.5 at 60,600, 0.2 at 60,560; 60,500 is beyond: 0.3 of the target's 1 expires.
    book(engine, T0 + 2, [['60600.0', '0.501'], ['60560.0', '0.2'], ['60500.0', '1']], [['60700.0', '5']]);
    sellPrint(engine, T0 + 3, 2, '60600.0');
    expect(sells(events)).toEqual([['60600', '0.5'], ['60560', '0.2']]);
    expect(expiries(events)).toEqual([['TAKE_PROFIT', '0.7', 'SLIPPAGE_CAP']]);
    expect(size(engine)).toBe('1.3');
    // The plan goes on: its stop still rests where it was.
    expect(engine.kernel.openOrders('a').map((o) => [o.type, formatFixed(o.stopPrice!)])).toEqual([['STOP_LOSS', '59400']]);

    // Next book: bids 60,550.0 ×1, under the target's 60,600.0: a take-profit never sells below its level, so its rest waits
    // and sends nothing.
    events.length = 0;
    book(engine, T0 + 4, [['60550.0', '1']], [['60700.0', '5']]);
    expect(sells(events)).toEqual([]);
    expect(events.filter((e) => e.type === 'ORDER_NEW')).toEqual([]);
    expect(size(engine)).toBe('1.3');
    // The book after: bids 60,650.0 ×1. Cap 60,650 × 0.999 = 60,589.35, up to the tick 60,589.4, under the level: the rest goes
    // as an IMMEDIATE_OR_CANCEL at 60,600.0, and sells its 0.3 at 60,650, the target done.
    book(engine, T0 + 5, [['60650.0', '1']], [['60750.0', '5']]);
    expect(sells(events)).toEqual([['60650', '0.3']]);
    expect(events.flatMap((e) => (e.type === 'ORDER_NEW' ? [[e.orderType, e.price]] : []))).toEqual([['IMMEDIATE_OR_CANCEL', '60600'], ['STOP_LOSS', undefined]]);
    expect(size(engine)).toBe('1');
    // Break-even: the stop moves to the entry, 60,000.0, for the 1 left, still capped.
    expect(engine.kernel.openOrders('a').map((o) => [o.type, formatFixed(o.stopPrice!), formatFixed(o.quantity), formatFixed(o.maxSlippage!)])).toEqual([['STOP_LOSS', '60000', '1', '0.001']]);
    engine.kernel.checkInvariants();
  });
});

describe("the tactics' exit.maxSlippage", () => {
  const BASE = { stopLoss: { type: 'percent', percent: 1 } };
  it('is read as the exact fraction given, and absent means no cap', () => {
    expect(parseTactics({ ...BASE, exit: { maxSlippage: '0.005' } }).exit).toEqual({ maxSlippage: parseFixed('0.005') });
    expect(parseTactics(BASE).exit).toBeUndefined();
    // JSON's 0.0000001 (0.00001 %) parses to the number 1e-7, whose String has an exponent: still the plain decimal written.
    expect(parseTactics(JSON.parse('{"stopLoss":{"type":"percent","percent":1},"exit":{"maxSlippage":0.0000001}}')).exit).toEqual({ maxSlippage: parseFixed('0.0000001') });
  });

  it('is refused out of [0, 1), as no decimal, and with an unknown field', () => {
    expect(() => parseTactics({ ...BASE, exit: { maxSlippage: 1 } })).toThrow(new TacticsError('exit.maxSlippage: maxSlippage must be a fraction from 0 to below 1 (e.g. "0.005" for 0.5 %)'));
    expect(() => parseTactics({ ...BASE, exit: { maxSlippage: '1%' } })).toThrow(new TacticsError('exit.maxSlippage must be a plain decimal, got "1%"'));
    // NaN quoted as NaN, not as JSON's null.
    expect(() => parseTactics({ ...BASE, exit: { maxSlippage: Number.NaN } })).toThrow(new TacticsError('exit.maxSlippage must be a plain decimal, got NaN'));
    expect(() => parseTactics({ ...BASE, exit: { slippage: 0.01 } })).toThrow(new TacticsError('unknown field "exit.slippage"'));
    expect(() => parseTactics({ ...BASE, exit: 0.01 })).toThrow(new TacticsError('exit must be an object'));
  });
});
