/**
 * `submitHandled` (ADR 0084): on a SQLite file the kernel handles an input once its commit is
 * written, and the input is acknowledged (`durable`, `submit`, `submitSequenced`) only once the WAL's
 * fdatasync has covered it; a write made in between shares that fdatasync; a failed fdatasync stops
 * the engine and nothing waiting on it is told success. The oracle is the process's own fdatasync
 * calls, counted and held at the file handle (test-kit/held-syncs.ts), not the engine's bookkeeping.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { KernelInput } from '../core/kernel/inputs.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { AuditLog } from '../persistence/audit-log.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { watchSyncs, type SyncWatch } from '../test-kit/held-syncs.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { scratchDir } from '../test-kit/scratch-dir.js';
import { sleep, until } from '../test-kit/wait.js';
import { DurableEngine } from './durable-engine.js';
import { EngineUnavailableError } from './engine-status.js';

const recording = loadRecording(BUNDLED_RECORDING);
const CONFIG = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };
const T = recording.inputs[0]!.time;
const open = (account: string): KernelInput => ({ kind: 'account.open', time: T, account, balances: { USDT: '1000' } });

let syncs: SyncWatch;
let url: string;
beforeEach(async () => {
  url = `sqlite:${join(scratchDir('papertrade-handled-'), 'x.db')}`;
  syncs = await watchSyncs();
});
afterEach(() => syncs.restore());

it('handles an input once committed and acknowledges it once on disk, in journal order', async () => {
  const engine = await DurableEngine.open({ databaseUrl: url, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000 });
  try {
    await engine.submit(open('first'));
    syncs.hold();
    const handled = await engine.submitHandled(open('a'));
    // Handled while its fdatasync is held: the kernel shows the account, nothing is acknowledged.
    expect(handled.seq).toBe(engine.kernel.inputCount);
    expect(handled.events.map((e) => e.type)).toContain('ACCOUNT_OPENED');
    expect(engine.kernel.account('a')).toBeDefined();
    const told: string[] = [];
    void handled.durable.then(() => told.push('a durable'));
    void engine.submitSequenced(open('b')).then(() => told.push('b acknowledged'));
    void engine.submit(open('c')).then(() => told.push('c acknowledged'));
    // The fdatasync has run and is held (on a loaded machine it may take a while to run).
    await until(() => syncs.held > 0, 'the fdatasync held');
    await sleep(20);
    expect(told).toEqual([]);
    syncs.release();
    await engine.submit(open('d'));
    expect(told).toEqual(['a durable', 'b acknowledged', 'c acknowledged']);
  } finally {
    // A failed expectation above leaves the fdatasync held: released, so that close (which waits for it) ends.
    syncs.release();
    await engine.close();
  }
});

it('a write made once the input is handled shares its fdatasync; made after the acknowledgement, it needs one of its own', async () => {
  const engine = await DurableEngine.open({ databaseUrl: url, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000 });
  const audit = new AuditLog(engine.db);
  try {
    await engine.submit(open('warm'));
    await audit.append({ at: T, actor: 'warm', mode: 'paper', action: 'warm' });
    let before = syncs.count;
    for (let i = 0; i < 20; i += 1) {
      const handled = await engine.submitHandled(open(`early-${i}`));
      const written = audit.append({ at: T, actor: `early-${i}`, mode: 'paper', action: 'account.create' });
      await handled.durable;
      await written;
    }
    const shared = syncs.count - before;
    before = syncs.count;
    for (let i = 0; i < 20; i += 1) {
      await engine.submit(open(`late-${i}`));
      await audit.append({ at: T, actor: `late-${i}`, mode: 'paper', action: 'account.create' });
    }
    const apart = syncs.count - before;
    expect(shared).toBe(20);
    expect(apart).toBe(40);
    expect((await audit.query({ action: 'account.create', limit: 100 })).length).toBe(40);
  } finally {
    await engine.close();
  }
});

it('an fdatasync that fails stops the engine: the handled input is not acknowledged, later submits are refused, and a restart replays what the journal holds', async () => {
  const engine = await DurableEngine.open({ databaseUrl: url, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000, onError: () => undefined });
  await engine.submit(open('kept'));
  syncs.failNext(Object.assign(new Error('EIO: i/o error, fdatasync (injected)'), { code: 'EIO' }));
  const handled = await engine.submitHandled(open('unsure'));
  const acknowledged = engine.submitSequenced(open('queued'));
  const durable = await handled.durable.then(
    () => 'durable',
    (error: unknown) => error,
  );
  expect(durable).toBeInstanceOf(EngineUnavailableError);
  expect(durable).toMatchObject({ state: 'failed', outcome: 'unknown' });
  await expect(acknowledged).rejects.toBeInstanceOf(EngineUnavailableError);
  expect(engine.status.state).toBe('failed');
  await expect(engine.submit(open('after'))).rejects.toMatchObject({ state: 'failed' });
  await engine.close();
  // The injected failure left the commits in the WAL: a restart replays them, and nothing more.
  const restarted = await DurableEngine.open({ databaseUrl: url, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000 });
  try {
    expect(restarted.kernel.account('kept')).toBeDefined();
    expect(restarted.kernel.account('unsure')).toBeDefined();
    expect(restarted.kernel.account('after')).toBeUndefined();
  } finally {
    await restarted.close();
  }
});

it('an fdatasync that fails for another writer of the same WAL (the audit log) stops the engine at its next input: nothing written since can be vouched for', async () => {
  const engine = await DurableEngine.open({ databaseUrl: url, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000, onError: () => undefined });
  const audit = new AuditLog(engine.db);
  await engine.submit(open('kept'));
  syncs.failNext(Object.assign(new Error('EIO: i/o error, fdatasync (injected)'), { code: 'EIO' }));
  await expect(audit.append({ at: T, actor: 'x', mode: 'paper', action: 'account.create' })).rejects.toThrow('EIO');
  expect(engine.status.state).toBe('ready');
  // The next fdatasync would run, and might report success for pages the failed one lost: it is not tried.
  const count = syncs.count;
  await expect(engine.submit(open('next'))).rejects.toBeInstanceOf(EngineUnavailableError);
  expect(engine.status.state).toBe('failed');
  await expect(audit.append({ at: T, actor: 'y', mode: 'paper', action: 'account.create' })).rejects.toThrow('EIO');
  expect(syncs.count).toBe(count);
  await engine.close();
});
