import { describe, expect, it } from 'vitest';
import { FuturesAccount } from '../accounts/futures-account.js';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { Market } from '../matching/market.js';
import { parseFixed } from '../money/fixed.js';
import { pricedEquityOf, unpricedHoldings } from './account-health.js';

const BTC = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
const ETH = findBundledInstrument('binance', 'perpetual', 'ETHUSDT')!;

/** A futures account's valuation waits for the mark of each symbol it holds a position on, and names it. */
describe('unpricedHoldings of a futures account', () => {
  it('names the symbols of its open positions that have no mark, and none once marked', () => {
    const markets = new Map<string, Market>();
    for (const instrument of [BTC, ETH]) markets.set(instrument.symbol, { instrument, mark: undefined } as unknown as Market);
    const account = new FuturesAccount('f', 'USDT', 'cross', {}, 10);
    account.cash = parseFixed('1000');
    account.positions.set('BTCUSDT', { id: 'f:BTCUSDT:1', symbol: 'BTCUSDT', size: parseFixed('0.1'), entryPrice: parseFixed('60000'), leverage: 10, margin: parseFixed('600'), realizedPnl: 0n, totalFundingPaid: 0n, feesPaid: 0n, openedAt: 0 });
    // A flat position on ETHUSDT holds nothing to price.
    account.positions.set('ETHUSDT', { id: 'f:ETHUSDT:1', symbol: 'ETHUSDT', size: 0n, entryPrice: 0n, leverage: 10, margin: 0n, realizedPnl: 0n, totalFundingPaid: 0n, feesPaid: 0n, openedAt: 0 });
    expect(unpricedHoldings(account, markets, 'USDT')).toEqual(['BTCUSDT']);
    expect(pricedEquityOf(account, markets, 'USDT')).toBeUndefined();
    (markets.get('BTCUSDT') as { mark: bigint | undefined }).mark = parseFixed('61000');
    expect(unpricedHoldings(account, markets, 'USDT')).toEqual([]);
    // Wallet 1000 + 600 margin, uPnL 0.1 × (61000 − 60000) = 100: 1700.
    expect(pricedEquityOf(account, markets, 'USDT')).toBe(parseFixed('1700'));
  });
});
