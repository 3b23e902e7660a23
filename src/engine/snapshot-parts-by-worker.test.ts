import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import type { KernelInput } from '../core/kernel/inputs.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { openDatabase } from '../persistence/database.js';
import { SNAPSHOT_PART_CHARS, SnapshotStore } from '../persistence/snapshot-store.js';
import { mulberry32 } from '../test-kit/mulberry32.js';
import { expectOnlyReadPartsHeld, restingInputs as kitRestingInputs, streamWhile, twinOf } from '../test-kit/snapshot-parts-kit.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { describeEachDialect, type TestDatabase } from '../test-kit/test-databases.js';
import { startWorker, utf8Slices } from './background-snapshot.js';
import { DurableEngine } from './durable-engine.js';
import type { SnapshotWorkerData } from './snapshot-worker.js';

const recording = loadRecording(BUNDLED_RECORDING);
const SYMBOL = recording.symbol;
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };
const T = recording.inputs[0]!.time;

const restingInputs = (accounts: number, perAccount: number, tag: string) => kitRestingInputs(SYMBOL, T, accounts, perAccount, tag);

describeEachDialect((name) => `snapshot parts written by the snapshot worker's own connection on ${name}`, (dialect) => {
  let target: TestDatabase;
  beforeEach(() => {
    target = dialect.create();
  });
  afterEach(async () => target.cleanup());

  it('a second connection writes a multibyte state in parts and the first publishes it: the state reads back exactly as it was written', async () => {
    const first = await DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000 });
    const second = await openDatabase(target.url, target.options);
    try {
      const random = mulberry32(46);
      const alphabet = ['a', '"', '{', 'é', '€', '中', '😀', '\\'];
      let text = '';
      for (let i = 0; i < 200_000; i++) text += alphabet[Math.floor(random() * alphabet.length)];
      const bytes = new TextEncoder().encode(text);
      const parts = await new SnapshotStore(second.db).writeParts(5, utf8Slices(bytes, 4_099), { partsPerTransaction: 3 });
      expect(parts.parts).toBeGreaterThanOrEqual(Math.ceil(bytes.length / 4_099));
      const store = new SnapshotStore(first.db);
      await store.publishParts(5, T, parts);
      const latest = await store.latest();
      expect(latest?.seq).toBe(5);
      expect(latest?.state === text).toBe(true);
      // A count the database does not hold is refused, and publishes nothing.
      await new SnapshotStore(second.db).writeParts(6, ['{"a":', '1}']);
      await expect(store.publishParts(6, T, { first: 0, parts: 3 })).rejects.toThrow(/not published: 3 parts were written, the database holds 2/);
      expect((await store.latest())?.seq).toBe(5);
    } finally {
      await second.close();
      await first.close({ snapshot: false });
    }
  }, 60_000);

  it('a worker stopped while it writes its parts leaves the previous snapshot the latest, and the next save deletes the parts it left', async () => {
    const engine = await DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000 });
    try {
      for (const input of restingInputs(2, 100, 'p')) await engine.submit(input);
      const previousSeq = await engine.saveSnapshot({ inProcess: true });
      const store = new SnapshotStore(engine.db);
      const previous = await store.latest();
      expect(previous?.seq).toBe(previousSeq);
      const kept = await store.list();
      for (const input of restingInputs(4, 150, 'q')) await engine.submit(input);
      await engine.readModelCaughtUp();
      const seq = engine.seq;
      // A worker that writes one part every 200 ms, stopped once it has written a few.
      const data: SnapshotWorkerData = { databaseUrl: target.url, database: { ...target.options, maxConnections: 1 }, kernelConfig: CONFIG, seq, writeParts: { partsPerTransaction: 1, pauseMs: 200 } };
      const worker = await startWorker({ snapshotWorker: true, data });
      const written = async () => Number((await engine.db.selectFrom('snapshot_parts').select((eb) => eb.fn.countAll().as('n')).where('seq', '=', seq).executeTakeFirst())?.n ?? 0);
      const until = Date.now() + 30_000;
      while ((await written()) < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      await worker.terminate();
      const stray = await written();
      expect(stray).toBeGreaterThanOrEqual(2);
      expect(stray).toBeLessThan(30); // the whole state is more parts than that: it stopped part-way
      expect(await store.list()).toEqual(kept);
      expect((await store.latest())?.state === previous?.state).toBe(true);

      // The next save (the engine's, at the same seq) publishes a whole set; none of the stray parts survives beside it.
      expect(await engine.saveSnapshot()).toBe(seq);
      const rows = await engine.db.selectFrom('snapshot_parts').select(['seq', 'part']).orderBy('seq').orderBy('part').execute();
      const bySeq = new Map<number, number[]>();
      for (const row of rows) bySeq.set(Number(row.seq), [...(bySeq.get(Number(row.seq)) ?? []), Number(row.part)]);
      expect([...bySeq.keys()].every((s) => [...kept, seq].includes(s))).toBe(true);
      const parts = bySeq.get(seq)!;
      // One run of part numbers (after those of an earlier attempt, now deleted), as many as the row says.
      expect(parts).toEqual(parts.map((_, i) => parts[0]! + i));
      expect(Number((await engine.db.selectFrom('snapshots').select('parts').where('seq', '=', seq).executeTakeFirst())?.parts)).toBe(parts.length);
      expect((await store.latest())?.state === engine.kernel.snapshot()).toBe(true);
    } finally {
      await engine.close({ snapshot: false });
    }
  }, 120_000);

  it("the state the worker saved, read back and restored, is a twin kernel's snapshot byte for byte, and journal writes during its part writes all succeed", async () => {
    const engine = await DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000 });
    // The oracle: a kernel of its own, fed the same inputs.
    const { twin, both } = twinOf(CONFIG, (input) => engine.submit(input));
    let reopened: DurableEngine | undefined;
    try {
      for (const input of recording.inputs.slice(0, 200)) await both(input);
      for (const input of restingInputs(6, 150, 'r')) await both(input);
      const atSnapshot = twin.snapshot();
      const seq = engine.seq;
      // Inputs journaled while the snapshot is rebuilt and its parts written (a stream, one at a time).
      const saved = engine.saveSnapshot();
      const stream = restingInputs(60, 20, 's');
      const { sent, rejected } = await streamWhile(saved, stream, both);
      expect(await saved).toBe(seq);
      expect(rejected).toEqual([]);
      expect(sent).toBeGreaterThan(0);
      expect(engine.status.state).not.toBe('failed');
      await engine.readModelCaughtUp();

      const snapshot = await new SnapshotStore(engine.db).latest();
      expect(snapshot?.seq).toBe(seq);
      expect(snapshot?.state === atSnapshot).toBe(true);
      for (const input of stream.slice(sent)) await both(input);
      await engine.close({ snapshot: false });
      // A restart from that snapshot and the journal since is the twin, byte for byte.
      reopened = await DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000 });
      expect(reopened.kernel.snapshot() === twin.snapshot()).toBe(true);
    } finally {
      await engine.close({ snapshot: false });
      await reopened?.close({ snapshot: false });
    }
  }, 180_000);

  it("the engine's connection writes and deletes none of a worker snapshot's parts: the worker writes them and, once published, deletes those no snapshot reads", async () => {
    const engine = await DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000 });
    const onEngineThread = ['writeParts', 'saveInParts', 'deleteUnreadParts'].map((method) => vi.spyOn(SnapshotStore.prototype, method as 'writeParts'));
    try {
      const seqs: number[] = [];
      // Four snapshots: the store keeps three, so the first one's row is pruned by the fourth publish.
      for (let round = 0; round < 4; round++) {
        for (const input of restingInputs(2, 60, `w${round}`)) await engine.submit(input);
        seqs.push(await engine.saveSnapshot());
      }
      for (const spy of onEngineThread) expect(spy, spy.getMockName()).not.toHaveBeenCalled();
      expect(await new SnapshotStore(engine.db).list()).toEqual(seqs.slice(1).reverse());
      // The oracle: exactly the parts the rows read, no more (the first snapshot's went with its row).
      await expectOnlyReadPartsHeld(engine.db);
      expect((await new SnapshotStore(engine.db).latest())?.state === engine.kernel.snapshot()).toBe(true);
    } finally {
      vi.restoreAllMocks();
      await engine.close({ snapshot: false });
    }
  }, 120_000);

  it('an in-process snapshot cut where a part would split a character beyond U+FFFF reads back as the state, byte for byte', async () => {
    // Accounts named in emoji; a padding account's name (k characters) moves the first part's end
    // onto the first half of a surrogate pair. The oracle: a twin kernel fed the same inputs.
    const inputsWith = (k: number): KernelInput[] => [
      { kind: 'account.open', time: T, account: `pad${'x'.repeat(k)}`, balances: { USDT: '1' } },
      { kind: 'account.open', time: T, account: '😀'.repeat(12_000), balances: { USDT: '1' } },
    ];
    const splits = (k: number) => {
      const probe = new Kernel(CONFIG);
      for (const input of inputsWith(k)) probe.handle(input);
      const code = probe.snapshot().charCodeAt(SNAPSHOT_PART_CHARS - 1);
      return code >= 0xd800 && code <= 0xdbff;
    };
    const k = splits(0) ? 0 : 1;
    expect(splits(k)).toBe(true);
    const twin = new Kernel(CONFIG);
    const engine = await DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000 });
    for (const input of inputsWith(k)) {
      twin.handle(JSON.parse(JSON.stringify(input)) as KernelInput);
      await engine.submit(input);
    }
    await engine.close(); // an in-process snapshot
    const reader = await openDatabase(target.url, target.options);
    try {
      const latest = await new SnapshotStore(reader.db).latest();
      expect(latest?.seq).toBe(2);
      expect(latest?.state === twin.snapshot()).toBe(true);
    } finally {
      await reader.close();
    }
  }, 60_000);
});
