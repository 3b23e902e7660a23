/**
 * Keeps secrets out of log lines: the request serializer logs method, URL, host and address only
 * (never headers), with the values of secret query parameters (`key`, `apiKey`, `signature`, …)
 * replaced; pino's `redact` removes the same from anything else that is logged (headers, bodies,
 * errors that carry them).
 *
 * Guarantees: `redactUrl` never returns a secret query value, also when the query is malformed
 * (an undecodable escape is redacted as a whole rather than passed through).
 */
import type { FastifyRequest } from 'fastify';

/** Query parameters whose values are secrets, compared case-insensitively. */
const SECRET_PARAMS = new Set(['key', 'apikey', 'api_key', 'secret', 'apisecret', 'signature', 'token', 'access_token', 'password', 'passphrase', 'listenkey']);

/** A user data stream named by its listenKey in the path (`/binance/ws/<listenKey>`); market stream names carry an `@`. */
const LISTEN_KEY_PATH = /^(\/binance\/f?ws\/)([^/?@]+)(?=$|\?)/;

/**
 * The credentials this service generates, wherever in a URL they appear (a key pasted into a path or
 * under an unlisted parameter): account keys `pt_…`, admin keys `ptadmin_…`, account secrets (64 hex digits).
 */
const GENERATED_SECRET = /(?<![A-Za-z0-9_-])(?:ptadmin_|pt_)[A-Za-z0-9_-]{16,}|(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?![0-9A-Fa-f])/g;

export const CENSOR = '[redacted]';

/** Paths pino removes from every logged object. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-mexc-apikey"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-mexc-apikey"]',
  'apiKey',
  'apiSecret',
  'secret',
  'signature',
  '*.apiKey',
  '*.apiSecret',
  '*.secret',
  '*.signature',
  'exchangeCredentials',
  '*.exchangeCredentials',
  '*.*.exchangeCredentials',
];

/** The URL with the value of every secret query parameter, a listenKey in a stream path and any generated key or secret replaced. */
export function redactUrl(rawUrl: string): string {
  const url = rawUrl.replace(LISTEN_KEY_PATH, `$1${CENSOR}`).replace(GENERATED_SECRET, CENSOR);
  const at = url.indexOf('?');
  if (at < 0) return url;
  const pairs = url.slice(at + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    let name: string;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
    } catch {
      return CENSOR;
    }
    if (eq < 0 || !SECRET_PARAMS.has(name.toLowerCase().trim())) return pair;
    return `${rawName}=${CENSOR}`;
  });
  return `${url.slice(0, at)}?${pairs.join('&')}`;
}

/** Fastify's `serializers.req`: what a request log line says about the request. */
export function serializeRequest(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

export const LOG_SERIALIZERS = { req: serializeRequest };
