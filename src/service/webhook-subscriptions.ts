/**
 * What a webhook endpoint can subscribe to, and which endpoints hear an event.
 *
 * Events: `FILL`, `LIQUIDATION` and `MAX_DRAWDOWN_REACHED` (the kernel's events of those names, for
 * the account they name), `FEED_STALE` and `FEED_RECOVERED` (a symbol's market feed went silent or
 * came back; every endpoint that chose them hears them, whatever its account). An account's
 * endpoint hears its own account only; the operator's (no account) hears every account.
 * Endpoints: absolute http:// or https:// URLs without user info; private and loopback addresses
 * are allowed (a receiver on the operator's LAN is a normal set-up).
 */
export const WEBHOOK_EVENTS = ['FILL', 'LIQUIDATION', 'MAX_DRAWDOWN_REACHED', 'FEED_STALE', 'FEED_RECOVERED'] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

const KNOWN: ReadonlySet<string> = new Set(WEBHOOK_EVENTS);
export const MAX_URL_LENGTH = 2048;

export type EndpointCheck = { readonly ok: true; readonly url: string; readonly events: WebhookEventName[] } | { readonly ok: false; readonly field: 'url' | 'events'; readonly message: string };

/** Checks an endpoint's URL and event list; answers the normalized URL and the events without repeats. */
export function checkEndpoint(url: string, events: readonly string[]): EndpointCheck {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, field: 'url', message: `url: not an absolute URL (expected http://host[:port]/path or https://…), got ${JSON.stringify(url.slice(0, 80))}` };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { ok: false, field: 'url', message: `url: the scheme must be http or https, not ${parsed.protocol.replace(/:$/, '')}` };
  if (parsed.username !== '' || parsed.password !== '') return { ok: false, field: 'url', message: 'url: must not carry a user name or password (deliveries are signed instead)' };
  if (parsed.hostname === '') return { ok: false, field: 'url', message: 'url: names no host' };
  if (parsed.href.length > MAX_URL_LENGTH) return { ok: false, field: 'url', message: `url: longer than ${MAX_URL_LENGTH} characters` };
  if (events.length === 0) return { ok: false, field: 'events', message: `events: choose at least one of ${WEBHOOK_EVENTS.join(', ')}` };
  const unknown = events.filter((e) => !KNOWN.has(e));
  if (unknown.length > 0) return { ok: false, field: 'events', message: `events: unknown ${unknown.map((e) => JSON.stringify(e)).join(', ')}; allowed: ${WEBHOOK_EVENTS.join(', ')}` };
  return { ok: true, url: parsed.href, events: WEBHOOK_EVENTS.filter((e) => events.includes(e)) };
}

/** The kernel event types that become webhook events. */
export const KERNEL_EVENT_TYPES: ReadonlySet<string> = new Set(['FILL', 'LIQUIDATION', 'MAX_DRAWDOWN_REACHED']);
