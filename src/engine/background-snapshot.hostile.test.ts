/**
 * `utf8Parts` and `utf8Slices` on the characters the existing fuzz leaves out: U+FEFF (which a
 * decoder drops at the start of a text unless told not to), lone surrogates as the state's JSON
 * escapes them, U+FFFD itself, and every UTF-8 length, with budgets from the smallest allowed.
 * The oracle is the text itself: the parts, and the slices decoded as one, join back to it.
 */
import { expect, it } from 'vitest';
import { mulberry32 } from '../test-kit/mulberry32.js';
import { utf8Parts, utf8Slices } from './background-snapshot.js';

const ALPHABET = ['a', '\ufeff', '\ufeff', 'é', '€', '😀', '\ufffd', '\\ud800', '\u2028', '"'];

it('parts that begin with U+FEFF keep it: parts and slices join to the text over 3,000 random texts', () => {
  const random = mulberry32(0xfeff);
  let partsStartingWithIt = 0;
  for (let round = 0; round < 3_000; round++) {
    const length = Math.floor(random() * 120);
    let text = '';
    for (let i = 0; i < length; i++) text += ALPHABET[Math.floor(random() * ALPHABET.length)];
    const partBytes = 4 + Math.floor(random() * 24);
    const bytes = new TextEncoder().encode(text);
    const parts = [...utf8Parts(bytes, partBytes)];
    partsStartingWithIt += parts.filter((p) => p.startsWith('\ufeff')).length;
    expect(parts.join('')).toBe(text);
    const slices = [...utf8Slices(bytes, partBytes)];
    expect(Buffer.concat(slices).equals(Buffer.from(bytes))).toBe(true);
    for (const slice of slices) expect(slice.length).toBeLessThanOrEqual(partBytes);
  }
  expect(partsStartingWithIt).toBeGreaterThan(1_000);
});
