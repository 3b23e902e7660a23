/**
 * The journal reader's worker on hostile journals, on SQLite and PostgreSQL (binary COPY pages):
 * market rows decoded in pages that also hold non-ASCII rows (the per-row decode, where text
 * offsets are UTF-16 code units, not bytes), a journal compacted to start past 1, seqs missing at
 * page and head-start boundaries, and (PostgreSQL) the worker's connection terminated part-way,
 * with a schema of its own. Oracle: a twin kernel fed the inputs directly (a missing seq as the
 * engine replays one), against a kernel restored at the compaction point and replayed from the
 * reader's pages the way a restore does (decoded rows without a parse). Byte for byte.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { openAndMigrate } from '../persistence/database.js';
import { JournalStore } from '../persistence/journal-store.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { describeEachDialect, describePostgres, PG_URL, type TestDatabase } from '../test-kit/test-databases.js';
import { journalRows, WORKER_READ_MIN_ROWS, type JournalRows } from './journal-reader.js';
import { handleJournaled, handleMissing, handlePageRow } from './journal-replay.js';

const recording = loadRecording(BUNDLED_RECORDING);
const SYMBOL = recording.symbol;
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };
const twinInput = (input: KernelInput) => JSON.parse(JSON.stringify(input)) as KernelInput;

/** Market inputs with, every 37th, a non-ASCII account's input (its name and order ids in other scripts and astral characters). */
function inputs(count: number): KernelInput[] {
  const all: KernelInput[] = [];
  const name = 'zoë-账户-😀\uFEFF';
  recording.inputs.slice(0, count).forEach((input, i) => {
    all.push(input);
    const time = input.time;
    if (i === 3) all.push({ kind: 'account.open', time, account: name, balances: { USDT: '100000', BTC: '1' } });
    else if (i > 3 && i % 37 === 0) {
      all.push({ kind: 'order.place', time, account: name, symbol: SYMBOL, side: i % 74 === 0 ? 'SELL' : 'BUY', type: 'MARKET', quantity: '0.001', clientOrderId: `ë-${i}-𝄞` });
    }
  });
  return all;
}

/** The reader's pages replayed on `kernel` from `from`, a missing seq as a restore replays it; the seqs read. */
async function replay(kernel: Kernel, pages: AsyncIterable<JournalRows>, from: number): Promise<{ seqs: number[]; decoded: number }> {
  const seqs: number[] = [];
  let decoded = 0;
  let next = from;
  for await (const page of pages) {
    for (let i = 0; i < page.seqs.length; i++) {
      const seq = page.seqs[i]!;
      for (; next < seq; next++) handleMissing(kernel);
      if (page.decoded?.input(i) !== undefined) decoded += 1;
      if (page.decoded === undefined) handleJournaled(kernel, page.texts[i]!);
      else handlePageRow(kernel, page.texts[i]!, page.decoded, i);
      seqs.push(seq);
      next = seq + 1;
    }
  }
  return { seqs, decoded };
}

/**
 * A journal of `all` (seq i + 1 for input i) with the rows before `from` compacted away and `gaps`
 * deleted; the twin at seq `from - 1` restored (the snapshot a restore would start from) and the
 * twin at the journal's end.
 */
async function journalOf(journal: JournalStore, db: Awaited<ReturnType<typeof openAndMigrate>>['db'], all: readonly KernelInput[], from: number, gaps: readonly number[]) {
  for (let i = 0; i < all.length; i += 500) {
    await db.insertInto('journal').values(all.slice(i, i + 500).map((input, j) => ({ seq: i + j + 1, at: input.time, input: JSON.stringify(input) }))).execute();
  }
  await db.deleteFrom('journal').where('seq', '<', from).execute();
  if (gaps.length > 0) await db.deleteFrom('journal').where('seq', 'in', gaps).execute();
  expect(await journal.firstSeq()).toBe(from);
  const twin = new Kernel(CONFIG);
  let base = '';
  all.forEach((input, i) => {
    const seq = i + 1;
    if (seq === from) base = twin.snapshot();
    if (gaps.includes(seq)) handleMissing(twin);
    else twin.handle(twinInput(input));
  });
  return { base, twin, expected: all.map((_, i) => i + 1).filter((seq) => seq >= from && !gaps.includes(seq)) };
}

describeEachDialect((name) => `the journal reader on hostile journals, on ${name}`, (dialect) => {
  let target: TestDatabase;
  beforeEach(() => {
    target = dialect.create();
  });
  afterEach(async () => target.cleanup());

  it('non-ASCII rows among decoded market rows, a compacted start, gaps at page and head-start boundaries: the replay is the twin', async () => {
    const raw = await openAndMigrate(target.url, target.options);
    try {
      const journal = await JournalStore.open(raw.db);
      const all = inputs(3_000);
      const from = 1_001;
      const pageSize = 100;
      // Gaps: the last row of a page, the first of the next, the head start's boundary and the row before it.
      const headStart = 400;
      const gaps = [from + 99, from + 100, from + 250, from + headStart - 1, from + headStart, all.length];
      const { base, twin, expected } = await journalOf(journal, raw.db, all, from, gaps);
      for (const start of [0, headStart, 150, 1, 5_000]) {
        const kernel = Kernel.restore(CONFIG, base);
        const { seqs, decoded } = await replay(kernel, journalRows(journal, target.url, target.options, from, pageSize, WORKER_READ_MIN_ROWS, 2, start), from);
        expect({ start, seqs }).toEqual({ start, seqs: expected });
        // The premise: the worker's pages carried decoded market rows (none when the head start covers the journal).
        expect(start >= all.length || decoded > 1_000).toBe(true);
        // The gap at the end replays as a missing seq, as a restore's journal head would say.
        handleMissing(kernel);
        expect({ start, equal: kernel.snapshot() === twin.snapshot() }).toEqual({ start, equal: true });
      }
    } finally {
      await raw.close();
    }
  }, 120_000);
});

describePostgres("the journal reader's worker connection terminated part-way on PostgreSQL", (postgres) => {
  let target: TestDatabase;
  beforeEach(() => {
    target = postgres.create();
  });
  afterEach(async () => target.cleanup());

  it('the rows not yet read are read here, each once, in order, from the schema given: the replay is the twin', async () => {
    const raw = await openAndMigrate(target.url, target.options);
    const killer = new pg.Client({ connectionString: PG_URL });
    killer.on('error', () => undefined);
    await killer.connect();
    try {
      expect(target.options.schema).toBeDefined();
      const journal = await JournalStore.open(raw.db);
      const all = inputs(4_000);
      const from = 501;
      const { base, twin, expected } = await journalOf(journal, raw.db, all, from, [from + 49, from + 50]);
      const application = `pt_jrd_${randomBytes(4).toString('hex')}`;
      const url = `${target.url}${target.url.includes('?') ? '&' : '?'}application_name=${application}`;
      const kernel = Kernel.restore(CONFIG, base);
      let killed = 0;
      let pagesBeforeKill = 0;
      let decodedAfter = 0;
      async function* killing(): AsyncGenerator<JournalRows> {
        for await (const page of journalRows(journal, url, target.options, from, 50, WORKER_READ_MIN_ROWS, 1)) {
          if (killed === 0 && page.decoded !== undefined && ++pagesBeforeKill === 3) {
            const rows = (await killer.query('select pid from pg_stat_activity where application_name = $1', [application])).rows as { pid: number }[];
            for (const { pid } of rows) killed += (await killer.query('select pg_terminate_backend($1) as ok', [pid])).rows[0].ok ? 1 : 0;
          } else if (killed > 0 && page.decoded !== undefined) decodedAfter += 1;
          yield page;
        }
      }
      const { seqs } = await replay(kernel, killing(), from);
      expect(killed).toBe(1);
      // The worker's later pages (at most those already sent) stop: the rest is read here.
      expect(decodedAfter).toBeLessThan(5);
      expect(seqs).toEqual(expected);
      expect(kernel.snapshot() === twin.snapshot()).toBe(true);
    } finally {
      await killer.end();
      await raw.close();
    }
  }, 120_000);
});
