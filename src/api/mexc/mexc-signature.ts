/**
 * MEXC Spot v3 request signing: the shared HMAC-SHA256 check (dialect-kit/signed-request.ts) with
 * MEXC's `X-MEXC-APIKEY` header and MEXC's error codes.
 */
import type { AccountProfile, CredentialStore } from '../../persistence/credential-store.js';
import { hmacSha256Hex, verifyHmacRequest, type SignedRequest } from '../dialect-kit/signed-request.js';
import { mexcErrors } from './mexc-errors.js';

export { DEFAULT_RECV_WINDOW, MAX_RECV_WINDOW, splitSignature, type SignedRequest } from '../dialect-kit/signed-request.js';

export const MEXC_API_KEY_HEADER = 'x-mexc-apikey';

export function mexcSignature(secret: string, totalParams: string): string {
  return hmacSha256Hex(secret, totalParams);
}

export function verifySignedRequest(request: SignedRequest, credentials: CredentialStore, now: number): AccountProfile {
  return verifyHmacRequest(request, credentials, now, mexcErrors);
}
