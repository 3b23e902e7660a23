import { describe, expect, it } from 'vitest';
import { parseFixed } from '../money/fixed.js';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { Order } from '../orders/order.js';
import { FuturesAccount } from './futures-account.js';
import { FuturesOrderSettlement } from './futures-settlement.js';

// BTCUSDT perpetual: maker 0.02 %, taker 0.05 %, fees to 8 decimals.
const BTC_PERP = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
const d = parseFixed;

function order(id: string, side: 'BUY' | 'SELL', quantity: string, price: string, reduceOnly: boolean): Order {
  return {
    id, clientOrderId: id, account: 'a', symbol: 'BTCUSDT', side, type: 'LIMIT', price: d(price), quantity: d(quantity),
    quoteOrderQty: undefined, submittedAt: 0, arrivesAt: 0, arrivalSeq: 0, status: 'NEW', executedQty: 0n,
    cumulativeQuoteQty: 0n, locked: 0n, lockedAsset: 'USDT', queueAhead: 0n, updatedAt: 0, leverage: 10, reduceOnly,
    stopPrice: undefined, activationPrice: undefined, callbackRate: undefined, trailPeak: undefined, triggered: false, triggeredAt: undefined,
    ocoGroup: undefined, feeExact: 0n, feeCharged: 0n,
  };
}

/**
 * A cross account of 1,000 USDT long 0.1 BTC at 60,000 (10x): margin 600, taker fee 3, cash 397.
 * Funding then takes `funding` of its wallet, cash first, then the position's margin (as the kernel's
 * funding charge does), leaving `marginLeft` on the position and no cash.
 */
function afterFunding(marginLeft: string) {
  const account = new FuturesAccount('a', 'USDT', 'cross', {}, 10);
  account.deposit(d('1000'));
  const settlement = new FuturesOrderSettlement(account, BTC_PERP, () => 0, () => d('60000'));
  settlement.settle(order('open', 'BUY', '0.1', '60000', false), d('60000'), d('0.1'), 'TAKER');
  const position = account.positions.get('BTCUSDT')!;
  const funding = d('997') - d(marginLeft);
  account.cash = 0n;
  position.margin = d(marginLeft);
  account.ledger.funding += funding;
  position.totalFundingPaid += funding;
  return { account, settlement, position };
}

const ledgerWallet = (a: FuturesAccount) => a.ledger.deposits + a.ledger.realizedPnl - a.ledger.fees - a.ledger.funding;

describe('a futures fill never leaves the free balance negative (the insurance fund pays beyond the wallet)', () => {
  it('a reduce-only maker sell of 0.04 at 59,900 with no cash and no margin left: loss 4 + fee 0.4792 are covered, booked realized +0.4792', () => {
    const { account, settlement, position } = afterFunding('0');
    const fill = settlement.settle(order('close', 'SELL', '0.04', '59900', true), d('59900'), d('0.04'), 'MAKER');
    // By hand: realized 0.04 × (59,900 − 60,000) = −4; fee 2,396 × 0.0002 = 0.4792; nothing to pay them from.
    expect(fill.fee).toBe(d('0.4792'));
    expect(fill.insuranceCovered).toBe(d('4.4792'));
    expect(fill.realizedPnl).toBe(d('0.4792'));
    expect(account.cash).toBe(0n);
    expect(position.margin).toBe(0n);
    expect(position.realizedPnl).toBe(d('0.4792'));
    // wallet 0 = 1,000 + 0.4792 − (3 + 0.4792) − 997
    expect(account.wallet()).toBe(0n);
    expect(ledgerWallet(account)).toBe(0n);
  });

  it('the position’s remaining margin pays before the fund: margin 2, the sell releases 0.8, the other 1.2 pays, the fund 2.4792', () => {
    const { account, settlement, position } = afterFunding('2');
    const fill = settlement.settle(order('close', 'SELL', '0.04', '59900', true), d('59900'), d('0.04'), 'MAKER');
    // By hand: released 2 × 0.04 / 0.1 = 0.8; cash 0.8 − 4 − 0.4792 = −3.6792; margin left 1.2 pays, fund 2.4792.
    expect(fill.insuranceCovered).toBe(d('2.4792'));
    expect(fill.realizedPnl).toBe(d('-1.5208'));
    expect(account.cash).toBe(0n);
    expect(position.margin).toBe(0n);
    expect(position.size).toBe(d('0.06'));
    // wallet 0 = 1,000 + (−1.5208) − 3.4792 − 995
    expect(account.wallet()).toBe(0n);
    expect(ledgerWallet(account)).toBe(0n);
  });

  it('a fill the wallet can pay is not covered: the same sell with the cash untouched books the loss in full', () => {
    const account = new FuturesAccount('a', 'USDT', 'cross', {}, 10);
    account.deposit(d('1000'));
    const settlement = new FuturesOrderSettlement(account, BTC_PERP, () => 0, () => d('60000'));
    settlement.settle(order('open', 'BUY', '0.1', '60000', false), d('60000'), d('0.1'), 'TAKER');
    const fill = settlement.settle(order('close', 'SELL', '0.04', '59900', true), d('59900'), d('0.04'), 'MAKER');
    // By hand: cash 397 + released 240 − 4 − 0.4792 = 632.5208.
    expect(fill.insuranceCovered).toBeUndefined();
    expect(fill.realizedPnl).toBe(d('-4'));
    expect(account.cash).toBe(d('632.5208'));
    expect(ledgerWallet(account)).toBe(account.wallet());
  });
});
