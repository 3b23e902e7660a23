/**
 * An `account.close` in the input that releases the account's latency-delayed MARKET order: the order
 * arrives and fills first (releases come before the input's own work), then the close ends the
 * account. The fill names an account that is gone by the time the input's equity samples are taken;
 * it has none to sample. Before, that sample looked the account up and threw: the close was refused
 * as an internal error.
 */
import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { KernelEvent } from './events.js';
import { Kernel } from './kernel.js';

const T = 1_700_000_000_000;

describe('account.close in the input that releases its delayed order', () => {
  for (const market of ['spot', 'perpetual'] as const) {
    it(`${market}: the order fills, then the account closes; nothing is refused`, () => {
      const instrument = findBundledInstrument('binance', market, 'BTCUSDT')!;
      const kernel = new Kernel({ instruments: [instrument], latencyMs: 30 });
      const futures = market === 'perpetual';
      const [bid, ask] = futures ? ['60000.0', '60005.0'] : ['60000.00', '60005.00'];
      kernel.handle({ kind: 'account.open', time: T, account: 'd', balances: { USDT: '100000' }, ...(futures ? { type: 'futures' as const, leverage: 20 } : {}) });
      kernel.handle({ kind: 'book.snapshot', time: T + 1, symbol: 'BTCUSDT', lastUpdateId: 1, bids: [[bid, '1']], asks: [[ask, '1']] });
      // Sent at T + 2 with 30 ms of latency: it reaches the venue at T + 32, with the close.
      expect(kernel.handle({ kind: 'order.place', time: T + 2, account: 'd', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.005', clientOrderId: 'm' })).toEqual([]);
      const events = kernel.handle({ kind: 'account.close', time: T + 32, account: 'd' });
      const types = events.map((e: KernelEvent) => e.type);
      expect(types).toEqual(['ORDER_NEW', 'FILL', ...(futures ? ['POSITION_OPENED'] : []), 'ACCOUNT_CLOSED']);
      const fill = events.find((e) => e.type === 'FILL') as { price: string; quantity: string };
      // The whole 0.005 at the ask, the book's only level.
      expect([fill.price, fill.quantity]).toEqual(['60005', '0.005']);
      expect(kernel.accountIds()).toEqual([]);
      // The kernel goes on: a later input is applied.
      expect(kernel.handle({ kind: 'account.open', time: T + 40, account: 'd', balances: { USDT: '1' } }).map((e) => e.type)).toEqual(['ACCOUNT_OPENED', 'EQUITY']);
    });
  }
});
