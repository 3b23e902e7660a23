import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { PlaceOrderInput } from './inputs.js';
import { Kernel } from './kernel.js';

// Binance USD-M BTCUSDT. No market data: limit orders rest without a book (a bid far under any price).
const PERP = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
const T = 1_700_000_000_000;

function place(clientOrderId: string, price: string, time = T): PlaceOrderInput {
  return { kind: 'order.place', time, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price, clientOrderId };
}

describe('Kernel.openOrderByClientId', () => {
  it('finds the open order a cancel by clientOrderId would cancel, and nothing once it is closed', () => {
    const k = new Kernel({ instruments: [PERP], equityIntervalMs: 0 });
    k.handle({ kind: 'account.open', time: T, account: 'a', type: 'futures', balances: { USDT: '10000' }, leverage: 10, fees: { maker: '0', taker: '0' } });
    expect(k.openOrderByClientId('a', 'x')).toBeUndefined();
    const first = k.handle(place('x', '50000')).find((e) => e.type === 'ORDER_NEW');
    expect(first?.type === 'ORDER_NEW' && k.openOrderByClientId('a', 'x')?.id).toBe(first?.type === 'ORDER_NEW' ? first.orderId : 'no ORDER_NEW');
    expect(k.openOrderByClientId('b', 'x')).toBeUndefined();
    // A second placement with the same id while the first is open is refused (Binance -4015 / DUPLICATE_CLIENT_ORDER_ID): still the first.
    const refused = k.handle(place('x', '49000'));
    expect(refused.map((e) => e.type)).toContain('ORDER_REJECTED');
    expect(k.openOrderByClientId('a', 'x')?.price).toBe(50_000n * 10n ** 18n);
    // Canceled: closed, so none, though the kernel still holds its terms until the next input.
    k.handle({ kind: 'order.cancel', time: T, account: 'a', clientOrderId: 'x' });
    expect(k.openOrderByClientId('a', 'x')).toBeUndefined();
    // The id again, on a new order: that one.
    k.handle(place('x', '48000'));
    expect(k.openOrderByClientId('a', 'x')?.price).toBe(48_000n * 10n ** 18n);
  });
});
