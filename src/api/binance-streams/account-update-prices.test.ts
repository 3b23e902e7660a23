/**
 * USD-M `ACCOUNT_UPDATE` prints a position's entry price as Binance prints its computed prices: at
 * 8 decimals (Position Information V2's example: "liquidationPrice": "19731.45529116" for BTCUSDT,
 * https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Position-Information-V2),
 * not the engine's 18; its break-even price as positionRisk states it (fees paid count as a cost);
 * no unrealized PnL while the position has no price. Worked out by hand from a book the test sets.
 */
import { describe, expect, it } from 'vitest';
import type { PositionEvent } from '../../core/kernel/events.js';
import { findBundledInstrument } from '../../core/instruments/bundled-instruments.js';
import { Kernel } from '../../core/kernel/kernel.js';
import { accountUpdate } from './user-data-frames.js';

const T = 1_723_161_300_000;

describe('USD-M ACCOUNT_UPDATE entry and break-even prices', () => {
  it('is the fills’ average at 8 decimals, rounded half-up', () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!] });
    kernel.handle({ kind: 'book.snapshot', time: T, symbol: 'BTCUSDT', lastUpdateId: 1, bids: [['60000.0', '1']], asks: [['60010.0', '0.001'], ['60020.1', '0.002']] });
    kernel.handle({ kind: 'mark', time: T, symbol: 'BTCUSDT', price: '60005.0' });
    kernel.handle({ kind: 'account.open', time: T, account: 'a', type: 'futures', leverage: 10, balances: { USDT: '10000' } });
    const events = kernel.handle({ kind: 'order.place', time: T + 1, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.003', clientOrderId: 'two-levels' });
    const positions = events.filter((e): e is PositionEvent => e.type === 'POSITION_OPENED' || e.type === 'POSITION_UPDATED');
    expect(positions.length).toBeGreaterThan(0);
    // (0.001 × 60010.0 + 0.002 × 60020.1) / 0.003 = (60.01 + 120.0402) / 0.003 = 60016.7333…
    // Break-even counts the taker fee paid (0.05 % of 180.0502 = 0.0900251) as a cost, as positionRisk
    // does (usdm-break-even.ts): (180.0502 + 0.0900251) / 0.003 = 60046.7417.
    const update = accountUpdate(T + 1, 'ORDER', kernel, 'a', positions.slice(-1)) as { a: { P: { ep: string; bep: string; up: string | null }[] } };
    expect(update.a.P[0]).toMatchObject({ ep: '60016.73333333', bep: '60046.7417' });
  });

  it('states no unrealized PnL, not 0, for a position held before its symbol has a price (docs/adr/0064)', () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!] });
    kernel.handle({ kind: 'account.open', time: T, account: 'a', type: 'futures', leverage: 5, balances: { USDT: '10000' } });
    // A 0.2 BTC short at 62000 as an import states it before any book, print or mark: no current
    // price, so no unrealized PnL; nothing realized, no fee paid.
    const imported: PositionEvent = {
      type: 'POSITION_OPENED', at: T, account: 'a', symbol: 'BTCUSDT', positionId: 'a:BTCUSDT:1', direction: 'SHORT', totalSize: '0.2', entryPrice: '62000',
      leverage: 5, marginUsed: '2480', realizedPnl: '0', totalFundingPaid: '0', feesPaid: '0', openedAt: T,
    };
    const update = accountUpdate(T, 'DEPOSIT', kernel, 'a', [imported]) as { a: { P: { pa: string; ep: string; bep: string; up: string | null }[] } };
    // Break-even at the entry: nothing realized, no fee.
    expect(update.a.P[0]).toMatchObject({ pa: '-0.2', ep: '62000', bep: '62000', up: null });
  });
});
