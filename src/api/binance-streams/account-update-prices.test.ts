/**
 * USD-M `ACCOUNT_UPDATE` prints a position's entry price as Binance prints its computed prices: at
 * 8 decimals (Position Information V2's example: "liquidationPrice": "19731.45529116" for BTCUSDT,
 * https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Position-Information-V2),
 * not the engine's 18. The entry is worked out by hand from a book the test sets.
 */
import { describe, expect, it } from 'vitest';
import type { PositionEvent } from '../../core/kernel/events.js';
import { findBundledInstrument } from '../../core/instruments/bundled-instruments.js';
import { Kernel } from '../../core/kernel/kernel.js';
import { accountUpdate } from './user-data-frames.js';

const T = 1_723_161_300_000;

describe('USD-M ACCOUNT_UPDATE entry price', () => {
  it('is the fills’ average at 8 decimals, rounded half-up', () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!] });
    kernel.handle({ kind: 'book.snapshot', time: T, symbol: 'BTCUSDT', lastUpdateId: 1, bids: [['60000.0', '1']], asks: [['60010.0', '0.001'], ['60020.1', '0.002']] });
    kernel.handle({ kind: 'mark', time: T, symbol: 'BTCUSDT', price: '60005.0' });
    kernel.handle({ kind: 'account.open', time: T, account: 'a', type: 'futures', leverage: 10, balances: { USDT: '10000' } });
    const events = kernel.handle({ kind: 'order.place', time: T + 1, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.003', clientOrderId: 'two-levels' });
    const positions = events.filter((e): e is PositionEvent => e.type === 'POSITION_OPENED' || e.type === 'POSITION_UPDATED');
    expect(positions.length).toBeGreaterThan(0);
    // (0.001 × 60010.0 + 0.002 × 60020.1) / 0.003 = (60.01 + 120.0402) / 0.003 = 60016.7333…
    const update = accountUpdate(T + 1, 'ORDER', kernel, 'a', positions.slice(-1)) as { a: { P: { ep: string; bep: string }[] } };
    expect(update.a.P[0]).toMatchObject({ ep: '60016.73333333', bep: '60016.73333333' });
  });
});
