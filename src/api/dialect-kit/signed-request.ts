/**
 * HMAC-SHA256 request signing as MEXC Spot v3 and Binance Spot v3 both define it, verified exactly
 * as they do; each dialect supplies its header name and its own errors.
 *
 * Guarantees:
 * - the key must name an account;
 * - the signature is the lowercase hex HMAC-SHA256, with the account's secret, of the parameters as
 *   sent: the query string, then a form body concatenated after it without `&`, each with the
 *   `signature` parameter removed and nothing re-ordered or re-encoded; compared in constant time;
 * - `timestamp` must satisfy `timestamp < now + 1000 && now - timestamp <= recvWindow`
 *   (recvWindow default 5000, at most 60000), against the server's wall clock; a dialect may admit
 *   a µs timestamp and a recvWindow with three decimals (TimingRules).
 * Not modelled: IP white lists, key permissions (every paper key may trade), RSA and Ed25519 keys.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AccountProfile, CredentialStore } from '../../persistence/credential-store.js';

export const DEFAULT_RECV_WINDOW = 5_000;
export const MAX_RECV_WINDOW = 60_000;

export function hmacSha256Hex(secret: string, totalParams: string): string {
  return createHmac('sha256', secret).update(totalParams).digest('hex');
}

/** A percent-decoded value; a malformed escape (`%zz`) is kept as sent, so it simply does not verify. */
function decodeOrRaw(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The raw `a=1&b=2` pairs without `signature`, and the signature (the last one sent, if several). */
export function splitSignature(raw: string): { rest: string; signature: string | undefined } {
  if (raw === '') return { rest: '', signature: undefined };
  let signature: string | undefined;
  const kept: string[] = [];
  for (const pair of raw.split('&')) {
    if (pair.startsWith('signature=')) signature = decodeOrRaw(pair.slice('signature='.length));
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

/** The errors a dialect answers each failure with (thrown as they are). */
export interface SigningErrors {
  apiKeyRequired(): Error;
  unknownApiKey(): Error;
  mandatory(name: string): Error;
  recvWindowTooLarge(): Error;
  outsideRecvWindow(): Error;
  badSignature(): Error;
}

/** What a dialect's clock rules admit beyond whole milliseconds. */
export interface TimingRules {
  /** `timestamp` in µs too, told apart by size (16 digits), as Binance Spot takes it. */
  readonly microsecondTimestamps?: boolean;
  /** `recvWindow` with up to three decimals (µs precision), as Binance Spot takes it. */
  readonly fractionalRecvWindow?: boolean;
}

export function verifyHmacRequest(request: SignedRequest, credentials: CredentialStore, now: number, errors: SigningErrors, rules: TimingRules = {}): AccountProfile {
  if (request.apiKey === undefined || request.apiKey === '') throw errors.apiKeyRequired();
  const profile = credentials.byApiKey(request.apiKey);
  if (profile === undefined) throw errors.unknownApiKey();
  const query = splitSignature(request.rawQuery);
  const body = splitSignature(request.rawBody ?? '');
  const signature = query.signature ?? body.signature;
  if (signature === undefined || signature === '') throw errors.mandatory('signature');
  const recvWindowText = request.params.recvWindow;
  const recvWindow = recvWindowText === undefined || recvWindowText === '' ? DEFAULT_RECV_WINDOW : Number(recvWindowText);
  const wellFormed = rules.fractionalRecvWindow === true ? /^\d{1,9}(\.\d{1,3})?$/.test(recvWindowText ?? '') : Number.isSafeInteger(recvWindow);
  if ((recvWindowText !== undefined && recvWindowText !== '' && !wellFormed) || !(recvWindow > 0)) throw errors.mandatory('recvWindow');
  if (recvWindow > MAX_RECV_WINDOW) throw errors.recvWindowTooLarge();
  const timestampText = request.params.timestamp;
  if (timestampText === undefined || !/^\d{1,16}$/.test(timestampText)) throw errors.mandatory('timestamp');
  // Clock arithmetic in ms (a float is exact enough for a window check; no money here).
  const timestamp = rules.microsecondTimestamps === true && timestampText.length >= 16 ? Number(timestampText) / 1_000 : Number(timestampText);
  if (!(timestamp < now + 1_000 && now - timestamp <= recvWindow)) throw errors.outsideRecvWindow();
  const expected = Buffer.from(hmacSha256Hex(profile.apiSecret, query.rest + body.rest), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw errors.badSignature();
  return profile;
}
