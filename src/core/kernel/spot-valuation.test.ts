/**
 * A spot account's equity (account-health.ts `pricedEquityOf`, `equityOf`): every held asset valued
 * at its market's price in the valuation asset, whatever order the assets were first held in; an
 * asset whose market has no price makes the strict valuation wait and counts as zero otherwise. The
 * price may come from the last print's text, which a bar sets directly and a print sets with its
 * parsed value (`Market.printed`): the valuation follows each.
 */
import { describe, expect, it } from 'vitest';
import { SpotAccount } from '../accounts/spot-account.js';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { Market } from '../matching/market.js';
import { parseFixed } from '../money/fixed.js';
import { equityOf, pricedEquityOf } from './account-health.js';

const BTC = findBundledInstrument('binance', 'spot', 'BTCUSDT')!;
const ETH = findBundledInstrument('binance', 'spot', 'ETHUSDT')!;

describe('the equity of a spot account', () => {
  it('sums every asset at its price, waits for an unpriced one, and follows the last print however it was set', () => {
    const btc = new Market(BTC);
    const eth = new Market(ETH);
    const markets = new Map([[BTC.symbol, btc], [ETH.symbol, eth]]);
    const account = new SpotAccount('a', {});
    // Held in an order that is not the assets' names' order.
    account.deposit('ETH', parseFixed('2'));
    account.deposit('USDT', parseFixed('100'));
    account.deposit('BTC', parseFixed('0.5'));
    btc.mark = parseFixed('60000');
    // ETH has no mark, no book and no print yet: the strict valuation waits, the other counts it as zero.
    expect(pricedEquityOf(account, markets, 'USDT')).toBeUndefined();
    // 100 + 0.5 × 60000 = 30100.
    expect(equityOf(account, markets, 'USDT')).toBe(parseFixed('30100'));
    eth.lastTradePrice = '3000.5';
    // 100 + 30000 + 2 × 3000.5 = 36101.
    expect(pricedEquityOf(account, markets, 'USDT')).toBe(parseFixed('36101'));
    // A bar sets the text alone: 100 + 30000 + 2 × 3001 = 36102.
    eth.lastTradePrice = '3001';
    expect(eth.lastTradeValue()).toBe(parseFixed('3001'));
    expect(pricedEquityOf(account, markets, 'USDT')).toBe(parseFixed('36102'));
    // A print sets the text and its value: 100 + 30000 + 2 × 2999.25 = 36098.5.
    eth.printed('2999.25', parseFixed('2999.25'));
    expect(eth.lastTradePrice).toBe('2999.25');
    expect(pricedEquityOf(account, markets, 'USDT')).toBe(parseFixed('36098.5'));
    // Back to a text seen before: read anew, not taken from the print.
    eth.lastTradePrice = '3001';
    expect(eth.lastTradeValue()).toBe(parseFixed('3001'));
  });

  it('has no last trade value before the first print', () => {
    expect(new Market(ETH).lastTradeValue()).toBeUndefined();
  });
});
