/**
 * A Binance SIGNED request injected into an in-process Fastify app, as Binance's "SIGNED (TRADE,
 * USER_DATA AND MARGIN) Endpoint security" describes it for Spot and USDⓈ-M Futures: the
 * `signature` is the HMAC-SHA256, in lower-case hex, of the total query string keyed with the
 * account's secret, sent as the last parameter, and the API key goes in the `X-MBX-APIKEY` header.
 *
 * The query is `params` in their insertion order, then `timestamp` (the wall clock in ms, which the
 * server checks against its `recvWindow`), URL-encoded by URLSearchParams; the body stays empty.
 */
import { createHmac } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/** An account's Binance credentials, as POST /api/accounts answers them. */
export interface BinanceKey {
  readonly apiKey: string;
  readonly apiSecret: string;
}

export interface SignedRequest {
  /** GET unless given. */
  readonly method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The full path with its prefix and no query, e.g. `/binance/api/v3/account` or `/binance/fapi/v2/balance`. */
  readonly url: string;
  /** The endpoint's parameters, before `timestamp`; none unless given. */
  readonly params?: Readonly<Record<string, string>>;
}

/** Binance's signature of `query` (the total query string, without `signature`): HMAC-SHA256 hex keyed with `secret`. */
export const binanceSignature = (secret: string, query: string): string => createHmac('sha256', secret).update(query).digest('hex');

/** Injects `request` into `app` signed with `key`: `url?<params>&timestamp=<now>&signature=<hex>`. */
export function injectSigned(app: FastifyInstance, key: BinanceKey, request: SignedRequest): Promise<LightMyRequestResponse> {
  const query = new URLSearchParams({ ...request.params, timestamp: String(Date.now()) }).toString();
  return app.inject({
    method: request.method ?? 'GET',
    url: `${request.url}?${query}&signature=${binanceSignature(key.apiSecret, query)}`,
    headers: { 'x-mbx-apikey': key.apiKey },
  });
}
