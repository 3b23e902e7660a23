import { describe, expect, it } from 'vitest';
import { findBundledInstrument } from '../instruments/bundled-instruments.js';
import { Kernel } from './kernel.js';

/**
 * The kernel's own rollback checkpoints come after max(512, ⌈snapshot length / 32⌉) inputs (ADR 0056):
 * at most 32 snapshot characters serialized per input handled, and never more than 512 inputs held
 * for a small state, whose inputs would otherwise outlive the young generation for nothing.
 */
const T = Date.UTC(2024, 7, 8);

function kernelWithAccounts(count: number): Kernel {
  const kernel = new Kernel({ instruments: [findBundledInstrument('binance', 'spot', 'BTCUSDT')!] });
  for (let i = 0; i < count; i++) {
    const [event] = kernel.handle({ kind: 'account.open', time: T, account: `account-${String(i).padStart(4, '0')}`, balances: { USDT: '100000', BTC: '1' } });
    expect(event?.type).toBe('ACCOUNT_OPENED');
  }
  return kernel;
}

/** The tail after each of `inputs` clock inputs, and the snapshot length before each input whose tail the kernel reset. */
function drive(kernel: Kernel, inputs: number): { tails: number[]; resets: { tailBefore: number; spacingFromLastReset: number }[] } {
  const tails: number[] = [];
  const resets: { tailBefore: number; spacingFromLastReset: number }[] = [];
  let spacing = Number.NaN;
  for (let i = 1; i <= inputs; i++) {
    const length = kernel.snapshot().length;
    const before = kernel.inputsSinceCheckpoint;
    kernel.handle({ kind: 'clock', time: T + i });
    const after = kernel.inputsSinceCheckpoint;
    tails.push(after);
    if (after <= before) {
      resets.push({ tailBefore: before, spacingFromLastReset: spacing });
      // The rule, written out here rather than read from the kernel.
      spacing = Math.max(512, Math.ceil(length / 32));
    }
  }
  return { tails, resets };
}

describe('rollback checkpoint spacing', () => {
  it('holds at most 512 inputs for a small state: the tail runs 1 … 512, then starts again', () => {
    const kernel = kernelWithAccounts(1);
    expect(kernel.snapshot().length).toBeLessThan(512 * 32); // the 512 floor is the binding term
    const { tails } = drive(kernel, 2_000);
    // The first input after the account takes the first checkpoint of the clock inputs' run only when due: count from the start.
    const offset = tails[0]! - 1;
    expect(tails).toEqual(tails.map((_, i) => ((i + offset) % 512) + 1));
    expect(Math.max(...tails)).toBe(512);
  });

  it('spaces checkpoints by the snapshot length / 32 once that is more than 512', () => {
    const kernel = kernelWithAccounts(80);
    const chars = kernel.snapshot().length;
    expect(Math.ceil(chars / 32)).toBeGreaterThan(600);
    const { resets } = drive(kernel, 3 * Math.ceil(chars / 32) + 10);
    const measured = resets.filter((r) => !Number.isNaN(r.spacingFromLastReset));
    expect(measured.length).toBeGreaterThanOrEqual(2);
    for (const r of measured) expect(r.tailBefore).toBe(r.spacingFromLastReset);
  });
});
