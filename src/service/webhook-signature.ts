/**
 * How a webhook delivery is signed, Stripe's scheme: the header
 * `X-Papertrade-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed by the secret>`.
 * The timestamp is inside the signed text, so a captured delivery replayed later fails a receiver's
 * tolerance check; each attempt is signed afresh.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-papertrade-signature';
export const DELIVERY_HEADER = 'x-papertrade-delivery';
export const EVENT_HEADER = 'x-papertrade-event';

export function webhookSignature(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * A receiver's check: the header names a time within `toleranceSeconds` of `nowSeconds` and one of
 * its `v1` values is the HMAC of that time and the raw body.
 */
export function verifyWebhookSignature(secret: string, body: string, header: string, options: { nowSeconds?: number; toleranceSeconds?: number } = {}): boolean {
  const parts = header.split(',').map((p) => p.trim().split('=', 2) as [string, string | undefined]);
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isSafeInteger(t)) return false;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  return parts.some(([k, v]) => k === 'v1' && v !== undefined && v.length === expected.length && timingSafeEqual(Buffer.from(v), expected));
}
