import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { formatFixed, parseFixed } from '../money/fixed.js';
import type { OrderRequest } from '../orders/order-validation.js';
import { Kernel } from './kernel.js';

// Kernel.exchangeRuleRefusal answers as a placement would, with no effect. The bounds are Binance
// USD-M BTCUSDT's, from its exchangeInfo as bundled: tick 0.1, minPrice 556.8, PERCENT_PRICE
// 0.85×–1.15× the mark; at a mark of 60,000 a limit may sit from 51,000 to 69,000, by hand.
const BTC = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
const T = 1_700_000_000_000;

const limit = (side: 'BUY' | 'SELL', price: string): OrderRequest => ({
  side, type: 'LIMIT', price: parseFixed(price), quantity: undefined, quoteOrderQty: undefined, stopPrice: undefined, activationPrice: undefined, callbackRate: undefined,
});

function kernel(): Kernel {
  const k = new Kernel({ instruments: [BTC], equityIntervalMs: 0 });
  k.handle({ kind: 'account.open', time: T, account: 'a', type: 'futures', balances: { USDT: '10000' }, leverage: 10 });
  k.handle({ kind: 'mark', time: T, symbol: 'BTCUSDT', price: '60000' });
  return k;
}

describe('Kernel.exchangeRuleRefusal', () => {
  it('refuses where placement refuses (band edges, price limits, tick) and passes where it rests', () => {
    const k = kernel();
    const cases: [OrderRequest, string | undefined][] = [
      [limit('BUY', '51000'), undefined],
      [limit('BUY', '50999.9'), 'PERCENT_PRICE'],
      [limit('SELL', '69000'), undefined],
      [limit('SELL', '69000.1'), 'PERCENT_PRICE'],
      [limit('BUY', '60000.05'), 'INVALID_PRICE'],
    ];
    for (const [request, code] of cases) {
      expect(k.exchangeRuleRefusal('a', 'BTCUSDT', request)?.code, `${request.side} ${formatFixed(request.price!)}`).toBe(code);
      // The same order placed: the kernel refuses it with the same code, or takes it.
      const placed = k.handle({ kind: 'order.place', time: T, account: 'a', symbol: 'BTCUSDT', side: request.side, type: 'LIMIT', quantity: '0.01', price: formatFixed(request.price!) });
      const rejected = placed.find((e) => e.type === 'ORDER_REJECTED');
      expect(rejected?.type === 'ORDER_REJECTED' ? rejected.code : undefined).toBe(code);
    }
  });

  it('a price under minPrice is refused as INVALID_PRICE; an unknown symbol as UNKNOWN_SYMBOL; the state does not change', () => {
    const k = kernel();
    const before = k.snapshot();
    expect(k.exchangeRuleRefusal('a', 'BTCUSDT', limit('BUY', '556.7'))?.code).toBe('INVALID_PRICE');
    // In words of its own: the price is on the 0.1 tick, it is under Binance's 556.8.
    expect(k.exchangeRuleRefusal('a', 'BTCUSDT', limit('BUY', '556.7'))?.message).toBe("price is outside the instrument's price range (price 556.7 is below the minimum 556.8)");
    expect(k.exchangeRuleRefusal('a', 'BTCUSDT', limit('SELL', '1000000.1'))?.message).toBe("price is outside the instrument's price range (price 1000000.1 is above the maximum 1000000)");
    expect(k.exchangeRuleRefusal('a', 'BTCUSDT', limit('BUY', '60000.05'))?.message).toBe('price is not a multiple of the tick size (price: tick size is 0.1)');
    expect(k.exchangeRuleRefusal('a', 'ETHUSDT', limit('BUY', '3000'))?.code).toBe('UNKNOWN_SYMBOL');
    expect(k.snapshot()).toBe(before);
  });

  it('a LIMIT at price 0 is refused by the shape check as outside the price range, not as off the tick', () => {
    const k = kernel();
    const events = k.handle({ kind: 'order.place', time: T, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '0' });
    expect(events.find((e) => e.type === 'ORDER_REJECTED')).toMatchObject({ code: 'INVALID_PRICE', message: "price is outside the instrument's price range (price must be positive)" });
  });
});
