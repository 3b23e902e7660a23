import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import { MatchingEngine } from '../core/matching/matching-engine.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { openAndMigrate } from '../persistence/database.js';
import { JournalStore } from '../persistence/journal-store.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { describeEachDialect, type TestDatabase } from '../test-kit/test-databases.js';
import { DurableEngine, type SetAsideReport } from './durable-engine.js';
import { journalRows, WORKER_READ_MIN_ROWS } from './journal-reader.js';

const recording = loadRecording(BUNDLED_RECORDING);
const SYMBOL = recording.symbol;
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };

/**
 * 12,000 market inputs (more than a restore page) with accounts, resting and filled orders among
 * them, and at input 6,000 an order whose matching throws (injected below): past the kernel's
 * first rollback checkpoint, so containing it replays a tail of inputs.
 */
function inputs(): KernelInput[] {
  const market = recording.inputs.slice(0, 12_000);
  const all: KernelInput[] = [];
  market.forEach((input, i) => {
    all.push(input);
    const time = input.time;
    if (i === 100) all.push({ kind: 'account.open', time, account: 'a', balances: { USDT: '100000', BTC: '1' } });
    if (i > 100 && i % 500 === 0) {
      all.push({ kind: 'order.place', time, account: 'a', symbol: SYMBOL, side: 'BUY', type: 'LIMIT', price: '50000.00', quantity: '0.001', clientOrderId: `rest-${i}` });
      all.push({ kind: 'order.place', time, account: 'a', symbol: SYMBOL, side: i % 1000 === 0 ? 'SELL' : 'BUY', type: 'MARKET', quantity: '0.002', clientOrderId: `take-${i}` });
    }
    if (i === 6_000) all.push({ kind: 'order.place', time, account: 'a', symbol: SYMBOL, side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId: 'boom' });
  });
  return all;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describeEachDialect((name) => `restore from the journal on ${name}`, (dialect) => {
  let target: TestDatabase;
  beforeEach(() => {
    target = dialect.create();
  });
  afterEach(async () => target.cleanup());

  it('a restore without a snapshot ends in the state of an in-memory kernel fed the same inputs, the failing one contained the same way', async () => {
    const original = MatchingEngine.prototype.arrive;
    vi.spyOn(MatchingEngine.prototype, 'arrive').mockImplementation(function (this: MatchingEngine, ...args) {
      const result = original.apply(this, args);
      if (args[0].clientOrderId === 'boom') throw new Error('injected matching fault');
      return result;
    });
    const all = inputs();
    const oracle = new Kernel(CONFIG);
    const rejected: number[] = [];
    all.forEach((input, i) => {
      if (oracle.handle(input)[0]?.type === 'INPUT_REJECTED') rejected.push(i + 1);
    });
    expect(oracle.containedFailures).toBe(1);

    const raw = await openAndMigrate(target.url, target.options);
    const journal = await JournalStore.open(raw.db);
    await Promise.all(all.map((input) => journal.append(input)));
    // As after a clean shutdown: the read tables are current, the restore only replays.
    await raw.db.insertInto('read_model_checkpoint').values({ name: 'main', seq: all.length }).execute();
    await raw.close();

    const reports: SetAsideReport[] = [];
    const engine = await DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0, onInputSetAside: (r) => reports.push(r) });
    try {
      expect(engine.restored).toMatchObject({ snapshotSeq: 0, replayed: all.length, projected: 0, seq: all.length });
      expect(engine.kernel.snapshot()).toBe(oracle.snapshot());
      expect(reports.map((r) => [r.seq, r.code])).toEqual(rejected.map((seq) => [seq, 'INTERNAL']));
      expect(engine.kernel.orders('a').some((o) => o.clientOrderId === 'boom')).toBe(false);
    } finally {
      await engine.close({ snapshot: false });
    }
  }, 120_000);

  it('rows read by the worker are the journal rows, in order, from any seq and any page size, as rows read here', async () => {
    const raw = await openAndMigrate(target.url, target.options);
    try {
      const journal = await JournalStore.open(raw.db);
      const texts = recording.inputs.slice(0, 50).map((input) => JSON.stringify(input));
      await Promise.all(texts.map((text, i) => journal.appendText(text, recording.inputs[i]!.time)));
      // Told of many rows to come: read by the worker; of few: read here. The same rows either way.
      for (const [from, pageSize, rows] of [[1, 7, WORKER_READ_MIN_ROWS], [5, 7, WORKER_READ_MIN_ROWS], [44, 10, WORKER_READ_MIN_ROWS], [51, 3, WORKER_READ_MIN_ROWS], [5, 7, 0]] as const) {
        const seqs: number[] = [];
        const read: string[] = [];
        const pages: number[] = [];
        for await (const page of journalRows(journal, target.url, target.options, from, pageSize, rows)) {
          pages.push(page.seqs.length);
          seqs.push(...Array.from(page.seqs));
          read.push(...page.texts);
        }
        expect(seqs).toEqual(Array.from({ length: 51 - from }, (_, i) => from + i));
        expect(read).toEqual(texts.slice(from - 1));
        expect(pages.every((n) => n > 0 && n <= pageSize)).toBe(true);
      }
    } finally {
      await raw.close();
    }
  });

  it('with a head start, the rows below it are read here and the rest by the worker, each row once, in order, across a gap at the boundary', async () => {
    const raw = await openAndMigrate(target.url, target.options);
    try {
      const journal = await JournalStore.open(raw.db);
      const texts = recording.inputs.slice(0, 50).map((input) => JSON.stringify(input));
      for (const [i, text] of texts.entries()) await journal.appendText(text, recording.inputs[i]!.time);
      await raw.db.deleteFrom('journal').where('seq', 'in', [20, 21]).execute();
      // The oracle: seqs 1..50 without 20 and 21, each with the text appended under it.
      const stored = Array.from({ length: 50 }, (_, i) => i + 1).filter((seq) => seq !== 20 && seq !== 21);
      for (const headStart of [1, 5, 16, 17, 18, 19, 100]) {
        const from = 3;
        const boundary = from + headStart;
        const seqs: number[] = [];
        const read: string[] = [];
        for await (const page of journalRows(journal, target.url, target.options, from, 4, WORKER_READ_MIN_ROWS, 2, headStart)) {
          const pageSeqs = Array.from(page.seqs);
          // A page is all below the boundary (read here, not decoded) or all at or past it (the worker's).
          if (pageSeqs[0]! < boundary) expect({ headStart, last: pageSeqs[pageSeqs.length - 1]! < boundary, decoded: page.decoded }).toEqual({ headStart, last: true, decoded: undefined });
          else expect(page.decoded).toBeDefined();
          seqs.push(...pageSeqs);
          read.push(...page.texts);
        }
        const expected = stored.filter((seq) => seq >= from);
        expect({ headStart, seqs }).toEqual({ headStart, seqs: expected });
        expect(read).toEqual(expected.map((seq) => texts[seq - 1]));
      }
    } finally {
      await raw.close();
    }
  }, 60_000);

  it('the worker reads rows as stored (other scripts, astral characters, a seq missing) the same as the journal store reads them', async () => {
    const raw = await openAndMigrate(target.url, target.options);
    try {
      const journal = await JournalStore.open(raw.db);
      const time = recording.inputs[0]!.time;
      const all: KernelInput[] = [
        ...recording.inputs.slice(0, 10),
        { kind: 'account.open', time, account: 'zoë-账户-😀', balances: { USDT: '100' } },
        { kind: 'order.place', time, account: 'zoë-账户-😀', symbol: SYMBOL, side: 'BUY', type: 'LIMIT', price: '1.00', quantity: '1', clientOrderId: 'a"b\\c\u0001é' },
        ...recording.inputs.slice(10, 20),
      ];
      for (const input of all) await journal.append(input);
      await raw.db.deleteFrom('journal').where('seq', '=', 5).execute();
      // The oracle: the store's own pages, read on this thread through the query builder.
      const expected: [number, string][] = [];
      for await (const page of journal.textPagesFrom(1, 3)) page.texts.forEach((text, i) => expected.push([page.seqs[i]!, text]));
      expect(expected).toHaveLength(all.length - 1);
      expect(expected.some(([, text]) => text.includes('😀'))).toBe(true);
      for (const pageSize of [3, 4, 100]) {
        const read: [number, string][] = [];
        for await (const page of journalRows(journal, target.url, target.options, 1, pageSize, WORKER_READ_MIN_ROWS)) {
          expect(page.decoded).toBeDefined(); // read by the worker, not here after a failure
          page.texts.forEach((text, i) => read.push([page.seqs[i]!, text]));
        }
        expect(read).toEqual(expected);
      }
    } finally {
      await raw.close();
    }
  });

  it('the worker reads rows larger than a page read in one piece, and raw tabs, line breaks and backslashes, byte for byte', async () => {
    const raw = await openAndMigrate(target.url, target.options);
    try {
      const journal = await JournalStore.open(raw.db);
      // Stored as given (the store vouches for nothing here): what a COPY's text form would escape,
      // and pages of ASCII only and of more than 4 MiB, one row alone larger.
      const big = `{"kind":"clock","time":1,"pad":"${'0123456789abcdef'.repeat(320_000)}"}`;
      const texts = ['a\tb', 'c\nd\r\n', 'e\\f\\\\g', '\\N', big, 'h', `${big}x`, 'ä\t\\'];
      for (const text of texts) await journal.appendText(text, 1);
      // The oracle: the texts appended, hand-written above.
      for (const pageSize of [1, 2, 3, 100]) {
        const read: [number, string][] = [];
        for await (const page of journalRows(journal, target.url, target.options, 1, pageSize, WORKER_READ_MIN_ROWS)) {
          expect(page.decoded).toBeDefined(); // read by the worker, not here after a failure
          page.texts.forEach((text, i) => read.push([page.seqs[i]!, text]));
        }
        expect(read.map(([seq]) => seq)).toEqual(texts.map((_, i) => i + 1));
        expect(read.map(([, text]) => text.length)).toEqual(texts.map((text) => text.length));
        expect(read.map(([, text]) => text)).toEqual(texts);
      }
    } finally {
      await raw.close();
    }
  }, 60_000);
});

it('when the worker cannot read the journal, the rows are read here from the first one not yet yielded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'papertrade-reader-'));
  const raw = await openAndMigrate(`sqlite:${join(dir, 'journal.db')}`);
  try {
    const journal = await JournalStore.open(raw.db);
    const texts = recording.inputs.slice(0, 20).map((input) => JSON.stringify(input));
    await Promise.all(texts.map((text, i) => journal.appendText(text, recording.inputs[i]!.time)));
    // A path the worker cannot open (its folder would be inside a file).
    const unreadable = `sqlite:${join(dir, 'journal.db', 'inside', 'x.db')}`;
    const read: string[] = [];
    for await (const page of journalRows(journal, unreadable, {}, 3, 4, WORKER_READ_MIN_ROWS)) read.push(...page.texts);
    expect(read).toEqual(texts.slice(2));
  } finally {
    await raw.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
