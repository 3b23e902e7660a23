/**
 * The publish's cleanup of parts no snapshot reads, in short transactions with a turn of the event
 * loop between them (on SQLite cut by time: `cleanupBudgetMs`), on SQLite and PostgreSQL. The
 * oracle is the set of parts the kept rows read, listed by hand, and states built here
 * (`pruneState`), never what the store wrote.
 */
import BetterSqlite3 from 'better-sqlite3';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { lifeUntilKilled } from '../test-kit/killed-child.js';
import { mulberry32 } from '../test-kit/mulberry32.js';
import { pruneParts, pruneState } from '../test-kit/snapshot-prune-child.js';
import { describeEachDialect, type Harness, type TestDatabase } from '../test-kit/test-databases.js';
import { openAndMigrate, parseDatabaseUrl, type PersistenceDatabase } from './database.js';
import { SnapshotStore } from './snapshot-store.js';

/** The large state has more parts than two full cleanup transactions. */
const PARTS_AT_LEAST = 32;
const CHILD = fileURLToPath(new URL('../test-kit/snapshot-prune-child.ts', import.meta.url));

/** Every (seq, part) row of `snapshot_parts`, in order. */
async function partRows(opened: PersistenceDatabase): Promise<[number, number][]> {
  const rows = await opened.db.selectFrom('snapshot_parts').select(['seq', 'part']).orderBy('seq').orderBy('part').execute();
  return rows.map((r) => [Number(r.seq), Number(r.part)]);
}

describeEachDialect((name) => `the cleanup of a pruned snapshot's parts on ${name}`, (dialect) => {
  let target: TestDatabase;
  let opened: PersistenceDatabase;
  let harness: Harness;
  beforeEach(async () => {
    harness = await dialect.open();
    ({ target, opened } = harness);
  });
  afterEach(() => harness.cleanup());

  it('deletes every part no kept snapshot reads, in transactions with a turn of the event loop between them', async () => {
    // Budget 0: on SQLite each transaction deletes one part (then its time is up).
    const store = new SnapshotStore(opened.db, { keep: 2, cleanupBudgetMs: 0 });
    const state = (seq: number, parts: number) => Array.from({ length: parts }, (_, i) => `{"s":${seq},"p":${i}}`.padEnd(2_000, ' '));
    await store.saveInParts(1, 1, state(1, 40));
    await store.saveInParts(2, 2, state(2, 5));
    // Left by a save that never published (no row) and by a seq saved again (outside its range).
    await opened.db.insertInto('snapshot_parts').values([{ seq: 9, part: 0, state: 'stray' }, { seq: 9, part: 1, state: 'stray' }]).execute();
    const written = await store.writeParts(3, state(3, 3));
    expect(written).toEqual({ first: 0, parts: 3, digest: expect.any(String) });
    // SQLite: a second connection counts, at every turn of the event loop, the parts of seq 1 left.
    const reader = dialect.name === 'sqlite' ? new BetterSqlite3((parseDatabaseUrl(target.url) as { path: string }).path, { readonly: true }) : undefined;
    const count = reader?.prepare('select count(*) as n from snapshot_parts where seq = 1');
    const seen: number[] = [];
    let ticking = true;
    const tick = () => {
      if (!ticking) return;
      const n = (count?.get() as { n: number } | undefined)?.n;
      if (n !== undefined && seen.at(-1) !== n) seen.push(n);
      setImmediate(tick);
    };
    setImmediate(tick);
    // Publishing 3 prunes 1 (keep 2): its 40 parts and seq 9's 2 go.
    try {
      await store.publishParts(3, 3, written);
    } finally {
      ticking = false;
      reader?.close();
    }
    expect(await store.list()).toEqual([3, 2]);
    expect(await partRows(opened)).toEqual([
      [2, 0], [2, 1], [2, 2], [2, 3], [2, 4],
      [3, 0], [3, 1], [3, 2],
    ]);
    // One part per transaction, and the event loop turned after each: every count from 40 to 0 was seen.
    if (reader !== undefined) expect(seen).toEqual(Array.from({ length: 41 }, (_, i) => 40 - i));
    expect((await store.read(2))?.state).toBe(state(2, 5).join(''));
    expect((await store.latest())?.state).toBe(state(3, 3).join(''));
    // A seq saved again: its old range goes, the new one stays.
    await store.saveInParts(3, 4, state(33, 2));
    expect(await partRows(opened)).toEqual([
      [2, 0], [2, 1], [2, 2], [2, 3], [2, 4],
      [3, 3], [3, 4],
    ]);
    expect((await store.latest())?.state).toBe(state(33, 2).join(''));
  });

  it('with the default budget removes a large pruned snapshot whole, and refuses a negative budget', async () => {
    const store = new SnapshotStore(opened.db, { keep: 1 });
    const big = pruneParts(pruneState(7));
    expect(big.length).toBeGreaterThan(PARTS_AT_LEAST);
    await store.saveInParts(7, 7, big);
    await store.saveInParts(8, 8, ['{"small":true}']);
    expect(await partRows(opened)).toEqual([[8, 0]]);
    expect(() => new SnapshotStore(opened.db, { cleanupBudgetMs: -1 })).toThrow(RangeError);
  });
});

/** One life of the child, killed `afterReadyMs` after it is open; the lines it printed. */
const life = (env: Record<string, string>, afterReadyMs: number): Promise<string[]> => lifeUntilKilled(CHILD, env, afterReadyMs);

describeEachDialect((name) => `snapshots published one after another, killed with SIGKILL during their cleanup, on ${name}`, (dialect) => {
  let target: TestDatabase;
  beforeEach(() => {
    target = dialect.create();
  });
  afterEach(async () => target.cleanup());

  it('the kept snapshot reads back after every kill, and the next publish deletes whatever a cut cleanup left', async () => {
    const rng = mulberry32(0xc1ea);
    let next = 1;
    let cutCleanups = 0;
    // Until a kill has cut a cleanup between its transactions at least twice (at least 6 lives, at most 30).
    for (let kill = 0; kill < 30 && (kill < 6 || cutCleanups < 2); kill++) {
      const lines = await life({ PRUNE_URL: target.url, PRUNE_OPTIONS: JSON.stringify(target.options), PRUNE_FROM: String(next) }, 30 + Math.floor(rng() * 600));
      const done = lines.filter((l) => l.startsWith('C ')).map((l) => Number(l.slice(2)));
      const opened = await openAndMigrate(target.url, target.options);
      try {
        const store = new SnapshotStore(opened.db, { keep: 1 });
        const kept = await store.list();
        // One row (keep 1, pruned in the publish's transaction): the last save seen done, or the one after it.
        const last = done.at(-1) ?? next - 1;
        expect(kept.length).toBeLessThanOrEqual(1);
        if (kept.length === 1) {
          expect([last, last + 1]).toContain(kept[0]);
          const read = await store.read(kept[0]!);
          expect(read?.state === pruneState(kept[0]!)).toBe(true);
          // Some but not all of the pruned seq's parts: the kill fell between its cleanup's transactions.
          const older = (await partRows(opened)).filter(([seq]) => seq === kept[0]! - 1).length;
          if (older > 0 && older < pruneParts(pruneState(kept[0]! - 1)).length) cutCleanups += 1;
          next = kept[0]! + 1;
        }
      } finally {
        await opened.close();
      }
    }
    expect(cutCleanups).toBeGreaterThanOrEqual(dialect.name === 'sqlite' ? 2 : 0);
    // A clean save after the kills, of a seq no life reached: exactly its own parts remain.
    const opened = await openAndMigrate(target.url, target.options);
    try {
      const store = new SnapshotStore(opened.db, { keep: 1 });
      const seq = next + 1_000;
      const parts = pruneParts(pruneState(seq));
      await store.saveInParts(seq, 1, parts);
      expect(await partRows(opened)).toEqual(parts.map((_, i) => [seq, i]));
      expect((await store.latest())?.state === pruneState(seq)).toBe(true);
    } finally {
      await opened.close();
    }
  }, 240_000);
});
