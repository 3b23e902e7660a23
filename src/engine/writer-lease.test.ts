import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { findBundledInstrument } from '../core/instruments/bundled-instruments.js';
import type { KernelConfig } from '../core/kernel/kernel.js';
import { openAndMigrate } from '../persistence/database.js';
import { describeEachDialect, type TestDatabase } from '../test-kit/test-databases.js';
import { openExclusiveEngine } from './exclusive-engine.js';
import { currentWriter, LEASE_STALE_MS, WRITER_LEASE_KEY, WriterLease, WriterLeaseHeldError, type LeaseHolder } from './writer-lease.js';

const CONFIG: KernelConfig = { instruments: [findBundledInstrument('binance', 'spot', 'BTCUSDT')!], latencyMs: 0 };

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid!;
}

describeEachDialect((name) => `the writer lease on ${name}`, (dialect) => {
  let target: TestDatabase;
  const connect = () => openAndMigrate(target.url, target.options);
  const plant = async (holder: Omit<LeaseHolder, 'token' | 'since'>) => {
    const database = await connect();
    await database.db.insertInto('service_settings').values({ key: WRITER_LEASE_KEY, value: JSON.stringify({ ...holder, since: holder.heartbeat, token: 'planted' }) }).execute();
    await database.close();
  };
  beforeEach(() => {
    target = dialect.create();
  });
  afterEach(async () => target.cleanup());

  it('refuses a second writer while the first holds it, naming the holder, and lets one in after release', async () => {
    const a = await connect();
    const b = await connect();
    try {
      const first = await WriterLease.acquire(a.db, 'server');
      const refused = await WriterLease.acquire(b.db, 'accounts').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WriterLeaseHeldError);
      expect((refused as WriterLeaseHeldError).holder).toMatchObject({ role: 'server', pid: process.pid, host: hostname() });
      expect((refused as Error).message).toContain(`papertrade server (pid ${process.pid}`);
      await first.announce('http://127.0.0.1:1234');
      expect((await currentWriter(b.db))?.url).toBe('http://127.0.0.1:1234');
      await first.release();
      expect(await currentWriter(b.db)).toBeUndefined();
      const second = await WriterLease.acquire(b.db, 'accounts');
      expect((await currentWriter(a.db))?.role).toBe('accounts');
      await second.release();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('of two processes racing for a free lease exactly one wins', async () => {
    const connections = [await connect(), await connect(), await connect()];
    try {
      const outcomes = await Promise.allSettled(connections.map((c, i) => WriterLease.acquire(c.db, `writer${i}`)));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'rejected').every((o) => (o as PromiseRejectedResult).reason instanceof WriterLeaseHeldError)).toBe(true);
    } finally {
      for (const c of connections) await c.close();
    }
  });

  it('takes over at once a lease whose process on this host is gone', async () => {
    await plant({ role: 'server', pid: deadPid(), host: hostname(), heartbeat: Date.now() });
    const database = await connect();
    try {
      const lease = await WriterLease.acquire(database.db, 'server');
      expect((await currentWriter(database.db))?.pid).toBe(process.pid);
      await lease.release();
    } finally {
      await database.close();
    }
  });

  it('holds a lease of another host while its heartbeat is recent, and takes it over once 60 s old', async () => {
    await plant({ role: 'server', pid: 1, host: 'another-host', heartbeat: Date.now() - 5_000 });
    const database = await connect();
    try {
      await expect(WriterLease.acquire(database.db, 'accounts')).rejects.toBeInstanceOf(WriterLeaseHeldError);
      await database.db.updateTable('service_settings').set({ value: JSON.stringify({ role: 'server', pid: 1, host: 'another-host', since: 0, heartbeat: Date.now() - LEASE_STALE_MS - 1, token: 'old' }) }).execute();
      const lease = await WriterLease.acquire(database.db, 'accounts');
      expect((await currentWriter(database.db))?.host).toBe(hostname());
      await lease.release();
    } finally {
      await database.close();
    }
  });

  it('says nothing of a wait when the lease is free, or when it may not wait', async () => {
    const a = await connect();
    try {
      const told: LeaseHolder[] = [];
      const first = await WriterLease.acquire(a.db, 'server', { waitMs: 30_000, onWait: (holder) => told.push(holder) });
      await expect(WriterLease.acquire(a.db, 'accounts', { waitMs: 0, onWait: (holder) => told.push(holder) })).rejects.toBeInstanceOf(WriterLeaseHeldError);
      expect(told).toEqual([]);
      await first.release();
    } finally {
      await a.close();
    }
  });

  it('waits for a holder to finish when asked to', async () => {
    const a = await connect();
    const b = await connect();
    try {
      const first = await WriterLease.acquire(a.db, 'accounts');
      setTimeout(() => void first.release(), 300);
      const started = Date.now();
      const told: [LeaseHolder, number][] = [];
      const second = await WriterLease.acquire(b.db, 'server', { waitMs: 30_000, onWait: (holder, ms) => told.push([holder, ms]) }); // a bound for a loaded machine: the holder lets go after 300 ms
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      // Told once, at the start of the wait, who holds the database and for how long it waits.
      expect(told).toHaveLength(1);
      expect(told[0]![0]).toMatchObject({ role: 'accounts', pid: process.pid, host: hostname() });
      expect(told[0]![1]).toBeGreaterThan(29_000);
      expect(told[0]![1]).toBeLessThanOrEqual(30_000);
      await second.release();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps a second engine off the journal until the first has closed', async () => {
    const options = { databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0 };
    const first = await openExclusiveEngine(options, 'server');
    await expect(openExclusiveEngine(options, 'accounts')).rejects.toBeInstanceOf(WriterLeaseHeldError);
    await first.engine.submit({ kind: 'account.open', time: 0, account: 'a1', balances: { USDT: '100' } });
    await first.close();
    const second = await openExclusiveEngine(options, 'accounts');
    expect(second.engine.kernel.balances('a1')).toEqual({ USDT: { free: '100', locked: '0' } });
    await second.close();
    const database = await connect();
    expect(await currentWriter(database.db)).toBeUndefined();
    await database.close();
  });
});
