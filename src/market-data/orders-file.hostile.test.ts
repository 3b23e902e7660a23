/** The `ASSET=amount,…` list of `accounts create|reset --balances` and `replay --balances` against typos. */
import { describe, expect, it } from 'vitest';
import { parseBalances } from './orders-file.js';

describe('a balances list', () => {
  it('refuses an asset given twice instead of keeping the last amount', () => {
    expect(() => parseBalances('USDT=100,USDT=200')).toThrow('balances: USDT is given twice');
    expect(() => parseBalances('usdt=100,BTC=1,USDT=5')).toThrow('balances: USDT is given twice');
  });

  it('says a negative amount must be 0 or more, and a malformed one must be a decimal, instead of calling the list malformed', () => {
    expect(() => parseBalances('USDT=-5')).toThrow('balances: USDT amount must be 0 or more, got "-5"');
    expect(() => parseBalances('usdt=100,btc=-0.5')).toThrow('balances: BTC amount must be 0 or more, got "-0.5"');
    for (const amount of ['1e5', '.5', '5.', 'abc', '', '--5', '0x10']) {
      expect(() => parseBalances(`USDT=${amount}`), amount).toThrow(`balances: USDT amount must be a decimal number such as 100 or 0.5, got "${amount}"`);
    }
    // Not ASSET=amount at all: the list's shape is what is wrong.
    for (const part of ['USDT', '=5', 'US-DT=5', 'USDT=5 0']) expect(() => parseBalances(part), part).toThrow(`balances: expected ASSET=amount[,ASSET=amount…], got "${part}"`);
    expect(parseBalances('USDT=0')).toEqual({ USDT: '0' });
  });

  it('still reads one amount per asset, asset codes in any case', () => {
    expect(parseBalances('usdt=100, BTC=0.5')).toEqual({ USDT: '100', BTC: '0.5' });
  });
});
