/** The `ASSET=amount,…` list of `accounts create|reset --balances` and `replay --balances` against typos. */
import { describe, expect, it } from 'vitest';
import { parseBalances } from './orders-file.js';

describe('a balances list', () => {
  it('refuses an asset given twice instead of keeping the last amount', () => {
    expect(() => parseBalances('USDT=100,USDT=200')).toThrow('balances: USDT is given twice');
    expect(() => parseBalances('usdt=100,BTC=1,USDT=5')).toThrow('balances: USDT is given twice');
  });

  it('still reads one amount per asset, asset codes in any case', () => {
    expect(parseBalances('usdt=100, BTC=0.5')).toEqual({ USDT: '100', BTC: '0.5' });
  });
});
