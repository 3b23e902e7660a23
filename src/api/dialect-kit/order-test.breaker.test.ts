import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../../core/instruments/bundled-instruments.js';
import { Kernel } from '../../core/kernel/kernel.js';
import { testOrder } from './order-test.js';

// order/test answers the refusal the order would meet when placed (Binance: "creates and validates
// a new order"): an account that may not place it at all is refused here too, not answered {}.
const SPOT = findBundledInstrument('binance', 'spot', 'BTCUSDT')!;
const PERP = { ...findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!, symbol: 'BTCUSDT_PERP' };
const T = 1723161300000;
const order = { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '60000.00' } as const;

function kernel(): Kernel {
  const k = new Kernel({ instruments: [SPOT, PERP], equityIntervalMs: 0 });
  k.handle({ kind: 'book.snapshot', time: T, symbol: 'BTCUSDT', lastUpdateId: 1, bids: [['61800.00', '5']], asks: [['61800.01', '5']] });
  return k;
}

describe('order/test refuses what placement refuses before the filters', () => {
  it('a futures account testing a spot order: refused as its placement is', () => {
    const k = kernel();
    k.handle({ kind: 'account.open', time: T, account: 'f', type: 'futures', balances: { USDT: '10000' } });
    expect(k.handle({ kind: 'order.place', time: T, account: 'f', ...order, clientOrderId: 'x' })[0]).toMatchObject({ type: 'ORDER_REJECTED', code: 'INVALID_ORDER' });
    expect(testOrder(k, 'f', order)).toMatchObject({ code: 'INVALID_ORDER' });
  });

  it('a spot account: taken; a halted one (max drawdown reached): ACCOUNT_HALTED', () => {
    const k = kernel();
    k.handle({ kind: 'account.open', time: T, account: 's', balances: { USDT: '10000', BTC: '1' }, risk: { maxDrawdown: '0.1' } });
    expect(testOrder(k, 's', order)).toBeUndefined();
    // BTC from 61,800 to 30,000: equity 71,800 → 40,000, a 44 % drawdown.
    k.handle({ kind: 'book.snapshot', time: T + 1000, symbol: 'BTCUSDT', lastUpdateId: 2, bids: [['30000.00', '5']], asks: [['30000.01', '5']] });
    expect(k.isHalted('s')).toBe(true);
    expect(k.handle({ kind: 'order.place', time: T + 1000, account: 's', ...order, price: '29000.00', clientOrderId: 'x' })[0]).toMatchObject({ type: 'ORDER_REJECTED', code: 'ACCOUNT_HALTED' });
    expect(testOrder(k, 's', { ...order, price: '29000.00' })).toMatchObject({ code: 'ACCOUNT_HALTED' });
  });

  it("a resting bracket entry's exits not placed yet count against the stop-order cap (5 on BTCUSDT), as at placement", () => {
    const k = kernel();
    k.handle({ kind: 'account.open', time: T, account: 'b', balances: { USDT: '100000', BTC: '1' } });
    // Two buy entries resting under the market, each with a take-profit and a stop-loss to come: 4 stop orders pending.
    for (const id of ['b1', 'b2']) {
      const placed = k.handle({ kind: 'order.place', time: T, account: 'b', ...order, ocoGroup: id, clientOrderId: id, takeProfit: { stopPrice: '62500.00' }, stopLoss: { stopPrice: '59000.00' } });
      expect(placed[0]).toMatchObject({ type: 'ORDER_NEW' });
    }
    // A fifth stop order fits; a sixth does not.
    const stop = { symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: '0.01', stopPrice: '61000.00', price: '61000.00' } as const;
    expect(testOrder(k, 'b', stop)).toBeUndefined();
    expect(k.handle({ kind: 'order.place', time: T, account: 'b', ...stop, clientOrderId: 's1' })[0]).toMatchObject({ type: 'ORDER_NEW' });
    expect(k.handle({ kind: 'order.place', time: T, account: 'b', ...stop, clientOrderId: 's2' })[0]).toMatchObject({ type: 'ORDER_REJECTED', code: 'MAX_NUM_ALGO_ORDERS' });
    expect(testOrder(k, 'b', stop)).toMatchObject({ code: 'MAX_NUM_ALGO_ORDERS' });
  });
});
