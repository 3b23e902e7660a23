/**
 * A text holding U+0000 (NUL) in any string of an input: PostgreSQL's text columns refuse it, so
 * the read tables could never take the input's events, and a projection that fails stops the
 * engine. The engine refuses such an input before the journal, on every database; a string that
 * merely reads `\u0000` (a backslash, then the letters) is an ordinary string and goes through.
 * Oracle: the kernel's own state without the refused input (a twin fed only the accepted ones),
 * and the literal text as given.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { KernelInput } from '../core/kernel/inputs.js';
import { Kernel, type KernelConfig } from '../core/kernel/kernel.js';
import { instrumentForRecording } from '../market-data/replay-session.js';
import { BUNDLED_RECORDING } from '../test-kit/data-paths.js';
import { loadRecording } from '../test-kit/recording-stepper.js';
import { describeEachDialect, type TestDatabase } from '../test-kit/test-databases.js';
import { DurableEngine } from './durable-engine.js';
import { InputRefusedError, storageProblem } from './input-guard.js';
import { readModelMismatches } from './read-model-check.js';

const recording = loadRecording(BUNDLED_RECORDING);
const CONFIG: KernelConfig = { instruments: [instrumentForRecording(recording)], latencyMs: 0 };
const T = recording.inputs[0]!.time;
const open = (account: string): KernelInput => ({ kind: 'account.open', time: T, account, type: 'spot', balances: { USDT: '1000' } }) as KernelInput;

it('finds an escaped NUL only where JSON.stringify wrote one for U+0000', () => {
  // Oracle: whether the string itself holds U+0000, whatever backslashes surround it.
  const pieces = ['a', '\\', '\\\\', 'u0000', '\u0000', '"', 'é', '😀'];
  let seed = 7;
  for (let n = 0; n < 5_000; n++) {
    let text = '';
    for (let k = 0; k < 6; k++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      text += pieces[seed % pieces.length];
    }
    expect(storageProblem(JSON.stringify({ name: text, [text]: 1 })) !== undefined, JSON.stringify(text)).toBe(text.includes('\u0000'));
  }
});

describeEachDialect((name) => `inputs the database cannot store, on ${name}`, (dialect) => {
  let target: TestDatabase;
  beforeEach(() => {
    target = dialect.create();
  });
  afterEach(async () => target.cleanup());

  it('are refused before the journal, change nothing, and the engine goes on; a literal backslash-u0000 is stored as given', async () => {
    const engine = await DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0 });
    const twin = new Kernel(CONFIG);
    try {
      for (const input of [recording.inputs[0]!, open('plain')]) {
        await engine.submit(input);
        twin.handle(JSON.parse(JSON.stringify(input)) as KernelInput);
      }
      const seq = engine.seq;
      for (const account of ['nul\u0000', '\u0000', 'a\\\u0000b']) {
        await expect(engine.submit(open(account))).rejects.toThrow(InputRefusedError);
        await expect(engine.submit(open(account))).rejects.toThrow('U+0000');
      }
      expect(engine.seq).toBe(seq);
      expect(engine.ready).toBe(true);
      expect(engine.kernel.snapshot()).toBe(twin.snapshot());

      const literal = 'back\\u0000slash';
      await engine.submit(open(literal));
      twin.handle(JSON.parse(JSON.stringify(open(literal))) as KernelInput);
      expect(engine.kernel.snapshot()).toBe(twin.snapshot());
      await engine.saveSnapshot();
      expect(await readModelMismatches(engine.db, engine.kernel)).toEqual([]);
    } finally {
      await engine.close({ snapshot: false });
    }
    const again = await DurableEngine.open({ databaseUrl: target.url, database: target.options, kernelConfig: CONFIG, snapshotIntervalMs: 0 });
    try {
      expect(again.kernel.snapshot()).toBe(twin.snapshot());
      expect(again.kernel.snapshot()).toContain(JSON.stringify('back\\u0000slash'));
    } finally {
      await again.close({ snapshot: false });
    }
  });
});
