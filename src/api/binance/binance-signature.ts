/**
 * Binance Spot v3 request signing (SIGNED endpoints): the shared HMAC-SHA256 check
 * (dialect-kit/signed-request.ts) of the query string followed by the form body, with the key in
 * the `X-MBX-APIKEY` header and Binance's errors (-2014/-2015 key, -1022 signature, -1021 outside
 * the recvWindow, -1131 recvWindow above 60000, -1102 a missing timestamp or signature).
 */
import type { AccountProfile, CredentialStore } from '../../persistence/credential-store.js';
import { hmacSha256Hex, verifyHmacRequest, type SignedRequest } from '../dialect-kit/signed-request.js';
import { binanceErrors } from './binance-errors.js';

export const BINANCE_API_KEY_HEADER = 'x-mbx-apikey';

export function binanceSignature(secret: string, totalParams: string): string {
  return hmacSha256Hex(secret, totalParams);
}

/**
 * `spot`: Binance Spot also takes `timestamp` in µs and `recvWindow` with three decimals (Spot API
 * "General API Information", 2025); USD-M takes whole ms.
 */
export function verifyBinanceRequest(request: SignedRequest, credentials: CredentialStore, now: number, spot = false): AccountProfile {
  return verifyHmacRequest(request, credentials, now, binanceErrors, spot ? { microsecondTimestamps: true, fractionalRecvWindow: true } : {});
}
