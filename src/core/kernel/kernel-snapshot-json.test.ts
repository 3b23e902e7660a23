/**
 * The snapshot's JSON (bigints as `{"$n":"…"}`) against the rule it is defined by: the text
 * `JSON.stringify` gives with a replacer that boxes each bigint, and the value `JSON.parse` gives
 * with a reviver that unboxes every object whose one key is `$n`. The replacer and the reviver are
 * the oracle; the kernel's walks must give the same text and the same values on random documents
 * (nested arrays and objects, undefined and functions, `toJSON`, Dates and Maps, keys named `$n`,
 * bigints of any size and sign), on a real kernel's snapshot, and on an account document.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../test-kit/mulberry32.js';
import { BUNDLED_RECORDING } from '../../test-kit/data-paths.js';
import { loadRecording } from '../../test-kit/recording-stepper.js';
import { instrumentForRecording } from '../../market-data/replay-session.js';
import { Kernel } from './kernel.js';
import { decodeState, encodeDocument, encodeState, parseDocument, type AccountDocument, type KernelSnapshot } from './kernel-snapshot.js';

const byReplacer = (value: unknown, indent?: number) => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? { $n: v.toString() } : v), indent);
const byReviver = (text: string): unknown =>
  JSON.parse(text, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if (keys.length === 1 && keys[0] === '$n') return BigInt((value as { $n: string }).$n);
    }
    return value;
  });

/** What a call gives: its value, or the name and message of what it threw. */
function outcome(call: () => unknown): { value: unknown } | { error: string } {
  try {
    return { value: call() };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

class Stamp {
  constructor(private readonly at: bigint) {}
  toJSON(key: string) {
    return { key, at: this.at };
  }
}

const KEYS = ['a', 'b', '$n', 'n', 'price', '__x', '0', '10', 'é'];

function randomValue(rng: Rng, depth: number): unknown {
  const roll = rng.int(0, depth > 3 ? 7 : 13);
  switch (roll) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -0, 1.5, -7, 2 ** 53, 1e-7, Number.NaN, Infinity]);
    case 3:
      return rng.pick(['', 'x', '$n', '"quoted"', 'line\nbreak', '12345']);
    case 4:
    case 5:
      return (rng.chance(0.5) ? -1n : 1n) * BigInt(rng.int(0, 2 ** 30)) ** BigInt(rng.int(1, 3));
    case 6:
      return rng.pick([undefined, () => 1]);
    case 7:
      return rng.chance(0.5) ? new Stamp(BigInt(rng.int(-9, 9))) : new Date(rng.int(0, 2 ** 40));
    case 8:
    case 9:
    case 10: {
      const array: unknown[] = [];
      for (let i = rng.int(0, 5); i > 0; i -= 1) array.push(randomValue(rng, depth + 1));
      return array;
    }
    case 11:
      // An object whose one key is `$n`: a box, as written or as a document could hold it.
      return { $n: rng.chance(0.7) ? String(rng.int(-1e6, 1e6)) : BigInt(rng.int(0, 99)) };
    case 12:
      return new Map([[1, 2]]);
    default: {
      const object: Record<string, unknown> = {};
      for (let i = rng.int(0, 5); i > 0; i -= 1) object[rng.pick(KEYS)] = randomValue(rng, depth + 1);
      return object;
    }
  }
}

describe('the snapshot JSON with boxed bigints', () => {
  it('writes the replacer’s text and reads the reviver’s values: 20 seeds × 500 random documents', () => {
    let boxes = 0;
    let refused = 0;
    for (let seed = 1; seed <= 20; seed += 1) {
      const rng = new Rng(seed * 7_919);
      for (let i = 0; i < 500; i += 1) {
        const payload = randomValue(rng, 0);
        const document = { version: 1, payload };
        const text = encodeState(document as unknown as KernelSnapshot);
        expect(text, `seed ${seed} #${i}`).toBe(byReplacer(document));
        // A box around something other than an integer's text is refused by both, with the same error.
        const expected = outcome(() => byReviver(text));
        if ('error' in expected) refused += 1;
        expect(outcome(() => decodeState(text)), `seed ${seed} #${i}`).toEqual(expected);
        expect(outcome(() => parseDocument(text)), `seed ${seed} #${i}`).toEqual(expected);
        expect(encodeDocument(document as unknown as AccountDocument)).toBe(byReplacer(document, 2));
        boxes += text.split('"$n"').length - 1;
      }
    }
    expect(boxes).toBeGreaterThan(5_000);
    expect(refused).toBeGreaterThan(10);
    expect(refused).toBeLessThan(2_000);
  });

  it('leaves the value it writes unchanged, and shares nothing between what it reads twice', () => {
    const value = { version: 1, levels: [[1n, 2n], [3n, 4n]], plain: [1, 2], nested: { at: 5n } };
    const before = structuredClone(value);
    encodeState(value as unknown as KernelSnapshot);
    expect(value).toEqual(before);
    const text = encodeState(value as unknown as KernelSnapshot);
    expect(decodeState(text)).toEqual(value);
    // What one read gives, changed at every depth, must not show in the next read of the same text.
    const first = decodeState(text) as unknown as typeof value;
    first.levels[0]![0] = 9n;
    first.levels[1]!.push(7n);
    first.plain.push(3);
    first.nested.at = 6n;
    expect(decodeState(text)).toEqual({ version: 1, levels: [[1n, 2n], [3n, 4n]], plain: [1, 2], nested: { at: 5n } });
  });

  it('refuses what the reviver refuses: a box that holds no integer', () => {
    for (const text of ['{"version":1,"x":{"$n":"1.5"}}', '{"version":1,"x":{"$n":null}}', '{"version":1,"x":{"$n":"abc"}}']) {
      const expected = outcome(() => byReviver(text));
      expect(expected).toHaveProperty('error');
      expect(outcome(() => decodeState(text))).toEqual(expected);
    }
  });

  it('gives a real kernel’s snapshot byte for byte, and restores it', () => {
    const recording = loadRecording(BUNDLED_RECORDING);
    const config = { instruments: [instrumentForRecording(recording)] };
    const kernel = new Kernel(config);
    for (const input of recording.inputs.slice(0, 3_000)) kernel.handle(input);
    kernel.handle({ kind: 'account.open', time: kernel.now, account: 'a', balances: { USDT: '100000', BTC: '1' } });
    const text = kernel.snapshot();
    const state = byReviver(text);
    expect(encodeState(state as KernelSnapshot)).toBe(text);
    expect(decodeState(text)).toEqual(state);
    expect(Kernel.restore(config, text).snapshot()).toBe(text);
    expect(text.split('"$n"').length).toBeGreaterThan(1_000);
  });
});
