import { describe, expect, it } from 'vitest';
import type { FuturesAccount } from '../accounts/futures-account.js';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import type { Fixed } from '../money/fixed.js';
import { Kernel } from './kernel.js';

// After each input the kernel checks the ledger of every account its events name (kernel.ts
// `checkTouched`), except an account named only by an EQUITY sample: a sample values the account
// and changes nothing (account-health.ts ACCOUNT_CHANGES), so its ledger is as it was after the
// last change, which was checked then (ADR 0036, tenth pass).
const BTC = findBundledInstrument('binance', 'perpetual', 'BTCUSDT')!;
/** A whole minute. */
const T = 1_699_999_980_000;
const MINUTE = 60_000;

/** The kernel with one futures account, and a count of the checks of its ledger. */
function watched(): { kernel: Kernel; checks: () => number } {
  const kernel = new Kernel({ instruments: [BTC], equityIntervalMs: MINUTE });
  kernel.handle({ kind: 'account.open', time: T, account: 'a', type: 'futures', balances: { USDT: '10000' }, leverage: 10, fees: { maker: '0', taker: '0' } });
  const account = kernel.account('a') as FuturesAccount;
  const reconcile = account.reconcile.bind(account);
  let calls = 0;
  account.reconcile = (reserved: Fixed) => {
    calls += 1;
    reconcile(reserved);
  };
  return { kernel, checks: () => calls };
}

describe('the ledger check after an input', () => {
  it('leaves out an account whose only event is its equity sample', () => {
    const { kernel, checks } = watched();
    // The bar's open crosses the minute T + 60000: the sample is the input's only event.
    const events = kernel.handle({ kind: 'bar', time: T + MINUTE, symbol: 'BTCUSDT', open: '60000', high: '60100', low: '59900', close: '60050', volume: '1', intervalMs: MINUTE });
    expect(events.map((e) => e.type)).toEqual(['EQUITY']);
    expect(checks()).toBe(0);
  });

  it('checks an account the input changed, whose sample follows its fill', () => {
    const { kernel, checks } = watched();
    kernel.handle({ kind: 'order.place', time: T, account: 'a', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'x' });
    const before = checks();
    const events = kernel.handle({ kind: 'bar', time: T + MINUTE, symbol: 'BTCUSDT', open: '60000', high: '60100', low: '59900', close: '60050', volume: '1', intervalMs: MINUTE });
    expect(events.some((e) => e.type === 'FILL')).toBe(true);
    expect(events.some((e) => e.type === 'EQUITY')).toBe(true);
    expect(checks() - before).toBe(1);
  });
});
