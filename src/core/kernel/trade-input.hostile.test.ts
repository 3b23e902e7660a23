import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { TradeInput } from './inputs.js';
import { Kernel } from './kernel.js';

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
