/**
 * The durable engine on PostgreSQL while its connections are killed under load
 * (`pg_terminate_backend`, as a restart, failover or idle timeout would) and while its database is
 * unreachable for a while (a proxy that refuses connections). PostgreSQL only: SQLite has no
 * connection to lose.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { KernelEvent } from '../core/kernel/events.js';
import type { KernelInput, PlaceOrderInput } from '../core/kernel/inputs.js';
import type { KernelConfig } from '../core/kernel/kernel.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { JournalStore } from '../persistence/journal-store.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { startTcpProxy, type TcpProxy } from '../test-kit/tcp-proxy.js';
import { sleep, until } from '../test-kit/wait.js';
import { describePostgres, PG_URL, POSTGRES, type TestDatabase } from '../test-kit/test-databases.js';
import { DurableEngine } from './durable-engine.js';
import { EngineUnavailableError, type EngineStatus } from './engine-status.js';

const recording = loadRecording(BUNDLED_RECORDING);
const SYMBOL = recording.symbol;
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };
const ACCOUNTS = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'];
const CONNECT_TIMEOUT_MS = 1_000;

type Outcome = { readonly input: PlaceOrderInput; readonly seq: number; readonly events: KernelEvent[] } | { readonly input: PlaceOrderInput; readonly refused: EngineUnavailableError };


/** Submits market inputs in order, in waves; a wave's refused suffix is sent again once the engine is ready. */
async function feedMarket(engine: DurableEngine, inputs: readonly KernelInput[], wave: number): Promise<number> {
  let refusals = 0;
  for (let i = 0; i < inputs.length; ) {
    const batch = inputs.slice(i, i + wave);
    const results = await Promise.allSettled(batch.map((input) => engine.submit(input)));
    const firstRefused = results.findIndex((r) => r.status === 'rejected');
    if (firstRefused < 0) {
      i += batch.length;
      continue;
    }
    for (const r of results.slice(firstRefused)) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(EngineUnavailableError);
    }
    refusals += 1;
    i += firstRefused;
    await until(() => engine.ready, 'the engine to be ready again');
  }
  return refusals;
}

/** One client placing small orders back to back until told to stop; every outcome recorded. */
async function orderClient(engine: DurableEngine, account: string, out: Outcome[], running: () => boolean): Promise<void> {
  for (let n = 0; running(); n += 1) {
    const side = n % 2 === 0 ? 'BUY' : 'SELL';
    const resting = n % 3 === 0;
    const input: PlaceOrderInput = {
      kind: 'order.place',
      time: engine.kernel.now,
      account,
      symbol: SYMBOL,
      side,
      type: resting ? 'LIMIT' : 'MARKET',
      quantity: '0.001',
      ...(resting ? { price: side === 'BUY' ? '30000.00' : '150000.00' } : {}),
      clientOrderId: `${account}-${n}`,
    };
    try {
      const ack = await engine.submitSequenced(input);
      out.push({ input, seq: ack.seq, events: ack.events });
    } catch (error) {
      if (!(error instanceof EngineUnavailableError)) throw error;
      out.push({ input, refused: error });
      await sleep(5);
    }
  }
}

async function journalOf(engine: DurableEngine): Promise<Map<number, string>> {
  const journal = await JournalStore.open(engine.db);
  const rows = new Map<number, string>();
  for await (const entry of journal.readFrom(1)) rows.set(entry.seq, entry.text);
  return rows;
}

describePostgres('the durable engine when PostgreSQL connections fail', () => {
  let target: TestDatabase;
  let proxy: TcpProxy | undefined;
  beforeEach(() => {
    target = POSTGRES.create();
  });
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    await target.cleanup();
  });

  it('connections killed under load: the process stays up, every acknowledged order survives a restart, nothing refused is applied', async () => {
    const application = `papertrade_resilience_${randomBytes(4).toString('hex')}`;
    const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}application_name=${application}`;
    const statuses: EngineStatus[] = [];
    const engine = await DurableEngine.open({
      databaseUrl: url,
      database: target.options,
      kernelConfig: CONFIG,
      snapshotIntervalMs: 0,
      positionSnapshotDebounceMs: 0,
      retry: { minMs: 20, maxMs: 200 },
      onStatusChange: (status) => statuses.push(status),
    });
    const market = recording.inputs;
    await feedMarket(engine, market.slice(0, 300), 50);
    for (const account of ACCOUNTS) await engine.submit({ kind: 'account.open', time: engine.kernel.now, account, balances: { USDT: '100000', BTC: '2' } });

    const killer = new pg.Client({ connectionString: PG_URL });
    killer.on('error', () => undefined);
    await killer.connect();
    const outcomes: Outcome[] = [];
    let running = true;
    let kills = 0;
    let killed = 0;
    try {
      const clients = ACCOUNTS.map((account) => orderClient(engine, account, outcomes, () => running));
      const feeding = feedMarket(engine, market.slice(300, 3_300), 25);
      // Kills paced by progress, not by the clock: each after 20 more orders acknowledged, at least six,
      // and on until a client has been refused (a slow machine may ride the first outages out unnoticed).
      const acknowledgedSoFar = () => outcomes.filter((o) => 'seq' in o).length;
      for (; kills < 6 || (!outcomes.some((o) => 'refused' in o) && kills < 30); kills += 1) {
        const before = acknowledgedSoFar();
        await until(() => acknowledgedSoFar() >= before + 20, `20 more orders acknowledged after kill ${kills}`);
        const result = await killer.query('select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()', [application]);
        killed += result.rowCount ?? 0;
      }
      await feeding;
      running = false;
      await Promise.all(clients);
    } finally {
      running = false;
      await killer.end();
    }
    await until(() => engine.ready, 'the engine to be ready after the last kill');

    const acknowledged = outcomes.filter((o) => 'seq' in o);
    const refused = outcomes.filter((o) => 'refused' in o);
    // The kills reached connections in use, and the engine rode the outages out.
    expect(killed).toBeGreaterThan(0);
    expect(engine.status.outages).toBeGreaterThan(0);
    expect(statuses.map((s) => s.state)).toEqual(Array.from({ length: engine.status.outages }, () => ['unavailable', 'ready']).flat());
    expect(refused.length).toBeGreaterThan(0);
    expect(acknowledged.length).toBeGreaterThan(100);
    for (const o of refused) expect(o.refused).toMatchObject({ code: 'UNAVAILABLE', state: 'unavailable' });
    engine.kernel.checkInvariants();
    const live = engine.kernel.snapshot();
    const seq = engine.seq;
    await engine.close({ snapshot: false });

    // A restart on the same database replays the whole journal (no snapshot since the empty one).
    const again = await DurableEngine.open({ databaseUrl: url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0 });
    try {
      expect(again.restored).toMatchObject({ snapshotSeq: 0, replayed: seq, seq });
      expect(again.kernel.snapshot()).toBe(live);
      again.kernel.checkInvariants();
      const journal = await journalOf(again);
      expect([...journal.keys()]).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
      const journaledOrders = new Set([...journal.values()].filter((text) => text.includes('"order.place"')).map((text) => (JSON.parse(text) as PlaceOrderInput).clientOrderId));
      // Every order placed, closed ones included, is in the read tables (the kernel keeps the open ones).
      await again.readModelCaughtUp();
      const rows = await again.db.selectFrom('orders').select(['id', 'accountId', 'clientOrderId']).execute();
      const rowById = new Map(rows.map((r) => [r.id, r]));
      for (const o of acknowledged) {
        expect(journal.get(o.seq)).toBe(JSON.stringify(o.input));
        const accepted = o.events.find((e) => e.type === 'ORDER_NEW');
        if (accepted !== undefined && 'orderId' in accepted) expect(rowById.get(accepted.orderId)).toMatchObject({ clientOrderId: o.input.clientOrderId });
      }
      // Refused before the journal or before COMMIT: never applied. In doubt: applied exactly when journaled.
      for (const o of refused) {
        if (o.refused.outcome === 'not-applied') expect(journaledOrders.has(o.input.clientOrderId)).toBe(false);
        const recorded = rows.some((row) => row.accountId === o.input.account && row.clientOrderId === o.input.clientOrderId);
        if (recorded) expect(journaledOrders.has(o.input.clientOrderId)).toBe(true);
      }
      const inDoubt = refused.filter((o) => o.refused.outcome === 'unknown');
      console.info(
        `connections killed: ${killed} in ${kills} rounds; outages ${engine.status.outages}; orders acknowledged ${acknowledged.length}, refused ${refused.length} ` +
          `(${inDoubt.length} in doubt, of which ${inDoubt.filter((o) => journaledOrders.has(o.input.clientOrderId)).length} had landed); journal ${seq} inputs`,
      );
    } finally {
      await again.close();
    }
  }, 120_000);

  it('a connection lost at COMMIT: the submit is refused as in doubt, and the input, durable after all, is applied once the database answers', async () => {
    proxy = await startTcpProxy({ host: new URL(PG_URL).hostname, port: Number(new URL(PG_URL).port || 5432) });
    const engine = await DurableEngine.open({
      databaseUrl: proxy.through(PG_URL),
      database: target.options,
      kernelConfig: CONFIG,
      snapshotIntervalMs: 0,
      retry: { minMs: 50, maxMs: 400 },
      onStatusChange: () => undefined,
    });
    try {
      await feedMarket(engine, recording.inputs.slice(0, 300), 50);
      await engine.submit({ kind: 'account.open', time: engine.kernel.now, account: 'a', balances: { USDT: '100000' } });
      // The COMMIT that follows the journal's next insert reaches the server; its answer never comes back.
      const afterJournalInsert = new Set<number>();
      let armed = true;
      proxy.intercept((chunk, connection) => {
        const text = chunk.toString('latin1');
        const commit = /\bcommit\b/i.test(text) && afterJournalInsert.has(connection);
        if (text.includes('insert into "journal"')) afterJournalInsert.add(connection);
        else afterJournalInsert.delete(connection);
        if (!armed || !commit) return 'pass';
        armed = false;
        return 'deliver-then-drop';
      });
      const seqBefore = engine.seq;
      const doubtful = engine.submitSequenced({ kind: 'order.place', time: engine.kernel.now, account: 'a', symbol: SYMBOL, side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'doubt' });
      await expect(doubtful).rejects.toMatchObject({ name: 'EngineUnavailableError', state: 'unavailable', outcome: 'unknown' });
      expect(armed).toBe(false);
      expect(engine.kernel.orders('a')).toEqual([]); // not applied while in doubt

      await until(() => engine.ready, 'the engine to resume');
      // The commit had landed: the kernel caught up with the journal, and the order is there once.
      expect(engine.seq).toBe(seqBefore + 1);
      expect(engine.kernel.orders('a').map((o) => [o.clientOrderId, o.status])).toEqual([['doubt', 'FILLED']]);
      const next = await engine.submitSequenced({ kind: 'clock', time: engine.kernel.now });
      expect(next.seq).toBe(seqBefore + 2);
      const journal = await journalOf(engine);
      expect([...journal.keys()]).toEqual(Array.from({ length: seqBefore + 2 }, (_, i) => i + 1));
      expect(journal.get(seqBefore + 1)).toContain('"clientOrderId":"doubt"');
      await engine.readModelCaughtUp();
      expect(await engine.db.selectFrom('orders').select(['clientOrderId', 'status']).execute()).toEqual([{ clientOrderId: 'doubt', status: 'FILLED' }]);
      engine.kernel.checkInvariants();
    } finally {
      await engine.close();
    }
  }, 60_000);

  it('a database unreachable for a while: submits are refused at once, the engine is not ready, and it resumes by itself when the database is back', async () => {
    proxy = await startTcpProxy({ host: new URL(PG_URL).hostname, port: Number(new URL(PG_URL).port || 5432) });
    const statuses: EngineStatus[] = [];
    const engine = await DurableEngine.open({
      databaseUrl: proxy.through(PG_URL),
      database: { ...target.options, connectTimeoutMs: CONNECT_TIMEOUT_MS },
      kernelConfig: CONFIG,
      snapshotIntervalMs: 0,
      retry: { minMs: 50, maxMs: 400 },
      onStatusChange: (status) => statuses.push(status),
    });
    try {
      await feedMarket(engine, recording.inputs.slice(0, 300), 50);
      await engine.submit({ kind: 'account.open', time: engine.kernel.now, account: 'a', balances: { USDT: '100000' } });
      const before = await engine.submitSequenced({ kind: 'order.place', time: engine.kernel.now, account: 'a', symbol: SYMBOL, side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'before' });
      expect(before.events.map((e) => e.type)).toContain('FILL');
      expect(engine.status).toMatchObject({ state: 'ready', ready: true, outages: 0 });

      proxy.cut();
      const during = engine.submit({ kind: 'order.place', time: engine.kernel.now, account: 'a', symbol: SYMBOL, side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'during' });
      await expect(during).rejects.toMatchObject({ name: 'EngineUnavailableError', code: 'UNAVAILABLE', state: 'unavailable' });
      expect(engine.status).toMatchObject({ state: 'unavailable', ready: false, outages: 1, reason: expect.any(String) });
      const refusedAt = performance.now();
      await expect(engine.submit({ kind: 'clock', time: engine.kernel.now })).rejects.toMatchObject({ outcome: 'not-applied', retryable: true });
      // Refused at once, not after waiting out a connect timeout (1 s here).
      expect(performance.now() - refusedAt).toBeLessThan(CONNECT_TIMEOUT_MS);
      await until(() => proxy!.refused > 1, 'several reconnection attempts refused');
      expect(engine.ready).toBe(false);

      proxy.restore();
      await until(() => engine.ready, 'the engine to resume');
      expect(statuses.map((s) => s.state)).toEqual(['unavailable', 'ready']);
      const after = await engine.submitSequenced({ kind: 'order.place', time: engine.kernel.now, account: 'a', symbol: SYMBOL, side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'after' });
      expect(after.events.map((e) => e.type), JSON.stringify(after.events)).toContain('FILL');
      // The journal continues after its committed head: the refused submit left no gap and no seq twice.
      expect(after.seq).toBe(engine.seq);
      const journal = await journalOf(engine);
      expect([...journal.keys()]).toEqual(Array.from({ length: engine.seq }, (_, i) => i + 1));
      expect([...journal.values()].some((text) => text.includes('"during"'))).toBe(false);
      await engine.readModelCaughtUp();
      const orders = await engine.db.selectFrom('orders').select(['clientOrderId', 'status']).orderBy('clientOrderId').execute();
      expect(orders).toEqual([
        { clientOrderId: 'after', status: 'FILLED' },
        { clientOrderId: 'before', status: 'FILLED' },
      ]);
      engine.kernel.checkInvariants();
    } finally {
      await engine.close();
    }
  }, 60_000);
});
