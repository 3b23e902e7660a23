import { describe, expect, it } from 'vitest';
import { SpotAccount, type Balance } from './spot-account.js';

/** Reaches a balance the way no movement may (a broken invariant, to see `reconcile` catch it). */
function balanceOf(account: SpotAccount, asset: string): Balance {
  return (account as unknown as { balances: Map<string, Balance> }).balances.get(asset)!;
}

describe('a spot account reconciling its balances with its ledger', () => {
  it('passes while every balance matches its deposits', () => {
    const account = new SpotAccount('a', {});
    account.deposit('USDT', 1_000n);
    account.deposit('BTC', 2n);
    expect(() => account.reconcile()).not.toThrow();
  });

  it('throws for a balance that no longer matches its ledger, and for a negative one', () => {
    const account = new SpotAccount('a', {});
    account.deposit('USDT', 1_000n);
    balanceOf(account, 'USDT').free += 1n;
    expect(() => account.reconcile()).toThrow('account a: USDT does not reconcile: free+locked=0.000000000000001001, ledger=0.000000000000001');
    const other = new SpotAccount('b', {});
    other.deposit('BTC', 0n);
    balanceOf(other, 'BTC').free = -1n;
    balanceOf(other, 'BTC').locked = 1n;
    expect(() => other.reconcile()).toThrow('account b: negative BTC balance');
  });

  it('names the first broken asset by name, whichever asset it held first', () => {
    const account = new SpotAccount('a', {});
    account.deposit('USDT', 5n);
    account.deposit('BTC', 5n);
    balanceOf(account, 'USDT').free += 1n;
    balanceOf(account, 'BTC').locked += 1n;
    expect(() => account.reconcile()).toThrow(/^account a: BTC does not reconcile/);
  });
});

describe('SpotAccount.forEachBalance', () => {
  it('visits every held asset once with its balance, in the order first held', () => {
    const account = new SpotAccount('a', {});
    account.deposit('USDT', 1_000n);
    account.deposit('BTC', 7n);
    account.deposit('USDT', 5n);
    expect(account.lock('BTC', 3n)).toBe(true);
    const seen: [string, bigint, bigint][] = [];
    account.forEachBalance((b, asset) => seen.push([asset, b.free, b.locked]));
    // USDT 1000 + 5 free; BTC 7 − 3 free, 3 locked.
    expect(seen).toEqual([['USDT', 1_005n, 0n], ['BTC', 4n, 3n]]);
  });
});
