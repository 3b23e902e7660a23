/**
 * Hostile cases for the snapshot worker's second phase (ADR 0053): after it answers with the state
 * it waits for the engine's word, deletes the parts no snapshot reads once told the publish landed,
 * and stops. Each case checks the database against what its snapshot rows read (the oracle: the
 * rows' own ranges, every part of them and no other), the restored state against a twin `Kernel`
 * fed the same inputs, and that no snapshot worker thread outlives the `saveSnapshot` that started
 * it (a stopped `Worker` reports `threadId` -1).
 */
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { Kernel, KernelConfig } from '../core/kernel/kernel.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { DatabaseUnavailableError } from '../persistence/database.js';
import { SnapshotStore } from '../persistence/snapshot-store.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { mulberry32 } from '../test-kit/mulberry32.js';
import { startTcpProxy, type TcpProxy } from '../test-kit/tcp-proxy.js';
import { expectOnlyReadPartsHeld, restingInputs as kitRestingInputs, streamWhile, twinOf } from '../test-kit/snapshot-parts-kit.js';
import { describeEachDialect, describePostgres, PG_URL, type TestDatabase } from '../test-kit/test-databases.js';
import { startWorker } from './background-snapshot.js';
import { DurableEngine } from './durable-engine.js';
import type { SnapshotWorkerCommand, SnapshotWorkerData, SnapshotWorkerMessage } from './snapshot-worker.js';

const recording = loadRecording(BUNDLED_RECORDING);
const SYMBOL = recording.symbol;
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };
const T = recording.inputs[0]!.time;

const restingInputs = (accounts: number, perAccount: number, tag: string) => kitRestingInputs(SYMBOL, T, accounts, perAccount, tag);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `promise`'s value, or 'timed out' when it has not settled within `ms`. */
const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'timed out'> => Promise.race([promise, sleep(ms).then(() => 'timed out' as const)]);

/**
 * Every snapshot worker started from now on, until `vi.restoreAllMocks`: a `Worker` whose first
 * listener, after the constructor's own, is for 'message' (`stateAndPartsFromWorker`'s; the WAL
 * checkpointer's first is for 'exit').
 */
function trackWorkers(): Worker[] {
  const started: Worker[] = [];
  const seen = new WeakSet<Worker>();
  const on = Worker.prototype.on;
  vi.spyOn(Worker.prototype, 'on').mockImplementation(function (this: Worker, ...args: Parameters<Worker['on']>) {
    // The constructor's own listeners (newListener, removeListener) come first.
    if (!seen.has(this) && args[0] !== 'newListener' && args[0] !== 'removeListener') {
      seen.add(this);
      if (args[0] === 'message') started.push(this);
    }
    return on.apply(this, args);
  });
  return started;
}

describeEachDialect((name) => `the snapshot worker's deletes after a publish, under hostile timing, on ${name}`, (dialect) => {
  let target: TestDatabase;
  beforeEach(() => {
    target = dialect.create();
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await target.cleanup();
  });

  const open = (options: { keepSnapshots?: number } = {}) =>
    DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000, ...options });

  /** Closes `engine` and opens its database again: the restored state is `twin`'s, byte for byte. */
  const expectRestartIsTwin = async (engine: DurableEngine, twin: Kernel, options: { keepSnapshots?: number } = {}) => {
    await engine.close({ snapshot: false });
    const reopened = await open(options);
    try {
      expect(reopened.kernel.snapshot() === twin.snapshot()).toBe(true);
    } finally {
      await reopened.close({ snapshot: false });
    }
  };

  it('a worker that is gone before the engine publishes (it crashed, or was stopped) does not hold the snapshot forever: the save settles, stops the thread, and the parts no snapshot reads are deleted', async () => {
    const engine = await open({ keepSnapshots: 1 });
    let closed: Promise<unknown> | undefined;
    try {
      for (const input of restingInputs(2, 80, 'a')) await engine.submit(input);
      const first = await engine.saveSnapshot();
      for (const input of restingInputs(2, 80, 'b')) await engine.submit(input);
      const workers = trackWorkers();
      const publish = SnapshotStore.prototype.publishParts;
      // The worker answered with the state and now waits for the word; it dies before the publish.
      vi.spyOn(SnapshotStore.prototype, 'publishParts').mockImplementationOnce(async function (this: SnapshotStore, ...args: Parameters<SnapshotStore['publishParts']>) {
        await workers.at(-1)?.terminate();
        return publish.apply(this, args);
      });
      const second = await within(engine.saveSnapshot(), 20_000);
      expect(second).toBe(engine.seq);
      expect(second).not.toBe(first);
      expect(workers.length).toBe(1);
      expect(workers[0]!.threadId).toBe(-1);
      // The first snapshot's row went with the prune (keep 1); its parts are deleted all the same.
      expect((await expectOnlyReadPartsHeld(engine.db)).length).toBeGreaterThan(0);
      expect((await new SnapshotStore(engine.db).latest())?.state === engine.kernel.snapshot()).toBe(true);
    } finally {
      closed = engine.close({ snapshot: false });
      await within(closed, 10_000);
    }
  }, 60_000);

  it("a worker that ends part-way through its deletes: the save settles, and the engine deletes the rest of what no snapshot reads on its own connection", async () => {
    const engine = await open({ keepSnapshots: 1 });
    const { twin, both } = twinOf(CONFIG, (input) => engine.submit(input));
    try {
      for (const input of restingInputs(8, 150, 'p')) await both(input);
      const first = await engine.saveSnapshot();
      const partsOfFirst = async () => Number((await engine.db.selectFrom('snapshot_parts').select((eb) => eb.fn.countAll().as('n')).where('seq', '=', first).executeTakeFirst())?.n ?? 0);
      const before = await partsOfFirst();
      expect(before).toBeGreaterThan(30);
      for (const input of restingInputs(1, 5, 'q')) await both(input);
      const workers = trackWorkers();
      // Told 'published', the worker starts deleting the pruned snapshot's parts; it is stopped once some are gone.
      let stoppedWith = -1;
      const post = Worker.prototype.postMessage;
      vi.spyOn(Worker.prototype, 'postMessage').mockImplementation(function (this: Worker, ...args: Parameters<Worker['postMessage']>) {
        post.apply(this, args);
        if (args[0] === 'published') {
          void (async () => {
            const until = Date.now() + 30_000;
            while ((stoppedWith = await partsOfFirst()) === before && Date.now() < until) await sleep(1);
            await this.terminate();
          })();
        }
      });
      const deletes = vi.spyOn(SnapshotStore.prototype, 'deleteUnreadParts');
      const seq = await within(engine.saveSnapshot(), 60_000);
      expect(seq).toBe(engine.seq);
      expect(workers.length).toBe(1);
      expect(workers[0]!.threadId).toBe(-1);
      expect(stoppedWith).toBeLessThan(before);
      // The engine's own delete ran (the worker did not answer), and left only what the row reads.
      expect(deletes).toHaveBeenCalledTimes(1);
      expect(await partsOfFirst()).toBe(0);
      await expectOnlyReadPartsHeld(engine.db);
      await expectRestartIsTwin(engine, twin, { keepSnapshots: 1 });
    } finally {
      await engine.close({ snapshot: false });
    }
  }, 120_000);

  it('a publish the database refuses: the worker is stopped without deleting, the live state is saved in-process instead, and its publish deletes the refused parts', async () => {
    const engine = await open();
    const { twin, both } = twinOf(CONFIG, (input) => engine.submit(input));
    try {
      for (const input of restingInputs(2, 60, 'c')) await both(input);
      const first = await engine.saveSnapshot();
      for (const input of restingInputs(2, 60, 'd')) await both(input);
      const workers = trackWorkers();
      // A count the database does not hold: the store's own refusal, as for a part lost between write and publish.
      const publish = SnapshotStore.prototype.publishParts;
      vi.spyOn(SnapshotStore.prototype, 'publishParts').mockImplementationOnce(function (this: SnapshotStore, seq, at, written, options) {
        return publish.call(this, seq, at, { ...written, parts: written.parts + 1 }, options);
      });
      const deletes = vi.spyOn(SnapshotStore.prototype, 'deleteUnreadParts');
      const seq = await engine.saveSnapshot();
      expect(seq).toBe(engine.seq);
      expect(workers.length).toBe(1);
      expect(workers[0]!.threadId).toBe(-1);
      // The fallback's delete runs only after a landed publish; the in-process save deletes on its own.
      expect(deletes).toHaveBeenCalledTimes(1);
      const store = new SnapshotStore(engine.db);
      expect(await store.list()).toEqual([seq, first, 0]); // 0: the empty state saved at the first start
      await expectOnlyReadPartsHeld(engine.db);
      expect((await store.latest())?.state === twin.snapshot()).toBe(true);
      await expectRestartIsTwin(engine, twin);
    } finally {
      await engine.close({ snapshot: false });
    }
  }, 60_000);

  it('a publish that meets an outage: the save rejects as unavailable, the worker is stopped, and the previous snapshot stays the latest, whole and restorable', async () => {
    const engine = await open();
    const { twin, both } = twinOf(CONFIG, (input) => engine.submit(input));
    try {
      for (const input of restingInputs(2, 60, 'e')) await both(input);
      const first = await engine.saveSnapshot();
      const previous = await new SnapshotStore(engine.db).latest();
      for (const input of restingInputs(2, 60, 'f')) await both(input);
      const workers = trackWorkers();
      vi.spyOn(SnapshotStore.prototype, 'publishParts').mockRejectedValueOnce(new DatabaseUnavailableError('connection terminated'));
      await expect(engine.saveSnapshot()).rejects.toBeInstanceOf(DatabaseUnavailableError);
      expect(workers.length).toBe(1);
      expect(workers[0]!.threadId).toBe(-1);
      const latest = await new SnapshotStore(engine.db).latest();
      expect(latest?.seq).toBe(first);
      expect(latest?.state === previous?.state).toBe(true);
      await expectRestartIsTwin(engine, twin);
    } finally {
      await engine.close({ snapshot: false });
    }
  }, 60_000);

  it("inputs journaled while the worker deletes a pruned snapshot's parts all succeed, nothing is left behind, and a restart is the twin", async () => {
    const engine = await open({ keepSnapshots: 1 });
    const { twin, both } = twinOf(CONFIG, (input) => engine.submit(input));
    try {
      for (const input of restingInputs(6, 150, 'g')) await both(input);
      // A large first snapshot whose parts the second one's worker deletes (keep 1 prunes its row).
      await engine.saveSnapshot();
      for (const input of restingInputs(1, 5, 'h')) await both(input);
      const workers = trackWorkers();
      const saved = engine.saveSnapshot();
      const stream = restingInputs(80, 20, 'i');
      const { sent, rejected } = await streamWhile(saved, stream, both);
      await saved;
      expect(rejected).toEqual([]);
      expect(engine.status.state).not.toBe('failed');
      expect(workers.every((w) => w.threadId === -1)).toBe(true);
      for (const input of stream.slice(sent)) await both(input);
      await expectOnlyReadPartsHeld(engine.db);
      await expectRestartIsTwin(engine, twin, { keepSnapshots: 1 });
    } finally {
      await engine.close({ snapshot: false });
    }
  }, 180_000);

  it('a worker stopped while it deletes leaves no lock and no damage: journal writes go on at once, the latest snapshot stays whole, and the next publish deletes what it left', async () => {
    const engine = await open();
    try {
      for (const input of restingInputs(8, 150, 'j')) await engine.submit(input);
      const published = await engine.saveSnapshot();
      const store = new SnapshotStore(engine.db);
      const latest = await store.latest();
      for (const input of restingInputs(1, 5, 'k')) await engine.submit(input);
      await engine.readModelCaughtUp();
      const seq = engine.seq;
      // Strays: a worker's whole set for `seq`, never published; told 'published', it starts deleting them.
      const data: SnapshotWorkerData = { databaseUrl: target.url, database: { ...target.options, maxConnections: 1 }, kernelConfig: CONFIG, seq, writeParts: { partsPerTransaction: 1, pauseMs: 0 }, deleteUnread: { pauseMs: 20 } };
      const worker = await startWorker({ snapshotWorker: true, data });
      const answered = new Promise<SnapshotWorkerMessage>((resolve) => worker.once('message', resolve));
      expect((await within(answered, 60_000)) as SnapshotWorkerMessage).toMatchObject({ type: 'state' });
      const count = async () => Number((await engine.db.selectFrom('snapshot_parts').select((eb) => eb.fn.countAll().as('n')).where('seq', '=', seq).executeTakeFirst())?.n ?? 0);
      const strays = await count();
      expect(strays).toBeGreaterThan(10);
      worker.postMessage('published' satisfies SnapshotWorkerCommand);
      const until = Date.now() + 30_000;
      while ((await count()) === strays && Date.now() < until) await sleep(2);
      await worker.terminate();
      const left = await count();
      expect(left).toBeLessThan(strays);
      expect(left).toBeGreaterThan(0);
      // No write lock outlives the thread: a journal write commits well within SQLite's 5 s wait.
      const started = performance.now();
      await engine.submit({ kind: 'account.open', time: T, account: 'after-stop', balances: { USDT: '1' } });
      expect(performance.now() - started).toBeLessThan(1_000);
      const still = await store.latest();
      expect(still?.seq).toBe(published);
      expect(still?.state === latest?.state).toBe(true);
      expect(await engine.saveSnapshot()).toBe(seq + 1);
      await expectOnlyReadPartsHeld(engine.db);
      expect((await store.latest())?.state === engine.kernel.snapshot()).toBe(true);
    } finally {
      await engine.close({ snapshot: false });
    }
  }, 120_000);

  it('workers stopped at random points of back-to-back part writes never leave a lock or a torn snapshot: each time a journal write commits at once, and the published snapshot stays whole', async () => {
    const engine = await open();
    const random = mulberry32(53);
    try {
      for (const input of restingInputs(8, 150, 'r')) await engine.submit(input);
      const published = await engine.saveSnapshot();
      const store = new SnapshotStore(engine.db);
      const latest = await store.latest();
      const count = async (seq: number) => Number((await engine.db.selectFrom('snapshot_parts').select((eb) => eb.fn.countAll().as('n')).where('seq', '=', seq).executeTakeFirst())?.n ?? 0);
      for (let round = 0; round < 4; round++) {
        await engine.submit({ kind: 'account.open', time: T, account: `s${round}`, balances: { USDT: '1' } });
        await engine.readModelCaughtUp();
        const seq = engine.seq;
        // No pause between transactions of four parts: a stop lands inside one as often as not.
        const data: SnapshotWorkerData = { databaseUrl: target.url, database: { ...target.options, maxConnections: 1 }, kernelConfig: CONFIG, seq, writeParts: { partsPerTransaction: 4, pauseMs: 0 } };
        const worker = await startWorker({ snapshotWorker: true, data });
        const until = Date.now() + 30_000;
        while ((await count(seq)) === 0 && Date.now() < until) await sleep(1);
        await sleep(Math.floor(random() * 6));
        await worker.terminate();
        const started = performance.now();
        await engine.submit({ kind: 'account.open', time: T, account: `t${round}`, balances: { USDT: '1' } });
        expect(performance.now() - started).toBeLessThan(1_000);
      }
      const still = await store.latest();
      expect(still?.seq).toBe(published);
      expect(still?.state === latest?.state).toBe(true);
      // The next save publishes a whole set and deletes every stray the stopped workers left.
      expect(await engine.saveSnapshot()).toBe(engine.seq);
      await expectOnlyReadPartsHeld(engine.db);
      expect((await store.latest())?.state === engine.kernel.snapshot()).toBe(true);
    } finally {
      await engine.close({ snapshot: false });
    }
  }, 180_000);

  // SQLite's own case (the worker connection's WAL checkpointer): registered for SQLite only, not skipped elsewhere.
  if (dialect.name === 'sqlite') it("a state of more parts than the worker connection's 256 commits before its own WAL checkpointer starts: the worker is stopped after its deletes all the same, journal writes meanwhile succeed, and a restart is the twin", async () => {
    const engine = await open({ keepSnapshots: 1 });
    const { twin, both } = twinOf(CONFIG, (input) => engine.submit(input));
    try {
      const inputs = restingInputs(75, 120, 'z');
      for (let i = 0; i < inputs.length; i += 200) await Promise.all(inputs.slice(i, i + 200).map(both));
      const workers = trackWorkers();
      const first = await engine.saveSnapshot();
      const parts = Number((await engine.db.selectFrom('snapshots').select('parts').where('seq', '=', first).executeTakeFirst())?.parts);
      expect(parts).toBeGreaterThan(256);
      for (const input of restingInputs(1, 5, 'za')) await both(input);
      const saved = engine.saveSnapshot();
      const stream = restingInputs(40, 20, 'zb');
      const { sent, rejected } = await streamWhile(saved, stream, both);
      expect(await within(saved, 120_000)).toBeGreaterThan(first);
      expect(rejected).toEqual([]);
      expect(workers.length).toBe(2);
      expect(workers.every((w) => w.threadId === -1)).toBe(true);
      for (const input of stream.slice(sent)) await both(input);
      await expectOnlyReadPartsHeld(engine.db);
      await expectRestartIsTwin(engine, twin, { keepSnapshots: 1 });
    } finally {
      await engine.close({ snapshot: false });
    }
  }, 300_000);

  it('a close while a worker snapshot is in flight waits for it: both settle, no thread is left, and a restart is the twin', async () => {
    const engine = await open();
    const { twin, both } = twinOf(CONFIG, (input) => engine.submit(input));
    let reopened: DurableEngine | undefined;
    try {
      for (const input of restingInputs(3, 100, 'l')) await both(input);
      await engine.saveSnapshot();
      for (const input of restingInputs(3, 100, 'm')) await both(input);
      const workers = trackWorkers();
      const saved = engine.saveSnapshot();
      const closed = engine.close();
      expect(await within(saved, 60_000)).toBe(engine.seq);
      expect(await within(closed, 60_000)).toBeUndefined();
      expect(workers.length).toBe(1);
      expect(workers[0]!.threadId).toBe(-1);
      reopened = await open();
      await expectOnlyReadPartsHeld(reopened.db);
      expect(reopened.kernel.snapshot() === twin.snapshot()).toBe(true);
    } finally {
      await engine.close({ snapshot: false });
      await reopened?.close({ snapshot: false });
    }
  }, 120_000);

  it('saves asked for back to back, between inputs, keep three: one worker at a time, each stopped, and exactly the parts the three rows read are left', async () => {
    const engine = await open({ keepSnapshots: 3 });
    const { twin, both } = twinOf(CONFIG, (input) => engine.submit(input));
    try {
      const workers = trackWorkers();
      const saves: number[] = [];
      for (let round = 0; round < 4; round++) {
        const inputs = restingInputs(1, 60, `n${round}`);
        for (const input of inputs) await both(input);
        // Two at once, and inputs while they run: the second takes the seq the engine has when its turn comes.
        const pair = [engine.saveSnapshot(), engine.saveSnapshot()];
        for (const input of restingInputs(1, 3, `o${round}`)) await both(input);
        saves.push(...(await Promise.all(pair)));
      }
      const seqs = saves;
      // Each save takes the seq the engine has when its turn comes (they run one after another):
      // never lower than the one before; a seq already saved is not saved again.
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      const distinct = [...new Set(seqs)];
      expect(distinct.length).toBeGreaterThanOrEqual(3);
      expect(workers.length).toBe(distinct.length);
      expect(workers.every((w) => w.threadId === -1)).toBe(true);
      const store = new SnapshotStore(engine.db);
      expect(await store.list()).toEqual(distinct.slice(-3).reverse());
      await expectOnlyReadPartsHeld(engine.db);
      expect((await store.latest())?.state === twin.snapshot()).toBe(true);
    } finally {
      await engine.close({ snapshot: false });
    }
  }, 180_000);
});

describePostgres("the snapshot worker's deletes when PostgreSQL drops its connections", (postgres) => {
  let target: TestDatabase;
  let proxy: TcpProxy | undefined;
  beforeEach(() => {
    target = postgres.create();
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await proxy?.close();
    proxy = undefined;
    await target.cleanup();
  });

  /**
   * Drops every connection through the proxy at the worker's first delete; with `fallbackFailsFirst`
   * the engine's own first delete after it meets a dropped pooled connection too (as when the pool
   * still held one the failover closed).
   */
  async function failover(fallbackFailsFirst: boolean): Promise<void> {
    proxy = await startTcpProxy({ host: new URL(PG_URL).hostname, port: Number(new URL(PG_URL).port || 5432) });
    const options = { database: { ...target.options, connectTimeoutMs: 1_000 }, kernelConfig: CONFIG, snapshotIntervalMs: 0, keepSnapshots: 1, onInputSetAside: () => undefined, retry: { minMs: 20, maxMs: 100 } };
    const engine = await DurableEngine.open({ ...options, databaseUrl: proxy.through(PG_URL) });
    const { twin, both } = twinOf(CONFIG, (input) => engine.submit(input));
    let reopened: DurableEngine | undefined;
    try {
      for (const input of restingInputs(4, 100, 'w')) await both(input);
      const first = await engine.saveSnapshot();
      for (const input of restingInputs(1, 5, 'x')) await both(input);
      const workers = trackWorkers();
      const deletes = vi.spyOn(SnapshotStore.prototype, 'deleteUnreadParts');
      // The error pg gives a query on a connection the server side closed.
      if (fallbackFailsFirst) deletes.mockRejectedValueOnce(new Error('Connection terminated unexpectedly'));
      let dropped = false;
      proxy.intercept((chunk) => {
        if (!dropped && chunk.toString('latin1').includes('delete from "snapshot_parts"')) {
          dropped = true;
          proxy!.dropConnections();
        }
        return 'pass';
      });
      const seq = await within(engine.saveSnapshot(), 60_000);
      expect(dropped).toBe(true);
      expect(seq).toBe(engine.seq);
      expect(workers.length).toBe(1);
      expect(workers[0]!.threadId).toBe(-1);
      expect(deletes).toHaveBeenCalledTimes(fallbackFailsFirst ? 2 : 1);
      proxy.intercept(undefined);
      const store = new SnapshotStore(engine.db);
      expect(await store.list()).toEqual([seq]);
      const held = (await engine.db.selectFrom('snapshot_parts').select('seq').where('seq', '=', first).execute()).length;
      expect(held).toBe(0);
      for (const input of restingInputs(1, 3, 'y')) await both(input);
      await engine.close({ snapshot: false });
      reopened = await DurableEngine.open({ ...options, databaseUrl: PG_URL });
      expect(reopened.kernel.snapshot() === twin.snapshot()).toBe(true);
    } finally {
      await engine.close({ snapshot: false }).catch(() => undefined);
      await reopened?.close({ snapshot: false });
    }
  }

  it("connections dropped at the worker's first delete (a failover): the save still settles with the snapshot published, the engine's own connection deletes the rest, and a restart is the twin", async () => {
    await failover(false);
  }, 120_000);

  it("the engine's own first delete after the failover meets a dropped connection too: it tries again and the parts no snapshot reads are gone when the save settles", async () => {
    await failover(true);
  }, 120_000);
});
