/**
 * A request's text as UTF-8, checked: a body whose bytes are not UTF-8, or a query string whose
 * percent-escapes do not decode as UTF-8, is refused (400), never read with U+FFFD in place of the
 * bytes it could not read, which would put a value the client never sent into an order, a name or
 * a filter. RFC 8259 §8.1: JSON exchanged between systems is UTF-8; a URL's and a form body's
 * percent-escapes are UTF-8 too (RFC 3986 §2.5, WHATWG URL's application/x-www-form-urlencoded).
 * RFC 3629 §3 says what is not UTF-8: bytes 0xC0, 0xC1, 0xF5–0xFF, a continuation byte alone, a
 * sequence cut short, an overlong or surrogate encoding.
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './http-errors.js';

type Done = (error: Error | null, body?: unknown) => void;

export const BODY_NOT_UTF8 = 'the body is not valid UTF-8';
export const QUERY_NOT_UTF8 = 'the query string is not valid UTF-8: a percent-escape does not decode';

/**
 * A Fastify content-type parser for `parseAs: 'buffer'`: checks the bytes (`buffer.isUtf8`, one
 * pass in C++), then hands their text to `parse`, as `parseAs: 'string'` would have (a leading
 * byte-order mark kept as U+FEFF). Bytes that are not UTF-8: 400 `INVALID_REQUEST`.
 */
export function utf8Body(parse: (request: FastifyRequest, body: string, done: Done) => void): (request: FastifyRequest, body: Buffer, done: Done) => void {
  return (request, body, done) => {
    if (!isUtf8(body)) return done(new HttpError(400, { code: 'INVALID_REQUEST', message: BODY_NOT_UTF8 }));
    parse(request, body.toString('utf8'), done);
  };
}

/** A percent-escape of a byte over 0x7F: the only kind that can fail to decode as UTF-8. */
const HIGH_ESCAPE = /%[89a-fA-F][0-9a-fA-F]/;
/**
 * A `%` not followed by two hex digits: not an escape (the dialects' own checks name it). It is still
 * the byte 0x25 of the decoded text, between whatever bytes surround it (`%C3%%A9` is C3 25 A9, not
 * "é"), so it is written as that byte's escape, `%25`, not left out.
 */
const STRAY_PERCENT = /%(?![0-9a-fA-F]{2})/g;

/**
 * The query string's refusal (400 `BAD_URL`, as for a path escape that does not decode) when its
 * percent-escapes do not decode as UTF-8; undefined otherwise. `url` is the request's raw URL. Costs
 * one regular-expression test for a query with no escape over 0x7F (every ASCII query).
 */
export function queryUtf8Error(url: string): HttpError | undefined {
  const mark = url.indexOf('?');
  if (mark < 0) return undefined;
  const query = url.slice(mark + 1);
  if (!HIGH_ESCAPE.test(query)) return undefined;
  try {
    // With stray `%`s written `%25`, decodeURIComponent throws only on escapes whose bytes are not UTF-8
    // (ECMA-262 Decode: overlong, surrogate and cut-short sequences included).
    decodeURIComponent(query.replace(STRAY_PERCENT, '%25'));
    return undefined;
  } catch {
    return new HttpError(400, { code: 'BAD_URL', message: QUERY_NOT_UTF8 });
  }
}
