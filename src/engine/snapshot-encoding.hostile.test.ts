/**
 * A state with text that UTF-8 encoders disagree on: parts that begin with U+FEFF (a decoder may
 * drop it as a byte order mark), characters beyond U+FFFF (surrogate pairs on the JS side, four
 * bytes in UTF-8) and lone surrogates in account ids, on SQLite and PostgreSQL. The digest is
 * hashed by the worker over its bytes, by the in-process save over its string parts, and at read
 * over the joined string: all three must be the SHA-256 of the same bytes, or a good snapshot is
 * passed over. Oracle: a twin kernel fed the same inputs (its `snapshot()` and that text's SHA-256,
 * hashed here over `Buffer.from(text, 'utf8')`).
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { describeEachDialect, type TestDatabase } from '../test-kit/test-databases.js';
import { DurableEngine, type DurableEngineOptions, type SetAsideReport } from './durable-engine.js';

const recording = loadRecording(BUNDLED_RECORDING);
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };
const T = recording.inputs[0]!.time;

const account = (id: string, usdt = '1000'): KernelInput => ({ kind: 'account.open', time: T, account: id, balances: { USDT: usdt } });
const twinInput = (input: KernelInput) => JSON.parse(JSON.stringify(input)) as KernelInput;
const sha256 = (text: string) => createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex');

const IDS = [
  `feff-${'\uFEFF'.repeat(12_000)}`,
  `astral-${'😀'.repeat(6_000)}`,
  `mixed-${'a\uFEFF😀中'.repeat(3_000)}`,
  'lone-\uD800-high',
  'lone-\uDC00-low',
  `tail-${'\uFEFF'.repeat(5_461)}`,
];

describeEachDialect((name) => `snapshots of text with U+FEFF, astral characters and lone surrogates, on ${name}`, (dialect) => {
  let target: TestDatabase;
  let reports: SetAsideReport[];
  const options = (): DurableEngineOptions => ({
    databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0, positionSnapshotDebounceMs: 0,
    onInputSetAside: (r) => reports.push(r),
  });
  beforeEach(() => {
    target = dialect.create();
    reports = [];
  });
  afterEach(async () => target.cleanup());

  for (const how of ['worker', 'in-process'] as const) {
    it(`(${how}) records the SHA-256 of the state's UTF-8 bytes, reads back unchanged, and a restart restores it, the twin`, async () => {
      const twin = new Kernel(CONFIG);
      const engine = await DurableEngine.open(options());
      let seq: number;
      try {
        for (const input of [...recording.inputs.slice(0, 20), ...IDS.map((id) => account(id))]) {
          twin.handle(twinInput(input));
          await engine.submit(input);
        }
        seq = await engine.saveSnapshot(how === 'in-process' ? { inProcess: true } : {});
        const row = await engine.db.selectFrom('snapshots').select(['digest', 'parts', 'firstPart']).where('seq', '=', seq).executeTakeFirstOrThrow();
        expect(row.digest).toBe(sha256(twin.snapshot()));
        // The premise: at least one stored part begins with U+FEFF.
        const parts = await engine.db.selectFrom('snapshot_parts').select('state').where('seq', '=', seq).orderBy('part').execute();
        expect(parts.length).toBe(Number(row.parts));
        expect(parts.some((p) => p.state.startsWith('\uFEFF'))).toBe(true);
        expect(parts.map((p) => p.state).join('') === twin.snapshot()).toBe(true);
      } finally {
        await engine.close({ snapshot: false });
      }
      const again = await DurableEngine.open(options());
      try {
        expect(reports.filter((r) => r.code === 'SNAPSHOT').map((r) => r.reason)).toEqual([]);
        expect(again.restored.snapshotSeq).toBe(seq);
        expect(again.kernel.snapshot() === twin.snapshot()).toBe(true);
      } finally {
        await again.close({ snapshot: false });
      }
    }, 60_000);
  }
});
