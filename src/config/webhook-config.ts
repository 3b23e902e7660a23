/**
 * The operator's webhook, from the environment: WEBHOOK_URL (http or https), WEBHOOK_SECRET (the
 * HMAC key, at least 16 characters), WEBHOOK_EVENTS (comma-separated; default all), and the retry
 * bound WEBHOOK_MAX_ATTEMPTS (1–30, default 12). The operator's endpoint hears every account.
 */
import { checkEndpoint, WEBHOOK_EVENTS, type WebhookEventName } from '../service/webhook-subscriptions.js';

export interface WebhookSettings {
  readonly operator?: { readonly url: string; readonly secret: string; readonly events: readonly WebhookEventName[] };
  readonly maxAttempts?: number;
}

export type WebhookSettingsResult = { readonly ok: true; readonly value: WebhookSettings } | { readonly ok: false; readonly errors: readonly string[] };

export function webhookSettingsFromEnv(env: NodeJS.ProcessEnv): WebhookSettingsResult {
  const errors: string[] = [];
  const value: { operator?: WebhookSettings['operator']; maxAttempts?: number } = {};
  const url = env.WEBHOOK_URL?.trim();
  if (url !== undefined && url !== '') {
    const secret = env.WEBHOOK_SECRET ?? '';
    const events = (env.WEBHOOK_EVENTS ?? WEBHOOK_EVENTS.join(',')).split(',').map((e) => e.trim()).filter((e) => e !== '');
    const checked = checkEndpoint(url, events);
    if (!checked.ok) errors.push(`WEBHOOK_${checked.field === 'url' ? 'URL' : 'EVENTS'}: ${checked.message.replace(/^\w+: /, '')}`);
    if (secret.length < 16) errors.push('WEBHOOK_SECRET: required with WEBHOOK_URL, at least 16 characters (the key deliveries are signed with)');
    if (checked.ok && secret.length >= 16) value.operator = { url: checked.url, secret, events: checked.events };
  } else if (env.WEBHOOK_SECRET !== undefined || env.WEBHOOK_EVENTS !== undefined) {
    errors.push('WEBHOOK_URL: WEBHOOK_SECRET or WEBHOOK_EVENTS is set without it');
  }
  const attempts = env.WEBHOOK_MAX_ATTEMPTS;
  if (attempts !== undefined && attempts !== '') {
    const n = Number(attempts);
    if (!Number.isInteger(n) || n < 1 || n > 30) errors.push(`WEBHOOK_MAX_ATTEMPTS: an integer from 1 to 30, got ${JSON.stringify(attempts)}`);
    else value.maxAttempts = n;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value };
}
