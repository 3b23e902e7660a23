import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { TradeInput } from './inputs.js';
import { Kernel } from './kernel.js';
import { inputProblem, parseLevels } from './input-validation.js';
import { DecimalLevels } from '../book/decimal-levels.js';
import { formatFixed } from '../money/fixed.js';

const E18 = 10n ** 18n;
const trade = (time: number, price: string, quantity: string): TradeInput => ({ kind: 'trade', time, symbol: 'BTCUSDT', tradeId: time, price, quantity, buyerMaker: true });
const kernel = () => new Kernel({ instruments: [findBundledInstrument('binance', 'spot', 'BTCUSDT')!] });

describe("a trade's values handed in, between trades whose text the kernel reads", () => {
  it('a text read before a print with values handed in is read as itself afterwards, not as the handed-in value', () => {
    const k = kernel();
    expect(k.handle(trade(1_000, '100', '1'))).toEqual([]);
    // A recording's print: the values come with it (market-data/recorded-trades.ts).
    expect(k.handle(trade(1_001, '200', '1'), undefined, undefined, { price: 200n * E18, quantity: E18 })).toEqual([]);
    // A live or journaled print repeating the first text: it is 100 again.
    expect(k.handle(trade(1_002, '100', '3'))).toEqual([]);
    // By hand: (100·1 + 200·1 + 100·3) / 5 = 120; the last print is 100.
    expect(k.averagePrice('BTCUSDT')).toBe(120n * E18);
    expect(k.triggerPrice('BTCUSDT')).toBe(100n * E18);
  });

  it('the same for a repeated quantity text', () => {
    const k = kernel();
    expect(k.handle(trade(1_000, '100', '1'))).toEqual([]);
    expect(k.handle(trade(1_001, '100', '4'), undefined, undefined, { price: 100n * E18, quantity: 4n * E18 })).toEqual([]);
    expect(k.handle(trade(1_002, '200', '1'))).toEqual([]);
    // By hand: (100·1 + 100·4 + 200·1) / 6 = 700 / 6.
    expect(k.averagePrice('BTCUSDT')).toBe((700n * E18) / 6n);
  });
});

describe('a trade or mark price that is not above 0', () => {
  const perpetual = () => new Kernel({ instruments: [findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!] });

  it('is refused as INPUT_REJECTED, the same answer inputProblem gives, and triggers nothing', () => {
    const k = perpetual();
    k.handle({ kind: 'account.open', time: 1_000, account: 'a', type: 'futures', balances: { USDT: '10000' }, leverage: 10 });
    k.handle({ kind: 'book.snapshot', time: 1_000, symbol: 'BTCUSDT', lastUpdateId: 1, bids: [['59999.9', '100']], asks: [['60000.1', '100']] });
    k.handle(trade(1_000, '60000', '1'));
    k.handle({ kind: 'order.place', time: 1_000, account: 'a', clientOrderId: 'in', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.1' });
    k.handle({ kind: 'order.place', time: 1_000, account: 'a', clientOrderId: 'sl', symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.1', stopPrice: '59400', reduceOnly: true });
    const before = k.snapshot();
    const symbols = new Set(['BTCUSDT']);
    for (const input of [
      trade(2_000, '0', '1'), trade(2_000, '-5', '1'), trade(2_000, '-0.1', '1'), trade(2_000, '0.000', '1'),
      { kind: 'mark' as const, time: 2_000, symbol: 'BTCUSDT', price: '0' }, { kind: 'mark' as const, time: 2_000, symbol: 'BTCUSDT', price: '-5' },
    ]) {
      const problem = inputProblem(input, symbols);
      expect(problem).toMatch(/above 0/);
      expect(k.handle(input)).toEqual([expect.objectContaining({ type: 'INPUT_REJECTED', code: 'INVALID_INPUT', message: problem })]);
    }
    // The stop at 59400 and the long position are as they were (a print at 0 is below any stop; a mark at 0 liquidates any long).
    const after = JSON.parse(k.snapshot()) as Record<string, unknown>;
    const was = JSON.parse(before) as Record<string, unknown>;
    expect(after.accounts).toEqual(was.accounts);
    expect(after.orders).toEqual(was.orders);
    expect(k.openOrders('a').map((o) => o.clientOrderId)).toEqual(['sl']);
    // Prices above 0 still go through.
    expect(inputProblem(trade(3_000, '0.1', '1'), symbols)).toBeUndefined();
    expect(inputProblem({ kind: 'mark', time: 3_000, symbol: 'BTCUSDT', price: '59000.5' }, symbols)).toBeUndefined();
  });
});

describe('a book level at a price at or below 0, or with a size below 0', () => {
  it('is refused as INPUT_REJECTED, the same answer inputProblem gives, and liquidates nothing', () => {
    const k = new Kernel({ instruments: [findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!] });
    k.handle({ kind: 'account.open', time: 1_000, account: 'a', type: 'futures', balances: { USDT: '10000' }, leverage: 10 });
    k.handle({ kind: 'book.snapshot', time: 1_000, symbol: 'BTCUSDT', lastUpdateId: 1, bids: [['59999.9', '100']], asks: [['60000.1', '100']] });
    k.handle(trade(1_000, '60000', '1'));
    k.handle({ kind: 'order.place', time: 1_000, account: 'a', clientOrderId: 'in', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.1' });
    const was = JSON.parse(k.snapshot()) as Record<string, unknown>;
    const symbols = new Set(['BTCUSDT']);
    const levels: [string, string][] = [['-100', '5'], ['0', '5'], ['-0', '5'], ['59999.9', '-1']];
    for (const level of levels) {
      const snapshot = { kind: 'book.snapshot' as const, time: 2_000, symbol: 'BTCUSDT', lastUpdateId: 2, bids: [level], asks: [['60000.1', '5'] as [string, string]] };
      const delta = { kind: 'book.delta' as const, time: 2_000, symbol: 'BTCUSDT', firstUpdateId: 2, finalUpdateId: 2, bids: [level], asks: [] };
      for (const input of [snapshot, delta]) {
        const problem = inputProblem(input, symbols);
        expect(problem).toMatch(/price above 0 and a size of 0 or more/);
        expect(k.handle(input)).toEqual([expect.objectContaining({ type: 'INPUT_REJECTED', code: 'INVALID_INPUT', message: problem })]);
        // The same level read beforehand (a journal page decoded on another thread) is refused the same way.
        const bids = new DecimalLevels();
        const asks = new DecimalLevels();
        expect(parseLevels(input.bids, bids) ?? parseLevels(input.asks, asks)).toBeUndefined();
        const read = { readInto: (b: DecimalLevels, a: DecimalLevels) => { b.reset(); a.reset(); for (let i = 0; i < bids.length; i += 1) b.pushText(formatFixed(bids.price(i)), formatFixed(bids.size(i))); for (let i = 0; i < asks.length; i += 1) a.pushText(formatFixed(asks.price(i)), formatFixed(asks.size(i))); } };
        expect(k.handle(input, undefined, read)).toEqual([expect.objectContaining({ type: 'INPUT_REJECTED', message: problem })]);
      }
    }
    const after = JSON.parse(k.snapshot()) as Record<string, unknown>;
    expect(after.accounts).toEqual(was.accounts);
    expect(after.markets).toEqual(was.markets);
    // A size of 0 (a level removed) and positive prices still go through.
    expect(inputProblem({ kind: 'book.delta', time: 3_000, symbol: 'BTCUSDT', firstUpdateId: 2, finalUpdateId: 2, bids: [['59999.9', '0']], asks: [] }, symbols)).toBeUndefined();
  });
});
