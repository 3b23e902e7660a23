import { expect, it } from 'vitest';
import { mulberry32 } from '../test-kit/mulberry32.js';
import { utf8Parts } from './background-snapshot.js';

const ALPHABET = ['a', '"', '{', 'é', '€', '中', '😀', '\u0000', '\\'];

it('UTF-8 parts join to the text, each within its byte budget and cut between characters, over 2,000 random texts', () => {
  const random = mulberry32(19);
  for (let round = 0; round < 2_000; round++) {
    const length = Math.floor(random() * 200);
    let text = '';
    for (let i = 0; i < length; i++) text += ALPHABET[Math.floor(random() * ALPHABET.length)];
    const partBytes = 4 + Math.floor(random() * 30);
    const bytes = new TextEncoder().encode(text);
    const parts = [...utf8Parts(bytes, partBytes)];
    expect(parts.join('')).toBe(text);
    for (const part of parts) {
      expect(part.length).toBeGreaterThan(0);
      expect(new TextEncoder().encode(part).length).toBeLessThanOrEqual(partBytes);
      expect(part).not.toContain('\uFFFD'); // no character decoded from half its bytes
    }
  }
});

it('an empty text has no parts, and a budget below one character is refused', () => {
  expect([...utf8Parts(new Uint8Array(0))]).toEqual([]);
  expect(() => [...utf8Parts(new TextEncoder().encode('x'), 3)]).toThrow(RangeError);
});
