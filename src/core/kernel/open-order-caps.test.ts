import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { Kernel } from './kernel.js';
import type { KernelInput } from './inputs.js';

// Binance's filters on BTCUSDT (bundled /api/v3/exchangeInfo): MAX_NUM_ORDERS 200 open orders per
// account and symbol, conditional ones included; MAX_NUM_ALGO_ORDERS 5 conditional orders.
const SPOT = findBundledInstrument('binance', 'spot', 'BTCUSDT')!;
const T = 1723161300000;

function kernel(): Kernel {
  const k = new Kernel({ instruments: [SPOT], equityIntervalMs: 0 });
  k.handle({ kind: 'book.snapshot', time: T, symbol: 'BTCUSDT', lastUpdateId: 1, bids: [['61800.00', '5']], asks: [['61800.01', '5']] });
  for (const account of ['a', 'b']) k.handle({ kind: 'account.open', time: T, account, balances: { USDT: '10000', BTC: '1' } });
  return k;
}

const bid = (account: string, i: number): KernelInput => ({ kind: 'order.place', time: T, account, symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.0002', price: `${50000 + i}.00`, clientOrderId: `bid-${i}` });
const stop = (account: string, i: number): KernelInput => ({ kind: 'order.place', time: T, account, symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.001', stopPrice: `${60000 - i}.00`, price: `${59990 - i}.00`, clientOrderId: `stop-${i}` });

describe('open orders per account and symbol, capped as the exchange caps them', () => {
  it('the 201st open order is refused with "Filter failure: MAX_NUM_ORDERS" (MEXC 30029); a cancel makes room again', () => {
    const k = kernel();
    for (let i = 0; i < 200; i += 1) expect(k.handle(bid('a', i))[0]).toMatchObject({ type: 'ORDER_NEW' });
    expect(k.handle(bid('a', 200))).toEqual([
      expect.objectContaining({ type: 'ORDER_REJECTED', code: 'MAX_NUM_ORDERS', mexcCode: 30029, message: 'Filter failure: MAX_NUM_ORDERS' }),
    ]);
    expect(k.openOrders('a')).toHaveLength(200);
    expect(k.handle(bid('b', 0))[0]).toMatchObject({ type: 'ORDER_NEW' }); // another account is not concerned
    k.handle({ kind: 'order.cancel', time: T, account: 'a', clientOrderId: 'bid-0' });
    expect(k.handle(bid('a', 200))[0]).toMatchObject({ type: 'ORDER_NEW' });
    k.checkInvariants();
  });

  it('the 6th conditional order is refused with "Filter failure: MAX_NUM_ALGO_ORDERS", while a limit order still goes in', () => {
    const k = kernel();
    for (let i = 0; i < 5; i += 1) expect(k.handle(stop('a', i))[0]).toMatchObject({ type: 'ORDER_NEW' });
    expect(k.handle(stop('a', 5))).toEqual([
      expect.objectContaining({ type: 'ORDER_REJECTED', code: 'MAX_NUM_ALGO_ORDERS', mexcCode: 30029, message: 'Filter failure: MAX_NUM_ALGO_ORDERS' }),
    ]);
    expect(k.handle(bid('a', 0))[0]).toMatchObject({ type: 'ORDER_NEW' });
    expect(k.openOrders('a')).toHaveLength(6);
    k.checkInvariants();
  });

  it('conditional orders count towards MAX_NUM_ORDERS too: 5 stops and 195 bids fill it', () => {
    const k = kernel();
    for (let i = 0; i < 5; i += 1) k.handle(stop('a', i));
    for (let i = 0; i < 195; i += 1) expect(k.handle(bid('a', i))[0]).toMatchObject({ type: 'ORDER_NEW' });
    expect(k.handle(bid('a', 195))[0]).toMatchObject({ code: 'MAX_NUM_ORDERS' });
  });
});
