import { describe, expect, it } from 'vitest';
import { BUNDLED_INSTRUMENTS } from '../instruments/bundled-instruments.js';
import { Kernel } from './kernel.js';

const T = 1_700_000_000_000;

describe('Kernel.lastEquityValue', () => {
  it("gives the value of the account's latest EQUITY text, and nothing for another text or account", () => {
    const kernel = new Kernel({ instruments: BUNDLED_INSTRUMENTS.filter((i) => i.exchange === 'binance' && i.market === 'perpetual'), latencyMs: 0, equityIntervalMs: 60_000 });
    kernel.handle({ kind: 'clock', time: T });
    kernel.handle({ kind: 'account.open', time: T, account: 'a', type: 'futures', balances: { USDT: '10000.5' } });
    const sample = kernel.handle({ kind: 'clock', time: T + 60_000 }).find((e) => e.type === 'EQUITY');
    expect(sample).toMatchObject({ account: 'a', equity: '10000.5' });
    expect(kernel.lastEquityValue('a', '10000.5')).toBe(10_000_500_000_000_000_000_000n);
    expect(kernel.lastEquityValue('a', '10000.50')).toBeUndefined(); // the same amount written otherwise
    expect(kernel.lastEquityValue('b', '10000.5')).toBeUndefined();
  });
});
