/**
 * Journal compaction in short transactions, on SQLite and PostgreSQL: whatever a reader sees
 * between two of them is one contiguous run of seqs ending at the head, and the run's start moves
 * forward chunk by chunk. The oracle is the seqs appended here and the cut-off computed by hand.
 */
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { KernelInput } from '../core/kernel/inputs.js';
import { describeEachDialect, type Harness, type TestDatabase } from '../test-kit/test-databases.js';
import { parseDatabaseUrl, type PersistenceDatabase } from './database.js';
import { JournalStore } from './journal-store.js';

const T0 = 1_723_161_240_000;
const clock = (i: number): KernelInput => ({ kind: 'clock', time: T0 + i });

describeEachDialect((name) => `journal compaction in short transactions on ${name}`, (dialect) => {
  let target: TestDatabase;
  let opened: PersistenceDatabase;
  let harness: Harness;
  beforeEach(async () => {
    harness = await dialect.open();
    ({ target, opened } = harness);
  });
  afterEach(() => harness.cleanup());

  it('leaves one contiguous run ending at the head after every transaction, and goes up to the cut-off', async () => {
    const journal = await JournalStore.open(opened.db);
    // Seq n at T0 + n ms, n = 1..1,250.
    await Promise.all(Array.from({ length: 1_250 }, (_, i) => journal.append(clock(i + 1))));
    // SQLite: a second connection reads the run at every turn of the event loop.
    const reader = dialect.name === 'sqlite' ? new BetterSqlite3((parseDatabaseUrl(target.url) as { path: string }).path, { readonly: true }) : undefined;
    const run = reader?.prepare('select min(seq) as first, max(seq) as last, count(*) as n from journal');
    const firsts: number[] = [];
    let broken: string | undefined;
    let ticking = true;
    const tick = () => {
      if (!ticking) return;
      const r = run?.get() as { first: number; last: number; n: number } | undefined;
      if (r !== undefined) {
        if (r.last !== 1_250 || r.n !== r.last - r.first + 1) broken ??= `first ${r.first}, last ${r.last}, ${r.n} rows`;
        if (firsts.at(-1) !== r.first) firsts.push(r.first);
      }
      setImmediate(tick);
    };
    setImmediate(tick);
    let deleted: number;
    try {
      // Behind seq 1,200, retention 0: seqs 1..1,199 go, at most 500 a transaction, the budget 0.
      deleted = await journal.compact(1_200, 0, 500, 0);
    } finally {
      ticking = false;
      reader?.close();
    }
    expect(deleted).toBe(1_199);
    expect(await journal.firstSeq()).toBe(1_200);
    expect(await journal.latestSeq()).toBe(1_250);
    expect(broken).toBeUndefined();
    // SQLite: one chunk of 100 rows per transaction (budget 0), a turn after each: 101, … 1,101, then
    // 1,200 (the first transaction may run before the reader's first turn, which then never sees 1).
    if (reader !== undefined) expect(firsts.filter((f) => f !== 1)).toEqual([...Array.from({ length: 11 }, (_, i) => 101 + 100 * i), 1_200]);
    // Numbering goes on after the head.
    expect(await (await JournalStore.open(opened.db)).append(clock(2_000))).toBe(1_251);
    await expect(journal.compact(1_200, 0, 500, -1)).rejects.toThrow(RangeError);
  });

  it('with the default budget compacts in transactions of at most the rows asked for', async () => {
    const journal = await JournalStore.open(opened.db);
    await Promise.all(Array.from({ length: 300 }, (_, i) => journal.append(clock(i + 1))));
    // Behind seq 300, more than 100 ms before the head (T0 + 300): times < T0 + 200, seqs 1..199.
    expect(await journal.compact(300, 100, 64)).toBe(199);
    expect(await journal.firstSeq()).toBe(200);
  });

  it('counts the rows it deleted, not the seqs it passed, across a seq missing from the journal', async () => {
    const journal = await JournalStore.open(opened.db);
    await Promise.all(Array.from({ length: 300 }, (_, i) => journal.append(clock(i + 1))));
    // Seqs 50 and 120 lost (damage): the journal holds 298 rows.
    await opened.db.deleteFrom('journal').where('seq', 'in', [50, 120]).execute();
    // Seqs 1..199 behind the cut-off (as above), two of them absent: 197 rows deleted, 101 left.
    expect(await journal.compact(300, 100, 64, 0)).toBe(197);
    expect(await journal.firstSeq()).toBe(200);
    const left = await opened.db.selectFrom('journal').select((eb) => eb.fn.countAll<number | string | bigint>().as('n')).executeTakeFirstOrThrow();
    expect(Number(left.n)).toBe(101);
  });
});
