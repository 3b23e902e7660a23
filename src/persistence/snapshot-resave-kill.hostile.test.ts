/**
 * A process saving one snapshot seq again and again (test-kit/snapshot-resave-child.ts), killed with
 * SIGKILL at seeded random moments, on SQLite and PostgreSQL: between its parts, between the parts
 * and the publish, in the sweep after it. After every kill the snapshot must read back, checked,
 * as one of the two states the child saves (hand-built here, `resaveState`), and the last one the
 * child said it published or the one after it. After a clean save, the seq holds exactly its parts.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { lifeUntilKilled } from '../test-kit/killed-child.js';
import { mulberry32 } from '../test-kit/mulberry32.js';
import { describeEachDialect, type TestDatabase } from '../test-kit/test-databases.js';
import { openAndMigrate } from './database.js';
import { resaveState } from '../test-kit/snapshot-resave-child.js';
import { SnapshotStore } from './snapshot-store.js';

const CHILD = fileURLToPath(new URL('../test-kit/snapshot-resave-child.ts', import.meta.url));
const SEQ = 42;
const KILLS = 8;

/** One life of the child, killed `afterReadyMs` after it is open; the lines it printed. */
const life = (env: Record<string, string>, afterReadyMs: number): Promise<string[]> => lifeUntilKilled(CHILD, env, afterReadyMs);

describeEachDialect((name) => `a snapshot seq saved again and again, killed with SIGKILL, on ${name}`, (dialect) => {
  let target: TestDatabase;
  beforeEach(() => {
    target = dialect.create();
  });
  afterEach(async () => target.cleanup());

  it(`reads back after each of ${KILLS} kills as a state the child saved, checked; a clean save leaves exactly its parts`, async () => {
    const states = { A: resaveState('A'), B: resaveState('B') };
    expect(states.A.length).toBeGreaterThan(16 * 16_384);
    const rng = mulberry32(0x5a5e);
    const env = { RESAVE_URL: target.url, RESAVE_OPTIONS: JSON.stringify(target.options), RESAVE_SEQ: String(SEQ) };
    let last: string | undefined;
    let publishes = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const lines = await life(env, 20 + Math.floor(rng() * 400));
      const published = lines.filter((l) => l.startsWith('P ')).map((l) => l.slice(2));
      publishes += published.length;
      if (published.length > 0) last = published.at(-1);
      const opened = await openAndMigrate(target.url, target.options);
      try {
        const read = await new SnapshotStore(opened.db, { keep: 2 }).read(SEQ);
        if (last === undefined) {
          // Killed before its first publish was printed: none, or the first (A).
          if (read !== undefined) expect(read.state === states.A).toBe(true);
        } else {
          // The last printed, or the one after it (published, killed before the line).
          const after = last === 'A' ? 'B' : 'A';
          expect(read === undefined ? 'none' : read.state === states[last as 'A' | 'B'] ? last : read.state === states[after] ? after : 'other').toMatch(new RegExp(`^(${last}|${after})$`));
        }
      } finally {
        await opened.close();
      }
    }
    expect(publishes).toBeGreaterThan(0);
    const opened = await openAndMigrate(target.url, target.options);
    try {
      const store = new SnapshotStore(opened.db, { keep: 2 });
      await store.saveInParts(SEQ, 1, [states.B.slice(0, 100_000), states.B.slice(100_000)]);
      expect((await store.read(SEQ))?.state === states.B).toBe(true);
      const parts = await opened.db.selectFrom('snapshot_parts').select('part').where('seq', '=', SEQ).orderBy('part').execute();
      const row = await opened.db.selectFrom('snapshots').select(['parts', 'firstPart']).where('seq', '=', SEQ).executeTakeFirstOrThrow();
      expect(parts.map((p) => Number(p.part))).toEqual([Number(row.firstPart), Number(row.firstPart) + 1]);
      expect(Number(row.parts)).toBe(2);
    } finally {
      await opened.close();
    }
  }, 180_000);
});
