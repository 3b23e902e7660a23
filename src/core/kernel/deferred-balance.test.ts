import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { Kernel } from './kernel.js';

const T0 = 1_723_161_240_000;

describe('deferred balances', () => {
  it('read as the balances were when taken, in the texts balances() gives, whatever the account did since', () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', 'BTCUSDT')!] });
    kernel.handle({ kind: 'account.open', time: T0, account: 'a', balances: { USDT: '1000', BTC: '0.5' } });
    kernel.handle({ kind: 'book.snapshot', time: T0 + 1, symbol: 'BTCUSDT', lastUpdateId: 1, bids: [['60000.00', '2']], asks: [['60001.00', '2']] });
    kernel.handle({ kind: 'order.place', time: T0 + 2, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', price: '59000.00', quantity: '0.001', clientOrderId: 'x' });
    const taken = kernel.deferredBalances('a')!;
    // 0.001 × 59000 = 59 USDT locked by the order.
    const expected = { BTC: { free: '0.5', locked: '0' }, USDT: { free: '941', locked: '59' } };
    expect(kernel.balances('a')).toEqual(expected);
    kernel.handle({ kind: 'order.cancel', time: T0 + 3, account: 'a', clientOrderId: 'x' });
    expect(kernel.balances('a')!.USDT).toEqual({ free: '1000', locked: '0' });
    expect(Object.keys(taken)).toEqual(['BTC', 'USDT']);
    for (const asset of ['BTC', 'USDT'] as const) expect({ free: taken[asset]!.free, locked: taken[asset]!.locked }).toEqual(expected[asset]);
    expect(kernel.deferredBalances('nobody')).toBeUndefined();
  });

  it('of a futures account: the settlement asset, free cash and the margin in use', () => {
    const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!] });
    kernel.handle({ kind: 'account.open', time: T0, account: 'f', type: 'futures', balances: { USDT: '250.5' }, leverage: 5 });
    const taken = kernel.deferredBalances('f')!;
    expect(Object.keys(taken)).toEqual(['USDT']);
    expect([taken.USDT!.free, taken.USDT!.locked]).toEqual(['250.5', '0']);
  });
});
