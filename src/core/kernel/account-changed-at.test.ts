import { describe, expect, it } from 'vitest';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording, RecordingStepper } from '../../test-kit/recording-stepper.js';
import { instrumentForRecording } from '../../market-data/replay-session.js';
import { formatFixed, parseFixed } from '../money/fixed.js';
import { Kernel } from './kernel.js';

/**
 * The time of an account's last change (Binance's account `updateTime`: "the last time the account
 * changed") is on the kernel's clock: the time of the input whose events changed it, set by hand
 * here, never the wall clock; refusals and equity samples change nothing, and a restored kernel
 * keeps it.
 */
describe("an account's last change, on the exchange clock", () => {
  const recording = loadRecording(BUNDLED_RECORDING);
  const start = () => {
    const s = new RecordingStepper(recording, { equityIntervalMs: 1_000 });
    s.advanceTo(recording.inputs[0]!.time + 30_000);
    return s;
  };

  it('is the time of the open, then of each order that changes it; a refused order and later market data leave it', () => {
    const s = start();
    const opened = s.kernel.now + 7;
    s.handle({ kind: 'account.open', time: opened, account: 'a', balances: { USDT: '1000' } });
    expect(s.kernel.accountChangedAt('a')).toBe(opened);
    const placed = s.kernel.now + 1_234;
    // 500 below the bid: it rests through the ten seconds below.
    const bid = formatFixed(parseFixed(s.kernel.depth(s.symbol, 1)!.bids[0]![0]) - parseFixed('500'));
    expect(s.handle({ kind: 'order.place', time: placed, account: 'a', symbol: s.symbol, side: 'BUY', type: 'LIMIT', quantity: '0.001', price: bid }).map((e) => e.type)).toContain('ORDER_NEW');
    expect(s.kernel.accountChangedAt('a')).toBe(placed);
    // Refused: 1 BTC at the bid needs far more than the 1,000 USDT.
    expect(s.handle({ kind: 'order.place', time: placed + 500, account: 'a', symbol: s.symbol, side: 'BUY', type: 'LIMIT', quantity: '1', price: bid }).map((e) => e.type)).toContain('ORDER_REJECTED');
    // Ten more seconds of market data, equity sampled every second.
    const events = s.advanceTo(placed + 10_000);
    expect(events.some((e) => e.type === 'EQUITY' && e.account === 'a')).toBe(true);
    expect(s.kernel.accountChangedAt('a')).toBe(placed);
    expect(s.kernel.now).toBeGreaterThan(placed + 9_000);
    expect(s.kernel.accountChangedAt('nobody')).toBeUndefined();
  });

  it('a kernel restored from a snapshot keeps it', () => {
    const s = start();
    const opened = s.kernel.now + 42;
    s.handle({ kind: 'account.open', time: opened, account: 'a', balances: { USDT: '1000' } });
    s.advanceTo(opened + 5_000);
    const restored = Kernel.restore({ instruments: [instrumentForRecording(recording)], equityIntervalMs: 1_000 }, s.kernel.snapshot());
    expect(restored.accountChangedAt('a')).toBe(opened);
    // And an exported document keeps its format: an import is the imported account's change.
    const imported = s.kernel.now + 3;
    expect(s.handle({ kind: 'account.import', time: imported, document: s.kernel.exportAccount('a')!, account: 'copy' }).map((e) => e.type)).toEqual(['ACCOUNT_IMPORTED', 'EQUITY']);
    expect(s.kernel.accountChangedAt('copy')).toBe(imported);
  });
});
