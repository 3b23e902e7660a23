/**
 * `queryUtf8Error` against an independent oracle: Node's `buffer.isUtf8` (simdutf's validator) on
 * the bytes the escapes stand for. Random byte strings, biased towards the edges of RFC 3629 (lead
 * bytes, continuation bytes, the overlong and surrogate ranges), each written as a query of escapes
 * with ASCII and stray `%`s around them.
 */
import { isUtf8 } from 'node:buffer';
import { expect, it } from 'vitest';
import { mulberry32 } from '../test-kit/mulberry32.js';
import { queryUtf8Error } from './utf8-request.js';

const EDGES = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff];
// Upper- and lower-case hex digits alike.
const hex = (b: number) => (b % 2 === 0 ? `%${b.toString(16).padStart(2, '0').toUpperCase()}` : `%${b.toString(16).padStart(2, '0')}`);

it('refuses exactly the queries whose escaped bytes are not UTF-8 (8,000 random byte strings)', () => {
  const next = mulberry32(19);
  let refused = 0;
  for (let n = 0; n < 8_000; n += 1) {
    let bytes: number[];
    if (next() < 0.5) {
      // Random bytes, mostly from the edges.
      bytes = Array.from({ length: 1 + Math.floor(next() * 6) }, () => (next() < 0.6 ? EDGES[Math.floor(next() * EDGES.length)]! : Math.floor(next() * 256)));
    } else {
      // Real characters' bytes (one to three code points, surrogates left out), one byte in three of
      // these strings then changed to an edge byte.
      const text = Array.from({ length: 1 + Math.floor(next() * 3) }, () => String.fromCodePoint(0x80 + Math.floor(next() * 0x10ff00)).replace(/[\ud800-\udfff]/gu, 'x')).join('');
      bytes = [...Buffer.from(text)];
      if (next() < 0.33) bytes[Math.floor(next() * bytes.length)] = EDGES[Math.floor(next() * EDGES.length)]!;
    }
    const query = `symbol=BTC${bytes.map(hex).join('')}&note=100%&x=%zz`;
    const expected = !isUtf8(Buffer.from(bytes));
    if (expected) refused += 1;
    expect(queryUtf8Error(`/api/orders?${query}`) !== undefined, `${query}`).toBe(expected);
  }
  // Both kinds came up often enough to mean something.
  expect(refused).toBeGreaterThan(2_000);
  expect(refused).toBeLessThan(6_000);
});

it('leaves alone a URL without a query, ASCII escapes, stray percents and escapes of real characters', () => {
  for (const url of ['/api/orders', '/api/orders?', '/api/orders?symbol=BTCUSDT', '/x?a=%41%42', '/x?note=50%', '/x?signature=%zz', '/x?name=Z%C3%BCrich%20%E2%82%AC', '/x?e=%F0%9F%98%80']) {
    expect(queryUtf8Error(url), url).toBeUndefined();
  }
});

it('names what is wrong: 400 BAD_URL', () => {
  const error = queryUtf8Error('/x?a=%C0%AF');
  expect(error?.status).toBe(400);
  expect(error?.body).toEqual({ code: 'BAD_URL', message: 'the query string is not valid UTF-8: a percent-escape does not decode' });
});
