/**
 * A stray `%` (one not followed by two hex digits) between the escapes of a multi-byte character is
 * a literal byte 0x25 when a query is percent-decoded (WHATWG URL, "percent-decode": a `%` not
 * followed by two hex digits is kept as the byte 0x25), so `%C3%%A9` is the bytes C3 25 A9: not
 * UTF-8, and URLSearchParams reads it as U+FFFD "%" U+FFFD. Such a query must be refused like any
 * other whose escapes are not UTF-8, not taken for "é" by the check and then read with U+FFFD.
 */
import { isUtf8 } from 'node:buffer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from '../test-kit/service-kit.js';
import { registerMexcApi } from './mexc/mexc-api.js';
import { queryUtf8Error } from './utf8-request.js';

/** The bytes a query stands for, percent-decoded by hand as WHATWG URL does (ASCII input). */
function percentDecoded(query: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < query.length; i += 1) {
    const hex = query.slice(i + 1, i + 3);
    if (query[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(query.charCodeAt(i));
    }
  }
  return Buffer.from(bytes);
}

it('a stray % inside a multi-byte character is a byte of it: the query is refused', () => {
  for (const query of ['symbol=BTC%C3%%A9USDT', 'symbol=BTC%E2%%82%ACUSDT', 'e=%F0%9F%%98%80', 'e=%F0%%9F%98%80', 'n=%C3%%%A9', 'n=%C3%4%A9']) {
    expect(isUtf8(percentDecoded(query)), query).toBe(false);
    expect(queryUtf8Error(`/api/orders?${query}`)?.body, query).toEqual({ code: 'BAD_URL', message: 'the query string is not valid UTF-8: a percent-escape does not decode' });
  }
  // A stray % next to whole characters is still fine.
  for (const query of ['n=%C3%A9%', 'n=%%C3%A9', 'n=100%&e=%E2%82%AC', 'n=%C3%A9%zz%E2%82%AC']) {
    expect(isUtf8(percentDecoded(query)), query).toBe(true);
    expect(queryUtf8Error(`/api/orders?${query}`), query).toBeUndefined();
  }
});

describe('on the server', () => {
  let service: TestService;
  let key: string;
  beforeAll(async () => {
    service = await startTestService({ until: 1723161300000, plugins: [registerMexcApi] });
    key = (await service.app.inject({ method: 'POST', url: '/api/accounts', headers: { authorization: `Bearer ${ADMIN_KEY}` }, payload: { name: 'stray', balances: { USDT: '1000' } } })).json<{ apiKey: string }>().apiKey;
  }, 60_000);
  afterAll(async () => service.close());

  it('refuses ?symbol=BTC%C3%%A9USDT with 400 BAD_URL natively and 700004 under /api/v3, instead of answering for "BTC\\uFFFD%\\uFFFDUSDT"', async () => {
    const native = await service.app.inject({ url: '/api/orders?symbol=BTC%C3%%A9USDT', headers: { authorization: `Bearer ${key}` } });
    expect([native.statusCode, native.json()]).toEqual([400, { code: 'BAD_URL', message: 'the query string is not valid UTF-8: a percent-escape does not decode' }]);
    const mexc = await service.app.inject({ url: '/api/v3/depth?symbol=BTC%E2%%82%ACUSDT' });
    expect([mexc.statusCode, mexc.json()]).toEqual([400, { code: 700004, msg: 'the query string is not valid UTF-8: a percent-escape does not decode' }]);
  });
});
