import { describe, expect, it } from 'vitest';
import { rejection, type RejectionCode } from '../../core/orders/rejection.js';
import { mexcErrorOf } from '../mexc/mexc-errors.js';
import { binanceErrorOf } from './binance-errors.js';

// Each placement rule's refusal in every dialect (docs/exchange-rules.md): Binance spot's codes and words from its
// Filters page and error list, MEXC's code from its error table (as ccxt's MEXC class classifies them).
const RULES: readonly [RejectionCode, { code: number; msg: string }, number][] = [
  ['INVALID_PRICE', { code: -1013, msg: 'Filter failure: PRICE_FILTER' }, 30010],
  ['INVALID_QUANTITY', { code: -1013, msg: 'Filter failure: LOT_SIZE' }, 10096],
  ['MIN_QUANTITY', { code: -1013, msg: 'Filter failure: LOT_SIZE' }, 30002],
  ['MAX_QUANTITY', { code: -1013, msg: 'Filter failure: LOT_SIZE' }, 30003],
  ['MAX_MARKET_QUANTITY', { code: -1013, msg: 'Filter failure: MARKET_LOT_SIZE' }, 30003],
  ['MIN_NOTIONAL', { code: -1013, msg: 'Filter failure: NOTIONAL' }, 30002],
  ['MAX_NOTIONAL', { code: -1013, msg: 'Filter failure: NOTIONAL' }, 30003],
  ['PERCENT_PRICE', { code: -1013, msg: 'Filter failure: PERCENT_PRICE_BY_SIDE' }, 30087],
  ['TRAILING_DELTA', { code: -1013, msg: 'Filter failure: TRAILING_DELTA' }, 700004],
  ['WOULD_TRIGGER_IMMEDIATELY', { code: -2010, msg: 'Stop price would trigger immediately.' }, 30010],
  ['MAX_NUM_ORDERS', { code: -2010, msg: 'Filter failure: MAX_NUM_ORDERS' }, 30029],
  ['MAX_NUM_ALGO_ORDERS', { code: -2010, msg: 'Filter failure: MAX_NUM_ALGO_ORDERS' }, 30029],
];

describe('every exchange rule refusal in each dialect', () => {
  for (const [code, binance, mexc] of RULES) {
    it(`${code}: Binance ${binance.code} "${binance.msg}", MEXC ${mexc}`, () => {
      const refused = rejection(code, 'detail');
      expect(binanceErrorOf(refused, 'place').body).toEqual(binance);
      expect(mexcErrorOf(refused, 'place')).toMatchObject({ code: mexc, status: 400 });
      // MEXC's words: the kernel's for most, MEXC's own for the open-order caps (MEXC Spot v3 30029).
      const mexcWords = code === 'MAX_NUM_ORDERS' || code === 'MAX_NUM_ALGO_ORDERS' ? 'Cannot exceed the maximum order limit' : refused.message;
      expect(mexcErrorOf(refused, 'place').msg).toBe(mexcWords);
    });
  }
});
