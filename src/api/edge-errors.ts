/**
 * What the edge answers when a request fails before or outside a route's own logic: a URL that
 * does not decode, a body that is not JSON, too large or of a type no route reads, an unknown path,
 * a method the path does not take, a limit reached. Each becomes one `EdgeError`, then the body of
 * the dialect the path belongs to: the native `{"code","message"}` or MEXC's `{"code","msg"}`.
 *
 * Guarantees: every 4xx Fastify raises by itself maps to a named code with a 4xx status; the only
 * 5xx here is 503 `UNAVAILABLE`, for an engine that cannot apply or persist now (its database is
 * unreachable, it is restoring, or it stopped: nothing was acknowledged) or a read or write of the
 * database that failed for want of a connection (docs/adr/0014). Errors
 * that are not the framework's (a thrown bug) are not handled here.
 */
import { EngineUnavailableError } from '../engine/engine-status.js';
import { isDatabaseUnavailable } from '../persistence/database.js';
import { HttpError } from './http-errors.js';

export interface EdgeError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** Paths answered in MEXC's error shape. */
const MEXC_PREFIXES = ['/api/v3/', '/api/v3?'];

export function isMexcPath(url: string): boolean {
  return url === '/api/v3' || MEXC_PREFIXES.some((p) => url.startsWith(p));
}

const FRAMEWORK: Readonly<Record<string, { status: number; code: string; message?: string }>> = {
  FST_ERR_BAD_URL: { status: 400, code: 'BAD_URL', message: 'the URL is not valid: a percent-escape does not decode' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'URI_TOO_LONG', message: 'a path segment is too long' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send the body as application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'INVALID_REQUEST', message: 'the body does not match its Content-Length' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'INVALID_JSON', message: 'the body is empty but its Content-Type says JSON' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'INVALID_JSON', message: 'the body is not valid JSON' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'INVALID_REQUEST' },
};

/**
 * The edge's view of an error: our own HttpError as it is, schema failures as INVALID_REQUEST,
 * Fastify's errors by their code, any other 4xx as INVALID_REQUEST; undefined for everything else
 * (a bug: the caller logs it and answers 500).
 */
export function edgeErrorOf(error: unknown): EdgeError | undefined {
  if (error instanceof HttpError) return { status: error.status, code: error.body.code, message: error.body.message };
  if (error instanceof EngineUnavailableError) return { status: 503, code: error.code, message: error.message };
  if (isDatabaseUnavailable(error)) return { status: 503, code: 'UNAVAILABLE', message: 'the database is unreachable; retry later' };
  // A percent-escape of the client's that does not decode, wherever our code decodes it.
  if (error instanceof URIError) return { status: 400, code: 'BAD_URL', message: 'a percent-escape in the request does not decode' };
  if (typeof error !== 'object' || error === null) return undefined;
  const { validation, statusCode, code, message } = error as { validation?: unknown; statusCode?: number; code?: string; message?: string };
  if (validation !== undefined) return { status: 400, code: 'INVALID_REQUEST', message: message ?? 'invalid request' };
  const known = code !== undefined ? FRAMEWORK[code] : undefined;
  if (known !== undefined) return { status: known.status, code: known.code, message: known.message ?? message ?? known.code };
  if (statusCode === 429) return { status: 429, code: 'RATE_LIMITED', message: message ?? 'too many requests' };
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) return { status: statusCode, code: 'INVALID_REQUEST', message: message ?? 'invalid request' };
  return undefined;
}

/** The native body: `{"code","message"}`. */
export function nativeBody(error: EdgeError): { code: string; message: string } {
  return { code: error.code, message: error.message };
}

/**
 * MEXC's body for an edge error, and the status MEXC would answer with: 429 for rate limits
 * (MEXC's documented HTTP 429 and error code 429 "Too Many Requests"), 404/405/413/415 as they are,
 * every other client error 400 with 700004 (MEXC's "invalid parameter").
 */
export function mexcBodyOf(error: EdgeError): { status: number; body: { code: number; msg: string } } {
  if (error.status === 429) return { status: 429, body: { code: 429, msg: `Too Many Requests: ${error.message}` } };
  // MEXC's 503 "service not available, please try again" (ccxt: ExchangeNotAvailable).
  if (error.status === 503) return { status: 503, body: { code: 503, msg: error.message } };
  if (error.status === 401) return { status: 401, body: { code: 401, msg: error.message } };
  if ([404, 405, 413, 414, 415].includes(error.status)) return { status: error.status, body: { code: error.status, msg: error.message } };
  return { status: 400, body: { code: 700004, msg: error.message } };
}
