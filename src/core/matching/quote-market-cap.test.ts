import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { Kernel } from '../kernel/kernel.js';

// A MARKET buy sized in quote (`quoteOrderQty`) executes no more base than a MARKET order may name:
// Binance spot BTCUSDT's MARKET_LOT_SIZE maxQty is 100.05381873 BTC (bundled exchangeInfo), and
// Binance documents that an order using quoteOrderQty "will not break LOT_SIZE filter rules".
// On the step grid (0.00001) that is 100.05381 BTC; the rest of the budget expires.
const SPOT = findBundledInstrument('binance', 'spot', 'BTCUSDT')!;
const T = 1723161300000;

function deepBook(): Kernel {
  const k = new Kernel({ instruments: [SPOT], equityIntervalMs: 0 });
  k.handle({ kind: 'book.snapshot', time: T, symbol: 'BTCUSDT', lastUpdateId: 1, bids: [['61800.00', '60']], asks: [['61800.01', '60'], ['61800.02', '60']] });
  k.handle({ kind: 'account.open', time: T, account: 'a', balances: { USDT: '10000000' } });
  return k;
}

describe('a quote-sized MARKET buy stops at the MARKET order quantity cap', () => {
  it('9,000,000 USDT against 120 BTC of asks buys 100.05381 BTC and expires the rest as MAX_MARKET_QUANTITY; balances by hand', () => {
    const k = deepBook();
    const events = k.handle({ kind: 'order.place', time: T, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quoteOrderQty: '9000000', clientOrderId: 'q' });
    expect(events.flatMap((e) => (e.type === 'FILL' ? [[e.price, e.quantity, e.fee]] : []))).toEqual([
      ['61800.01', '60', '0.06'],
      ['61800.02', '40.05381', '0.04005381'],
    ]);
    expect(events.find((e) => e.type === 'ORDER_EXPIRED')).toMatchObject({ reason: 'MAX_MARKET_QUANTITY', executedQty: '100.05381' });
    // Spent: 60 × 61,800.01 + 40.05381 × 61,800.02 = 6,183,326.8590762 USDT; received 100.05381 less 0.1 % fees in BTC.
    expect(k.balances('a')).toEqual({ USDT: { free: '3816673.1409238', locked: '0' }, BTC: { free: '99.95375619', locked: '0' } });
    k.checkInvariants();
  });

  it('a budget that runs out first fills as before: 1,000,000 USDT buys what it affords on the step grid, and the order is FILLED', () => {
    const k = deepBook();
    const events = k.handle({ kind: 'order.place', time: T, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quoteOrderQty: '1000000', clientOrderId: 'q' });
    // 1,000,000 / 61,800.01 = 16.181227… → 16.18122 BTC on the 0.00001 step, costing 999,999.5578122
    // USDT of the 10,000,000 held; Binance charges the buyer's 0.1 % fee in the BTC received: 0.01618122.
    expect(events.flatMap((e) => (e.type === 'FILL' ? [[e.price, e.quantity, e.fee, e.status]] : []))).toEqual([['61800.01', '16.18122', '0.01618122', 'FILLED']]);
    expect(events.some((e) => e.type === 'ORDER_EXPIRED')).toBe(false);
    expect(k.balances('a')).toEqual({ USDT: { free: '9000000.4421878', locked: '0' }, BTC: { free: '16.16503878', locked: '0' } });
    k.checkInvariants();
  });
});
