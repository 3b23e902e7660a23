import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { DurableEngine } from './durable-engine.js';

const recording = loadRecording(BUNDLED_RECORDING);
const CONFIG = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };

it('a restart without a final snapshot gives the state byte for byte (a trailing stop that trailed after the last snapshot)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'papertrade-repro-'));
  const url = `sqlite:${join(dir, 'x.db')}`;
  try {
    let engine = await DurableEngine.open({ databaseUrl: url, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000 });
    for (const input of recording.inputs.slice(0, 200)) await engine.submit(input);
    const t = engine.kernel.now;
    await engine.submit({ kind: 'account.open', time: t, account: 'c', balances: { USDT: '1000', BTC: '1' } });
    await engine.submit({ kind: 'order.place', time: t, account: 'c', symbol: recording.symbol, side: 'SELL', type: 'TRAILING_STOP_MARKET', quantity: '0.03', callbackRate: '0.05', clientOrderId: 'trail' });
    const worker = await engine.saveSnapshot(); // rebuilt in the worker; adopted as the checkpoint
    for (const input of recording.inputs.slice(200, 300)) await engine.submit(input); // trades: the stop trails
    const before = engine.kernel.snapshot();
    await engine.close({ snapshot: false });
    engine = await DurableEngine.open({ databaseUrl: url, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000 });
    expect(engine.restored.snapshotSeq).toBe(worker);
    const after = engine.kernel.snapshot();
    await engine.close({ snapshot: false });
    expect(after).toBe(before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
