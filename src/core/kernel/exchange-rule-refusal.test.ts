import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { formatFixed, parseFixed } from '../money/fixed.js';
import { SPEC_RULES, type RuleName } from '../matching/exchange-rules.js';
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

describe('Kernel.exchangeRuleRefusal with a choice of rules', () => {
  const none = { quantity: undefined, quoteOrderQty: undefined, price: undefined, stopPrice: undefined, activationPrice: undefined, callbackRate: undefined } as const;
  const stop = (stopPrice: string): OrderRequest => ({ ...none, side: 'SELL', type: 'STOP_LOSS', stopPrice: parseFixed(stopPrice) });

  it('SPEC_RULES leave out what the market decides when the order arrives: a stop the last trade has passed, a limit outside the band', () => {
    const k = kernel();
    k.handle({ kind: 'trade', time: T, symbol: 'BTCUSDT', tradeId: 1, price: '60000', quantity: '0.01', buyerMaker: true });
    // A SELL stop at 61000 with the last trade at 60000 would trigger at once (Binance USD-M -2021); after a rise it would not.
    expect(k.exchangeRuleRefusal('a', 'BTCUSDT', stop('61000'), true)?.code).toBe('WOULD_TRIGGER_IMMEDIATELY');
    expect(k.exchangeRuleRefusal('a', 'BTCUSDT', stop('61000'), true, SPEC_RULES)).toBeUndefined();
    expect(k.exchangeRuleRefusal('a', 'BTCUSDT', limit('BUY', '50000'), false, SPEC_RULES)).toBeUndefined();
    expect(k.exchangeRuleRefusal('a', 'BTCUSDT', limit('BUY', '50000'))?.code).toBe('PERCENT_PRICE');
    // The order's own fields still answer: off the tick, under the minimum, a callback over USD-M's 10 %.
    expect(k.exchangeRuleRefusal('a', 'BTCUSDT', stop('61000.05'), true, SPEC_RULES)?.code).toBe('INVALID_PRICE');
    expect(k.exchangeRuleRefusal('a', 'BTCUSDT', stop('556.7'), true, SPEC_RULES)?.code).toBe('INVALID_PRICE');
    const trailing: OrderRequest = { ...none, side: 'SELL', type: 'TRAILING_STOP_MARKET', callbackRate: parseFixed('0.1001') };
    expect(k.exchangeRuleRefusal('a', 'BTCUSDT', trailing, true, SPEC_RULES)?.code).toBe('TRAILING_DELTA');
    expect(k.exchangeRuleRefusal('a', 'BTCUSDT', trailing, true, ['PRICE_FILTER'])).toBeUndefined();
  });

  const bad: [string, () => [string, string, unknown, unknown], string, RegExp][] = [
    ['an unknown rule name', () => ['a', 'BTCUSDT', limit('BUY', '60000'), ['PRICE_FILTER', 'PRICE_FILTRE']], 'INVALID_ORDER', /"PRICE_FILTRE" is not an exchange rule/],
    ['rules that are not a list', () => ['a', 'BTCUSDT', limit('BUY', '60000'), 'PRICE_FILTER'], 'INVALID_ORDER', /rules must be a list/],
    ['an unknown account', () => ['nobody', 'BTCUSDT', limit('BUY', '60000'), undefined], 'UNKNOWN_ACCOUNT', /nobody/],
    ['a request that is not an object', () => ['a', 'BTCUSDT', null, undefined], 'INVALID_ORDER', /order request/],
    ['a side that is not BUY or SELL', () => ['a', 'BTCUSDT', { ...limit('BUY', '60000'), side: 'LONG' }, undefined], 'INVALID_ORDER', /side must be BUY or SELL/],
    ['an unknown type', () => ['a', 'BTCUSDT', { ...limit('BUY', '60000'), type: 'ICEBERG' }, undefined], 'INVALID_ORDER', /type must be one of/],
    ['a price given as a JS number', () => ['a', 'BTCUSDT', { ...limit('BUY', '60000'), price: 60000 }, undefined], 'INVALID_ORDER', /price must be a fixed-point amount/],
    // A MEXC-style spec without a minimum would let these through the price filter: placement refuses them first.
    ['a price of 0', () => ['a', 'BTCUSDT', limit('BUY', '0'), SPEC_RULES], 'INVALID_PRICE', /^price is outside the instrument's price range \(price must be positive\)$/],
    ['a stop below 0', () => ['a', 'BTCUSDT', stop('-1'), SPEC_RULES], 'INVALID_ORDER', /stopPrice must be positive/],
    ['a callback of 100 %', () => ['a', 'BTCUSDT', { ...none, side: 'SELL', type: 'TRAILING_STOP_MARKET', callbackRate: parseFixed('1') }, ['PRICE_FILTER']], 'INVALID_ORDER', /callbackRate must be a fraction/],
  ];
  it.each(bad)('refuses %s with a clear refusal, throws nothing and changes nothing', (_what, args, code, message) => {
    const k = kernel();
    const before = k.snapshot();
    const [account, symbol, request, rules] = args();
    const refused = k.exchangeRuleRefusal(account, symbol, request as OrderRequest, false, rules as RuleName[] | undefined);
    expect(refused?.code).toBe(code);
    expect(refused?.message).toMatch(message);
    expect(k.snapshot()).toBe(before);
  });
});
