/**
 * Snapshots written in parts, attacked: states whose text is mostly characters of two, three and
 * four UTF-8 bytes (account names and client order ids in emoji, CJK, accents, lone surrogates,
 * quotes and control characters), so that the parts' boundaries, by bytes (a worker's state) and by
 * UTF-16 units (an in-process one), fall inside characters again and again; saved by the worker, by
 * the engine at close, and read back after a restart, on SQLite and PostgreSQL.
 *
 * The oracle is a twin kernel fed the same inputs (after the journal's JSON round trip): every
 * snapshot read back must be its `snapshot()` at that seq, byte for byte, and a restart its state.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { openDatabase } from '../persistence/database.js';
import { SNAPSHOT_PART_CHARS, SnapshotStore } from '../persistence/snapshot-store.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { mulberry32 } from '../test-kit/mulberry32.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { describeEachDialect, type TestDatabase } from '../test-kit/test-databases.js';
import { DurableEngine } from './durable-engine.js';

const recording = loadRecording(BUNDLED_RECORDING);
const SYMBOL = recording.symbol;
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };
const T = recording.inputs[0]!.time;

/** Characters of every UTF-8 length, astral pairs weighted up, and what JSON escapes. */
const ALPHABET = ['a', 'é', '€', '中', '😀', '😀', '𝄞', '🀄', '\ud800', '\udfff', '"', '\\', '\u0001', '\u2028', '\n', '\ufeff'];

function name(random: () => number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return text;
}

/** Accounts with hostile names, each with a few resting orders with hostile client ids. */
function hostileInputs(seed: number, accounts: number): KernelInput[] {
  const random = mulberry32(seed);
  const inputs: KernelInput[] = [];
  for (let a = 0; a < accounts; a++) {
    const account = `${a}:${name(random, 1 + Math.floor(random() * 1_500))}`;
    inputs.push({ kind: 'account.open', time: T, account, balances: { USDT: '1000000000' } });
    const orders = Math.floor(random() * 4);
    for (let o = 0; o < orders; o++) {
      inputs.push({ kind: 'order.place', time: T, account, symbol: SYMBOL, side: 'BUY', type: 'LIMIT', quantity: '0.001', price: `${40000 + o}.00`, clientOrderId: `${o}:${name(random, 1 + Math.floor(random() * 30))}` });
    }
  }
  return inputs;
}

/** How many of the state's in-process part ends (every SNAPSHOT_PART_CHARS units) fall on a high surrogate, and of its 16 KiB byte ends inside a character. */
function boundaryHits(state: string): { pairs: number; bytes: number } {
  let pairs = 0;
  for (let end = SNAPSHOT_PART_CHARS; end < state.length; end += SNAPSHOT_PART_CHARS) {
    const code = state.charCodeAt(end - 1);
    if (code >= 0xd800 && code <= 0xdbff) pairs += 1;
  }
  const utf8 = new TextEncoder().encode(state);
  let bytes = 0;
  for (let end = SNAPSHOT_PART_CHARS; end < utf8.length; end += SNAPSHOT_PART_CHARS) if ((utf8[end]! & 0xc0) === 0x80) bytes += 1;
  return { pairs, bytes };
}

function expectSameState(actual: string | undefined, expected: string, what: string): void {
  if (actual === expected) return;
  if (actual === undefined) return expect.fail(`${what}: no state`);
  let i = 0;
  while (actual[i] === expected[i]) i++;
  expect.fail(`${what}: differs at ${i} of ${expected.length}: actual ${JSON.stringify(actual.slice(i - 20, i + 20))} expected ${JSON.stringify(expected.slice(i - 20, i + 20))}`);
}

describeEachDialect((name) => `snapshot parts of hostile text on ${name}`, (dialect) => {
  let target: TestDatabase;
  beforeEach(() => {
    target = dialect.create();
  });
  afterEach(async () => target.cleanup());

  it('states of multi-byte, astral and escaped characters cut at every kind of boundary: a worker snapshot, a close snapshot and a restart are the twin kernel, byte for byte', async () => {
    const hits = { pairs: 0, bytes: 0 };
    for (const seed of [1, 2]) {
      const twin = new Kernel(CONFIG);
      const open = () => DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 3_600_000, positionSnapshotDebounceMs: 0, keepSnapshots: 2 });
      const engine = await open();
      let reopened: DurableEngine | undefined;
      try {
        const both = async (input: KernelInput) => {
          twin.handle(JSON.parse(JSON.stringify(input)) as KernelInput);
          await engine.submit(input);
        };
        const inputs = hostileInputs(seed, 70);
        const half = Math.floor(inputs.length / 2);
        for (const input of inputs.slice(0, half)) await both(input);
        // A worker's snapshot (on PostgreSQL its parts written by the worker itself, on SQLite as bytes here).
        const atWorker = twin.snapshot();
        const h1 = boundaryHits(atWorker);
        expect(await engine.saveSnapshot()).toBe(engine.seq);
        const store = new SnapshotStore(engine.db);
        expectSameState((await store.latest())?.state, atWorker, `seed ${seed}: the worker's snapshot`);
        for (const input of inputs.slice(half)) await both(input);
        // Another worker snapshot, rebuilt on the first (read back from its parts).
        expect(await engine.saveSnapshot()).toBe(engine.seq);
        expectSameState((await store.latest())?.state, twin.snapshot(), `seed ${seed}: the second worker snapshot`);
        // An in-process snapshot: one more input, then close.
        await both({ kind: 'account.open', time: T, account: `last:${name(mulberry32(seed + 100), 2_000)}`, balances: { USDT: '1' } });
        const atClose = twin.snapshot();
        const h2 = boundaryHits(atClose);
        for (const h of [h1, h2]) (hits.pairs += h.pairs), (hits.bytes += h.bytes);
        await engine.close();
        const reader = await openDatabase(target.url, target.options);
        try {
          expectSameState((await new SnapshotStore(reader.db).latest())?.state, atClose, `seed ${seed}: the close snapshot`);
        } finally {
          await reader.close();
        }
        reopened = await open();
        expect(reopened.restored.replayed).toBe(0);
        expectSameState(reopened.kernel.snapshot(), atClose, `seed ${seed}: the restart`);
      } finally {
        await engine.close({ snapshot: false });
        await reopened?.close({ snapshot: false });
      }
      // The next seed on a fresh database.
      await target.cleanup();
      target = dialect.create();
    }
    // The cases did reach the boundaries they are about.
    console.info(`part ends on a high surrogate: ${hits.pairs}; byte ends inside a character: ${hits.bytes}`);
    expect(hits.pairs).toBeGreaterThan(2);
    expect(hits.bytes).toBeGreaterThan(8);
  }, 120_000);

  it('saves that race (explicit ones unawaited, a 40 ms timer, a close) with the journal compacted right behind each: nothing acknowledged is lost and every snapshot read back is the twin at its seq', async () => {
    const twin = new Kernel(CONFIG);
    const twinAt = new Map<number, string>([[0, twin.snapshot()]]);
    const errors: unknown[] = [];
    const options = { databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, keepSnapshots: 1, journalRetentionMs: 0, onError: (e: unknown) => errors.push(e) } as const;
    const engine = await DurableEngine.open({ ...options, snapshotIntervalMs: 40, positionSnapshotDebounceMs: 0 });
    let reopened: DurableEngine | undefined;
    try {
      const random = mulberry32(19);
      const saves: Promise<number>[] = [];
      const inputs = hostileInputs(7, 120);
      let time = T;
      for (const [i, input] of inputs.entries()) {
        // Times that grow, so that compaction (by time) has something to delete.
        const timed = { ...input, time: (time += 1_000) } as KernelInput;
        twin.handle(JSON.parse(JSON.stringify(timed)) as KernelInput);
        twinAt.set(twin.inputCount, twin.snapshot());
        await engine.submit(timed);
        if (random() < 0.08) saves.push(engine.saveSnapshot());
        if (i % 25 === 0) await new Promise((r) => setTimeout(r, 30));
      }
      saves.push(engine.saveSnapshot());
      const closing = engine.close();
      const seqs = await Promise.all(saves);
      await closing;
      expect(errors).toEqual([]);
      // Each explicit save resolved with a seq whose state it holds; the last one, at close, is the twin's.
      for (const seq of seqs) expect(twinAt.has(seq)).toBe(true);
      const reader = await openDatabase(target.url, target.options);
      try {
        const store = new SnapshotStore(reader.db);
        const latest = await store.latest();
        expect(latest?.seq).toBe(twin.inputCount);
        expectSameState(latest?.state, twin.snapshot(), 'the snapshot at close');
        // Compacted right up to it: the journal holds nothing behind the snapshot but what the retention keeps.
        const first = Number((await reader.db.selectFrom('journal').select((eb) => eb.fn.min('seq').as('s')).executeTakeFirst())?.s ?? 0);
        expect(first).toBeGreaterThan(1);
        expect(first).toBeLessThanOrEqual(twin.inputCount + 1);
      } finally {
        await reader.close();
      }
      reopened = await DurableEngine.open({ ...options, snapshotIntervalMs: 0 });
      expectSameState(reopened.kernel.snapshot(), twin.snapshot(), 'the restart');
    } finally {
      await engine.close({ snapshot: false });
      await reopened?.close({ snapshot: false });
    }
  }, 60_000);

  it('a publish whose parts are not exactly 0..n-1 (deleted by a prune, one missing, one extra, a count too small) is refused and leaves the latest snapshot whole', async () => {
    const engine = await DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0 });
    const second = await openDatabase(target.url, target.options);
    try {
      const twin = new Kernel(CONFIG);
      for (const input of hostileInputs(11, 20)) {
        twin.handle(JSON.parse(JSON.stringify(input)) as KernelInput);
        await engine.submit(input);
      }
      const mine = new SnapshotStore(engine.db);
      const theirs = new SnapshotStore(second.db);
      const state = twin.snapshot();
      const bytes = new TextEncoder().encode(state);
      const { utf8Slices } = await import('./background-snapshot.js');
      // Parts of seq 3 written elsewhere, then the engine's own save (its cleanup deletes parts no snapshot reads).
      const written = await theirs.writeParts(3, utf8Slices(bytes, 1_000), { partsPerTransaction: 4 });
      expect(await engine.saveSnapshot()).toBe(twin.inputCount);
      const whole = await mine.latest();
      expectSameState(whole?.state, state, 'the engine snapshot');
      await expect(mine.publishParts(3, T, written)).rejects.toThrow(/not published/);
      // One part missing in the middle; one extra; a count smaller than the parts held.
      const damaged = async (seq: number, change: () => Promise<unknown>, count: number) => {
        const n = await theirs.writeParts(seq, utf8Slices(bytes, 997), { partsPerTransaction: 3 });
        await change();
        await expect(mine.publishParts(seq, T, count < 0 ? n : { ...n, parts: count })).rejects.toThrow(/not published/);
      };
      await damaged(4, () => second.db.deleteFrom('snapshot_parts').where('seq', '=', 4).where('part', '=', 5).execute(), -1);
      await damaged(5, () => second.db.insertInto('snapshot_parts').values({ seq: 5, part: 100_000, state: 'x' }).execute(), -1);
      await damaged(6, async () => undefined, 7);
      expect(await mine.list()).toEqual([twin.inputCount, 0]);
      expectSameState((await mine.latest())?.state, state, 'the latest after the refusals');
      // The next save deletes the stray parts of the refused publishes.
      await engine.submit({ kind: 'account.open', time: T, account: 'after', balances: { USDT: '1' } });
      await engine.saveSnapshot();
      const seqs = (await engine.db.selectFrom('snapshot_parts').select('seq').distinct().execute()).map((r) => Number(r.seq)).sort((a, b) => a - b);
      const kept = await mine.list();
      expect(seqs.every((s) => kept.includes(s))).toBe(true);
      expect(seqs.some((s) => s >= 3 && s <= 6)).toBe(false);
    } finally {
      await second.close();
      await engine.close({ snapshot: false });
    }
  }, 60_000);

  it('a part that begins with U+FEFF (a byte order mark, if read as one) keeps it: the worker snapshot and the restart are the twin, byte for byte', async () => {
    // A name of U+FEFF only: every part cut inside it begins with one.
    const twin = new Kernel(CONFIG);
    const open = () => DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0 });
    const engine = await open();
    let reopened: DurableEngine | undefined;
    try {
      for (const input of [
        { kind: 'account.open', time: T, account: `a${'\ufeff'.repeat(40_000)}`, balances: { USDT: '1' } },
        { kind: 'account.open', time: T, account: 'b', balances: { USDT: '2' } },
      ] satisfies KernelInput[]) {
        twin.handle(JSON.parse(JSON.stringify(input)) as KernelInput);
        await engine.submit(input);
      }
      expect(await engine.saveSnapshot()).toBe(2);
      expectSameState((await new SnapshotStore(engine.db).latest())?.state, twin.snapshot(), 'the worker snapshot');
      await engine.close({ snapshot: false });
      reopened = await open();
      expect(reopened.restored.snapshotSeq).toBe(2);
      expectSameState(reopened.kernel.snapshot(), twin.snapshot(), 'the restart');
    } finally {
      await engine.close({ snapshot: false });
      await reopened?.close({ snapshot: false });
    }
  }, 60_000);
});
