/**
 * MEXC contract request signing, verified as MEXC's futures API docs define it ("Integration
 * guide", authentication), and as ccxt's `mexc.sign` sends it for the contract API:
 *
 * - headers `ApiKey`, `Request-Time` (Unix ms), `Signature`, optionally `Recv-Window` (seconds);
 * - the signed text is accessKey + Request-Time + parameters, where the parameters are, for GET and
 *   DELETE, the query's `key=value` pairs sorted by key and joined with `&` (values as sent), and
 *   for POST the JSON body exactly as sent (not re-ordered);
 * - Signature = lowercase hex HMAC-SHA256 of that text with the account's secret, compared in
 *   constant time;
 * - Request-Time must lie within Recv-Window seconds of the server's clock (default 10, at most 60).
 *
 * Errors: no key or an unknown key 401, a wrong signature 602, a missing or stale Request-Time 513.
 * Not modelled: IP white lists, key permissions.
 */
import { timingSafeEqual } from 'node:crypto';
import type { AccountProfile, CredentialStore } from '../../persistence/credential-store.js';
import { hmacSha256Hex } from '../dialect-kit/signed-request.js';
import { contractErrors } from './mexc-contract-errors.js';

export const CONTRACT_KEY_HEADER = 'apikey';
export const DEFAULT_RECV_WINDOW_S = 10;
export const MAX_RECV_WINDOW_S = 60;

export interface ContractSignedRequest {
  readonly method: string;
  /** The raw query string (after `?`), as sent. */
  readonly rawQuery: string;
  /** The raw body, as sent (POST). */
  readonly rawBody: string;
  readonly apiKey: string | undefined;
  readonly requestTime: string | undefined;
  readonly signature: string | undefined;
  readonly recvWindow: string | undefined;
}

/** The parameter string a GET/DELETE is signed over: the raw pairs sorted by their decoded key. */
export function sortedQuery(rawQuery: string): string {
  if (rawQuery === '') return '';
  const keyOf = (pair: string) => {
    const name = pair.split('=', 1)[0]!;
    try {
      return decodeURIComponent(name);
    } catch {
      return name;
    }
  };
  return rawQuery
    .split('&')
    .filter((p) => p !== '')
    .sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0))
    .join('&');
}

export function contractSignature(secret: string, apiKey: string, requestTime: string, parameters: string): string {
  return hmacSha256Hex(secret, apiKey + requestTime + parameters);
}

/** The account of a correctly signed contract request; throws MexcContractError otherwise. */
export function verifyContractRequest(request: ContractSignedRequest, credentials: CredentialStore, now: number): AccountProfile {
  if (request.apiKey === undefined || request.apiKey === '') throw contractErrors.unauthorized();
  const profile = credentials.byApiKey(request.apiKey);
  if (profile === undefined) throw contractErrors.unauthorized();
  const windowText = request.recvWindow ?? '';
  const windowS = windowText === '' ? DEFAULT_RECV_WINDOW_S : Number(windowText);
  if (!Number.isSafeInteger(windowS) || windowS <= 0 || windowS > MAX_RECV_WINDOW_S) throw contractErrors.requestTime();
  const time = request.requestTime ?? '';
  if (!/^\d{1,16}$/.test(time) || Math.abs(now - Number(time)) > windowS * 1_000) throw contractErrors.requestTime();
  if (request.signature === undefined || request.signature === '') throw contractErrors.badSignature();
  const parameters = request.method === 'POST' ? request.rawBody : sortedQuery(request.rawQuery);
  const expected = Buffer.from(contractSignature(profile.apiSecret, request.apiKey, time, parameters), 'utf8');
  const given = Buffer.from(request.signature, 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw contractErrors.badSignature();
  return profile;
}
