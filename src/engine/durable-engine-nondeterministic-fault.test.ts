import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { Kernel } from '../core/kernel/kernel.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import { MatchingEngine } from '../core/matching/matching-engine.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording, stateWithoutSequence } from '../test-kit/recording-stepper.js';
import { DurableEngine } from './durable-engine.js';

const recording = loadRecording(BUNDLED_RECORDING);
const CONFIG = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };

it('a fault of the live thread only: the snapshot after it is the live state, so neither a later rollback nor a restart brings the rejected input back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'papertrade-repro-'));
  const url = `sqlite:${join(dir, 'x.db')}`;
  const engine = await DurableEngine.open({ databaseUrl: url, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000, onInputSetAside: () => undefined });
  const twin = new Kernel(CONFIG, { rollback: false });
  const both = async (input: KernelInput) => {
    const events = await engine.submit(input);
    if (!(events[0]?.type === 'INPUT_REJECTED' && events[0].code === 'INTERNAL')) twin.handle(JSON.parse(JSON.stringify(input)) as KernelInput);
    return events;
  };
  try {
    for (const input of recording.inputs.slice(0, 200)) await both(input);
    const t = engine.kernel.now;
    await both({ kind: 'account.open', time: t, account: 'a', balances: { USDT: '100000', BTC: '1' } });
    const original = MatchingEngine.prototype.arrive;
    vi.spyOn(MatchingEngine.prototype, 'arrive').mockImplementation(function (this: MatchingEngine, ...args) {
      const result = original.apply(this, args);
      if (args[0].clientOrderId.startsWith('boom')) throw new Error('a fault of this thread only');
      return result;
    });
    const order = (id: string): KernelInput => ({ kind: 'order.place', time: t, account: 'a', symbol: recording.symbol, side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: id });
    expect((await both(order('boom-1')))[0]).toMatchObject({ code: 'INTERNAL' });
    expect(stateWithoutSequence(engine.kernel).replace(/"arrivalSeq":\d+/g, '')).toBe(stateWithoutSequence(twin).replace(/"arrivalSeq":\d+/g, ''));
    await both({ kind: 'clock', time: t + 1 });
    // A worker's rebuild would replay boom-1 from the journal, where this fault does not strike.
    await engine.saveSnapshot();
    expect((await both(order('boom-2')))[0]).toMatchObject({ code: 'INTERNAL' });
    expect(engine.kernel.balances('a')).toEqual(twin.balances('a'));
    await engine.saveSnapshot();
    vi.restoreAllMocks();
    await engine.close({ snapshot: false });
    const restarted = await DurableEngine.open({ databaseUrl: url, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000, onInputSetAside: () => undefined });
    try {
      expect(restarted.kernel.balances('a')).toEqual(twin.balances('a'));
    } finally {
      await restarted.close({ snapshot: false });
    }
  } finally {
    vi.restoreAllMocks();
    await engine.close({ snapshot: false });
    rmSync(dir, { recursive: true, force: true });
  }
});
