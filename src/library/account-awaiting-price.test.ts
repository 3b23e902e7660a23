import { describe, expect, it } from 'vitest';
import { Kernel } from '../core/kernel/kernel.js';
import { PaperTradingEngine } from './paper-trading-engine.js';

/** An amount of the account document: 10^18 × the decimal value, as an integer string. */
const amount = (units: bigint, decimals = 0) => ({ $n: ((units * 10n ** 18n) / 10n ** BigInt(decimals)).toString() });

/**
 * A futures account exported elsewhere: 10000 USDT deposited, a 0.5 BTC long at 60000 held at 10×
 * in isolated margin (margin 0.5 × 60000 / 10 = 3000, cash 10000 − 3000 = 7000), no fees.
 */
const DOCUMENT = {
  format: 'papertrade.account', version: 1, exportedAt: 0,
  account: {
    kind: 'futures', id: 'imported', fees: {}, settleAsset: 'USDT', marginMode: 'isolated', defaultLeverage: 10, cash: amount(7000n), reserved: amount(0n),
    positions: [{ id: 'imported:BTCUSDT:1', symbol: 'BTCUSDT', size: amount(5n, 1), entryPrice: amount(60000n), leverage: 10, margin: amount(3000n), realizedPnl: amount(0n), totalFundingPaid: amount(0n), feesPaid: amount(0n), openedAt: 0 }],
    leverage: [], ledger: { deposits: amount(10000n), realizedPnl: amount(0n), fees: amount(0n), funding: amount(0n) }, positionSeq: 1,
  },
  health: { closeOnHalt: false, halted: false, lastEquity: amount(10000n) },
  orders: [], placements: {}, clientIds: [],
};

/**
 * `getAccount` of an account whose position has no mark yet (imported before any BTCUSDT price)
 * states no equity and names what it waits for, as `GET /api/account` does: it said 10000, the
 * long's unrealized PnL counted as zero while nobody knew it.
 */
describe('PaperTradingEngine.getAccount of a position with no price yet', () => {
  it('equity null and awaitingPrice ["BTCUSDT"], then 10000 + 0.5 × (61000 − 60000) at the first price', async () => {
    const library = new PaperTradingEngine();
    const kernel = new Kernel(library.kernelConfig);
    const imported = kernel.handle({ kind: 'account.import', time: 1_700_000_000_000, document: JSON.stringify(DOCUMENT) });
    expect(imported.map((e) => e.type)).not.toContain('ACCOUNT_REJECTED');
    expect(await library.restoreAccounts({ restoreAccounts: async () => undefined, kernel })).toEqual(['imported']);

    const before = library.getAccount('imported');
    expect(before).toMatchObject({ equity: null, awaitingPrice: ['BTCUSDT'], positions: [{ symbol: 'BTCUSDT', direction: 'LONG', size: '0.5', entryPrice: '60000' }] });
    expect(library.listAccounts()).toEqual([before]);

    // The first price: 10000 wallet + 0.5 × (61000 − 60000) = 10500.
    library.updatePrices({ BTCUSDT: '61000' }, 1_700_000_001_000);
    expect(library.getAccount('imported')).toMatchObject({ equity: '10500', awaitingPrice: [] });
  });

  it('an account with nothing unpriced states its equity and an empty awaitingPrice', () => {
    const library = new PaperTradingEngine();
    expect(library.createAccount({ id: 'cash', initialBalance: 500 })).toMatchObject({ equity: '500', awaitingPrice: [] });
  });
});
