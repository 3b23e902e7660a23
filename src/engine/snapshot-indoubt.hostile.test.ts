/**
 * A snapshot's publish whose COMMIT reaches PostgreSQL but whose answer is lost (a connection
 * dropped at COMMIT, through a proxy), then the next save at the same seq while the database goes
 * away again. With one snapshot kept and the journal compacted behind it, the published snapshot
 * is all a restart has: it must still restore. The oracle: a twin kernel fed the same inputs.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { openDatabase } from '../persistence/database.js';
import { SnapshotStore } from '../persistence/snapshot-store.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { startTcpProxy, type TcpProxy } from '../test-kit/tcp-proxy.js';
import { describePostgres, PG_URL, type TestDatabase } from '../test-kit/test-databases.js';
import { DurableEngine } from './durable-engine.js';

const recording = loadRecording(BUNDLED_RECORDING);
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };
const T = recording.inputs[0]!.time;

describePostgres('a snapshot published although its COMMIT was lost, then saved again', (postgres) => {
  let target: TestDatabase;
  let proxy: TcpProxy | undefined;
  beforeEach(() => {
    target = postgres.create();
  });
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    await target.cleanup();
  });

  it('the save after the lost answer does not take apart the snapshot that landed: a restart with one snapshot kept and the journal compacted restores the twin', async () => {
    proxy = await startTcpProxy({ host: new URL(PG_URL).hostname, port: Number(new URL(PG_URL).port || 5432) });
    const options = { database: { ...target.options, connectTimeoutMs: 1_000 }, kernelConfig: CONFIG, snapshotIntervalMs: 0, keepSnapshots: 1, journalRetentionMs: 0, onInputSetAside: () => undefined, retry: { minMs: 20, maxMs: 100 } };
    const engine = await DurableEngine.open({ ...options, databaseUrl: proxy.through(PG_URL) });
    const twin = new Kernel(CONFIG);
    let time = T;
    const submit = async (account: string) => {
      const input: KernelInput = { kind: 'account.open', time: (time += 1_000), account: `${account}${'中'.repeat(8_000)}`, balances: { USDT: '1' } };
      twin.handle(JSON.parse(JSON.stringify(input)) as KernelInput);
      await engine.submit(input);
    };
    let reopened: DurableEngine | undefined;
    try {
      for (let i = 0; i < 6; i++) await submit(`p${i}`);
      await engine.saveSnapshot();
      for (let i = 0; i < 6; i++) await submit(`s${i}`);
      const seq = engine.seq;
      // The publish's COMMIT (after its insert into "snapshots") reaches the server; its answer does not come back.
      const afterPublish = new Set<number>();
      let lost = false;
      proxy.intercept((chunk, connection) => {
        const text = chunk.toString('latin1');
        if (text.includes('insert into "snapshots"')) afterPublish.add(connection);
        else if (/\bcommit\b/i.test(text) && afterPublish.has(connection) && !lost) return (lost = true), 'deliver-then-drop';
        return 'pass';
      });
      await expect(engine.saveSnapshot()).rejects.toThrow();
      expect(lost).toBe(true);
      const reader = await openDatabase(PG_URL, target.options);
      try {
        expect(await new SnapshotStore(reader.db).list()).toEqual([seq]); // it landed
      } finally {
        await reader.close();
      }
      // The next save, at the same seq: the database goes away once a part of that seq is written again.
      proxy.intercept((chunk) => {
        if (chunk.toString('latin1').includes('insert into "snapshot_parts"')) proxy!.cut();
        return 'pass';
      });
      await engine.saveSnapshot().catch(() => undefined);
      // The process ends here (a crash): the database comes back, and a restart uses what it holds.
      proxy.intercept(undefined);
      proxy.restore();
      await engine.close({ snapshot: false }).catch(() => undefined);
      reopened = await DurableEngine.open({ ...options, databaseUrl: PG_URL });
      expect(reopened.kernel.snapshot() === twin.snapshot()).toBe(true);
    } finally {
      await engine.close({ snapshot: false }).catch(() => undefined);
      await reopened?.close({ snapshot: false });
    }
  }, 60_000);
});
