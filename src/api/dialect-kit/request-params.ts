/**
 * Parameters as MEXC and Binance read them: from the query string and a form body, the query's
 * winning; the raw text of each is kept for signature checks.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { rawFormBody } from '../utf8-request.js';

export function rawQueryOf(request: FastifyRequest): string {
  const at = request.url.indexOf('?');
  return at < 0 ? '' : request.url.slice(at + 1);
}

export function rawBodyOf(request: FastifyRequest): string {
  return typeof request.body === 'string' ? request.body : '';
}

/** The request's parameters: query string over form body. */
export function paramsOf(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const source of [rawBodyOf(request), rawQueryOf(request)]) {
    for (const [key, value] of new URLSearchParams(source)) out[key] = value;
  }
  return out;
}

/**
 * The first parameter name sent twice in the query string or twice in the form body (a name in
 * both is no duplicate: the query's wins, as Binance documents). `signature` counts too.
 */
export function duplicateParam(request: FastifyRequest): string | undefined {
  for (const source of [rawQueryOf(request), rawBodyOf(request)]) {
    const seen = new Set<string>();
    for (const [key] of new URLSearchParams(source)) {
      if (seen.has(key)) return key;
      seen.add(key);
    }
  }
  return undefined;
}

/** Keeps a form body raw in this scope: the signature covers it as sent. */
export function acceptRawFormBodies(scope: FastifyInstance): void {
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, rawFormBody);
}

/** Integer parameter readers; `invalid` builds the dialect's error for a malformed one. */
export function intParam(text: string | undefined, name: string, fallback: number, max: number, invalid: (detail: string) => Error): number {
  if (text === undefined || text === '') return fallback;
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) throw invalid(`${name} must be a positive integer`);
  return Math.min(Number(text), max);
}

export function optionalInt(text: string | undefined, name: string, invalid: (detail: string) => Error): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,16}$/.test(text)) throw invalid(`${name} must be ${name.endsWith('Id') ? 'a whole number' : 'Unix ms'}`);
  return Number(text);
}
