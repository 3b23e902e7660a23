/**
 * A request's text as UTF-8, checked: a body whose bytes are not UTF-8, a query string or form body
 * whose percent-escapes do not decode as UTF-8, is refused (400), and a WebSocket frame whose bytes
 * are not UTF-8 is answered as a frame that is not JSON; never read with U+FFFD in place of the
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
export const FORM_NOT_UTF8 = 'the body is not valid UTF-8: a percent-escape does not decode';
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
 * True when the percent-escapes of `text` (a query string, or a form body in the same syntax) do not
 * decode as UTF-8. Costs one regular-expression test for a text with no escape over 0x7F.
 */
export function escapesNotUtf8(text: string): boolean {
  if (!HIGH_ESCAPE.test(text)) return false;
  try {
    // With stray `%`s written `%25`, decodeURIComponent throws only on escapes whose bytes are not UTF-8
    // (ECMA-262 Decode: overlong, surrogate and cut-short sequences included).
    decodeURIComponent(text.replace(STRAY_PERCENT, '%25'));
    return false;
  } catch {
    return true;
  }
}

/**
 * The query string's refusal (400 `BAD_URL`, as for a path escape that does not decode) when its
 * percent-escapes do not decode as UTF-8; undefined otherwise. `url` is the request's raw URL.
 */
export function queryUtf8Error(url: string): HttpError | undefined {
  const mark = url.indexOf('?');
  if (mark < 0 || !escapesNotUtf8(url.slice(mark + 1))) return undefined;
  return new HttpError(400, { code: 'BAD_URL', message: QUERY_NOT_UTF8 });
}

/**
 * A Fastify content-type parser for a form body (`application/x-www-form-urlencoded`, `parseAs:
 * 'buffer'`), kept as its raw text: its bytes must be UTF-8 (`utf8Body`) and so must what its
 * percent-escapes stand for (400 `INVALID_REQUEST`, "the body is not valid UTF-8: a percent-escape
 * does not decode"), as a query's must.
 */
export const rawFormBody = utf8Body((_request, body, done) => {
  if (escapesNotUtf8(body)) return done(new HttpError(400, { code: 'INVALID_REQUEST', message: FORM_NOT_UTF8 }));
  done(null, body);
});

/** UTF-8 decoding that throws (a TypeError) on bytes that are not UTF-8; a byte-order mark is kept, as `Buffer.toString` keeps it. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A WebSocket frame's text: a binary frame's bytes are not checked by the WebSocket library (a text
 * frame that is not UTF-8 closes the connection with 1007 there), so this throws a TypeError for
 * bytes that are not UTF-8, which the stream answers as it answers a frame that is not JSON (RFC
 * 8259 §8.1: JSON text exchanged between systems is UTF-8), instead of reading U+FFFD into a
 * channel name or a key.
 */
export function frameText(raw: Buffer): string {
  return STRICT_UTF8.decode(raw);
}
