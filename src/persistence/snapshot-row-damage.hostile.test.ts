/**
 * Damage to a snapshot's row and part numbering rather than to a part's text, on SQLite and
 * PostgreSQL: parts renumbered, `first_part` moved onto a stray set, an extra part after the last,
 * `parts` one short, a digest of another encoding of the same text. Each read must either return
 * the state saved (hand-built here) exactly or throw `SnapshotDamagedError`; never another state.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect, type Harness, type TestDatabase } from '../test-kit/test-databases.js';
import type { PersistenceDatabase } from './database.js';
import { SnapshotDamagedError, SnapshotStore } from './snapshot-store.js';

const SEQ = 7;
/** Five parts of 1,000 characters, each different, with astral characters and U+FEFF in them. */
const PARTS = Array.from({ length: 5 }, (_, p) => `${p}:${'\uFEFF😀ab'.repeat(199)}`.padEnd(1_000, String(p)));
const STATE = PARTS.join('');

type Damage = (db: PersistenceDatabase['db'], first: number) => Promise<unknown>;

const damages: Record<string, { damage: Damage; reads: 'damaged' | 'state' }> = {
  'every part renumbered one up': {
    damage: async (db, first) => {
      for (let p = first + PARTS.length - 1; p >= first; p--) await db.updateTable('snapshot_parts').set({ part: p + 1 }).where('seq', '=', SEQ).where('part', '=', p).execute();
    },
    reads: 'damaged',
  },
  'two parts swapped': {
    damage: async (db, first) => {
      await db.updateTable('snapshot_parts').set({ part: -1 }).where('seq', '=', SEQ).where('part', '=', first + 1).execute();
      await db.updateTable('snapshot_parts').set({ part: first + 1 }).where('seq', '=', SEQ).where('part', '=', first + 2).execute();
      await db.updateTable('snapshot_parts').set({ part: first + 2 }).where('seq', '=', SEQ).where('part', '=', -1).execute();
    },
    reads: 'damaged',
  },
  'a part duplicated over the next one': {
    damage: async (db, first) => {
      const row = await db.selectFrom('snapshot_parts').select('state').where('seq', '=', SEQ).where('part', '=', first + 1).executeTakeFirstOrThrow();
      await db.updateTable('snapshot_parts').set({ state: row.state }).where('seq', '=', SEQ).where('part', '=', first + 2).execute();
    },
    reads: 'damaged',
  },
  'first_part moved one on, over a stray part after the last': {
    damage: async (db, first) => {
      await db.insertInto('snapshot_parts').values({ seq: SEQ, part: first + PARTS.length, state: PARTS[0]! }).execute();
      await db.updateTable('snapshots').set({ firstPart: first + 1 }).where('seq', '=', SEQ).execute();
    },
    reads: 'damaged',
  },
  'parts one short': {
    damage: (db) => db.updateTable('snapshots').set({ parts: PARTS.length - 1 }).where('seq', '=', SEQ).execute(),
    reads: 'damaged',
  },
  "the digest of the state's UTF-16 bytes": {
    damage: (db) => db.updateTable('snapshots').set({ digest: createHash('sha256').update(STATE, 'utf16le').digest('hex') }).where('seq', '=', SEQ).execute(),
    reads: 'damaged',
  },
  'an extra part after the last (not read)': {
    damage: (db, first) => db.insertInto('snapshot_parts').values({ seq: SEQ, part: first + PARTS.length, state: 'x' }).execute(),
    reads: 'state',
  },
};

describeEachDialect((name) => `a snapshot's row and part numbers damaged, on ${name}`, (dialect) => {
  let target: TestDatabase;
  let opened: PersistenceDatabase;
  let harness: Harness;
  beforeEach(async () => {
    harness = await dialect.open();
    ({ target, opened } = harness);
  });
  afterEach(() => harness.cleanup());

  for (const [what, { damage, reads }] of Object.entries(damages)) {
    it(`${what}: ${reads === 'damaged' ? 'SnapshotDamagedError' : 'the state saved'}`, async () => {
      const store = new SnapshotStore(opened.db);
      // Saved twice: the second set of parts is numbered after the first.
      await store.saveInParts(SEQ, 1, PARTS);
      await store.saveInParts(SEQ, 2, PARTS);
      const row = await opened.db.selectFrom('snapshots').select(['firstPart', 'parts']).where('seq', '=', SEQ).executeTakeFirstOrThrow();
      expect([Number(row.firstPart), Number(row.parts)]).toEqual([PARTS.length, PARTS.length]);
      expect((await store.read(SEQ))?.state === STATE).toBe(true);
      await damage(opened.db, Number(row.firstPart));
      for (const read of [() => store.read(SEQ), () => store.latest(), () => store.latestAtOrBefore(SEQ)]) {
        if (reads === 'damaged') await expect(read()).rejects.toBeInstanceOf(SnapshotDamagedError);
        else expect((await read())?.state === STATE).toBe(true);
      }
    });
  }
});
