/**
 * MEXC Spot v3 request signing, verified exactly as MEXC does it.
 *
 * Guarantees:
 * - the key comes from the `X-MEXC-APIKEY` header and must name an account;
 * - the signature is the lowercase hex HMAC-SHA256, with the account's secret, of the parameters as
 *   sent: the query string (and a form body, concatenated after it without `&`), with the
 *   `signature` parameter removed and nothing re-ordered or re-encoded; compared in constant time;
 * - `timestamp` must satisfy `timestamp < now + 1000 && now - timestamp <= recvWindow`
 *   (recvWindow default 5000, at most 60000), against the server's wall clock.
 * Not modelled: IP white lists and key permissions (every paper key may trade).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AccountProfile, CredentialStore } from '../../persistence/credential-store.js';
import { mexcErrors } from './mexc-errors.js';

export const DEFAULT_RECV_WINDOW = 5_000;
export const MAX_RECV_WINDOW = 60_000;

export function mexcSignature(secret: string, totalParams: string): string {
  return createHmac('sha256', secret).update(totalParams).digest('hex');
}

/** The raw `a=1&b=2` pairs without `signature`, and the signature (the last one sent, if several). */
export function splitSignature(raw: string): { rest: string; signature: string | undefined } {
  if (raw === '') return { rest: '', signature: undefined };
  let signature: string | undefined;
  const kept: string[] = [];
  for (const pair of raw.split('&')) {
    if (pair.startsWith('signature=')) signature = decodeURIComponent(pair.slice('signature='.length));
    else kept.push(pair);
  }
  return { rest: kept.join('&'), signature };
}

export interface SignedRequest {
  /** The raw query string (after `?`), exactly as sent. */
  readonly rawQuery: string;
  /** A form-encoded body as sent, if any. */
  readonly rawBody?: string;
  readonly apiKey: string | undefined;
  /** The merged parameters (the query's win over the body's). */
  readonly params: Readonly<Record<string, string>>;
}

export function verifySignedRequest(request: SignedRequest, credentials: CredentialStore, now: number): AccountProfile {
  if (request.apiKey === undefined || request.apiKey === '') throw mexcErrors.apiKeyRequired();
  const profile = credentials.byApiKey(request.apiKey);
  if (profile === undefined) throw mexcErrors.unknownApiKey();
  const query = splitSignature(request.rawQuery);
  const body = splitSignature(request.rawBody ?? '');
  const signature = query.signature ?? body.signature;
  if (signature === undefined || signature === '') throw mexcErrors.mandatory('signature');
  const recvWindowText = request.params.recvWindow;
  const recvWindow = recvWindowText === undefined || recvWindowText === '' ? DEFAULT_RECV_WINDOW : Number(recvWindowText);
  if (!Number.isSafeInteger(recvWindow) || recvWindow <= 0) throw mexcErrors.mandatory('recvWindow');
  if (recvWindow > MAX_RECV_WINDOW) throw mexcErrors.recvWindowTooLarge();
  const timestampText = request.params.timestamp;
  if (timestampText === undefined || !/^\d{1,16}$/.test(timestampText)) throw mexcErrors.mandatory('timestamp');
  const timestamp = Number(timestampText);
  if (!(timestamp < now + 1_000 && now - timestamp <= recvWindow)) throw mexcErrors.outsideRecvWindow();
  const expected = Buffer.from(mexcSignature(profile.apiSecret, query.rest + body.rest), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw mexcErrors.badSignature();
  return profile;
}
